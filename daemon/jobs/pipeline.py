"""The pipeline, one explicit stage per step (prepare → submit → wait → download → finish).

Each stage reads the job as committed, does its work, and commits the next state; what it needs
to resume is committed BEFORE the side effect it guards (e.g. "create attempted at T" before the
upload), so a daemon killed at any instant redoes at most one idempotent step. The scheduler
decides when each stage runs; stages never wait for each other.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from ..audio import codecs
from ..audio.align import fit, stems_lag
from ..audio.fingerprint import audio_hash, file_sha256
from ..audio.formats import FLAC_24
from ..audio.read import read_with_margin
from ..audio.resample import resample
from ..audio.section import to_frames
from ..audio.write import write_atomic
from ..backends.base import Backend, Progress, RemoteFile, SlotTaken
from ..errors import BudgetError, UsageError
from ..files import replacing
from ..settings import BudgetSettings
from . import manifest
from .events import Journal
from .model import JobRequest, JobState, ResultFile, StemInfo, file_kind, result_folder
from .store import Job, Section

log = logging.getLogger("mvsep_bridge.jobs")

AUDIO_EXTENSIONS = {".wav", ".flac", ".mp3", ".m4a", ".aac", ".mp4", ".ogg", ".opus", ".aif", ".aiff"}
#: lag search window: codec priming is ~1-3k frames, server padding rarely more; bounded so a
#: periodic mix cannot pull the peak far off
MAX_LAG_SECONDS = 0.5
EXPIRED = "expired"  # remote_status of a done job whose result the server no longer has
UPLOAD_FORMAT = FLAC_24


class Pipeline:
    def __init__(self, journal: Journal, backend: Backend, work_root: Path, budget: BudgetSettings,
                 margin_seconds: float = 0.0):
        self.journal = journal
        self.margin_seconds = margin_seconds
        self.store = journal.store
        self.backend = backend
        self.work_root = work_root
        self.budget = budget
        self._spending = threading.Lock()

    def work_dir(self, job: Job) -> Path:
        return self.work_root / job.id

    # --- prepare ------------------------------------------------------------------------------
    def prepare(self, job: Job) -> Job:
        """Cut the section sample-exactly, encode it for upload, hash it. Idempotent."""
        job = self.journal.commit(job.id, state=JobState.PREPARING, message="reading the source")
        request = job.request
        # with the source's audio around it: a hard-cut section, separated without context and
        # resampled twice, is worse at its edges than inside; finish trims the margins
        read = read_with_margin(request.source, request.start, request.length, self.margin_seconds)
        samples, rate = read.samples, read.rate
        work = self.work_dir(job)
        work.mkdir(parents=True, exist_ok=True)
        # the job id in the name makes the server's hash (which ends in it) ours beyond doubt
        upload = f"{_clean(request.source.stem)[:40]}-{job.id}.flac"
        with replacing(work / upload) as partial:
            codecs.encode(samples, rate, UPLOAD_FORMAT, partial)
        section = Section(
            start_frame=to_frames(request.start or 0.0, rate),
            frames=samples.shape[0] - read.before - read.after,
            sample_rate=rate,
            channels=samples.shape[1],
            audio_hash=audio_hash(samples, rate),
            source_sha256=file_sha256(request.source),
            upload=upload,
            margin_before=read.before,
            margin_after=read.after,
        )
        return self.journal.commit(job.id, state=JobState.QUEUED, section=section,
                                   message="prepared; waiting for its turn")

    # --- submit -------------------------------------------------------------------------------
    def plan(self, job: Job) -> Job:
        """Validate and price the request, and find an earlier result (the ledger). Returns the
        job still QUEUED when it must be sent; else already REMOTE (a result on the server) or DONE
        (a result on disk). Raises ValidationError/BudgetError before anything is spent."""
        assert job.section is not None
        plan = self.backend.plan(job.request, job.section.uploaded_seconds)
        fingerprint = _fingerprint(job, self.backend.name, plan)
        job = self.journal.commit(job.id, plan=plan, fingerprint=fingerprint, backend=self.backend.name)
        for earlier in self.store.done_with(fingerprint, exclude=job.id):
            if _result_intact(earlier):
                return self._reuse_result(job, earlier)
            fresh = earlier.submitted_at and time.time() - earlier.submitted_at < self.backend.retention_seconds
            if earlier.remote_hash and fresh and earlier.remote_status != EXPIRED:
                log.info("job %s: same audio and settings as %s, still on the server", job.id, earlier.id)
                return self.journal.commit(
                    job.id, state=JobState.REMOTE, remote_hash=earlier.remote_hash, credits=0,
                    reused_from=earlier.id, message=f"reusing the server's result of job {earlier.id}",
                )
        self.check_budget(plan.credits)
        return self.journal.commit(job.id, state=JobState.QUEUED, credits=plan.credits)

    def check_budget(self, credits: float) -> None:
        per_job, per_day = self.budget.max_credits_per_job, self.budget.max_credits_per_day
        if per_job is not None and credits > per_job:
            raise BudgetError(
                f"this job would cost {credits:g} credits, over the per-job budget of {per_job}",
                hint="send a shorter section, or raise budget.max_credits_per_job in the config file",
            )
        if per_day is not None:
            spent = self.spent_today()
            if spent + credits > per_day:
                raise BudgetError(
                    f"this job would cost {credits:g} credits; {spent:g} of today's budget of "
                    f"{per_day} are spent already",
                    hint="wait until tomorrow, or raise budget.max_credits_per_day in the config file",
                )

    def spent_today(self) -> float:
        """Credits of the jobs submitted since local midnight."""
        midnight = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        return self.store.credits_since(midnight)

    def upload(self, job: Job) -> Job:
        """Create the remote job. The backend's snapshot and "attempted" are committed first: after
        a crash (or a lost answer) the backend finds the job created since instead of paying twice."""
        assert job.section is not None and job.plan is not None
        attempted_at = job.create_attempted_at
        if attempted_at is None:
            # the day budget again, now that earlier jobs may have spent it; one job at a time, so
            # two uploads cannot both take the last credits
            with self._spending:
                self.check_budget(job.credits or 0)
                snapshot = self.backend.snapshot()
                job = self.journal.commit(
                    job.id, state=JobState.UPLOADING, create_attempted_at=time.time(), create_snapshot=snapshot,
                    submitted_at=time.time(), attempts=job.attempts + 1, progress=0.0,
                    message=self.backend.words.sending,
                )
        try:
            handle = self.backend.create(self.work_dir(job) / job.section.upload, job.plan, job.request,
                                         job.create_snapshot or "", attempted_at, self._progress(job, 1))
        except SlotTaken:  # refused outright, nothing created: the next try needs no reconciling
            self.journal.commit(job.id, create_attempted_at=None, create_snapshot=None, submitted_at=None)
            raise
        return self.journal.commit(job.id, state=JobState.REMOTE, remote_hash=handle, remote_status="waiting",
                                   message=self.backend.words.sent)

    # --- wait ---------------------------------------------------------------------------------
    def apply(self, job: Job, progress: Progress) -> Job:
        """Record one poll's answer; done → DOWNLOADING, failed/not_found → FAILED."""
        fields = dict(
            remote_status=progress.status,
            queue_position=progress.queue_position,
            queue_count=progress.queue_count,
            chunks_done=progress.chunks_done,
            chunks_total=progress.chunks_total,
            progress=progress.fraction,
            message=progress.message,
        )
        if progress.status == "done":
            return self.journal.commit(job.id, state=JobState.DOWNLOADING, remote_files=progress.files,
                                       progress=0.0, message=self.backend.words.fetching, **_without(fields, "progress", "message"))
        if progress.status == "failed":
            return self.journal.commit(job.id, state=JobState.FAILED, error=f"the server failed the job: {progress.message or 'no reason given'}", **fields)
        if progress.status == "not_found" and job.reused_from:
            # the ledger's result left the server early: note it on that job, and send this one
            self.store.update(job.reused_from, remote_status=EXPIRED)
            return self.journal.commit(
                job.id, state=JobState.QUEUED, remote_hash=None, remote_status=None, reused_from=None,
                credits=None, message="the earlier result is gone from the server; sending the audio",
            )
        if progress.status == "not_found":
            return self.journal.commit(
                job.id, state=JobState.FAILED, **fields,
                error=f"the server no longer knows job {job.remote_hash} (results are kept about 72 h)",
            )
        return self.journal.commit(job.id, **fields)

    # --- download -----------------------------------------------------------------------------
    def download(self, job: Job) -> Job:
        """Fetch every result file into the work dir; the backend resumes partial files."""
        folder = self.work_dir(job) / "downloads"
        folder.mkdir(parents=True, exist_ok=True)
        total = len(job.remote_files)
        for index, file in enumerate(job.remote_files):
            target = folder / file.name
            if target.exists():
                continue  # fetched before a restart (fetch renames only complete files)
            self.backend.fetch(file, target, self._progress(job, total, index))
        return self.journal.commit(job.id, state=JobState.FINISHING, progress=None, message="aligning and writing the stems")

    def _progress(self, job: Job, parts: int, part: int = 0):
        """A progress callback for part `part` of `parts`: commits the job's overall fraction,
        a row per 10 %, not per chunk."""
        last = [-1.0]

        def report(fraction: float) -> None:
            overall = (part + min(max(fraction, 0.0), 1.0)) / max(parts, 1)
            if overall - last[0] >= 0.1 or (fraction >= 1.0 and overall > last[0]):
                last[0] = overall
                self.journal.commit(job.id, progress=overall)

        return report

    # --- finish -------------------------------------------------------------------------------
    def finish(self, job: Job) -> Job:
        """Decode, resample, align (one lag for all stems), trim, write; then one rename."""
        section, request = job.section, job.request
        assert section is not None
        final = _destination(job)
        if (manifest.read(final) or {}).get("job") == job.id:  # the rename happened before a crash
            return self._done(job, final)
        work = self.work_dir(job)
        reference, _ = codecs.decode(work / section.upload)
        rate = section.sample_rate
        audio: list[tuple[RemoteFile, Path, np.ndarray]] = []
        others: list[tuple[RemoteFile, Path]] = []
        for file in job.remote_files:
            path = work / "downloads" / file.name
            if path.suffix.lower() in AUDIO_EXTENSIONS:
                samples, stem_rate = codecs.decode(path)
                audio.append((file, path, resample(samples, stem_rate, rate)))
            else:
                others.append((file, path))
        lag = stems_lag(reference, [s for _, _, s in audio], int(MAX_LAG_SECONDS * rate)) if audio else 0
        staging = _staging(final, job)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        ext = codecs.extension(request.output_format)
        names: set[str] = set()
        stems: list[StemInfo] = []
        for file, path, samples in audio:
            name = _unique(_clean(file.label).lower() or "stem", names)
            aligned = fit(samples, lag + section.margin_before, section.frames)
            write_atomic(aligned, rate, request.output_format, staging / f"{name}.{ext}", original=path)
            stems.append(StemInfo(name=name, file=f"{name}.{ext}", sample_rate=rate, frames=section.frames, shift=lag))
        other_files: list[ResultFile] = []
        for file, path in others:
            name = _unique(_clean(file.label).lower() or "file", names)
            shutil.copyfile(path, staging / f"{name}{path.suffix}")
            other_files.append(ResultFile(name=name, file=f"{name}{path.suffix}", kind=file_kind(path.name)))
        job = self.journal.commit(job.id, stems=stems, other_files=other_files)
        manifest.write(staging, manifest.build(job))
        _swap_into_place(staging, final, job)
        return self._done(job, final)

    def _reuse_result(self, job: Job, earlier: Job) -> Job:
        """The ledger found this audio + settings done already: copy that result, spend nothing."""
        source = Path(earlier.result_dir or "")
        final = _destination(job)
        job = self.journal.commit(job.id, state=JobState.FINISHING, remote_hash=earlier.remote_hash, credits=0,
                                  stems=earlier.stems, other_files=earlier.other_files,
                                  message=f"reusing the result of job {earlier.id}")
        staging = _staging(final, job)
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(source, staging)
        manifest.write(staging, manifest.build(job))
        _swap_into_place(staging, final, job)
        return self._done(job, final)

    def _done(self, job: Job, final: Path) -> Job:
        shutil.rmtree(self.work_dir(job), ignore_errors=True)
        shutil.rmtree(_staging(final, job).with_suffix(".old"), ignore_errors=True)  # after a crash
        return self.journal.commit(job.id, state=JobState.DONE, result_dir=str(final), progress=1.0,
                                   message=f"stems in {final}")


def _fingerprint(job: Job, backend: str, plan) -> str:
    assert job.section is not None
    key = {"audio": job.section.audio_hash, "backend": backend, "sep_type": plan.sep_type,
           "options": plan.options, "output_format": job.request.output_format}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _result_intact(job: Job) -> bool:
    folder = Path(job.result_dir) if job.result_dir else None
    if folder is None or (manifest.read(folder) or {}).get("job") != job.id:
        return False
    return all((folder / s.file).is_file() for s in job.stems)


def _destination(job: Job) -> Path:
    return result_folder(job.request)




def _staging(final: Path, job: Job) -> Path:
    """Where a result is built before its one rename: hidden, beside `final` (same filesystem);
    named by the job alone so a source name near NAME_MAX still leaves room for it."""
    return final.parent / f".tmp-{job.id}"


def check_result_folder(folder: Path, request: JobRequest, job_id: str | None = None) -> None:
    """The stems replace what is at `folder` only when it is an earlier result (its manifest says
    so) and the request asks to replace it: a folder of the user's that happens to have the
    source's name is never deleted, and an earlier result is not lost by accident."""
    if not folder.exists():
        return
    earlier = (manifest.read(folder) or {}).get("job")
    if not earlier:
        raise UsageError(f"{folder} exists and is not a result of mvsep-bridge; the stems would replace it",
                         hint="move or rename it, or choose another destination folder", field="destination")
    if earlier != job_id and not request.replace:
        raise UsageError(f"{folder} holds the stems of an earlier job ({earlier}); they would be replaced",
                         hint="choose another destination folder, or ask to replace them", field="replace")


def _swap_into_place(staging: Path, final: Path, job: Job) -> None:
    """Make `staging` appear as `final` in one rename; an older result there is replaced (moved
    aside first, since a folder cannot be renamed over a non-empty one)."""
    retired = staging.with_suffix(".old")
    shutil.rmtree(retired, ignore_errors=True)  # left by a crash between the two renames
    check_result_folder(final, job.request, job.id)  # again: it may have appeared while the job ran
    if final.exists():
        os.replace(final, retired)
    os.replace(staging, final)
    shutil.rmtree(retired, ignore_errors=True)


def _clean(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("._")


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _without(fields: dict, *names: str) -> dict:
    return {k: v for k, v in fields.items() if k not in names}
