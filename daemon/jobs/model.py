"""The one job model (DESIGN.md "One job model"): what every bridge submits and what it is told.

Wire data (requests, views, events) are pydantic models so the control channel, OSC and the
REAPER spool can (de)serialise them without knowing the engine.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from ..audio.formats import DEFAULT_OUTPUT_FORMAT, OUTPUT_FORMATS, PREMIUM_FORMATS  # noqa: F401 (re-exported)
from ..errors import UsageError, shown
from ..numbers import SectionLength, SectionStart, SepType

OPTION_KEYS = ("add_opt1", "add_opt2", "add_opt3", "add_opt4")

#: what a job without a sep_type gets, on every backend: Demucs4 HT (vocals, drums, bass, other)
#: is in MVSEP's catalog (add_opt1 defaults to 1, htdemucs, 1 credit a minute) and is the local
#: engine's 4-stem model, so the same request gives the same stem files on both
DEFAULT_SEP_TYPE = 20
DEFAULT_SEP_TYPE_NAME = "Demucs4 HT: vocals, drums, bass, other"

def _known_format(value: int) -> int:
    if value not in OUTPUT_FORMATS:
        choices = ", ".join(f"{k} {v[0]}" for k, v in OUTPUT_FORMATS.items())
        raise ValueError(f"unknown output_format {value}; valid: {choices}")
    return value


#: an MVSEP output_format code, for requests and presets alike
OutputFormat = Annotated[int, AfterValidator(_known_format)]

#: a job id: 12 hex digits (a random UUID's first ones)
JOB_ID = re.compile(r"[0-9a-f]{12}")


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]


def check_job_id(text: str) -> str:
    """`text` if it has the form of a job id; else UsageError (before it reaches a URL or a query,
    where `../../etc/passwd` would be "no such endpoint")."""
    if not JOB_ID.fullmatch(text):
        raise UsageError(f"{shown(text)} is not a job id (12 hex digits)",
                         hint="`mvsep-bridge jobs` lists the jobs with their ids")
    return text


class JobState(StrEnum):
    QUEUED = "queued"
    PREPARING = "preparing"
    UPLOADING = "uploading"
    REMOTE = "remote"  # on the server: waiting / processing / distributing / merging
    DOWNLOADING = "downloading"
    FINISHING = "finishing"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


#: the hand-over states as the local engine does them: nothing is uploaded or downloaded
LOCAL_STAGES = {JobState.UPLOADING: "starting", JobState.REMOTE: "separating",
                JobState.DOWNLOADING: "collecting the stems"}


class ReplyChannel(BaseModel):
    """Where a bridge wants to hear about its job; opaque to the engine."""

    bridge: str = "cli"  # cli | hotfolder | osc | reaper | audio
    address: str | None = None  # e.g. "127.0.0.1:9000" for OSC, a spool path for REAPER
    tag: str | None = None  # the bridge's own correlation id


class JobRequest(BaseModel):
    """A separation request: a source file, an optional section, the algorithm and where to write."""

    source: Path
    start: SectionStart | None = Field(default=None, description="section start, seconds of the source")
    length: SectionLength | None = Field(default=None, description="section length in seconds")
    sep_type: SepType | None = None  # None: DEFAULT_SEP_TYPE
    options: dict[str, str] = Field(default_factory=dict)  # add_opt1..4 → option key
    output_format: OutputFormat = DEFAULT_OUTPUT_FORMAT
    destination: Path | None = None  # stems go to <destination>/<source name>/
    # an earlier result in that folder (with its manifest) is replaced only when asked
    replace: bool = False
    is_demo: bool = False  # publish on MVSEP's demo page: only on the user's explicit request
    reply: ReplyChannel = Field(default_factory=ReplyChannel)

    @field_validator("options", mode="before")
    @classmethod
    def _option_keys(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        bad = [k for k in value if k not in OPTION_KEYS]
        if bad:
            raise ValueError(f"unknown option field(s) {', '.join(map(shown, bad))}; valid: {', '.join(OPTION_KEYS)}")
        return {str(k): str(v) for k, v in value.items()}

    @model_validator(mode="after")
    def _absolute_source(self) -> JobRequest:
        self.source = self.source.expanduser().absolute()
        if self.destination is not None:
            self.destination = self.destination.expanduser().absolute()
        return self


#: what a result file holds, by its extension (MVSEP also returns MIDI and transcripts)
FileKind = Literal["audio", "midi", "text", "other"]
_KINDS_BY_SUFFIX = {".mid": "midi", ".midi": "midi", ".txt": "text", ".srt": "text", ".vtt": "text",
                    ".json": "text", ".lrc": "text"}


def file_kind(name: str) -> FileKind:
    return _KINDS_BY_SUFFIX.get(Path(name).suffix.lower(), "other")  # type: ignore[return-value]


class ResultFile(BaseModel):
    """A result that is not an aligned audio stem (MIDI, a transcript, ...)."""

    name: str
    file: str  # relative to the job's result folder
    kind: FileKind = "other"


class StemInfo(BaseModel):
    name: str
    file: str  # relative to the job's result folder
    sample_rate: int | None = None
    frames: int | None = None
    shift: int | None = None  # samples removed (+) or added (-) to align with the section


class JobView(BaseModel):
    """What a bridge is told about a job (status, listings, events)."""

    id: str
    state: JobState
    request: JobRequest
    backend: str | None = None
    remote_hash: str | None = None
    remote_status: str | None = None  # waiting | processing | distributing | merging | done | failed
    queue_position: int | None = None
    queue_count: int | None = None
    chunks_done: int | None = None
    chunks_total: int | None = None
    progress: float | None = None  # 0..1 within the current state, when known
    credits: float | None = None  # estimate before submit, charged after
    message: str | None = None
    error: str | None = None
    result_dir: Path | None = None
    stems: list[StemInfo] = Field(default_factory=list)
    other_files: list[ResultFile] = Field(default_factory=list)
    prepared: bool = False  # the section is cut and ready to send
    created_at: datetime
    updated_at: datetime

    @property
    def stage(self) -> str:
        """The state in the words of the backend that runs the job; a prepared job back in the
        queue is waiting for a slot, not queued a second time."""
        if self.state == JobState.QUEUED and self.prepared:
            return "ready, waiting for its turn"
        if self.backend == "local":
            return LOCAL_STAGES.get(self.state, str(self.state))
        return str(self.state)


#: the closed set of event kinds: one `accepted` per job, `progress` on real changes only, then
#: exactly one of the final three
EventKind = Literal["accepted", "progress", "done", "failed", "cancelled"]


class JobEvent(BaseModel):
    """A change of a job, pushed to the bridge that asked (and to watchers)."""

    job: JobView
    kind: EventKind


class Usage(BaseModel):
    """Where jobs run and what they have spent, for a status display."""

    backend: str  # mvsep | local
    base_url: str | None = None  # the server, for mvsep
    credits_today: float = 0.0  # charged since local midnight (cancelled jobs refunded)
    max_credits_per_day: int | None = None
    max_credits_per_job: int | None = None


class Estimate(BaseModel):
    """What a request would cost before it is sent (None: not known without reading the file)."""

    sep_type: int
    algorithm: str
    seconds: float | None = None
    credits: float | None = None

def result_folder(request: JobRequest) -> Path:
    """`<destination>/<source name>/` (DESIGN.md "Output"); the destination defaults to the source's folder."""
    return (request.destination or request.source.parent) / request.source.stem
