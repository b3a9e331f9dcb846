"""How long the server takes per second of audio, per algorithm, learned from finished jobs and
remembered in the data dir (pace.json), so a restarted daemon (a login, a crash) starts warm.

The file: {"version": 1, "servers": {"<backend> <base url>": {"<sep_type>": [[rate, at], …]}}},
rate in server seconds per second of audio, at in epoch seconds; written whole or not at all
(files.write_text). A missing, unreadable or foreign file is ignored with a log line: the pace is
then learned again from the next jobs, as on a first start.

Trust: the first job of an algorithm seen done in this run replaces what was remembered for it
(the server now says more than any older memory), and a memory older than MAX_AGE is forgotten.
A pace can still be wrong in either direction (MVSEP's load changes by the hour); what bounds
the harm of one that is too slow is the scheduler's (see scheduler.LATE_SHARE).
"""

from __future__ import annotations

import collections
import logging
import math
import statistics
import threading
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from ..files import write_text
from .store import Job

log = logging.getLogger("mvsep_bridge.jobs")

PACE_FILE = "pace.json"  # in the data dir
KEEP = 5  # jobs per algorithm: the median of the last few, so one slow job does not stall the rest
#: models and hardware on the server change over weeks: a pace older than this is more likely
#: wrong than right, and forgetting it costs one cold start
MAX_AGE = 30 * 86400.0


#: sep_type -> [(rate, at)], oldest first
Paces = dict[int, list[tuple[float, float]]]


class PaceFile(BaseModel):
    version: Literal[1] = 1
    servers: dict[str, Paces] = {}


def server_key(backend: str, base_url: str) -> str:
    """Whose pace it is: the backend and the server it talks to (never the token)."""
    return f"{backend} {base_url}"


class ServerPace:
    """The pace of one server. `path` None: in memory only."""

    def __init__(self, path: Path | None = None, server: str = "", keep: int = KEEP):
        self._path = path
        self._server = server
        self._keep = keep
        self._lock = threading.Lock()
        self._fresh: set[int] = set()  # algorithms learned in this run
        self._others: dict[str, Paces] = {}  # other servers' paces, kept
        self._seen: dict[int, collections.deque[tuple[float, float]]] = {}
        if path is not None:
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            remembered = PaceFile.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            log.info("no server pace remembered yet (%s): learning it from the first jobs", path)
            return
        except (OSError, ValidationError) as exc:
            problem = exc.strerror if isinstance(exc, OSError) else f"not one of this version: {exc.errors()[0]['msg']}"
            log.warning("ignoring the remembered server pace in %s (%s); learning it again from the next jobs",
                        path, problem)
            return
        servers = {name: _recent(paces, time.time() - MAX_AGE) for name, paces in remembered.servers.items()}
        self._others = {name: paces for name, paces in servers.items() if paces and name != self._server}
        for sep_type, samples in servers.get(self._server, {}).items():
            self._seen[sep_type] = collections.deque(samples, maxlen=self._keep)
        if self._seen:
            log.info("server pace remembered for sep_type %s", ", ".join(map(str, sorted(self._seen))))

    def learn(self, job: Job, took: float, now: float) -> None:
        """`job` took `took` seconds on the server (from its upload's end to its own): its pace
        counts from now on (and is remembered)."""
        if job.plan is None or job.section is None or job.reused_from:
            return
        rate = took / max(job.section.seconds, 1.0)
        sep_type = job.plan.sep_type
        with self._lock:
            if sep_type not in self._fresh:
                self._fresh.add(sep_type)
                self._seen.pop(sep_type, None)  # what this run sees replaces what was remembered
            self._seen.setdefault(sep_type, collections.deque(maxlen=self._keep)).append((rate, now))
            if self._path is not None:
                self._save(self._path)

    def _save(self, path: Path) -> None:
        ours = {sep_type: list(samples) for sep_type, samples in self._seen.items()}
        text = PaceFile(servers={**self._others, self._server: ours}).model_dump_json()
        try:
            write_text(path, text)
        except OSError as exc:  # a full disk: the pace still works in memory
            log.warning("cannot remember the server pace in %s (%s)", path, exc.strerror or exc)

    def duration(self, job: Job) -> float | None:
        """How long `job` should take on the server, by the jobs seen so far (None: none seen yet)."""
        if job.plan is None or job.section is None:
            return None
        with self._lock:
            samples = self._seen.get(job.plan.sep_type)
            if not samples:
                return None
            rate = statistics.median(rate for rate, _ in samples)
        return rate * max(job.section.seconds, 1.0)


def _recent(paces: Paces, oldest: float) -> Paces:
    """The samples since `oldest` that make sense, per algorithm (none: the algorithm is left out)."""
    kept = {sep_type: [(rate, at) for rate, at in samples if at >= oldest and 0 < rate < math.inf]
            for sep_type, samples in paces.items()}
    return {sep_type: samples for sep_type, samples in kept.items() if samples}
