"""What a bridge may ask of the engine: the only door from bridges/ into daemon/.

The daemon implements `Engine` (jobs/job_engine.py); bridges receive one in `Bridge.start` and
import nothing else from daemon/: the wire types, errors and settings they need are re-exported
here, and `JobTracker` follows a bridge's own jobs for it (`write_text`, `replacing`: a file that
appears whole, for the files a bridge hands to others).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from .client.algorithms import Algorithm
from .errors import (
    BridgeError,
    BudgetError,
    ConfigError,
    PathNotAllowed,
    Unreachable,
    UsageError,
    ValidationError,
)
from .files import replacing, write_text
from .jobs.model import (
    OPTION_KEYS,
    OUTPUT_FORMATS,
    Estimate,
    EventKind,
    JobEvent,
    JobRequest,
    JobState,
    JobView,
    ReplyChannel,
    ResultFile,
    StemInfo,
    Usage,
)
from .kinds import input_kind
from .settings import HotFolder, Preset, Settings
from .tracker import JobTracker

__all__ = [
    "OPTION_KEYS", "OUTPUT_FORMATS", "Algorithm", "Bridge", "BridgeError", "BudgetError", "ConfigError",
    "Engine", "Estimate", "EventKind", "HotFolder", "JobEvent", "JobRequest", "JobState", "JobTracker", "JobView",
    "PathNotAllowed", "Preset", "ReplyChannel", "ResultFile", "Settings", "StemInfo", "Unreachable", "Unsubscribe",
    "Usage", "UsageError", "ValidationError", "input_kind", "replacing", "write_text",
]

Unsubscribe = Callable[[], None]


class Engine(Protocol):
    #: the daemon's settings, kept current with the config file
    settings: Settings

    def submit(self, request: JobRequest) -> JobView:
        """Check, persist and queue a job, and return at once: nothing here waits on the network
        (the catalog is the cached one; the server's own checks end as a `failed` event).
        Requests from bridges other than "cli" and "hotfolder" must stay inside allowed_roots.
        Raises UsageError: ValidationError/BudgetError (algorithm, options, format, credits),
        AudioError, PathNotAllowed, or a plain UsageError (no such file, unwritable folder)."""

    def get(self, job_id: str) -> JobView:
        """One job; raises UsageError for an unknown id."""

    def jobs(self) -> list[JobView]:
        """All jobs the store knows, newest first."""

    def cancel(self, job_id: str) -> JobView:
        """Ask for a job to stop and return at once; its `cancelled` event follows (the server
        refunds a job it has not started). A job already over is returned as it is."""

    def subscribe(self, callback: Callable[[JobEvent], None], job_id: str | None = None) -> Unsubscribe:
        """Call `callback` on every event (of one job, or of all); returns the unsubscriber.
        Callbacks run on an engine thread and must not block."""

    def check(self) -> None:
        """Reach the backend now (MVSEP: the catalog and the account), so a bad token or a server
        that is down is said before jobs are queued. Blocks on the network: for a command, never
        for a bridge's receive loop. Raises AuthError or Unreachable."""

    def algorithms(self, search: str | None = None) -> list[Algorithm]:
        """The catalog the backend runs (cached; never waits on the network), optionally only the
        entries matching every word of `search`."""

    def estimate(self, request: JobRequest) -> Estimate:
        """The algorithm a request would run and its credits, before anything is sent."""

    def source_moved(self, job_id: str, path: Path) -> None:
        """The bridge moved a finished job's source (a hot folder files it in done/): the
        result's manifest names where it is now."""

    def offer(self, bridge: str, handler: Callable[[str, dict], dict]) -> None:
        """Offer actions of a bridge to the others and to the control channel (the audio bridge
        offers "play"/"stop"/"record"; OSC's /mvsep/play calls it): `handler(action, arguments)`
        returns a JSON-able dict, raises UsageError for bad arguments. Runs on the caller's thread."""

    def call(self, bridge: str, action: str, arguments: dict) -> dict:
        """Call an action another bridge offered; UsageError when no bridge offers it."""

    def usage(self) -> Usage:
        """The backend and the credits spent today against the budgets (from the job store)."""

    def listening(self) -> dict[str, str]:
        """Bridge → where it listens, as announced."""

    def announce(self, bridge: str, where: str) -> None:
        """Tell the daemon where a bridge listens ("udp://127.0.0.1:9045", a spool folder), for
        `mvsep-bridge daemon status` and the control channel's ping."""


class Bridge(Protocol):
    """A way in (hot folders, OSC, REAPER spool, audio devices), run inside the daemon."""

    name: str

    def start(self, engine: Engine) -> None:
        """Start listening (own threads) and return quickly."""

    def stop(self) -> None: ...
