"""The page's side panel: where jobs run and the credits spent today against the budgets
(Engine.usage), hot folders with their counts, the bridges that listen (Engine.listening)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from mvsep_bridge.bridges.hotfolder.layout import DONE, FAILED, PROCESSING, is_companion, is_temporary
from mvsep_bridge.daemon.engine import Settings, Usage


class HotFolderCount(BaseModel):
    path: str
    preset: str
    present: bool
    processing: int
    done: int
    failed: int


class Overview(BaseModel):
    usage: Usage
    left_today: float | None  # None: no day budget
    hot_folders: list[HotFolderCount]
    listening: dict[str, str]


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


def overview(usage: Usage, settings: Settings, listening: dict[str, str]) -> Overview:
    per_day = usage.max_credits_per_day
    left = max(per_day - usage.credits_today, 0.0) if per_day is not None else None
    return Overview(usage=usage, left_today=left, hot_folders=hot_folder_counts(settings), listening=listening)
