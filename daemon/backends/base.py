"""What the pipeline needs from a place that separates audio, like an httpx transport.

A backend turns an uploaded section into result files; the pipeline does everything around it
(reading, cutting, budgets, the ledger, alignment, output files, the manifest). Two exist:

- `MvsepBackend` (mvsep.py): the MVSEP web API through `MvsepClient` and `Catalog`.
- `LocalBackend` (local.py): the offline engine (`localsep`), run in a worker thread.

The life of one job on a backend, as the pipeline drives it:

    plan(request, seconds)        -> Plan       validate + credit estimate; no spend, no network
                                                 beyond the catalog and the account's plan
                                                 (offline=True: none at all, from what is cached)
    snapshot()                    -> str        what the server holds before a create; the
                                                 pipeline persists it BEFORE sending
    create(inputs, plan, request, snapshot, attempted_at)
                                  -> handle     start the work; attempted_at (epoch s) set means
                                                 an earlier create may have gone through (the
                                                 daemon died, or its answer was lost): find that
                                                 job against the snapshot instead of paying twice
    status(handle)                -> Progress   poll; only MVSEP's polls count against
                                                 `polls_per_minute`
                                                 (a status may name a new handle: a link's
                                                 job becomes a normal job once fetched)
    fetch(file, dest, progress)   -> Path       bring one result file home (resumable)
    cancel(handle)                -> bool       stop it; True when the backend refunded/stopped it

Handles are strings the store persists, so `status`/`fetch`/`cancel` must work on a handle made
by an earlier process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..errors import RateLimited
from ..jobs.model import JobRequest, url_file_name

if TYPE_CHECKING:
    from ..client.algorithms import Algorithm
    from ..client.models import UserInfo


@dataclass(frozen=True)
class Plan:
    """A validated request as a backend will run it, and what it costs."""

    sep_type: int
    algorithm: str
    options: dict[str, str]
    credits: float


@dataclass(frozen=True)
class Inputs:
    """What a create sends besides the options: a prepared upload (the section, or a voice), plus
    matchering's reference; or a link the server fetches; or nothing (text-only models)."""

    audiofile: Path | None = None
    reference: Path | None = None  # with audiofile: matchering's target + reference
    url: str | None = None
    remote_type: str | None = None

    @property
    def sent_name(self) -> str | None:
        """The file name the server names the job after (it ends its hash)."""
        if self.audiofile is not None:
            return self.audiofile.name
        if self.url is not None:
            return url_file_name(self.url) or None
        return None


@dataclass
class RemoteFile:
    """One result file as the backend listed it."""

    url: str
    name: str  # file name to store it under
    label: str  # stem label (MVSEP `type`), or the file stem
    size: int | None = None
    role: str = "result"  # "input": the server's copy of a link's audio, to align the stems to


#: statuses `status()` reports (MVSEP's vocabulary; the local backend uses the same words)
ACTIVE = ("waiting", "processing", "distributing", "merging")
FINAL = ("done", "failed", "not_found")


@dataclass
class Progress:
    status: str  # one of ACTIVE or FINAL
    message: str | None = None
    queue_position: int | None = None
    queue_count: int | None = None
    chunks_done: int | None = None
    chunks_total: int | None = None
    fraction: float | None = None  # 0..1 when the backend knows
    files: list[RemoteFile] = field(default_factory=list)  # when done
    handle: str | None = None  # the job's handle from now on, when it changed


ProgressCallback = Callable[[float], None]


@dataclass(frozen=True)
class StageWords:
    """What the pipeline tells the user at the hand-over steps, in the backend's own terms (the
    local engine uploads and downloads nothing)."""

    sending: str
    sent: str
    fetching: str


REMOTE_WORDS = StageWords("uploading the section", "sent; waiting for the server", "downloading the stems")
LOCAL_WORDS = StageWords("starting the local engine", "separating locally", "collecting the stems")


class SlotTaken(RateLimited):
    """The server refused a create because the account's plan limit is taken by jobs from
    elsewhere (the web site, another tool). Nothing was created; try again later, patiently."""


class Backend(Protocol):
    name: str
    words: StageWords
    #: remote results stay fetchable this long (the ledger reuses them); 0 = not at all
    retention_seconds: float
    #: the server's limit on `status` calls per minute per token (None = unlimited); the
    #: scheduler's one PollRate stays under it
    polls_per_minute: float | None

    def capacity(self) -> int:
        """Jobs that may be in flight at once (MVSEP: 1 non-premium, up to 10 premium)."""

    def algorithms(self) -> list[Algorithm]:
        """The catalog entries this backend can run, from what is at hand (no network)."""

    def account(self) -> UserInfo | None:
        """The account as last read (no network); None when there is none or not read yet."""

    def warm_up(self) -> None:
        """Fetch what `offline` planning relies on (catalog, account plan); may be slow."""

    def plan(self, request: JobRequest, seconds: float, *, offline: bool = False) -> Plan:
        """Validate sep_type/options/format and estimate credits; raises ValidationError.
        offline=True decides from cached data alone and gives the benefit of the doubt."""

    def snapshot(self) -> str:
        """An opaque note of the server's jobs now, for a later `create(..., attempted_at=T)`."""

    def create(self, inputs: Inputs, plan: Plan, request: JobRequest, snapshot: str,
               attempted_at: float | None, progress: ProgressCallback | None = None) -> str:
        """Start the work on `inputs` (progress: fraction sent); returns the handle."""

    def status(self, handle: str) -> Progress: ...

    def running(self) -> int | None:
        """How many of the account's jobs the server runs now, all tools together, without a
        status call (None: the backend cannot tell)."""

    def fetch(self, file: RemoteFile, dest: Path, progress: ProgressCallback | None = None) -> Path:
        """Bring a result file to `dest`: its bytes go to client.download.part_path(dest), in
        order (appended when a break is resumed), which is renamed to `dest` once whole, so a
        reader may follow it while it arrives (jobs/arriving.py)."""

    def cancel(self, handle: str) -> bool: ...

    def close(self) -> None: ...
