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
from ..client.models import UserInfo
from ..errors import BadRequest, NotFound
from ..jobs.model import DEFAULT_SEP_TYPE, JobRequest
from ..jobs.pollrate import MVSEP_GET_LIMIT
from ..kinds import check_inputs
from ..settings import Settings
from .base import REMOTE_WORDS, Inputs, Plan, Progress, ProgressCallback, RemoteFile, SlotTaken

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
#: ... and a link's job appears there only after the server fetched the file: longer
REMOTE_FETCH_SETTLE_SECONDS = 14.0
#: how long a cancel waits for the server to fetch a link, so that the job it becomes is cancelled
LINK_CANCEL_WAIT_SECONDS = 30.0
#: a handle of a link's job before the server fetched it (its get-remote hash)
REMOTE_PREFIX = "remote:"


class MvsepBackend:
    name = "mvsep"
    words = REMOTE_WORDS
    retention_seconds = 72 * 3600.0 - 600.0  # MVSEP keeps results ~72 h; keep a margin

    def __init__(self, client: MvsepClient, settings: Settings):
        self.client = client
        self.settings = settings
        self._catalog: Catalog | None = None
        self._account: tuple[UserInfo, float] | None = None  # (account, when read)
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
    def account(self) -> UserInfo | None:
        """The account as last read (at most ACCOUNT_TTL old while jobs run); None before."""
        with self._lock:
            return self._account[0] if self._account else None

    def _is_premium(self, offline: bool = False) -> bool:
        with self._lock:
            cached = self._account
        if offline:  # not known yet: the pipeline's plan checks again, strictly, before any spend
            return True if cached is None else cached[0].premium_enabled
        if cached is None or time.monotonic() - cached[1] > ACCOUNT_TTL:
            cached = (self.client.user(), time.monotonic())
            with self._lock:
                self._account = cached
        return cached[0].premium_enabled

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
        check_inputs(catalog.get(sep_type), request)  # the wrong kind of input before its options
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

    def create(self, inputs: Inputs, plan: Plan, request: JobRequest, snapshot: str,
               attempted_at: float | None, progress: ProgressCallback | None = None) -> str:
        matchering = inputs.reference is not None
        order = SeparationInput(
            sep_type=plan.sep_type, options=plan.options, output_format=request.output_format,
            audiofile=None if matchering else inputs.audiofile,
            target_audiofile=inputs.audiofile if matchering else None,
            reference_audiofile=inputs.reference, url=inputs.url, remote_type=inputs.remote_type,
            is_demo=request.is_demo,
        )
        known = set(json.loads(snapshot or "[]"))
        if attempted_at is not None:  # an earlier attempt may have created it: look before paying
            # a link's job is listed only once the server has fetched the file: look longer
            settle = CREATE_SETTLE_SECONDS + (REMOTE_FETCH_SETTLE_SECONDS if inputs.url else 0.0)
            found = self.client.find_created(order, known, _settle_pauses(attempted_at, settle))
            if found is not None:
                return found.hash

        def on_bytes(sent: int, total: int) -> None:
            if progress and total:
                progress(sent / total)

        try:
            created = self.client.create_once(order, progress=on_bytes, known=known).hash
        except BadRequest:
            running = self.client.user().running_jobs
            if running is not None and running >= self.capacity():
                # the plan's limit is taken by jobs from elsewhere (the site, another tool): wait
                raise SlotTaken(
                    f"the account already runs {running} job(s), its plan's limit; waiting for a free slot"
                ) from None
            raise
        return REMOTE_PREFIX + created if inputs.url else created

    def status(self, handle: str) -> Progress:
        if handle.startswith(REMOTE_PREFIX):
            return self._remote_status(handle.removeprefix(REMOTE_PREFIX))
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
        source = data.input_file
        if status == "done" and source is not None and source.url:
            name = source.download or Path(source.url.split("?", 1)[0]).name or "audio"
            files.append(RemoteFile(url=source.url, name=f"input-{name}", label="input", role="input"))
        return Progress(
            status=status, message=data.message, queue_position=data.current_order,
            queue_count=data.queue_count, chunks_done=data.finished_chunks, chunks_total=data.all_chunks,
            fraction=fraction, files=files,
        )

    def running(self) -> int | None:
        """The account's jobs on the server (app/user's current_queue: on the 120-a-minute
        limit, where separation/get has 60); the account read serves the plan's capacity too."""
        user = self.client.user()
        with self._lock:
            self._account = (user, time.monotonic())
        return user.running_jobs

    def _remote_status(self, remote_hash: str) -> Progress:
        """A link's job: the server fetches the file first (get-remote), then it is a normal job."""
        try:
            result = self.client.get_remote(remote_hash)
        except NotFound as exc:
            return Progress(status="not_found", message=exc.message)
        status, data = str(result.status), result.data
        if status == "done" and data.hash:
            progress = self.status(data.hash)
            progress.handle = data.hash
            return progress
        if status == "failed":
            return Progress(status="failed", message=f"the server could not fetch the link: {data.message or 'no reason given'}")
        return Progress(status="waiting", message=data.message or "the server is fetching the link",
                        queue_position=data.current_order, queue_count=data.queue_count)

    def fetch(self, file: RemoteFile, dest: Path, progress: ProgressCallback | None = None) -> Path:
        def on_bytes(done: int, total: int | None) -> None:
            if progress and total:
                progress(done / total)

        return self.client.download(file.url, dest, expected_bytes=file.size, progress=on_bytes)

    def cancel(self, handle: str) -> bool:
        if handle.startswith(REMOTE_PREFIX):
            fetched = self._fetched_hash(handle.removeprefix(REMOTE_PREFIX))
            if fetched is None:
                return False
            handle = fetched
        answer = self.client.cancel(handle)
        if not answer.success:
            log.info("the server would not cancel %s: %s", handle, answer.message)
        return bool(answer.success)

    def _fetched_hash(self, remote_hash: str) -> str | None:
        """A link's job can be cancelled only once the server has fetched the file and made it a
        job (else it would run, and be charged, after the cancel): wait a little for that."""
        deadline = time.monotonic() + LINK_CANCEL_WAIT_SECONDS
        while True:
            try:
                result = self.client.get_remote(remote_hash)
            except NotFound:
                return None
            if str(result.status) == "done" and result.data.hash:
                return result.data.hash
            if str(result.status) == "failed" or time.monotonic() > deadline:
                return None
            time.sleep(1.0)

    def close(self) -> None:
        self.client.close()


def _settle_pauses(attempted_at: float, settle: float) -> list[float]:
    """Look now, then every 2 s until `settle` seconds after the attempt: a request sent just
    before a crash may still be in the server's hands and listed a little later."""
    pauses, at = [0.0], time.time()
    while at < attempted_at + settle:
        step = min(2.0, attempted_at + settle - at)
        pauses.append(step)
        at += step
    return pauses
