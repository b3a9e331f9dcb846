"""Capturing an input device into a lossless file, then handing it over as a job.

PortAudio's callback only copies each block into a queue (it must never wait on a disk); the
recorder's thread writes the queue to the file (FLAC 24-bit or 32-bit float WAV), so a slow disk
cannot cause a dropout. Every input overflow the stream reports is counted and reported: a
recording with overflows has gaps. A recording ends at its length (`seconds`, to the frame), at
`stop()`, or when the device fails; the file is then closed and `on_done` runs on that thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np
import soundfile as sf

from .devices import Device
from .portaudio import close_quietly

log = logging.getLogger("mvsep_bridge.audio")

#: file format -> (libsndfile format, subtype): both lossless for what a device delivers
FILE_FORMATS = {"flac": ("FLAC", "PCM_24"), "wav": ("WAV", "FLOAT")}


@dataclass
class Recording:
    id: str
    device: Device
    rate: int
    channels: int
    path: Path
    seconds: float | None = None
    on_done: Callable[[Recording], None] | None = field(default=None, repr=False)
    state: str = "recording"  # recording | recorded | failed (then the bridge: submitted)
    frames: int = 0
    overflows: int = 0
    error: str | None = None
    job: str | None = None
    _blocks: queue.Queue = field(default_factory=queue.Queue, repr=False)
    _ended: threading.Event = field(default_factory=threading.Event, repr=False)
    _stream: object = field(default=None, repr=False)
    _callback_stop: type = field(default=Exception, repr=False)  # sounddevice.CallbackStop, set in begin()

    @property
    def limit(self) -> int | None:
        return None if self.seconds is None else round(self.seconds * self.rate)

    def status(self) -> dict:
        return {"recording": self.id, "device": self.device.name, "state": self.state, "file": str(self.path),
                "rate": self.rate, "channels": self.channels, "frames": self.frames,
                "seconds": round(self.frames / self.rate, 3), "overflows": self.overflows,
                "job": self.job, "error": self.error}

    def begin(self, sd: ModuleType) -> None:
        """Open the file and the stream here (errors reach the caller), then record."""
        file_format, subtype = FILE_FORMATS[self.path.suffix.lstrip(".")]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        out = sf.SoundFile(str(self.path), "w", samplerate=self.rate, channels=self.channels,
                           format=file_format, subtype=subtype)
        self._callback_stop = sd.CallbackStop
        try:
            self._stream = sd.InputStream(device=self.device.index, samplerate=self.rate,
                                             channels=self.channels, dtype="float32", callback=self._on_block,
                                             finished_callback=lambda: self._blocks.put(None))
            self._stream.start()
        except Exception:
            out.close()
            self.path.unlink(missing_ok=True)
            if self._stream is not None:
                close_quietly(self._stream)
            raise
        threading.Thread(target=self._write, args=(out,), name=f"record-{self.id}", daemon=True).start()

    def stop(self) -> None:
        """End the recording now (the blocks already captured are kept)."""
        if not self._ended.is_set():
            try:
                # abort, not stop: stop waits for the device's next period, which an input that
                # has gone quiet (a FIFO at its end, a paused source) may never deliver
                self._stream.abort()
            except Exception as exc:  # a vanished device: the stream is over anyway
                log.debug("stopping a recording: %s", exc)
                self._blocks.put(None)

    def wait(self, timeout: float | None = None) -> bool:
        return self._ended.wait(timeout)

    def _on_block(self, indata: np.ndarray, frames: int, _time, status) -> None:
        # PortAudio's thread: copy and return; no I/O, no locks held for long
        if status.input_overflow:
            self.overflows += 1
        limit = self.limit
        take = frames if limit is None else min(frames, limit - self.frames)
        self._blocks.put(indata[:take].copy())
        self.frames += take
        if limit is not None and self.frames >= limit:
            raise self._callback_stop()

    def _write(self, out: sf.SoundFile) -> None:
        try:
            with out:
                while (block := self._blocks.get()) is not None:
                    out.write(block)
            self.state = "recorded"
        except Exception as exc:  # the disk filled up, the folder went away
            self.state, self.error = "failed", f"writing {self.path} failed: {exc}"
            log.warning("%s", self.error)
        finally:
            close_quietly(self._stream)
        log.info("recording %s from %r: %d frames, %d overflow(s), %s", self.id, self.device.name,
                 self.frames, self.overflows, self.state)
        if self.on_done:
            self.on_done(self)
        self._ended.set()
