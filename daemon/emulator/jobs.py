"""Separation jobs: the record, their files on disk and the book that keeps them (persisted).

Life of a job: waiting → processing → done, or for inputs longer than `distribute_threshold`
waiting → distributing → merging → done; `failed` when the input cannot be decoded (credits
refunded); `cancelled` (refunded) only while waiting; after `result_ttl_hours` on the emulator
clock a finished job is `expired`: its files are deleted and the hash answers not_found."""

from __future__ import annotations

import re
import secrets
import shutil
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .store import Store

RUNNING = ("waiting", "processing", "distributing", "merging")


def clean_name(name: str) -> str:
    """A file name as MVSEP puts it in a hash: safe characters only."""
    name = Path(name or "audio").name.strip()
    name = re.sub(r"\s+", "-", name)
    name = re.sub(r"[^A-Za-z0-9._-]", "", name).strip(".-")
    return name[:80] or "audio"


def new_hash(now: float, file_name: str) -> str:
    stamp = datetime.fromtimestamp(now, timezone.utc).strftime("%Y%m%d%H%M%S")
    return f"{stamp}-{secrets.token_hex(5)}-{clean_name(file_name)}"


@dataclass
class Job:
    hash: str
    email: str
    sep_type: int
    algorithm: str
    widget: str  # single_upload | no_upload | matchering_upload
    options: dict[str, str]
    output_format: int
    is_demo: bool
    premium: bool
    long_filenames: bool
    input_name: str  # the cleaned name of the uploaded file
    inputs: dict[str, str]  # role (audiofile / target / reference) → file name in the job folder
    input_seconds: float
    credits: int
    created: float
    status: str = "waiting"
    phase_started: float = 0.0
    all_chunks: int = 0
    finished_chunks: int = 0
    message: str = ""
    files: list[dict] = field(default_factory=list)  # {file, type, bytes}
    done_at: float | None = None
    remote_hash: str | None = None
    processing_extra: float = 0.0  # seconds of processing on top of processing_seconds (jitter)


class JobBook:
    def __init__(self, store: Store, root: Path):
        self._store = store
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._jobs = {j["hash"]: Job(**j) for j in store.all("job")}

    def folder(self, job_hash: str) -> Path:
        return self.root / job_hash

    def save(self, job: Job) -> None:
        with self.lock:
            self._jobs[job.hash] = job
            self._store.put("job", job.hash, asdict(job))

    def get(self, job_hash: str) -> Job | None:
        return self._jobs.get(job_hash)

    def all(self) -> list[Job]:
        with self.lock:
            return sorted(self._jobs.values(), key=lambda j: (j.created, j.hash))

    def running(self, email: str | None = None) -> list[Job]:
        return [j for j in self.all() if j.status in RUNNING and (email is None or j.email == email)]

    def queue_position(self, job: Job) -> tuple[int, int]:
        """(queue_count, current_order) among the waiting jobs of the same plan."""
        same = [j for j in self.all() if j.status == "waiting" and j.premium == job.premium]
        order = next((i for i, j in enumerate(same, 1) if j.hash == job.hash), len(same))
        return len(same), order

    def drop_files(self, job: Job) -> None:
        shutil.rmtree(self.folder(job.hash), ignore_errors=True)
