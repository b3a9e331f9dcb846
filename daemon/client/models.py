"""Wire models for MVSEP's answers (API.md), tolerant by design: the real service has changed
shapes over time, so unknown keys are kept, numbers may come as strings, files may carry `bytes`
or only a human `size`, and old answers say `name`/`link` where new ones say `download`/`url`."""

from __future__ import annotations

import html
import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

_SIZE = re.compile(r"^\s*([\d.,]+)\s*([kmgt]?i?b|bytes?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "byte": 1, "bytes": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
FREE_CONCURRENCY = 1
PREMIUM_CONCURRENCY = 10
_HASH_TIME = re.compile(r"^(\d{14})-")


def parse_size(text: str | None) -> int | None:
    """'5.70 MB' → 5976883 (binary units, as MVSEP computes them); None if not a size."""
    if not text:
        return None
    match = _SIZE.match(str(text))
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or "").lower()
    factor = _UNITS.get(unit) or _UNITS.get(unit[:1], 1)
    return int(number * factor)


def clean_url(url: str | None) -> str | None:
    r"""Undo the escaping seen in MVSEP answers: JSON-escaped slashes (`https:\/\/…`) surviving as
    text, and HTML entities (`&amp;`)."""
    if url is None:
        return None
    return html.unescape(str(url).strip().replace("\\/", "/"))


def hash_time(job_hash: str) -> datetime | None:
    """The server's creation time encoded in a hash `YYYYMMDDhhmmss-<hex>-<name>`."""
    match = _HASH_TIME.match(job_hash or "")
    return datetime.strptime(match.group(1), "%Y%m%d%H%M%S") if match else None


def hash_file_name(job_hash: str) -> str | None:
    """The cleaned upload name at the end of a hash, if the hash has the usual shape."""
    parts = (job_hash or "").split("-", 2)
    return parts[2] if len(parts) == 3 and _HASH_TIME.match(job_hash) else None


def as_list(payload: Any) -> list[Any]:
    """A listing that may come bare (`[…]`), wrapped (`{"data": […]}`) or keyed by index."""
    if isinstance(payload, dict):
        payload = payload.get("data", payload)
    if isinstance(payload, dict):
        payload = list(payload.values())
    return list(payload or [])


class Wire(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True)


def _to_bool(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false", ""):
        return value.strip().lower() in ("1", "true")
    return value


# ---------------------------------------------------------------- separation jobs


class SeparationStatus(StrEnum):
    NOT_FOUND = "not_found"
    WAITING = "waiting"
    PROCESSING = "processing"
    DISTRIBUTING = "distributing"
    MERGING = "merging"
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"  # a status this client does not know yet: keep polling

    @classmethod
    def _missing_(cls, value: object) -> SeparationStatus:
        return cls.UNKNOWN

    @property
    def final(self) -> bool:
        return self in (SeparationStatus.DONE, SeparationStatus.FAILED, SeparationStatus.NOT_FOUND)


class CreatedJob(Wire):
    """Answer to separation/create: the hash names the job from now on."""

    hash: str
    link: str | None = None

    @field_validator("link", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean_url(value)


class ResultFile(Wire):
    """One downloadable file of a finished job."""

    url: str
    download: str | None = None  # the file name MVSEP suggests
    size: str | None = None  # human text, e.g. "5.70 MB"
    bytes: int | None = None  # exact length, when the server gives it
    type: str | None = None  # stem label, e.g. "Vocals"

    @model_validator(mode="before")
    @classmethod
    def _legacy_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = dict(value)
            if not value.get("url") and value.get("link"):
                value["url"] = value["link"]
            if not value.get("download") and value.get("name"):
                value["download"] = value["name"]
            if value.get("bytes") in ("", None):
                value["bytes"] = None
        return value

    @field_validator("url", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean_url(value)

    @property
    def file_name(self) -> str:
        """A bare file name: the server's name may carry folders ("../../x", "/tmp/x", "a\\b")
        and must never place a file outside the folder it is saved in."""
        name = self.download or self.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        name = re.split(r"[/\\]", name)[-1].strip()
        return name if name not in ("", ".", "..") else "result"

    @property
    def approx_bytes(self) -> int | None:
        return self.bytes if self.bytes is not None else parse_size(self.size)


class InputFile(Wire):
    url: str | None = None
    size: str | None = None
    download: str | None = None

    @field_validator("url", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean_url(value)


class SeparationData(Wire):
    message: str | None = None
    queue_count: int | None = None
    current_order: int | None = None
    finished_chunks: int | None = None
    all_chunks: int | None = None
    algorithm: str | None = None
    algorithm_description: str | None = None
    output_format: str | None = None
    tags: Any = None
    input_file: InputFile | None = None
    files: list[ResultFile] = Field(default_factory=list)
    date: str | None = None
    size: str | None = None

    @field_validator("files", mode="before")
    @classmethod
    def _files_listing(cls, value: Any) -> Any:
        return as_list(value) if value else []

    @field_validator("input_file", mode="before")
    @classmethod
    def _input_file(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None


class Separation(Wire):
    """Answer to separation/get. `success: false` (unknown or expired hash) is NotFound upstream."""

    success: bool = True
    status: SeparationStatus = SeparationStatus.UNKNOWN
    data: SeparationData = Field(default_factory=SeparationData)

    @field_validator("data", mode="before")
    @classmethod
    def _data(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}

    @property
    def files(self) -> list[ResultFile]:
        return self.data.files

    @property
    def message(self) -> str | None:
        return self.data.message


class RemoteData(Wire):
    message: str | None = None
    queue_count: int | None = None
    current_order: int | None = None
    link: str | None = None
    hash: str | None = None

    @field_validator("link", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean_url(value)


class RemoteSeparation(Wire):
    """Answer to separation/get-remote: when done, `data.hash` is the normal job's hash."""

    success: bool = True
    status: SeparationStatus = SeparationStatus.UNKNOWN
    data: RemoteData = Field(default_factory=RemoteData)

    @field_validator("data", mode="before")
    @classmethod
    def _data(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}


# ---------------------------------------------------------------- account


class UserInfo(Wire):
    """login / user: `premium_minutes` is the credit balance."""

    name: str | None = None
    email: str | None = None
    api_token: SecretStr | None = None
    premium_minutes: float | None = None
    premium_enabled: bool = False
    long_filenames_enabled: bool = False
    current_queue: Any = None

    @field_validator("premium_enabled", "long_filenames_enabled", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        return _to_bool(value)

    @field_validator("premium_minutes", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @property
    def credits(self) -> float | None:
        return self.premium_minutes

    @property
    def concurrency_limit(self) -> int:
        """Jobs the account may run at once (API.md: premium 10, otherwise 1)."""
        return PREMIUM_CONCURRENCY if self.premium_enabled else FREE_CONCURRENCY

    @property
    def running_jobs(self) -> int | None:
        """How many of the user's jobs are on the server now (current_queue), when countable."""
        queue = self.current_queue
        if isinstance(queue, (list, dict)):
            return len(queue)
        if isinstance(queue, (int, float)) or (isinstance(queue, str) and queue.isdigit()):
            return int(queue)
        return None


class HistoryEntry(Wire):
    hash: str
    job_exists: bool | None = None
    credits: float | None = None
    time_left: float | None = None  # hours until the result is deleted
    algorithm: Any = None  # an object like /api/app/algorithms entries, or a name

    @field_validator("job_exists", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        return _to_bool(value)

    @field_validator("credits", "time_left", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @property
    def sep_type(self) -> int | None:
        algorithm = self.algorithm
        if isinstance(algorithm, dict):
            value = algorithm.get("render_id", algorithm.get("sep_type"))
        else:
            value = algorithm if isinstance(algorithm, int) else None
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    @property
    def algorithm_name(self) -> str | None:
        if isinstance(self.algorithm, dict):
            return self.algorithm.get("name")
        return str(self.algorithm) if self.algorithm is not None else None

    @property
    def created(self) -> datetime | None:
        return hash_time(self.hash)


class Message(Wire):
    """`{success, message}` answers (register, the premium / long-filename switches, deletes)."""

    success: bool = True
    message: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _message_anywhere(cls, value: Any) -> Any:
        if isinstance(value, dict) and not value.get("message"):
            data = value.get("data")
            if isinstance(data, dict) and data.get("message"):
                value = {**value, "message": data["message"]}
        if isinstance(value, dict) and not isinstance(value.get("message"), (str, type(None))):
            value = {**value, "message": str(value["message"])}
        return value


# ---------------------------------------------------------------- site information


class NewsItem(Wire):
    title: str = ""
    lang: str | None = None
    text: str = ""
    created_at: str | None = None


class DemoItem(Wire):
    hash: str
    date: str | None = None
    input_audio: str | None = None
    size: str | None = None
    algorithm: Any = None

    @field_validator("input_audio", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean_url(value)


class QueueInfo(Wire):
    """app/queue: `queue` per plan, `plan` the caller's own (shapes vary: kept as sent)."""

    queue: Any = None
    plan: Any = None


# ---------------------------------------------------------------- quality checker


class QcEntry(Wire):
    """A quality checker entry; `sdr_<stem>` keys stay as extra fields (see `.sdr`)."""

    id: int
    dataset_type: str | None = None
    date: str | None = None
    algo_name: str | None = None
    main_text: str | None = None
    proc: str | None = None
    proc_remote_date: str | None = None
    msg: str | None = None
    metrics: Any = None
    dataset_name: str | None = None

    @property
    def sdr(self) -> dict[str, Any]:
        """stem → SDR, from the `sdr_<stem>` keys (top level or inside `metrics`)."""
        metrics = self.metrics if isinstance(self.metrics, dict) else {}
        found = {**metrics, **(self.model_extra or {})}
        return {k[4:]: v for k, v in found.items() if k.startswith("sdr_")}


class Leaderboard(Wire):
    data: list[QcEntry] = Field(default_factory=list)
    dataset_type: str | None = None
    sortables: Any = None
    sort: str | None = None

    @field_validator("data", mode="before")
    @classmethod
    def _entries(cls, value: Any) -> Any:
        return as_list(value) if value else []


class QcCreated(Wire):
    id: int
    link: str | None = None

    @field_validator("link", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean_url(value)
