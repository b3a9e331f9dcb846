"""The job store: one SQLite file (WAL) under data_dir, one row per job.

Every state change is a committed row, so a daemon killed at any instant restarts from the last
committed step (see pipeline.py for what each step persists before it acts).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..backends.base import Plan, RemoteFile
from ..errors import UsageError, shown
from .model import JobRequest, JobState, JobView, ResultFile, StemInfo, new_job_id

STORE_FILE = "jobs.sqlite3"  # in the data dir

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    backend TEXT,
    fingerprint TEXT,
    section TEXT,
    plan TEXT,
    reference TEXT,
    create_attempted_at REAL,
    create_snapshot TEXT,
    remote_hash TEXT,
    remote_status TEXT,
    remote_files TEXT,
    reused_from TEXT,
    submitted_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    queue_position INTEGER,
    queue_count INTEGER,
    chunks_done INTEGER,
    chunks_total INTEGER,
    progress REAL,
    credits REAL,
    message TEXT,
    error TEXT,
    result_dir TEXT,
    stems TEXT,
    other_files TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
"""
INDEXES = "CREATE INDEX IF NOT EXISTS jobs_fingerprint ON jobs (fingerprint, state);"

# columns holding JSON (decoded on read, encoded on write)
@dataclass
class Section:
    """The prepared section: what was uploaded, so finish can align the stems against it."""

    start_frame: int
    frames: int
    sample_rate: int
    channels: int
    audio_hash: str
    source_sha256: str
    upload: str  # file name of the encoded section inside the job's work dir
    # the source's own audio uploaded around the section (frames), trimmed after alignment
    margin_before: int = 0
    margin_after: int = 0

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate

    @property
    def uploaded_seconds(self) -> float:
        """What the server separates, and charges for: the section and its margins."""
        return (self.margin_before + self.frames + self.margin_after) / self.sample_rate


@dataclass
class Job:
    """A row of the store, typed."""

    id: str
    request: JobRequest
    state: JobState
    created_at: float
    updated_at: float
    backend: str | None = None
    fingerprint: str | None = None
    section: Section | None = None
    plan: Plan | None = None
    reference: Section | None = None  # the prepared reference (matchering) or voice (cloning)
    create_attempted_at: float | None = None
    create_snapshot: str | None = None
    remote_hash: str | None = None
    remote_status: str | None = None
    remote_files: list[RemoteFile] = field(default_factory=list)
    reused_from: str | None = None  # the job whose server result the ledger reuses
    submitted_at: float | None = None
    attempts: int = 0
    queue_position: int | None = None
    queue_count: int | None = None
    chunks_done: int | None = None
    chunks_total: int | None = None
    progress: float | None = None
    credits: float | None = None
    message: str | None = None
    error: str | None = None
    result_dir: str | None = None
    stems: list[StemInfo] = field(default_factory=list)
    other_files: list[ResultFile] = field(default_factory=list)
    cancel_requested: bool = False

    def view(self) -> JobView:
        return JobView(
            id=self.id,
            state=self.state,
            request=self.request,
            backend=self.backend,
            remote_hash=self.remote_hash,
            remote_status=self.remote_status,
            queue_position=self.queue_position,
            queue_count=self.queue_count,
            chunks_done=self.chunks_done,
            chunks_total=self.chunks_total,
            progress=self.progress,
            credits=self.credits,
            message=self.message,
            error=self.error,
            result_dir=Path(self.result_dir) if self.result_dir else None,
            stems=self.stems,
            other_files=self.other_files,
            prepared=self.section is not None,
            created_at=datetime.fromtimestamp(self.created_at, timezone.utc),
            updated_at=datetime.fromtimestamp(self.updated_at, timezone.utc),
        )


_COLUMNS = [f.name for f in fields(Job)]


def _encode(name: str, value: Any) -> Any:
    if name == "request":
        return value.model_dump_json()
    if name in ("section", "plan", "reference"):
        return json.dumps(asdict(value)) if value is not None else None
    if name == "remote_files":
        return json.dumps([asdict(f) for f in value])
    if name in ("stems", "other_files"):
        return json.dumps([s.model_dump() for s in value])
    if name == "state":
        return str(value)
    if name == "cancel_requested":
        return int(bool(value))
    return value


def _decode(row: sqlite3.Row) -> Job:
    present = set(row.keys())  # a read-only look at an older store lacks the newer columns
    values = {name: row[name] if name in present else None for name in _COLUMNS}
    values["request"] = JobRequest.model_validate_json(values["request"])
    values["state"] = JobState(values["state"])
    values["section"] = Section(**json.loads(values["section"])) if values["section"] else None
    values["reference"] = Section(**json.loads(values["reference"])) if values["reference"] else None
    values["plan"] = Plan(**json.loads(values["plan"])) if values["plan"] else None
    values["remote_files"] = [RemoteFile(**f) for f in json.loads(values["remote_files"] or "[]")]
    values["stems"] = [StemInfo(**s) for s in json.loads(values["stems"] or "[]")]
    values["other_files"] = [ResultFile(**f) for f in json.loads(values["other_files"] or "[]")]
    values["cancel_requested"] = bool(values["cancel_requested"])
    return Job(**values)


class JobStore:
    """Thread-safe access to the jobs table; every method commits before it returns."""

    def __init__(self, path: Path, *, read_only: bool = False):
        self.path = path
        self._lock = threading.RLock()
        if read_only:  # a listing beside (or without) a daemon: never creates or changes a file
            self._conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True,
                                         check_same_thread=False, isolation_level=None, timeout=30)
            self._conn.row_factory = sqlite3.Row
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")  # a committed step survives power loss too
        self._conn.executescript(SCHEMA)
        self._add_new_columns()
        self._conn.executescript(INDEXES)

    def _add_new_columns(self) -> None:
        """A store written by an older version gets the columns added since (NULL/default)."""
        have = {row[1] for row in self._conn.execute("PRAGMA table_info(jobs)")}
        for name, definition in re.findall(r"^    (\w+) ([A-Z].*?),?$", SCHEMA, flags=re.M):
            if name not in have:
                self._conn.execute(f"ALTER TABLE jobs ADD COLUMN {name} {definition}")

    @classmethod
    def read_only(cls, path: Path) -> JobStore | None:
        """The store for reading, or None when there is none yet (no job ever ran here)."""
        if not path.is_file():
            return None
        try:
            return cls(path, read_only=True)
        except sqlite3.Error:
            return None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def add(self, request: JobRequest, **initial: Any) -> Job:
        now = time.time()
        job = Job(id=new_job_id(), request=request, state=JobState.QUEUED,
                  created_at=now, updated_at=now, **initial)
        names = [n for n in _COLUMNS]
        with self._lock:
            self._conn.execute(
                f"INSERT INTO jobs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [_encode(n, getattr(job, n)) for n in names],
            )
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            row = self._conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise UsageError(f"no job {shown(job_id)}", hint="`mvsep-bridge jobs` lists the known jobs")
        return _decode(row)

    def update(self, job_id: str, **changes: Any) -> Job:
        """Commit `changes` to one job and return the job as stored."""
        unknown = set(changes) - set(_COLUMNS)
        if unknown:
            raise TypeError(f"unknown job fields {sorted(unknown)}")
        changes["updated_at"] = time.time()
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._lock:
            self._conn.execute(
                f"UPDATE jobs SET {assignments} WHERE id = ?",
                [_encode(n, v) for n, v in changes.items()] + [job_id],
            )
            return self.get(job_id)

    def all(self) -> list[Job]:
        """Every job, newest first."""
        with self._lock:
            rows = self._conn.execute("SELECT * FROM jobs ORDER BY seq DESC").fetchall()
        return [_decode(r) for r in rows]

    def unfinished(self) -> list[Job]:
        """Jobs a restart must pick up, oldest first (the queue order)."""
        final = [str(s) for s in JobState if s.final]
        with self._lock:
            rows = self._conn.execute(
                f"SELECT * FROM jobs WHERE state NOT IN ({', '.join('?' * len(final))}) ORDER BY seq",
                final,
            ).fetchall()
        return [_decode(r) for r in rows]

    def done_with(self, fingerprint: str, exclude: str) -> list[Job]:
        """Finished jobs with the same audio and settings (the ledger), newest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM jobs WHERE fingerprint = ? AND state = ? AND id != ? ORDER BY seq DESC",
                (fingerprint, str(JobState.DONE), exclude),
            ).fetchall()
        return [_decode(r) for r in rows]

    def credits_since(self, since: float) -> float:
        """Credits of jobs submitted since `since` (epoch seconds), for the day budget."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COALESCE(SUM(credits), 0) FROM jobs WHERE submitted_at >= ? AND state != ?",
                (since, str(JobState.CANCELLED)),
            ).fetchone()
        return float(row[0])
