"""Logging for the daemon: a line per job state change to the platform log dir and to stderr.

The API token must never reach a log line: a filter on every handler masks it (and any
`api_token=` query value) whatever logged it, our code or a library's.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

import platformdirs

from .client.transport import mask_token
from .settings import APP, Settings

LOG_FILE = "mvsep-bridge.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP))


class MaskToken(logging.Filter):
    """Masks every token this process has known: a daemon that follows the config file learns
    new ones (`account login` as another user) and may still log about the old account's jobs."""

    tokens: set[str] = set()

    def __init__(self, token: str | None):
        super().__init__()
        mask_also(token)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _mask_all(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _mask_all(record.exc_text)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def mask_also(token: str | None) -> None:
    if token:
        MaskToken.tokens.add(token)


def _mask_all(text: str) -> str:
    text = mask_token(text)
    for token in MaskToken.tokens:
        text = text.replace(token, "***")
    return text


def setup(settings: Settings, *, stderr: bool = True, level: int = logging.INFO) -> Path:
    """Log mvsep_bridge.* to the log file (rotated) and stderr; returns the file's path."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    handlers: list[logging.Handler] = [
        logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    ]
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    mask = MaskToken(settings.token)
    root = logging.getLogger()
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(mask)
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("mvsep_bridge").setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per control request
    return path
