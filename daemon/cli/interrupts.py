"""Ctrl-C held back while the daemon starts a stream (play, record), so the command always learns
which stream is its own before it stops it."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def uninterrupted(call: Callable[[], T]) -> tuple[T, bool]:
    """`call()`'s answer, and whether Ctrl-C was pressed meanwhile (then acted on by the caller)."""
    pressed: list[bool] = []
    previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
    try:
        return call(), bool(pressed)
    finally:
        signal.signal(signal.SIGINT, previous)
