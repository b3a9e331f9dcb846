"""manifest.json beside the stems (DESIGN.md "Output"); paths relative to its folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..files import write_text

if TYPE_CHECKING:
    from .store import Job

MANIFEST = "manifest.json"


def build(job: Job) -> dict:
    section, plan, request = job.section, job.plan, job.request
    assert plan is not None, "a manifest needs a planned job"
    if request.url is not None:  # with the audio the server fetched, once it is here
        source = {"url": request.url, "remote_type": request.remote_type, **(_audio(section) if section else {})}
    elif section is not None:
        source = {"path": str(request.source), "start": section.start_frame / section.sample_rate,
                  "length": section.seconds, **_audio(section)}
    else:
        source = None  # generated from text alone
    reference = {"path": str(request.reference), **_audio(job.reference)} if job.reference else None
    return {
        "job": job.id,
        "source": source,
        **({"reference": reference} if reference else {}),
        "algorithm": {"sep_type": plan.sep_type, "name": plan.algorithm,
                      "options": {k: _number(v) for k, v in plan.options.items()}},
        "output_format": request.output_format,
        "remote_hash": job.remote_hash,
        "credits": _number(job.credits),
        "backend": job.backend,
        "stems": [s.model_dump() for s in job.stems],
        "other_files": [f.model_dump() for f in job.other_files],
    }


def _audio(section) -> dict:
    return {"sample_rate": section.sample_rate, "channels": section.channels, "frames": section.frames,
            "sha256": section.source_sha256}


def _number(value):
    """Option keys and credits as DESIGN.md shows them: 81, not "81"; 1, not 1.0."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def write(folder: Path, manifest: dict) -> None:
    """Atomically: a manifest is also rewritten in place (a hot folder files its source)."""
    write_text(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")


def read(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
