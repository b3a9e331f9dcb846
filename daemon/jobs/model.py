"""The one job model (DESIGN.md "One job model"): what every bridge submits and what it is told.

Wire data (requests, views, events) are pydantic models so the control channel, OSC and the
REAPER spool can (de)serialise them without knowing the engine.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..audio.formats import DEFAULT_OUTPUT_FORMAT, OUTPUT_FORMATS, PREMIUM_FORMATS  # noqa: F401 (re-exported)
from ..errors import UsageError, shown
from ..numbers import SectionLength, SectionStart, SepType

OPTION_KEYS = ("add_opt1", "add_opt2", "add_opt3", "add_opt4")
#: how MVSEP fetches a `url` input (API.md separation/create)
RemoteType = Literal["direct", "mega", "drive", "dropbox"]
REMOTE_TYPES: tuple[str, ...] = RemoteType.__args__  # type: ignore[attr-defined]
#: hosts whose links are not plain downloads, and the remote_type MVSEP fetches them with
_REMOTE_HOSTS = {"mega.nz": "mega", "mega.co.nz": "mega", "mega.io": "mega", "drive.google.com": "drive",
                 "docs.google.com": "drive", "dropbox.com": "dropbox", "dropboxusercontent.com": "dropbox"}

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
    """A job: its input (a source file, a link, two files, or none), an optional section, the
    algorithm and where to write. Requests of older versions (a source file only) read unchanged."""

    source: Path | None = None  # the audio (matchering: the target); None for a url or no-input job
    url: str | None = None  # a link the server fetches instead of an upload
    remote_type: RemoteType | None = None  # how it fetches `url`; None: from the link's host
    # matchering: the track to sound like; voice cloning: the voice to speak in (then no source)
    reference: Path | None = None
    name: str | None = None  # the result folder's name; default the source's or link's file name
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

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{shown(value)} is not an http(s) link")
        return value.strip()

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        if value is not None and (value != clean_name(value) or not value):
            raise ValueError(f"{shown(value)} is not a plain folder name; for example {clean_name(value)!r}")
        return value

    @model_validator(mode="after")
    def _absolute_source(self) -> JobRequest:
        if self.source is not None and self.url is not None:
            raise ValueError("give a source file or a url, not both")
        if self.remote_type is not None and self.url is None:
            raise ValueError("remote_type applies to a url only")
        if self.url is not None and self.remote_type is None:
            self.remote_type = remote_type_of(self.url)  # type: ignore[assignment]
        if self.source is None and self.destination is None:
            raise ValueError("a job without a source file needs a destination folder")
        for name in ("source", "reference", "destination"):
            path = getattr(self, name)
            if path is not None:
                setattr(self, name, path.expanduser().absolute())
        return self

    @property
    def title(self) -> str:
        """What listings call the job: its file, its link's file, or its result name."""
        if self.source is not None:
            return self.source.name
        if self.url is not None:
            return url_file_name(self.url) or self.url
        return self.result_name

    @property
    def result_name(self) -> str:
        if self.name:
            return self.name
        if self.source is not None:
            return self.source.stem
        if self.url is not None:
            return clean_name(Path(url_file_name(self.url)).stem) or "download"
        if self.reference is not None:
            return clean_name(f"{self.reference.stem}-voice")
        return f"sep_type-{self.sep_type}"


def clean_name(text: str, limit: int = 60) -> str:
    """A folder name from any text (a prompt, a link): letters, digits, `-` and `_` only."""
    return re.sub(r"[^\w-]+", "_", text).strip("_-")[:limit].strip("_-")


def url_file_name(url: str) -> str:
    return unquote(PurePosixPath(urlsplit(url).path).name)


def remote_type_of(url: str) -> str:
    """MEGA, Google Drive and Dropbox links need their own fetcher; anything else is a download."""
    host = (urlsplit(url).hostname or "").lower()
    for domain, kind in _REMOTE_HOSTS.items():
        if host == domain or host.endswith("." + domain):
            return kind
    return "direct"


#: the config of the models a command reads only after it has sent its request: pydantic builds
#: their validators at first use instead of at import, so the request reaches the daemon sooner
AFTER_SUBMIT = ConfigDict(defer_build=True)

#: what a result file holds, by its extension (MVSEP also returns MIDI and transcripts)
FileKind = Literal["audio", "midi", "text", "other"]
_KINDS_BY_SUFFIX = {".mid": "midi", ".midi": "midi", ".txt": "text", ".srt": "text", ".vtt": "text",
                    ".json": "text", ".lrc": "text"}


def file_kind(name: str) -> FileKind:
    return _KINDS_BY_SUFFIX.get(Path(name).suffix.lower(), "other")  # type: ignore[return-value]


class ResultFile(BaseModel):
    """A result that is not an aligned audio stem (MIDI, a transcript, ...)."""

    model_config = AFTER_SUBMIT

    name: str
    file: str  # relative to the job's result folder
    kind: FileKind = "other"


class StemInfo(BaseModel):
    model_config = AFTER_SUBMIT

    name: str
    file: str  # relative to the job's result folder
    sample_rate: int | None = None
    frames: int | None = None
    shift: int | None = None  # samples removed (+) or added (-) to align with the section


class JobView(BaseModel):
    """What a bridge is told about a job (status, listings, events)."""

    model_config = AFTER_SUBMIT

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

    model_config = AFTER_SUBMIT

    job: JobView
    kind: EventKind


class Usage(BaseModel):
    """Where jobs run and what they have spent, for a status display."""

    model_config = AFTER_SUBMIT

    backend: str  # mvsep | local
    base_url: str | None = None  # the server, for mvsep
    premium: bool | None = None  # the account's plan, as last read (None: not known / no account)
    credits_left: float | None = None  # the account's balance, as last read
    credits_today: float = 0.0  # charged since local midnight (cancelled jobs refunded)
    max_credits_per_day: int | None = None
    max_credits_per_job: int | None = None


class Estimate(BaseModel):
    """What a request would cost before it is sent (None: not known without reading the file)."""

    model_config = AFTER_SUBMIT

    sep_type: int
    algorithm: str
    seconds: float | None = None
    credits: float | None = None

def result_folder(request: JobRequest) -> Path:
    """`<destination>/<source name>/` (DESIGN.md "Output"); the destination defaults to the source's folder."""
    base = request.destination or request.source.parent  # type: ignore[union-attr]  # see the validator
    return base / request.result_name
