"""The life of a claimed file: submitted with its folder's preset and sidecar, followed, and
filed in done/ or failed/ when its job is over. Whatever cannot happen now (the engine away, a
full disk) is tried again every RETRY_SECONDS: nothing already claimed is lost."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError as PydanticValidationError

from mvsep_bridge.daemon.engine import (
    BridgeError,
    Engine,
    JobRequest,
    JobState,
    JobTracker,
    JobView,
    ReplyChannel,
    Unreachable,
)

from .claim import adopt_companions, claimed_files, foreign_claims
from .filing import file_done, file_failed
from .inbox import Inbox
from .sidecar import merge, read_sidecar

log = logging.getLogger("mvsep_bridge.hotfolder")

BRIDGE = "hotfolder"
RETRY_SECONDS = 3.0  # filing or submitting that hit a transient error (full disk, engine away)


def file_identity(path: Path) -> str:
    """Survives the claim rename, differs for a later file of the same name (stored in the reply
    channel's address so a restart never confuses a new drop with an old job of that name)."""
    st = path.stat()
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


@dataclass
class Claimed:
    inbox: Inbox
    path: Path  # in processing/<owner>/
    job_id: str | None = None
    outcome: JobView | None = None  # the job's final view, once it is over
    failure: str | None = None  # why it goes to failed/, once known
    retry_at: float = 0.0  # when to try again after a transient error
    retries: int = 0

    @property
    def name(self) -> Path:
        return self.inbox.layout.claimed_relative(self.path)


class Claims:
    """Every claimed file of this daemon, from submit to filing. Runs on the bridge's thread."""

    def __init__(self, engine: Engine, tracker: JobTracker):
        self._engine = engine
        self._tracker = tracker
        self._by_job: dict[str, Claimed] = {}
        self._retry: list[Claimed] = []  # to submit or to file again later

    def submit(self, item: Claimed) -> None:
        try:
            view = self._engine.submit(self._request(item))
        except FileNotFoundError:
            log.warning("%s: %s vanished before it was submitted", item.inbox.label, item.name)
            return
        except Unreachable as exc:
            self._later(item, f"{item.name} not submitted yet ({exc.message})")
            return
        except (BridgeError, PydanticValidationError, OSError) as exc:
            self._fail(item, _reason(exc))
            return
        log.info("%s: %s submitted as job %s", item.inbox.label, item.name, view.id)
        self._follow(item, view)

    def finished(self, view: JobView) -> None:
        """A job of this bridge is over (from the tracker)."""
        item = self._by_job.get(view.id)
        if item is not None:
            item.outcome = view
            self._file(item)

    def retry_due(self, now: float) -> None:
        for item in [c for c in self._retry if c.retry_at <= now]:
            self._retry.remove(item)
            if item.failure is not None:
                self._fail(item, item.failure)
            elif item.outcome is not None:
                self._file(item)
            else:
                self.submit(item)

    def reconcile(self, inbox: Inbox) -> None:
        """After a (re)start: claims of ours either have a job (follow it) or never got one."""
        layout = inbox.layout
        jobs: dict[tuple[str, str | None], JobView] = {}
        for view in self._tracker.jobs():  # newest first: keep the newest per claim
            reply = view.request.reply
            if reply.tag:
                jobs.setdefault((reply.tag, reply.address), view)
        tracked = {item.path for item in [*self._by_job.values(), *self._retry]}
        for path in claimed_files(layout):
            if path in tracked:
                continue
            relative = layout.claimed_relative(path)
            if not (layout.root / relative).exists():
                adopt_companions(layout.root / relative, path)  # a crash between the two renames
            item = Claimed(inbox, path)
            try:
                view = jobs.get((str(path), file_identity(path)))
            except FileNotFoundError:
                continue
            if view is None:
                log.info("%s: %s was claimed but never submitted; submitting it now", inbox.label, relative)
                self.submit(item)
                continue
            log.info("%s: %s resumes as job %s (%s)", inbox.label, relative, view.id, view.state.value)
            self._follow(item, view)
        for other in foreign_claims(layout):
            log.info("%s: %s holds another daemon's claims; left to it", inbox.label, other.relative_to(layout.root))

    def _follow(self, item: Claimed, view: JobView) -> None:
        item.job_id = view.id
        self._by_job[view.id] = item
        if view.state.final:
            item.outcome = view
            self._file(item)

    def _request(self, item: Claimed) -> JobRequest:
        layout = item.inbox.layout
        if item.path.stat().st_size == 0:
            raise BridgeError(
                "the file is empty (0 bytes)",
                hint="drop a complete audio file; a copy that was interrupted leaves an empty file",
            )
        chosen = merge(item.inbox.preset, read_sidecar(item.path))
        fields = {"output_format": chosen.output_format} if chosen.output_format is not None else {}
        return JobRequest(
            source=item.path,
            sep_type=chosen.sep_type,
            options=chosen.options,
            destination=layout.stems_destination(layout.claimed_relative(item.path)),
            reply=ReplyChannel(bridge=BRIDGE, address=file_identity(item.path), tag=str(item.path)),
            **fields,
        )

    def _file(self, item: Claimed) -> None:
        """File a claim whose job is over: done/ on success, failed/ with the job's error."""
        view = item.outcome
        assert view is not None
        if item.job_id is not None:
            self._by_job.pop(item.job_id, None)
        if view.state is not JobState.DONE:
            self._fail(item, _job_reason(view))
            return
        inbox = item.inbox
        try:
            filed = file_done(inbox.layout, item.path)
        except FileNotFoundError:
            log.warning("%s: %s vanished (folder deleted or renamed?); nothing to file", inbox.label, item.name)
            return
        except OSError as exc:
            self._later(item, f"cannot file {item.name} ({exc})")
            return
        self._engine.source_moved(view.id, filed)
        log.info("%s: %s done: %d stem(s) in %s; source moved to %s", inbox.label, item.name,
                 len(view.stems), view.result_dir, filed.relative_to(inbox.layout.root))

    def _fail(self, item: Claimed, reason: str) -> None:
        inbox = item.inbox
        item.failure = reason
        try:
            filed = file_failed(inbox.layout, item.path, reason)
        except FileNotFoundError:
            log.warning("%s: %s vanished before it could be filed as failed", inbox.label, item.name)
            return
        except OSError as exc:
            self._later(item, f"{item.name} failed ({reason.splitlines()[0]}) but cannot be filed ({exc})")
            return
        log.info("%s: %s failed: %s; moved to %s", inbox.label, item.name, reason.splitlines()[0],
                 filed.relative_to(inbox.layout.root))

    def _later(self, item: Claimed, problem: str) -> None:
        """Try again in RETRY_SECONDS; said once, not every retry (it may last: a full disk)."""
        level = logging.ERROR if item.retries == 0 else logging.DEBUG
        log.log(level, "%s: %s; retrying every %.0f s", item.inbox.label, problem, RETRY_SECONDS)
        item.retries += 1
        item.retry_at = time.monotonic() + RETRY_SECONDS
        self._retry.append(item)


def _reason(exc: Exception) -> str:
    if isinstance(exc, PydanticValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in exc.errors())
    return str(exc)


def _job_reason(view: JobView) -> str:
    if view.state is JobState.CANCELLED:
        return f"job {view.id} was cancelled" + (f": {view.error}" if view.error else "")
    return f"job {view.id} failed: {view.error or view.message or 'no reason given'}"
