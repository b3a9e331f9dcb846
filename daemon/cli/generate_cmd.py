"""`mvsep-bridge generate --sep-type N --prompt TEXT …`: audio made from text (Stable Audio Open,
TTS), or speech in the voice of a recording (--reference), through the daemon like `separate`."""

from __future__ import annotations

from pathlib import Path

import click

from ..client.algorithms import Algorithm, AlgorithmField
from ..errors import UsageError
from ..jobs.model import clean_name
from ..settings import load_settings
from .params import parse_options
from .separate_cmd import daemon_client, job_options, make_request, run_through_daemon

#: flags → the start of the catalog field label they fill (MVSEP's own labels, e.g. "Text prompt",
#: "Length (in seconds)", "Speaker", "Language", "Voice description")
TEXT_FLAGS = {"prompt": "text prompt", "length": "length", "speaker": "speaker", "language": "language",
              "voice_description": "voice description"}


def fill_fields(algorithm: Algorithm, given: dict[str, str | None], options: dict[str, str]) -> dict[str, str]:
    """`options` plus each given flag in the field its label names; a choice given by its label
    ("English") becomes its key ("english")."""
    filled = dict(options)
    for flag, value in given.items():
        if value is None:
            continue
        label = TEXT_FLAGS[flag]
        field = next((f for f in algorithm.algorithm_fields if f.text.lower().startswith(label)), None)
        if field is None:
            fields = ", ".join(f"{f.name} ({f.text})" for f in algorithm.algorithm_fields) or "none"
            raise UsageError(f"sep_type {algorithm.render_id} ({algorithm.name}) has no {label} field "
                             f"for --{flag.replace('_', '-')}; its fields: {fields}",
                             hint=f"see `mvsep-bridge algorithms show {algorithm.render_id}`")
        filled[field.name] = _choice_key(field, value)
    return filled


def _choice_key(field: AlgorithmField, value: str) -> str:
    if not field.is_choice:
        return value
    for key, label in field.options.items():
        if value.lower() in (key.lower(), label.lower()):
            return key
    return value  # the catalog refuses it, listing the choices


@click.command("generate")
@click.option("--sep-type", type=int, required=True, help="a text-to-audio or speech algorithm (62, 104, 115, 118, 119; 103, 120 clone a voice)")
@click.option("--prompt", help="the text to speak, or the description of the audio to make")
@click.option("--length", type=click.FloatRange(min=0, min_open=True), help="seconds of audio to make (where the algorithm has a length field)")
@click.option("--speaker", help="the speaker (where the algorithm has one)")
@click.option("--language", help="the language (where the algorithm has one)")
@click.option("--voice-description", help="how the voice sounds (Qwen3-TTS)")
@click.option("--reference", type=click.Path(dir_okay=False, path_type=Path), help="a recording of the voice to speak in (voice cloning)")
@click.option("--name", help="the result folder's name (default: the prompt's first words)")
@job_options("folder for <name>/ (default: here)")
def generate_command(sep_type, prompt, length, speaker, language, voice_description, reference, name,
                     opts, output_format, out, replace, as_json) -> int:
    """Make audio from text (generation, speech), written to <out>/<name>/ with a manifest.json."""
    settings = load_settings()
    client = daemon_client(settings)
    given = {"prompt": prompt, "length": None if length is None else f"{length:g}", "speaker": speaker,
             "language": language, "voice_description": voice_description}
    options = parse_options(opts)
    algorithm = next((a for a in client.algorithms() if a.render_id == sep_type), None)
    if algorithm is not None:  # else the daemon refuses the job, saying why (and where it runs)
        options = fill_fields(algorithm, given, options)
    name = name or (clean_name(" ".join(prompt.split()[:6]), 40) if prompt else None) or None
    request = make_request(f"sep_type {sep_type}", sep_type=sep_type, options=options, reference=reference,
                           destination=out or Path.cwd(), name=name, replace=replace, output_format=output_format)
    return run_through_daemon(settings, [request], as_json, client)
