"""Persistence: one SQLite file of JSON documents (accounts, jobs, remote fetches, quality checker
entries, counters), so a killed emulator restarted on the same `--state` directory finds
everything as it was. Each write is its own committed transaction: a `kill -9` loses nothing
that was answered."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any


class Store:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS docs (kind TEXT, key TEXT, body TEXT, PRIMARY KEY (kind, key))"
        )
        self._lock = threading.Lock()

    def put(self, kind: str, key: str, body: Any) -> None:
        text = json.dumps(body)
        with self._lock:
            self._db.execute(
                "INSERT INTO docs (kind, key, body) VALUES (?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET body = excluded.body",
                (kind, key, text),
            )

    def get(self, kind: str, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM docs WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
        return json.loads(row[0]) if row else default

    def all(self, kind: str) -> list[Any]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM docs WHERE kind = ? ORDER BY rowid", (kind,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def delete(self, kind: str, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM docs WHERE kind = ? AND key = ?", (kind, key))

    def close(self) -> None:
        with self._lock:
            self._db.close()
