"""Turning a job's input into its result files: decode, (resample), split or generate, encode each
stem with the project's own codecs in the requested output format, name the files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..audio import codecs
from ..client.algorithms import is_prompt
from . import midi, transcript
from .catalog import Algorithm
from .jobs import Job
from .split import SITE_RATE, band_split, generated_tone, match_loudness, to_site_rate

SECONDS_PER_WORD = 0.4  # speech made from a prompt lasts about this long per word
MAX_GENERATED_SECONDS = 47.0  # Stable Audio Open's longest clip


def result_name(job: Job, stem: str, ext: str | None = None) -> str:
    """`song_vocals.flac`; with long filenames the algorithm and options are in the name too."""
    base = Path(job.input_name).stem or "audio"
    ext = ext or codecs.extension(job.output_format)
    if not job.long_filenames:
        return f"{base}_{stem}.{ext}"
    algorithm = re.sub(r"[^A-Za-z0-9]+", "-", job.algorithm).strip("-")
    options = "".join(f"_{k[-1]}-{v}" for k, v in sorted(job.options.items()) if v)
    options = re.sub(r"[^A-Za-z0-9_.-]+", "-", options)[:80]
    return f"{base}_{stem}_[mvsep]_{algorithm}{options}.{ext}"


def generated_seconds(job: Job, algorithm: Algorithm) -> float:
    """The asked length (a "Length" field), else as long as the prompt takes to say."""
    prompt = ""
    for name, field in algorithm.fields.items():
        label, value = (field.raw.get("text") or "").lower(), job.options.get(name, "")
        if label.startswith("length"):
            try:
                return min(max(float(value), 0.5), MAX_GENERATED_SECONDS)
            except ValueError:
                pass
        if is_prompt(label):
            prompt = value
    return max(1.0, SECONDS_PER_WORD * len(prompt.split()))


def _stems(
    job: Job, algorithm: Algorithm, folder: Path, resample: bool
) -> tuple[list[np.ndarray], int]:
    if algorithm.result_kind in ("generated", "speech"):
        return [generated_tone(generated_seconds(job, algorithm), SITE_RATE)], SITE_RATE
    if job.widget == "matchering_upload":
        target, rate = codecs.decode(folder / job.inputs["target"])
        reference, _ = codecs.decode(folder / job.inputs["reference"])
        if resample:
            target, rate = to_site_rate(target, rate)
        return [match_loudness(target, reference)], rate
    samples, rate = codecs.decode(folder / job.inputs["audiofile"])
    if resample:
        samples, rate = to_site_rate(samples, rate)
    return band_split(samples, rate, len(algorithm.stems)), rate


def _write(out: Path, name: str, data: bytes) -> dict:
    partial = out / f".{name}.part"
    partial.write_bytes(data)
    partial.replace(out / name)
    return {"file": name, "bytes": len(data)}


def _documents(job: Job, algorithm: Algorithm, folder: Path, out: Path) -> list[dict]:
    """MIDI or transcript files of the uploaded audio."""
    samples, rate = codecs.decode(folder / job.inputs["audiofile"])
    if algorithm.result_kind == "midi":
        return [{**_write(out, result_name(job, "notes", "mid"), midi.smf(midi.notes(samples, rate))),
                 "type": "MIDI"}]
    plain, timed = transcript.texts(transcript.segments(samples, rate))
    return [{**_write(out, result_name(job, "transcript", "txt"), plain.encode()), "type": "Transcript"},
            {**_write(out, result_name(job, "transcript", "srt"), timed.encode()), "type": "Transcript timestamps"}]


def render(job: Job, algorithm: Algorithm, folder: Path, *, resample: bool) -> list[dict]:
    """Write the result files into `folder/results`; their {file, type, bytes} in stem order.

    Raises AudioError (its message is what `failed` shows) when an input cannot be decoded.
    """
    out = folder / "results"
    out.mkdir(parents=True, exist_ok=True)
    if algorithm.result_kind in ("midi", "transcript"):
        return _documents(job, algorithm, folder, out)
    stems, rate = _stems(job, algorithm, folder, resample)
    labels = algorithm.stems if len(stems) == len(algorithm.stems) else [("result", "Result")]
    files = []
    for (stem, label), samples in zip(labels, stems):
        name = result_name(job, stem)
        partial = out / f".{name}.part"
        codecs.encode(samples, rate, job.output_format, partial)
        partial.replace(out / name)
        files.append({"file": name, "type": label, "bytes": (out / name).stat().st_size})
    return files
