"""Jobs beyond "a file in, stems out": which inputs an algorithm takes (the catalog's
`audio_widget`, and the voice-cloning models whose one upload is a voice), what it gives back,
and the refusal when a request brings other inputs (named by the flag-neutral request field)."""

from __future__ import annotations

from .client.algorithms import Algorithm
from .errors import ValidationError
from .jobs.model import JobRequest

#: single_upload models whose upload is the voice to speak in, not a mix: their audio is new
#: speech, not cut from the input (the catalog does not tell them apart)
VOICE_CLONING = frozenset({103, 120})
#: what the algorithms beyond separation make, for messages (the catalog does not say either)
PRODUCES = {39: "a transcript", 64: "a transcript", 80: "MIDI", 113: "MIDI", 114: "MIDI",
            68: "a mastered track", 62: "generated audio", 104: "speech", 115: "speech",
            118: "speech", 119: "speech", 103: "cloned speech", 120: "cloned speech"}


def input_kind(algorithm: Algorithm) -> str:
    """audio (one file or a link), two files (matchering), voice (a reference voice), none."""
    widget = algorithm.audio_widget or "single_upload"
    if widget == "no_upload":
        return "none"
    if widget == "matchering_upload":
        return "two files"
    return "voice" if algorithm.render_id in VOICE_CLONING else "audio"


def check_inputs(algorithm: Algorithm, request: JobRequest) -> None:
    """The request's inputs fit what the algorithm takes; else a ValidationError saying how to ask."""
    number, name = algorithm.render_id, algorithm.name
    kind = input_kind(algorithm)
    has_audio = request.source is not None or request.url is not None
    if kind == "none" and (has_audio or request.reference is not None):
        raise ValidationError(
            f"sep_type {number} ({name}) makes {PRODUCES.get(number, 'audio')} from text and takes no audio input",
            hint=f"leave out the file: `mvsep-bridge generate --sep-type {number} --prompt TEXT`",
            field="source" if has_audio else "reference")
    if kind == "two files" and (request.source is None or request.reference is None):
        raise ValidationError(
            f"sep_type {number} ({name}) masters a target track to sound like a reference track: "
            "it takes two local files",
            hint=f"`mvsep-bridge match TARGET --reference REF --sep-type {number}`", field="reference")
    if kind == "voice" and (has_audio or request.reference is None):
        raise ValidationError(
            f"sep_type {number} ({name}) speaks a text prompt in the voice of a reference recording",
            hint=f"`mvsep-bridge generate --sep-type {number} --reference VOICE --prompt TEXT`",
            field="source" if has_audio else "reference")
    if kind == "audio" and not has_audio:
        raise ValidationError(f"sep_type {number} ({name}) works on audio: give a file or a link",
                              hint="`mvsep-bridge separate FILE|URL`", field="source")
    if kind == "audio" and request.reference is not None:
        raise ValidationError(f"sep_type {number} ({name}) takes one input; a reference is for "
                              "matchering and voice cloning", field="reference")


def local_refusal(sep_type: int, request: JobRequest) -> ValidationError | None:
    """Why the local engine cannot run this job (it separates local files only), or None."""
    made = PRODUCES.get(sep_type)
    if made:
        what = f"sep_type {sep_type} makes {made}, which only MVSEP's servers do"
    elif request.url is not None:
        what = "a link is fetched by MVSEP's servers; the local engine separates local files only"
    elif request.source is None or request.reference is not None:
        what = "the local engine separates one local file; this job has other inputs"
    else:
        return None
    return ValidationError(
        f"{what}",
        hint="use MVSEP: `mvsep-bridge account login` (or api_token in the config file, or "
             "MVSEP_API_TOKEN) with backend = auto or mvsep", field="sep_type" if made else "source")
