"""The page's side panel: the backend and the budget, hot folders with their counts, the bridges
that listen. Built from the engine's settings and job list (the Engine has no account call: the
plan and the server's credit balance are not shown, the day's spending is the jobs' own)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from mvsep_bridge.bridges.hotfolder.layout import DONE, FAILED, PROCESSING, is_companion, is_temporary
from mvsep_bridge.daemon.engine import JobState, JobView, Settings


class Budget(BaseModel):
    backend: str
    server: str | None  # None for the local engine
    per_job: int | None
    per_day: int | None
    spent_today: float
    left_today: float | None


class HotFolderCount(BaseModel):
    path: str
    preset: str
    present: bool
    processing: int
    done: int
    failed: int


class Overview(BaseModel):
    budget: Budget
    hot_folders: list[HotFolderCount]
    bridges: dict[str, str]


def spent_since(jobs: list[JobView], since: float) -> float:
    """Credits of the jobs created on the server since `since` (epoch seconds) and not cancelled
    (a cancel is refunded): what the engine counts against the day budget."""
    return sum(job.credits or 0.0 for job in jobs
               if job.remote_hash and job.created_at.timestamp() >= since and job.state != JobState.CANCELLED)


def budget(settings: Settings, jobs: list[JobView], now: datetime) -> Budget:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    spent = spent_since(jobs, midnight)
    per_day = settings.budget.max_credits_per_day
    backend = settings.effective_backend
    return Budget(backend=backend, server=settings.base_url if backend == "mvsep" else None,
                  per_job=settings.budget.max_credits_per_job, per_day=per_day, spent_today=spent,
                  left_today=max(per_day - spent, 0.0) if per_day is not None else None)


def count_files(folder: Path) -> int:
    """Files under `folder` a user dropped (not sidecars, error notes or temporary names)."""
    if not folder.is_dir():
        return 0
    return sum(1 for path in folder.rglob("*")
               if path.is_file() and not is_companion(path.name) and not is_temporary(path.name))


def hot_folder_counts(settings: Settings) -> list[HotFolderCount]:
    return [HotFolderCount(path=str(folder.path), preset=folder.preset, present=folder.path.is_dir(),
                           processing=count_files(folder.path / PROCESSING),
                           done=count_files(folder.path / DONE), failed=count_files(folder.path / FAILED))
            for folder in settings.hot_folders]


def overview(settings: Settings, jobs: list[JobView], bridges: dict[str, str]) -> Overview:
    return Overview(budget=budget(settings, jobs, datetime.now()), hot_folders=hot_folder_counts(settings),
                    bridges=bridges)
