"""The emulator's world in one object: config, clock, catalog, accounts, jobs, remote fetches,
quality checker, faults, rate limits and the worker. Routes parse HTTP and call in here."""

from __future__ import annotations

import random
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ..audio import codecs
from ..audio.formats import OUTPUT_FORMATS, PREMIUM_FORMATS
from ..errors import BridgeError
from .accounts import Account, Accounts, NotEnoughCredits
from .catalog import Algorithm, Catalog
from .clock import Clock
from .config import EmulatorConfig
from .faults import Faults
from .jobs import Job, JobBook, new_hash
from .qc import QualityChecker
from .ratelimit import RateLimiter
from .remote import RemoteFetches
from .responses import Rejected
from .store import Store
from .traffic import Traffic
from .worker import Worker

DEFAULT_SEP_TYPE = 11  # the reference's documented default


@dataclass
class Submission:
    """A validated create request whose input files wait in `staged` (role → file name)."""

    algorithm: Algorithm
    options: dict[str, str]
    output_format: int
    is_demo: bool
    input_name: str
    staged: Path
    inputs: dict[str, str]


class Emulator:
    def __init__(self, state_dir: Path, config: EmulatorConfig):
        self.state_dir = state_dir
        self.config = config
        self.store = Store(state_dir / "emulator.sqlite3")
        self.clock = Clock(self.store)
        self.catalog = Catalog.load()
        self.accounts = Accounts(self.store)
        self.book = JobBook(self.store, state_dir / "jobs")
        self.uploads = state_dir / "uploads"
        shutil.rmtree(self.uploads, ignore_errors=True)  # half-received uploads of a killed run
        self.uploads.mkdir(parents=True, exist_ok=True)
        self.remote = RemoteFetches(self)
        self.qc = QualityChecker(self.store, self.clock, state_dir / "quality_checker")
        self.faults = Faults(lambda: self.config)
        self.limiter = RateLimiter(lambda: self.config)
        self.jitter = random.Random(config.jitter_seed)  # drawn under self.lock, one per create
        self.traffic = Traffic(upload_rate=lambda: self.config.upload_bandwidth,
                               download_rate=lambda: self.config.download_bandwidth,
                               tokens=lambda: {a.api_token for a in self.accounts.all()},
                               now=self.clock.now)
        self.files_base: str | None = None  # "http://HOST:PORT/" of the files listener, if any
        self.lock = threading.RLock()  # one create / cancel at a time: concurrency and credits stay exact
        self.worker = Worker(config=lambda: self.config, clock=self.clock, book=self.book,
                             accounts=self.accounts, catalog=self.catalog,
                             extra_ticks=[self.remote.tick])

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()
        self.remote.stop()

    def configure(self, changes: dict) -> EmulatorConfig:
        """Apply knobs (pydantic validates them: an unknown knob is a ValueError naming it)."""
        self.config = EmulatorConfig.model_validate({**self.config.model_dump(), **changes})
        if "fault_seed" in changes:
            self.faults.reseed()
        if "jitter_seed" in changes:
            with self.lock:
                self.jitter = random.Random(self.config.jitter_seed)
        return self.config

    def staging_dir(self) -> Path:
        return Path(tempfile.mkdtemp(dir=self.uploads))

    # ---- validation -------------------------------------------------------------------------
    def resolve(self, account: Account, sep_type: str | None, given: dict[str, str | None],
                output_format: str | None) -> tuple[Algorithm, dict[str, str], int]:
        """The algorithm, every option's key and the format of a create; Rejected (400) if not."""
        if sep_type in (None, ""):
            algorithm = self.catalog.get(DEFAULT_SEP_TYPE)
            if algorithm is None:
                raise Rejected(
                    f"sep_type is missing and the documented default {DEFAULT_SEP_TYPE} is not in "
                    "the catalog; send sep_type (GET /api/app/algorithms lists them, render_id)",
                    shape="errors")
        else:
            try:
                number = int(sep_type)
            except ValueError:
                raise Rejected(f"sep_type must be an integer, got {sep_type!r}", shape="errors") from None
            algorithm = self.catalog.get(number)
            if algorithm is None:
                raise Rejected(
                    f"sep_type {number} is not in the catalog; use a render_id from "
                    "GET /api/app/algorithms", shape="errors")
        try:
            options = algorithm.resolve_options(given)
        except ValueError as exc:
            raise Rejected(str(exc), shape="errors") from None
        try:
            fmt = 0 if output_format in (None, "") else int(output_format)
        except ValueError:
            fmt = -1
        if fmt not in OUTPUT_FORMATS:
            raise Rejected(f"output_format must be 0..5, got {output_format!r}", shape="errors")
        if not account.premium_enabled:
            if fmt in PREMIUM_FORMATS:
                raise Rejected(
                    f"output_format {fmt} ({OUTPUT_FORMATS[fmt][0]}) is for premium accounts only; "
                    "enable premium (POST /api/app/enable_premium) or use 0..3")
            if algorithm.premium_only:
                raise Rejected(
                    f"sep_type {algorithm.sep_type} ({algorithm.name}) is for premium accounts only; "
                    "enable premium (POST /api/app/enable_premium)")
        return algorithm, options, fmt

    def check_concurrency(self, account: Account) -> int:
        """Jobs the account has running now; Rejected when one more is over its plan's limit."""
        running = len(self.book.running(account.email)) + self.remote.pending(account.email)
        limit = (self.config.max_concurrent_premium if account.premium_enabled
                 else self.config.max_concurrent_free)
        if running >= limit:
            plan = "premium" if account.premium_enabled else "non-premium"
            raise Rejected(
                f"You already have {running} separation(s) in progress; {plan} accounts may run "
                f"{limit} at a time. Wait until one finishes"
                + ("" if account.premium_enabled else " or enable premium"))
        return running

    # ---- jobs ---------------------------------------------------------------------------------
    def _seconds(self, submission: Submission) -> float:
        role = {"single_upload": "audiofile", "matchering_upload": "target"}.get(
            submission.algorithm.widget)
        if role is None or role not in submission.inputs:
            return 0.0
        try:
            return codecs.probe(submission.staged / submission.inputs[role]).seconds
        except BridgeError:
            return 0.0  # charged the minimum; the job fails in processing with the decoder's message

    def submit(self, account: Account, submission: Submission, remote_hash: str | None = None) -> Job:
        """Charge and commit a job; its input folder moves into the job's folder."""
        seconds = self._seconds(submission)
        algorithm = submission.algorithm
        with self.lock:
            try:
                running = self.check_concurrency(account) if remote_hash is None else 0
                credits = algorithm.credits(seconds, submission.options)
                self.accounts.charge(account, credits)
            except NotEnoughCredits as exc:
                shutil.rmtree(submission.staged, ignore_errors=True)
                raise Rejected(f"{exc}. Buy credits or choose a shorter file") from None
            except Rejected:
                shutil.rmtree(submission.staged, ignore_errors=True)
                raise
            now = self.clock.now()
            job = Job(
                hash=new_hash(now, submission.input_name), email=account.email,
                sep_type=algorithm.sep_type, algorithm=algorithm.name, widget=algorithm.widget,
                options=submission.options, output_format=submission.output_format,
                is_demo=submission.is_demo, premium=account.premium_enabled,
                long_filenames=account.long_filenames_enabled, input_name=submission.input_name,
                inputs=submission.inputs, input_seconds=seconds, credits=credits, created=now,
                phase_started=now, remote_hash=remote_hash,
                processing_extra=self.jitter.uniform(0.0, self.config.processing_jitter_seconds),
            )
            submission.staged.replace(self.book.folder(job.hash))
            self.book.save(job)
            if remote_hash is None:
                self.accounts.note_create(account, running + 1)
            return job

    def cancel(self, account: Account, job_hash: str) -> Job:
        with self.lock, self.book.lock:
            job = self.book.get(job_hash)
            if job is None or job.email != account.email or job.status == "expired":
                raise Rejected(f"no separation {job_hash!r} of this account")
            if job.status != "waiting":
                raise Rejected(f"the separation is {job.status}; only waiting jobs can be cancelled")
            job.status = "cancelled"
            job.done_at = self.clock.now()
            self.book.save(job)
            self.accounts.refund(account, job.credits)
            self.book.drop_files(job)
            return job

    def faults_after_create(self, request) -> None:
        """The lost response: the job is committed and charged, then the client gets a reset."""
        if self.faults.applies(request.path) and self.faults.take("reset_after_create_next"):
            self.faults.reset(request.environ)

    def stats(self) -> dict:
        accounts = self.accounts.all()
        return {
            "creates": {"total": sum(a.creates for a in accounts),
                        "per_account": {a.email: a.creates for a in accounts}},
            "max_concurrent": {a.email: a.max_concurrent for a in accounts},
            "credits": {a.email: a.credits for a in accounts},
            "clock": self.clock.now(),
            "faults_fired": dict(self.faults.fired),
            "jobs": [
                {"hash": j.hash, "status": j.status, "email": j.email, "credits": j.credits,
                 "sep_type": j.sep_type, "options": j.options, "output_format": j.output_format,
                 "is_demo": j.is_demo, "input_seconds": j.input_seconds,
                 "all_chunks": j.all_chunks, "remote_hash": j.remote_hash,
                 "files": [f["file"] for f in j.files], "created": j.created,
                 "processing_extra": j.processing_extra, "done_at": j.done_at,
                 "first_download_at": self.traffic.first_download(j.hash)}
                for j in self.book.all()
            ],
            "remote": self.remote.listing(),
            **self.traffic.snapshot(),
        }
