"""The quality checker: a queue of submitted zips, leaderboards per dataset (sort by a stem's
SDR, filter by name), entries, and deletion with the entry's password. A submitted zip is
"evaluated" after a few seconds with scores derived from its bytes (deterministic)."""

from __future__ import annotations

import hashlib
import secrets
import threading
import zipfile
from pathlib import Path

from .clock import Clock
from .responses import Rejected
from .sitedata import DATASETS, QC_SEED
from .store import Store

EVALUATION_SECONDS = 2.0


class QualityChecker:
    def __init__(self, store: Store, clock: Clock, folder: Path):
        self._store = store
        self._clock = clock
        self._folder = folder
        self._lock = threading.Lock()
        if store.get("qc_meta", "seeded") is None:
            self._seed()

    def _seed(self) -> None:
        now = self._clock.now()
        for number, entry in enumerate(QC_SEED):
            created = now - (len(QC_SEED) - number) * 86400
            self._save({
                "id": 7600 + number, "dataset_type": entry["dataset_type"],
                "created": created, "algo_name": entry["algo_name"],
                "main_text": entry["main_text"], "ensemble": 0,
                "password": secrets.token_hex(8), "sdr": entry["sdr"],
            })
        self._store.put("qc_meta", "seeded", True)
        self._store.put("qc_meta", "next_id", 7600 + len(QC_SEED) + 100)

    def _save(self, entry: dict) -> None:
        self._store.put("qc", str(entry["id"]), entry)

    def _view(self, entry: dict) -> dict:
        """An entry as the API shows it (never its password)."""
        name, stems = DATASETS[entry["dataset_type"]]
        evaluated = entry.get("sdr") is not None or (
            self._clock.now() - entry["created"] >= EVALUATION_SECONDS)
        sdr = entry.get("sdr") or (_scores(entry["digest"], stems) if evaluated else {})
        view = {
            "id": entry["id"], "dataset_type": entry["dataset_type"],
            "date": self._clock.stamp(entry["created"]), "algo_name": entry["algo_name"],
            "main_text": entry["main_text"], "proc": 1 if evaluated else 0,
            "proc_remote_date": self._clock.stamp(entry["created"] + EVALUATION_SECONDS)
            if evaluated else None,
            "msg": "OK" if evaluated else "", "ensemble": entry.get("ensemble", 0),
            "metrics": {f"sdr_{s}": sdr[s] for s in sdr}, "dataset_name": name,
        }
        view.update({f"sdr_{s}": sdr.get(s) for s in stems})
        return view

    def _entries(self) -> list[dict]:
        return sorted(self._store.all("qc"), key=lambda e: e["created"], reverse=True)

    def queue(self, start: int, limit: int) -> list[dict]:
        return [self._view(e) for e in self._entries()[start:start + limit]]

    def leaderboard(self, dataset_type: str, start: int, limit: int, name_filter: str,
                    sort: str | None) -> dict:
        if dataset_type not in DATASETS:
            raise Rejected(f"dataset_type {dataset_type!r} is unknown; use one of "
                           f"{', '.join(DATASETS)}", shape="fields", field="dataset_type")
        sortables = [f"sdr_{s}" for s in DATASETS[dataset_type][1]]
        sort = sort or sortables[0]
        if sort not in sortables:
            raise Rejected(f"sort {sort!r} is not sortable for dataset_type {dataset_type}; use "
                           f"one of {', '.join(sortables)}", shape="fields", field="sort")
        rows = [self._view(e) for e in self._entries() if e["dataset_type"] == dataset_type]
        rows = [r for r in rows if r["proc"] == 1
                and name_filter.lower() in r["algo_name"].lower()]
        rows.sort(key=lambda r: r[sort] if r[sort] is not None else float("-inf"), reverse=True)
        return {"data": rows[start:start + limit], "dataset_type": dataset_type,
                "sortables": sortables, "sort": sort}

    def entry(self, entry_id: str) -> dict:
        entry = self._store.get("qc", str(entry_id))
        if entry is None:
            raise Rejected(f"no quality checker entry {entry_id}", status=404)
        return self._view(entry)

    def add(self, *, zip_path: Path, algo_name: str, main_text: str, dataset_type: str,
            password: str, ensemble: int) -> dict:
        if not zipfile.is_zipfile(zip_path):
            raise Rejected("zipfile must be a zip archive of the separated stems",
                           shape="fields", field="zipfile")
        digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
        with self._lock:
            entry_id = int(self._store.get("qc_meta", "next_id"))
            self._store.put("qc_meta", "next_id", entry_id + 1)
        self._folder.mkdir(parents=True, exist_ok=True)
        zip_path.replace(self._folder / f"{entry_id}.zip")
        entry = {"id": entry_id, "dataset_type": dataset_type, "created": self._clock.now(),
                 "algo_name": algo_name, "main_text": main_text, "ensemble": ensemble,
                 "password": password, "digest": digest, "sdr": None}
        self._save(entry)
        return entry

    def delete(self, entry_id: str, password: str) -> None:
        entry = self._store.get("qc", str(entry_id))
        if entry is None:
            raise Rejected(f"no quality checker entry {entry_id}")
        if not secrets.compare_digest(entry["password"], password):
            raise Rejected("wrong password for this entry")
        self._store.delete("qc", str(entry_id))
        (self._folder / f"{entry_id}.zip").unlink(missing_ok=True)


def _scores(digest: str, stems: list[str]) -> dict[str, float]:
    """Plausible SDRs (dB) from the zip's hash: the same zip always scores the same."""
    return {s: round(4.0 + int(digest[2 * i:2 * i + 4], 16) / 65535 * 8.0, 2)
            for i, s in enumerate(stems)}
