"""Turning a job's input into its result files: decode, (resample), split or generate, encode each
stem with the project's own codecs in the requested output format, name the files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..audio import codecs
from .catalog import Algorithm
from .jobs import Job
from .split import SITE_RATE, band_split, generated_tone, match_loudness, to_site_rate

TTS_SECONDS = 3.0


def result_name(job: Job, stem: str) -> str:
    """`song_vocals.flac`; with long filenames the algorithm and options are in the name too."""
    base = Path(job.input_name).stem or "audio"
    ext = codecs.extension(job.output_format)
    if not job.long_filenames:
        return f"{base}_{stem}.{ext}"
    algorithm = re.sub(r"[^A-Za-z0-9]+", "-", job.algorithm).strip("-")
    options = "".join(f"_{k[-1]}-{v}" for k, v in sorted(job.options.items()) if v)
    options = re.sub(r"[^A-Za-z0-9_.-]+", "-", options)
    return f"{base}_{stem}_[mvsep]_{algorithm}{options}.{ext}"


def _length_option(job: Job) -> float:
    """Generation algorithms may take a length in a free-text field; else a few seconds."""
    for value in job.options.values():
        try:
            seconds = float(value)
        except ValueError:
            continue
        if 0.5 <= seconds <= 30:
            return seconds
    return TTS_SECONDS


def _stems(
    job: Job, algorithm: Algorithm, folder: Path, resample: bool
) -> tuple[list[np.ndarray], int]:
    if job.widget == "no_upload":
        return [generated_tone(_length_option(job), SITE_RATE)], SITE_RATE
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


def render(job: Job, algorithm: Algorithm, folder: Path, *, resample: bool) -> list[dict]:
    """Write the result files into `folder/results`; their {file, type, bytes} in stem order.

    Raises AudioError (its message is what `failed` shows) when an input cannot be decoded.
    """
    stems, rate = _stems(job, algorithm, folder, resample)
    out = folder / "results"
    out.mkdir(parents=True, exist_ok=True)
    labels = algorithm.stems if len(stems) == len(algorithm.stems) else [("result", "Result")]
    files = []
    for (stem, label), samples in zip(labels, stems):
        name = result_name(job, stem)
        partial = out / f".{name}.part"
        codecs.encode(samples, rate, job.output_format, partial)
        partial.replace(out / name)
        files.append({"file": name, "type": label, "bytes": (out / name).stat().st_size})
    return files
