"""JobEngine: the daemon's implementation of `daemon.engine.Engine` (store + pipeline + scheduler).

One engine per data_dir: it holds an exclusive lock on data_dir/engine.lock for its lifetime, so a
second daemon can never run the same jobs twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import soundfile as sf

from ..audio.read import check_source
from ..audio.section import frame_span
from ..backends import make_backend
from ..backends.base import Backend
from ..catalog import Catalog
from ..client.algorithms import Algorithm
from ..errors import BridgeError, EngineBusy, PathNotAllowed, UsageError
from ..settings import Settings
from . import manifest
from .events import Journal
from .model import Estimate, JobEvent, JobRequest, JobView, Usage, result_folder
from .pace import PACE_FILE, ServerPace, server_key
from .pipeline import Pipeline, check_result_folder
from .scheduler import Scheduler
from .store import STORE_FILE, JobStore

log = logging.getLogger("mvsep_bridge.jobs")

LOCK_FILE = "engine.lock"


def lock_data_dir(data_dir: Path) -> int:
    """Take data_dir's engine lock (released when the process ends, even by kill -9)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise EngineBusy(f"another mvsep-bridge daemon runs the jobs in {data_dir}",
                         hint="use that one; a second daemon needs its own data_dir") from None
    return fd


#: bridges whose requests are the user's own doing (their command line, their hot folders);
#: every other one (OSC, REAPER spool, status page, control clients saying so) stays in allowed_roots
TRUSTED_BRIDGES = frozenset({"cli", "hotfolder"})


class JobEngine:
    """The daemon's Engine. Its backend follows the settings: `apply_settings` with another
    token, server or backend swaps it between stages, and jobs resume on the new one as after a
    restart."""

    def __init__(self, settings: Settings, backend: Backend | None = None):
        self.settings = settings
        data_dir = settings.data_dir
        self._lock_fd = lock_data_dir(data_dir)
        self.store = JobStore(data_dir / STORE_FILE)
        self.journal = Journal(self.store)
        self.backend = backend or make_backend(settings)
        self.pipeline = Pipeline(self.journal, self.backend, data_dir / "work", settings.budget,
                                 settings.section_margin_seconds)
        self.scheduler = Scheduler(self.pipeline, pace=remembered_pace(settings, self.backend))
        self._listening: dict[str, str] = {}  # bridge -> where it listens
        self._offers: dict[str, Callable[[str, dict], dict]] = {}  # bridge -> its action handler
        self._routing = threading.Lock()  # submit vs. a backend swap
        self._started = False

    def start(self) -> JobEngine:
        if not self._started:
            self._started = True
            self.scheduler.start()
            self._warm_up(self.backend)
            log.info("engine started on %s with the %s backend", self.settings.data_dir, self.backend.name)
        return self

    def close(self) -> None:
        if self._started:  # a one-off use (tests, the store) never started the workers
            self.scheduler.stop()
        self.backend.close()
        self.store.close()
        os.close(self._lock_fd)

    def __enter__(self) -> JobEngine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def busy(self) -> bool:
        """Some job is not over yet (an on-demand daemon does not idle out then)."""
        return bool(self.store.unfinished())

    # --- Engine protocol ----------------------------------------------------------------------
    def submit(self, request: JobRequest) -> JobView:
        if request.reply.bridge not in TRUSTED_BRIDGES:
            check_roots(request, self.settings)
        for field, path in (("source", request.source), ("reference", request.reference)):
            if path is not None:
                check_source(path, field)
        _check_writable(result_folder(request).parent)
        check_result_folder(result_folder(request), request)
        seconds = _section_seconds(request)
        # refuse a bad algorithm, option, format or input (and an over-budget job) before queueing
        # it, from what is cached: the pipeline checks again with the server before spending
        plan = self.backend.plan(request, seconds or 0.0, offline=True)
        if seconds is not None or request.source is None:  # a link: at least the minimum price
            self.pipeline.check_budget(plan.credits)
        with self._routing:
            job = self.store.add(request, backend=self.backend.name)
            log.info("job %s: queued %s", job.id, request.title)
            self.journal.publish(job, "accepted")
            self.scheduler.route(job)
        return job.view()

    def get(self, job_id: str) -> JobView:
        return self.store.get(job_id).view()

    def jobs(self) -> list[JobView]:
        return [job.view() for job in self.store.all()]

    def cancel(self, job_id: str) -> JobView:
        job = self.store.get(job_id)
        if job.state.final:
            return job.view()
        job = self.journal.commit(job_id, cancel_requested=True, message="cancelling")
        if self._started:
            self.scheduler.kick(job_id)
        else:  # no workers to hand it to
            self.scheduler.cancel(job)
        return self.get(job_id)

    def subscribe(self, callback: Callable[[JobEvent], None], job_id: str | None = None) -> Callable[[], None]:
        return self.journal.subscribe(callback, job_id)

    def check(self) -> None:
        self.backend.warm_up()

    def algorithms(self, search: str | None = None) -> list[Algorithm]:
        algorithms = self.backend.algorithms()
        return Catalog(algorithms).search(search) if search else algorithms

    def estimate(self, request: JobRequest) -> Estimate:
        seconds = _section_seconds(request)
        if seconds is None and request.length is not None:
            seconds = request.length
        plan = self.backend.plan(request, seconds or 0.0, offline=True)
        # a job without audio input (text only) costs the catalog's minimum: its price is known
        known = seconds is not None or (request.source is None and request.url is None)
        return Estimate(sep_type=plan.sep_type, algorithm=plan.algorithm, seconds=seconds,
                        credits=plan.credits if known else None)

    def source_moved(self, job_id: str, path: Path) -> None:
        job = self.store.get(job_id)
        folder = Path(job.result_dir) if job.result_dir else None
        written = manifest.read(folder) if folder else None
        if not written or written.get("job") != job_id:
            return  # replaced by a newer result meanwhile: not this job's to edit
        written["source"]["path"] = str(path)
        try:
            manifest.write(folder, written)
        except OSError as exc:
            log.warning("cannot update %s with the source's new place (%s)", folder / manifest.MANIFEST, exc)

    def offer(self, bridge: str, handler: Callable[[str, dict], dict]) -> None:
        self._offers[bridge] = handler

    def call(self, bridge: str, action: str, arguments: dict) -> dict:
        handler = self._offers.get(bridge)
        if handler is None:
            offered = ", ".join(sorted(self._offers)) or "none"
            raise UsageError(f"no bridge {bridge!r} offers actions in this daemon (offered: {offered})",
                             hint="check that the bridge is configured and started (`mvsep-bridge daemon status`)")
        return handler(action, arguments)

    def usage(self) -> Usage:
        budget = self.settings.budget
        account = self.backend.account()
        return Usage(backend=self.backend.name,
                     premium=account.premium_enabled if account else None,
                     credits_left=account.credits if account else None,
                     base_url=self.settings.base_url if self.backend.name == "mvsep" else None,
                     credits_today=self.pipeline.spent_today(), max_credits_per_day=budget.max_credits_per_day,
                     max_credits_per_job=budget.max_credits_per_job)

    def listening(self) -> dict[str, str]:
        return dict(self._listening)

    def announce(self, bridge: str, where: str) -> None:
        self._listening[bridge] = where
        log.info("bridge %s listens on %s", bridge, where)

    # --- settings that change under a running daemon ------------------------------------------
    def apply_settings(self, settings: Settings) -> None:
        """Follow the config file: budgets at once; another backend, server or token for every
        job from the next stage on (a stage running now finishes first)."""
        swap = backend_identity(settings) != backend_identity(self.settings)
        self.settings = settings
        self.pipeline.budget = settings.budget
        self.pipeline.margin_seconds = settings.section_margin_seconds
        if swap:
            self._swap_backend(settings)

    def _swap_backend(self, settings: Settings) -> None:
        old_scheduler, old_backend = self.scheduler, self.backend
        old_scheduler.stop(timeout=None)  # no stage of the old backend runs after this
        backend = make_backend(settings)
        with self._routing:
            self.backend = backend
            self.pipeline = Pipeline(self.journal, backend, settings.data_dir / "work", settings.budget,
                                     settings.section_margin_seconds)
            self.scheduler = Scheduler(self.pipeline, pace=remembered_pace(settings, backend))
            if self._started:
                self.scheduler.start()  # picks up every unfinished job, as after a restart
        old_backend.close()
        self._warm_up(backend)
        log.info("settings changed: jobs now run on the %s backend (%s)", backend.name, settings.base_url)

    def _warm_up(self, backend: Backend) -> None:
        """Fetch the catalog and the account's plan in the background, so `submit` can decide
        from cache; failures only mean it decides from the bundled catalog."""

        def run() -> None:
            try:
                backend.warm_up()
            except BridgeError as exc:
                log.warning("cannot read the catalog or the account yet (%s); going on with what is cached", exc)

        threading.Thread(target=run, name="warm-up", daemon=True).start()


def backend_identity(settings: Settings) -> tuple[str, str, str | None]:
    """What decides where jobs run and who pays for them."""
    return settings.effective_backend, settings.base_url, settings.token


def remembered_pace(settings: Settings, backend: Backend) -> ServerPace:
    """The server's pace as learned by earlier runs on this data_dir (see pace.py)."""
    return ServerPace(settings.data_dir / PACE_FILE, server_key(backend.name, settings.base_url))


def check_roots(request: JobRequest, settings: Settings) -> None:
    """A bridge's source and destination must resolve (symlinks, `..`) inside allowed_roots."""
    roots = [root.resolve() for root in settings.roots]
    paths = (("source", request.source), ("reference", request.reference), ("destination", result_folder(request)))
    for label, path in paths:
        if path is None:
            continue
        real = path.resolve()
        if not any(real == root or real.is_relative_to(root) for root in roots):
            shown = f"{path} (really {real})" if real != path else str(path)
            raise PathNotAllowed(
                f"the {label} {shown} is outside allowed_roots ({', '.join(map(str, roots))})",
                hint="add a folder that contains it to allowed_roots in the config file", field=label,
            )


def _section_seconds(request: JobRequest) -> float | None:
    """The section's duration when the header tells it cheaply (wav, flac, aiff, ogg), else None:
    prepare decodes the file anyway and reports what is wrong with it."""
    voice = request.reference if request.source is None else None  # a voice to clone is priced
    path = request.source or voice
    if path is None or not path.is_file():
        return None
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return None
    if info.frames <= 0:
        return None
    if voice is not None:
        return info.frames / info.samplerate
    _, frames = frame_span(request.start, request.length, int(info.samplerate), int(info.frames))
    return frames / info.samplerate


def _check_writable(folder: Path) -> None:
    """Refuse a destination the stems could never be written to before the job runs (and spends)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        problem = None if os.access(folder, os.W_OK) else "permission denied"
    except OSError as exc:
        problem = exc.strerror or str(exc)
    if problem:
        raise UsageError(f"cannot write the stems to {folder}: {problem}",
                         hint="choose a destination folder you can write to", field="destination")
