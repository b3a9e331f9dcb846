"""The offline backend: `localsep` in a worker thread, behind the same interface as MVSEP.

A handle names a folder under data_dir/local/ holding the work order (`order.json`) and, once
done, the stems as float32 wav. A handle from an earlier process whose run was cut short is simply
run again: local work costs nothing, so re-running is the reconciliation.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from .. import localsep
from ..audio import codecs
from ..audio.formats import FLOAT_WAV
from ..catalog import Catalog
from ..client.algorithms import Algorithm
from ..client.download import part_path
from ..files import replacing
from ..jobs.model import JobRequest
from ..kinds import local_refusal
from .base import LOCAL_WORDS, Inputs, Plan, Progress, ProgressCallback, RemoteFile

DONE_MARK = "done.json"


class _Cancelled(Exception):
    pass


@dataclass
class _Run:
    thread: threading.Thread
    fraction: float = 0.0
    error: str | None = None
    cancelled: bool = False


class LocalBackend:
    name = "local"
    words = LOCAL_WORDS
    retention_seconds = 0.0  # results live in the job's output folder, not here
    polls_per_minute = None

    def __init__(self, data_dir: Path):
        self.root = data_dir / "local"
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    def capacity(self) -> int:
        return 1  # one CPU-bound separation at a time; the machine has other work

    def algorithms(self) -> list[Algorithm]:
        """MVSEP's entries for the sep_types the local engine answers (same stems, no price)."""
        catalog = Catalog.snapshot()
        return [catalog.get(n).model_copy(update={"price_coefficient": 0.0})
                for n in localsep.available_models() if n in catalog]

    def warm_up(self) -> None:
        pass

    def account(self) -> None:
        return None  # no account: nothing to pay

    def plan(self, request: JobRequest, seconds: float, *, offline: bool = False) -> Plan:
        sep_type = request.sep_type if request.sep_type is not None else localsep.DEFAULT_SEP_TYPE
        refusal = local_refusal(sep_type, request)
        if refusal is not None:
            raise refusal
        model = localsep.available_models().get(sep_type)  # 20 is Demucs when it is installed
        if model is None:
            raise localsep.refuse(sep_type)
        if request.options and sep_type in (catalog := Catalog.snapshot()):
            # options do not change the local DSP, but are checked as MVSEP would check them, so a
            # preset that runs here is not refused once a token is set (premium: not our concern)
            catalog.validate(sep_type, request.options, premium=True)
        return Plan(sep_type=sep_type, algorithm=model.name, options=dict(request.options), credits=0)

    def snapshot(self) -> str:
        return ""  # nothing to reconcile: a lost local run is simply run again

    def create(self, inputs: Inputs, plan: Plan, request: JobRequest, snapshot: str,
               attempted_at: float | None, progress: ProgressCallback | None = None) -> str:
        handle = f"local-{uuid.uuid4().hex[:12]}"
        folder = self.root / handle
        folder.mkdir(parents=True)
        order = {"upload": str(inputs.audiofile), "sep_type": plan.sep_type, "options": plan.options}
        (folder / "order.json").write_text(json.dumps(order))
        self._start(handle)
        return handle

    def status(self, handle: str) -> Progress:
        folder = self.root / handle
        done = folder / DONE_MARK
        if done.exists():
            names = json.loads(done.read_text())
            files = [RemoteFile(url=str(folder / n), name=n, label=Path(n).stem) for n in names]
            return Progress(status="done", files=files, fraction=1.0)
        if not (folder / "order.json").exists():
            return Progress(status="not_found", message=f"no local work {handle}")
        with self._lock:
            run = self._runs.get(handle)
        if run is None:  # an earlier process was cut short: run it again
            run = self._start(handle)
        if run.error:
            return Progress(status="failed", message=run.error)
        return Progress(status="processing", fraction=run.fraction, message="separating locally")

    def running(self) -> None:
        return None  # status is a look at a folder: nothing to save

    def fetch(self, file: RemoteFile, dest: Path, progress: ProgressCallback | None = None) -> Path:
        # moved, not copied: a local result is read once (retention 0), so no copy is left behind
        partial = part_path(dest)
        if Path(file.url).exists():
            shutil.move(file.url, partial)
        os.replace(partial, dest)  # after a crash between the two, the .part is already whole
        if progress:
            progress(1.0)
        return dest

    def cancel(self, handle: str) -> bool:
        with self._lock:
            run = self._runs.get(handle)
        if run is not None:
            run.cancelled = True
        shutil.rmtree(self.root / handle, ignore_errors=True)
        return True

    def close(self) -> None:
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.cancelled = True

    def _start(self, handle: str) -> _Run:
        with self._lock:
            run = self._runs.get(handle)
            if run is None:
                run = _Run(thread=threading.Thread(target=self._separate, args=(handle,),
                                                   name=f"localsep-{handle}", daemon=True))
                self._runs[handle] = run
                run.thread.start()
        return run

    def _separate(self, handle: str) -> None:
        run = self._runs[handle]
        folder = self.root / handle
        try:
            order = json.loads((folder / "order.json").read_text())
            samples, rate = codecs.decode(order["upload"])

            def progress(fraction: float) -> None:
                if run.cancelled:
                    raise _Cancelled
                run.fraction = fraction

            stems = localsep.separate(samples, rate, order["sep_type"], order["options"], progress)
            names = []
            for stem, data in stems.items():
                name = f"{stem}.wav"
                with replacing(folder / name) as partial:
                    codecs.encode(data, rate, FLOAT_WAV, partial)
                names.append(name)
            (folder / DONE_MARK).write_text(json.dumps(names))
        except _Cancelled:
            pass
        except Exception as exc:  # reported through status(), as the server reports failures
            run.error = f"local separation failed: {exc}"
