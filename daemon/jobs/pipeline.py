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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from ..audio import codecs
from ..audio.finish import Measured, Stem, finish_stems, measure
from ..audio.fingerprint import AudioHasher, audio_hash, file_sha256
from ..audio.formats import FLAC_24
from ..audio.read import read_blocks_with_margin
from ..audio.section import to_frames
from ..backends.base import Backend, Inputs, Progress, ProgressCallback, RemoteFile, SlotTaken, StageWords
from ..errors import BudgetError, UsageError
from ..files import replacing
from ..kinds import PRODUCES
from ..settings import BudgetSettings
from . import manifest
from .arriving import ArrivingFile
from .early import EarlyWrites
from .events import Journal
from .model import JobRequest, JobState, ResultFile, StemInfo, file_kind, result_folder
from .store import Job, Section

log = logging.getLogger("mvsep_bridge.jobs")

AUDIO_EXTENSIONS = {".wav", ".flac", ".mp3", ".m4a", ".aac", ".mp4", ".ogg", ".opus", ".aif", ".aiff"}
#: lag search window: codec priming is ~1-3k frames, server padding rarely more; bounded so a
#: periodic mix cannot pull the peak far off
MAX_LAG_SECONDS = 0.5
#: a job's result files fetched at once
DOWNLOADS_AT_ONCE = 4
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
        # job id -> the finish's first pass, done while its stems downloaded (in memory only: after
        # a restart the finish measures again)
        self._measured: dict[str, tuple[Measured, EarlyWrites]] = {}

    def work_dir(self, job: Job) -> Path:
        return self.work_root / job.id

    # --- prepare ------------------------------------------------------------------------------
    def prepare(self, job: Job) -> Job:
        """Cut the section sample-exactly, encode it for upload, hash it; the same for a
        reference (matchering's, or a voice to clone). A link or a text-only job has nothing to
        prepare. Idempotent."""
        request = job.request
        job = self.journal.commit(job.id, state=JobState.PREPARING, message="reading the source")
        work = self.work_dir(job)
        work.mkdir(parents=True, exist_ok=True)
        prepared = {}
        for name, path, start, length in (("section", request.source, request.start, request.length),
                                          ("reference", request.reference, None, None)):
            if path is not None:
                # the section with the source's audio around it: a hard-cut section, separated
                # without context and resampled twice, is worse at its edges than inside; finish
                # trims the margins (the reference is sent whole). Only for separations: a
                # transcript or MIDI of the margins would hold words and notes outside the section
                separation = request.sep_type not in PRODUCES
                margin = self.margin_seconds if name == "section" and separation else 0.0
                prepared[name] = self._encode_upload(job, path, start, length, margin, work)
        return self.journal.commit(job.id, state=JobState.QUEUED, message="prepared; waiting for its turn",
                                   **prepared)

    def _encode_upload(self, job: Job, path: Path, start: float | None, length: float | None,
                       margin: float, work: Path) -> Section:
        read = read_blocks_with_margin(path, start, length, margin)
        rate, hasher = read.rate, AudioHasher(read.rate, read.channels, read.frames)
        # the job id in the name makes the server's hash (which ends in it) ours beyond doubt
        upload = f"{_clean(path.stem)[:40]}-{job.id}.flac"
        # block by block: an hour-long section costs no more memory than a short one
        with replacing(work / upload) as partial, codecs.Encoder(partial, rate, read.channels, UPLOAD_FORMAT) as out:
            for block in read.blocks:
                hasher.update(block)
                out.write(block)
        return Section(
            start_frame=to_frames(start or 0.0, rate),
            frames=read.frames - read.before - read.after,
            sample_rate=rate,
            channels=read.channels,
            audio_hash=hasher.hexdigest(),
            source_sha256=file_sha256(path),
            upload=upload,
            margin_before=read.before,
            margin_after=read.after,
        )

    def prepared(self, job: Job) -> bool:
        """Every file the job sends is encoded in its work dir (none for a link or text only)."""
        request, work = job.request, self.work_dir(job)
        for wanted, section in ((request.source, job.section), (request.reference, job.reference)):
            if wanted is not None and (section is None or not (work / section.upload).exists()):
                return False
        return True

    def inputs(self, job: Job) -> Inputs:
        """What the create sends: the section (or the voice alone), matchering's reference, a link."""
        work = self.work_dir(job)
        main = job.section or job.reference
        return Inputs(audiofile=work / main.upload if main else None,
                      reference=work / job.reference.upload if job.section and job.reference else None,
                      url=job.request.url, remote_type=job.request.remote_type)

    # --- submit -------------------------------------------------------------------------------
    def plan(self, job: Job) -> Job:
        """Validate and price the request, and find an earlier result (the ledger). Returns the
        job still QUEUED when it must be sent; else already REMOTE (a result on the server) or DONE
        (a result on disk). Raises ValidationError/BudgetError before anything is spent."""
        uploaded = job.section or job.reference
        plan = self.backend.plan(job.request, uploaded.uploaded_seconds if uploaded else 0.0)
        # the ledger is for audio in, audio out: a link may change, generation is new each time
        fingerprint = _fingerprint(job, self.backend.name, plan) if job.section else None
        job = self.journal.commit(job.id, plan=plan, fingerprint=fingerprint, backend=self.backend.name)
        for earlier in self.store.done_with(fingerprint, exclude=job.id) if fingerprint else ():
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
        assert job.plan is not None
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
                    message=_sending(job.request, self.backend.words),
                )
        try:
            handle = self.backend.create(self.inputs(job), job.plan, job.request,
                                         job.create_snapshot or "", attempted_at, self._progress(job).part(0))
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
        if progress.handle:  # a link's job, fetched: a normal job from now on
            fields["remote_hash"] = progress.handle
        if progress.status == "done":
            # the server's copy of the input is fetched only for a link: the one source to align to
            files = [f for f in progress.files if f.role == "result" or job.request.url is not None]
            return self.journal.commit(job.id, state=JobState.DOWNLOADING, remote_files=files,
                                       progress=0.0, message=self.backend.words.fetching,
                                       **_without(fields, "progress", "message"))
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
        """Fetch every result file into the work dir, several at once (one file's request and
        fsync overlap another's bytes); the backend resumes partial files."""
        folder = self.work_dir(job) / "downloads"
        folder.mkdir(parents=True, exist_ok=True)
        # fetched before a restart: fetch renames only complete files
        missing = [file for file in job.remote_files if not (folder / file.name).exists()]
        progress = self._progress(job, parts=len(job.remote_files), done=len(job.remote_files) - len(missing))
        if missing:
            arriving = {file.name: ArrivingFile(folder / file.name, file.size) for file in missing}
            first = None  # the finish's first pass and early writing, done as the stems arrive
            try:
                with ThreadPoolExecutor(max_workers=min(DOWNLOADS_AT_ONCE, len(missing)), thread_name_prefix="fetch") as pool:
                    fetches = []
                    for index, file in enumerate(missing):
                        fetch = pool.submit(self.backend.fetch, file, folder / file.name,
                                            _waking(progress.part(index), arriving[file.name]))
                        fetch.add_done_callback(lambda _done, tail=arriving[file.name]: tail.ended())
                        fetches.append(fetch)
                    first = self._measure_arriving(job, folder, arriving)
                    for fetch in fetches:
                        fetch.result()  # the first failure, once the others have ended (their parts resume)
                if first is not None and all(tail.read_whole() for tail in arriving.values()):
                    self._measured[job.id], first = first, None
            finally:
                if first is not None:  # not kept (a fetch failed, a part was replaced): nor what it wrote
                    _measured, early = first
                    early.abort()
                for tail in arriving.values():
                    tail.close()
        return self.journal.commit(job.id, state=JobState.FINISHING, progress=None, message="aligning and writing the stems")

    def _measure_arriving(self, job: Job, folder: Path,
                          arriving: dict[str, ArrivingFile]) -> tuple[Measured, EarlyWrites] | None:
        """The finish's first pass (audio/finish.py) on the stems as they arrive, when there is a
        section to align them to, and its writing from the lag as soon as that holds steady
        (jobs/early.py); None when it cannot tell (the finish then measures again)."""
        audio = _aligned_audio(job)
        if job.section is None or not audio:
            return None
        section = job.section
        stems = [Stem(folder / file.name, section.sample_rate, arriving.get(file.name)) for file in audio]
        early = EarlyWrites(stems, section.frames, section.margin_before, job.request.output_format)
        try:
            measured = measure(self.work_dir(job) / section.upload, stems,
                               int(MAX_LAG_SECONDS * section.sample_rate), on_steady=early.start)
        except Exception as exc:  # noqa: BLE001 (a failed download says why; a bad stem fails in finish)
            early.abort()
            log.debug("job %s: no lag while downloading (%s); the finish measures it", job.id, exc)
            return None
        return measured, early

    def _progress(self, job: Job, parts: int = 1, done: int = 0) -> _PartsProgress:
        """The job's progress over `parts` transfers, `done` of them before (see _PartsProgress)."""
        return _PartsProgress(lambda overall: self.journal.commit(job.id, progress=overall), parts, done)

    # --- finish -------------------------------------------------------------------------------
    def finish(self, job: Job) -> Job:
        """Decode, resample, align (one lag for all stems), trim, write; then one rename. A link's
        stems are aligned to the server's copy of its audio; generated audio (no source) is kept
        as the server sent it."""
        final = _destination(job)
        if (manifest.read(final) or {}).get("job") == job.id:  # the rename happened before a crash
            return self._done(job, final)
        downloads = self.work_dir(job) / "downloads"
        source = next((f for f in job.remote_files if f.role == "input"), None)
        if job.section is None and source is not None:  # a link: its audio as the server fetched it
            job = self.journal.commit(job.id, section=_whole(downloads / source.name, f"downloads/{source.name}"))
        section = job.section
        results = [f for f in job.remote_files if f.role == "result"]
        audio = _aligned_audio(job)
        staging = _staging(final, job)
        with _building(staging):
            names: set[str] = set()
            if section is not None:
                stems = self._write_aligned(job, section, audio, staging, names)
            else:
                stems = [_copy_stem(file, downloads / file.name, staging, names) for file in audio]
            other_files: list[ResultFile] = []
            for file in results:
                if any(file is a for a in audio):
                    continue
                path = downloads / file.name
                name = _unique(_clean(file.label).lower() or "file", names)
                shutil.copyfile(path, staging / f"{name}{path.suffix}")
                other_files.append(ResultFile(name=name, file=f"{name}{path.suffix}", kind=file_kind(path.name)))
            job = self.journal.commit(job.id, stems=stems, other_files=other_files)
            manifest.write(staging, manifest.build(job))
        _swap_into_place(staging, final, job)
        return self._done(job, final)

    def _write_aligned(self, job: Job, section: Section, audio: list[RemoteFile], staging: Path,
                       names: set[str]) -> list[StemInfo]:
        """The stems at the source's rate, shifted by one lag against the section, cut to its frames."""
        work, rate, fmt = self.work_dir(job), section.sample_rate, job.request.output_format
        ext = codecs.extension(fmt)
        named = [_unique(_clean(file.label).lower() or "stem", names) for file in audio]
        lag = finish_stems(work / section.upload,
                           [(work / "downloads" / file.name, staging / f"{name}.{ext}") for file, name in zip(audio, named)],
                           rate, section.frames, section.margin_before, fmt, int(MAX_LAG_SECONDS * rate),
                           **self._first_pass(job.id))
        return [StemInfo(name=name, file=f"{name}.{ext}", sample_rate=rate, frames=section.frames, shift=lag)
                for name in named]

    def _first_pass(self, job_id: str) -> dict:
        """finish_stems' `measured` and `written`, from the download stage (none after a restart)."""
        if job_id not in self._measured:
            return {}
        measured, early = self._measured.pop(job_id)
        return {"measured": measured, "written": early.take(measured.lag)}

    def _reuse_result(self, job: Job, earlier: Job) -> Job:
        """The ledger found this audio + settings done already: copy that result, spend nothing."""
        source = Path(earlier.result_dir or "")
        final = _destination(job)
        job = self.journal.commit(job.id, state=JobState.FINISHING, remote_hash=earlier.remote_hash, credits=0,
                                  stems=earlier.stems, other_files=earlier.other_files,
                                  message=f"reusing the result of job {earlier.id}")
        staging = _staging(final, job)
        with _building(staging):
            shutil.copytree(source, staging, dirs_exist_ok=True)
            manifest.write(staging, manifest.build(job))
        _swap_into_place(staging, final, job)
        return self._done(job, final)

    def _done(self, job: Job, final: Path) -> Job:
        shutil.rmtree(self.work_dir(job), ignore_errors=True)
        shutil.rmtree(_staging(final, job).with_suffix(".old"), ignore_errors=True)  # after a crash
        return self.journal.commit(job.id, state=JobState.DONE, result_dir=str(final), progress=1.0,
                                   message=f"stems in {final}")


class _PartsProgress:
    """A job's overall progress over `parts` parts moving at once (`done` of them before): each
    part reports its own fraction; the sum is committed per 10 % (a row per 10 %, not per chunk)
    and at the end, never going back."""

    def __init__(self, commit: Callable[[float], object], parts: int, done: int = 0):
        self._commit, self._parts, self._done = commit, max(parts, 1), done
        self._fractions: dict[int, float] = {}
        self._last = -1.0
        self._lock = threading.Lock()

    def part(self, key: int) -> ProgressCallback:
        def report(fraction: float) -> None:
            with self._lock:
                self._fractions[key] = min(max(fraction, 0.0), 1.0)
                overall = (self._done + sum(self._fractions.values())) / self._parts
                if overall - self._last >= 0.1 or (fraction >= 1.0 and overall > self._last):
                    self._last = overall
                    self._commit(overall)

        return report


def _aligned_audio(job: Job) -> list[RemoteFile]:
    """The result files that are audio (the stems: aligned to the section when there is one)."""
    return [f for f in job.remote_files if f.role == "result" and Path(f.name).suffix.lower() in AUDIO_EXTENSIONS]


def _waking(report: ProgressCallback, tail: ArrivingFile) -> ProgressCallback:
    """A fetch's progress report that also wakes the reader of what it fetches."""
    def both(fraction: float) -> None:
        report(fraction)
        tail.arrived()

    return both


def _whole(path: Path, upload: str) -> Section:
    """A whole file as the section its stems are aligned to (a link's audio)."""
    samples, rate = codecs.decode(path)
    return Section(start_frame=0, frames=samples.shape[0], sample_rate=rate, channels=samples.shape[1],
                   audio_hash=audio_hash(samples, rate), source_sha256=file_sha256(path), upload=upload)


def _copy_stem(file: RemoteFile, path: Path, staging: Path, names: set[str]) -> StemInfo:
    """Audio with no section to align to, byte for byte as the server encoded it."""
    name = _unique(_clean(file.label).lower() or "stem", names)
    shutil.copyfile(path, staging / f"{name}{path.suffix}")
    info = codecs.probe(path)
    return StemInfo(name=name, file=f"{name}{path.suffix}", sample_rate=info.sample_rate, frames=info.frames)


def _sending(request: JobRequest, words: StageWords) -> str:
    if request.url is not None:
        return "sending the link"
    if request.source is None and request.reference is None:
        return "sending the request"
    return words.sending


def _fingerprint(job: Job, backend: str, plan) -> str:
    assert job.section is not None
    key = {"audio": job.section.audio_hash, "backend": backend, "sep_type": plan.sep_type,
           "options": plan.options, "output_format": job.request.output_format}
    if job.reference is not None:  # only then: earlier jobs' fingerprints stay what they were
        key["reference"] = job.reference.audio_hash
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _result_intact(job: Job) -> bool:
    folder = Path(job.result_dir) if job.result_dir else None
    if folder is None or (manifest.read(folder) or {}).get("job") != job.id:
        return False
    return all((folder / s.file).is_file() for s in job.stems)


def _destination(job: Job) -> Path:
    return result_folder(job.request)


@contextmanager
def _building(staging: Path) -> Iterator[Path]:
    """A fresh staging folder, removed again when building the result in it fails: a full disk
    leaves no half-written stems behind (stems are written at once), and a retry is another job
    with a staging folder of its own."""
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


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
