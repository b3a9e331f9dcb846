"""The MVSEP backend: MvsepClient + Catalog behind the pipeline's Backend interface."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import requests

from ..catalog import Catalog
from ..client import MvsepClient, SeparationInput
from ..client.algorithms import Algorithm
from ..errors import BadRequest, NotFound
from ..jobs.model import DEFAULT_SEP_TYPE, JobRequest
from ..jobs.pollrate import MVSEP_GET_LIMIT
from ..settings import Settings
from .base import REMOTE_WORDS, Plan, Progress, ProgressCallback, RemoteFile, SlotTaken

log = logging.getLogger("mvsep_bridge.backends")

PREMIUM_CAPACITY = 10
FREE_CAPACITY = 1
ACCOUNT_TTL = 60.0
#: a history snapshot serves the creates of this long (one read per batch); short enough that
#: the first page still reaches back to it when many jobs were created since
SNAPSHOT_TTL = 30.0
HISTORY_PAGE = 20
#: after an interrupted create, the history is watched this long (from the attempt) before the
#: job is sent again: a server still reading the upload may list it a few seconds late
CREATE_SETTLE_SECONDS = 6.0


class MvsepBackend:
    name = "mvsep"
    words = REMOTE_WORDS
    retention_seconds = 72 * 3600.0 - 600.0  # MVSEP keeps results ~72 h; keep a margin

    def __init__(self, client: MvsepClient, settings: Settings):
        self.client = client
        self.settings = settings
        self._catalog: Catalog | None = None
        self._premium: tuple[bool, float] | None = None
        self._lock = threading.Lock()
        self._snapshot: tuple[str, float] | None = None  # (history hashes, when read)
        self._advertised: float | None = None
        # learn the server's advertised poll limit (X-RateLimit-Limit on separation/get)
        client.session.hooks["response"].append(self._note_limit)

    @classmethod
    def from_settings(cls, settings: Settings) -> MvsepBackend:
        return cls(MvsepClient.from_settings(settings), settings)

    def _note_limit(self, response: requests.Response, *args, **kwargs) -> None:
        if "/api/separation/get" in response.url:
            try:
                self._advertised = float(response.headers["X-RateLimit-Limit"])
            except (KeyError, ValueError):
                pass

    @property
    def polls_per_minute(self) -> float:
        """separation/get calls allowed per minute: what the server advertises, else MVSEP's 60."""
        return self._advertised or MVSEP_GET_LIMIT

    # --- account and catalog ------------------------------------------------------------------
    def _is_premium(self, offline: bool = False) -> bool:
        with self._lock:
            cached = self._premium
        if offline:  # not known yet: the pipeline's plan checks again, strictly, before any spend
            return True if cached is None else cached[0]
        if cached is None or time.monotonic() - cached[1] > ACCOUNT_TTL:
            premium = bool(self.client.user().premium_enabled)
            with self._lock:
                self._premium = (premium, time.monotonic())
            return premium
        return cached[0]

    def catalog(self, offline: bool = False) -> Catalog:
        """The server's catalog, fetched once per daemon (cached 24 h on disk); `offline` takes
        what is at hand (that, the disk cache, or the bundled snapshot) without a request."""
        if self._catalog is None:
            if offline:
                return Catalog.load(self.settings, offline=True)
            self._catalog = Catalog.load(self.settings, client=self.client)
        return self._catalog

    def algorithms(self) -> list[Algorithm]:
        return list(self.catalog(offline=True))

    def warm_up(self) -> None:
        self.catalog()
        self._is_premium()

    def capacity(self) -> int:
        return PREMIUM_CAPACITY if self._is_premium() else FREE_CAPACITY

    def plan(self, request: JobRequest, seconds: float, *, offline: bool = False) -> Plan:
        sep_type = request.sep_type if request.sep_type is not None else DEFAULT_SEP_TYPE
        catalog = self.catalog(offline)
        valid = catalog.validate(sep_type, request.options, request.output_format,
                                 premium=self._is_premium(offline))
        credits = catalog.estimate_credits(seconds, valid.sep_type, valid.options)
        return Plan(sep_type=valid.sep_type, algorithm=valid.algorithm.name, options=valid.options, credits=credits)

    # --- one job ------------------------------------------------------------------------------
    def snapshot(self) -> str:
        """The history as it is now, read once for a batch of creates: a later create compares
        against it by its own upload name (which carries the job id), so jobs created since by
        us or by anyone else never pass for it."""
        with self._lock:
            cached = self._snapshot
        if cached is None or time.monotonic() - cached[1] > SNAPSHOT_TTL:
            cached = (json.dumps(sorted(self.client.history_hashes())), time.monotonic())
            with self._lock:
                self._snapshot = cached
        return cached[0]

    def create(self, upload: Path, plan: Plan, request: JobRequest, snapshot: str,
               attempted_at: float | None, progress: ProgressCallback | None = None) -> str:
        order = SeparationInput(
            sep_type=plan.sep_type, options=plan.options, output_format=request.output_format,
            audiofile=upload, is_demo=request.is_demo,
        )
        known = set(json.loads(snapshot or "[]"))
        if attempted_at is not None:  # an earlier attempt may have created it: look before paying
            found = self.client.find_created(order, known, _settle_pauses(attempted_at))
            if found is not None:
                return found.hash

        def on_bytes(sent: int, total: int) -> None:
            if progress and total:
                progress(sent / total)

        try:
            return self.client.create_once(order, progress=on_bytes, known=known).hash
        except BadRequest:
            running = self.client.user().running_jobs
            if running is not None and running >= self.capacity():
                # the plan's limit is taken by jobs from elsewhere (the site, another tool): wait
                raise SlotTaken(
                    f"the account already runs {running} job(s), its plan's limit; waiting for a free slot"
                ) from None
            raise

    def status(self, handle: str) -> Progress:
        try:
            result = self.client.get(handle)
        except NotFound as exc:
            return Progress(status="not_found", message=exc.message)
        data = result.data
        status = str(result.status)
        if status == "unknown":
            status = "processing"
        fraction = None
        if data.all_chunks:
            fraction = (data.finished_chunks or 0) / data.all_chunks
        files = [
            RemoteFile(url=f.url, name=f.file_name, label=f.type or Path(f.file_name).stem, size=f.bytes)
            for f in result.files
        ]
        return Progress(
            status=status, message=data.message, queue_position=data.current_order,
            queue_count=data.queue_count, chunks_done=data.finished_chunks, chunks_total=data.all_chunks,
            fraction=fraction, files=files,
        )

    def fetch(self, file: RemoteFile, dest: Path, progress: ProgressCallback | None = None) -> Path:
        def on_bytes(done: int, total: int | None) -> None:
            if progress and total:
                progress(done / total)

        return self.client.download(file.url, dest, expected_bytes=file.size, progress=on_bytes)

    def cancel(self, handle: str) -> bool:
        answer = self.client.cancel(handle)
        if not answer.success:
            log.info("the server would not cancel %s: %s", handle, answer.message)
        return bool(answer.success)

    def close(self) -> None:
        self.client.close()


def _settle_pauses(attempted_at: float) -> list[float]:
    """Look now, then every 2 s until CREATE_SETTLE_SECONDS after the attempt: a request sent
    just before a crash may still be in the server's hands and listed a little later."""
    pauses, at = [0.0], time.time()
    while at < attempted_at + CREATE_SETTLE_SECONDS:
        step = min(2.0, attempted_at + CREATE_SETTLE_SECONDS - at)
        pauses.append(step)
        at += step
    return pauses
