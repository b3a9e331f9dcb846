"""The spool's wire data (see the package docstring): request and status files as pydantic models,
where each file lives, and the atomic write both sides use."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from mvsep_bridge.daemon.engine import write_text

PROTOCOL = 1
REQUEST_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$"  # a file name on every OS, no path
SPOOL_NAME = "reaper-spool"


def spool_dir(data_dir: Path) -> Path:
    """One spool per daemon data dir (install-reaper tells the scripts where)."""
    return Path(data_dir) / SPOOL_NAME


def _absolute_path(value: Path) -> Path:
    if not value.is_absolute():  # relative to what? never the daemon's working directory
        raise ValueError(f"must be an absolute path, got {str(value)!r}")
    return value


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeparateRequest(_Wire):
    kind: Literal["separate"]
    id: str = Field(pattern=REQUEST_ID)
    source: Path
    start: float | None = Field(default=None, ge=0)
    length: float | None = Field(default=None, gt=0)
    sep_type: int | None = None
    options: dict[str, str] = Field(default_factory=dict)
    output_format: int | None = None
    destination: Path
    label: str = ""  # how the script names the item (logs)

    @field_validator("source", "destination")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return _absolute_path(value)


class GenerateRequest(_Wire):
    """No audio in (generation, speech): the text options are the input."""

    kind: Literal["generate"]
    id: str = Field(pattern=REQUEST_ID)
    sep_type: int
    options: dict[str, str] = Field(default_factory=dict)  # the prompt is data here, nothing runs it
    output_format: int | None = None
    destination: Path
    label: str = ""

    @field_validator("destination")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return _absolute_path(value)


class CancelRequest(_Wire):
    kind: Literal["cancel"]
    id: str = Field(pattern=REQUEST_ID)
    target: str = Field(pattern=REQUEST_ID)  # the id of the separate request to cancel


Request = Annotated[SeparateRequest | GenerateRequest | CancelRequest, Field(discriminator="kind")]
REQUEST = TypeAdapter(Request)


class StemFile(BaseModel):
    name: str
    path: Path  # absolute
    sample_rate: int | None = None
    frames: int | None = None


class OtherFile(BaseModel):
    name: str
    path: Path  # absolute
    kind: str  # midi | text | audio | other


class Status(BaseModel):
    """<spool>/status/<request id>.json; `state` is a JobState value, or "rejected" when the
    request never became a job (bad file, refused by the engine)."""

    protocol: int = PROTOCOL
    id: str
    job: str | None = None
    state: str
    message: str | None = None
    error: str | None = None
    hint: str | None = None
    progress: float | None = None
    queue_position: int | None = None
    queue_count: int | None = None
    chunks_done: int | None = None
    chunks_total: int | None = None
    credits: float | None = None
    result_dir: Path | None = None
    stems: list[StemFile] = Field(default_factory=list)
    other_files: list[OtherFile] = Field(default_factory=list)  # MIDI, transcripts: placed by the scripts
    updated: float = Field(default_factory=time.time)


class Layout:
    """Where things are in a spool folder."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.requests = self.root / "requests"
        self.rejected = self.requests / "rejected"
        self.status = self.root / "status"
        self.heartbeat = self.root / "daemon.json"
        self.catalog = self.root / "catalog.json"

    def ensure(self) -> None:
        for folder in (self.requests, self.rejected, self.status):
            folder.mkdir(parents=True, exist_ok=True)

    def status_of(self, request_id: str) -> Path:
        return self.status / f"{request_id}.json"


def write_atomic(path: Path, data: object) -> None:
    """Readers see the old file or the new one, never a part: write a temp file, then rename."""
    write_text(path, data.model_dump_json() if isinstance(data, BaseModel) else json.dumps(data, ensure_ascii=False))
