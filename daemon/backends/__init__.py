"""Backends: where separation happens (base.py documents the interface)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..settings import Settings

if TYPE_CHECKING:
    from .base import Backend


def make_backend(settings: Settings) -> Backend:
    """settings.effective_backend: MVSEP with a token (auto), else the local engine."""
    if settings.effective_backend == "mvsep":
        from .mvsep import MvsepBackend

        return MvsepBackend.from_settings(settings)
    from .local import LocalBackend

    return LocalBackend(settings.data_dir)
