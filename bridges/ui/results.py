"""A job's result files as the page may serve them: only what lies inside that job's result folder
(a `..`, an absolute path or a symlink out of it is refused)."""

from __future__ import annotations

from pathlib import Path

from mvsep_bridge.daemon.engine import JobView, UsageError


def result_file(job: JobView, relative: str) -> Path:
    """The file `relative` names inside the job's result folder; UsageError when there is no such
    file there."""
    if job.result_dir is None:
        raise UsageError(f"job {job.id} has no result folder (yet)")
    folder = Path(job.result_dir).resolve()
    path = (folder / relative).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise UsageError(f"job {job.id} has no result file {relative!r}")
    return path


def stem_file(job: JobView, index: int) -> Path:
    if not 0 <= index < len(job.stems):
        raise UsageError(f"job {job.id} has no stem {index}")
    return result_file(job, job.stems[index].file)
