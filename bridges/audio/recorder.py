"""Capturing an input device into a lossless file, then handing it over as a job.

The recording's reader thread reads the device in blocking mode, taking only what the device has
(never waiting inside PortAudio), and queues the blocks; its writer thread writes them to the file
(FLAC 24-bit or 32-bit float WAV), so a slow disk cannot cause a dropout. A large device buffer
(`LATENCY`) absorbs a busy daemon; every input overflow PortAudio reports is counted: a recording
with overflows has gaps. A recording ends at its length (`seconds`, to the frame), at `stop()`, or
when the device fails; the file is then closed and `on_done` runs on the writer thread.

Why not PortAudio's callback mode: stopping a callback stream that has no new data means
Pa_AbortStream, which pthread_cancels the callback thread; cancelled while it waits for Python's
GIL, that thread deadlocks with itself and the abort never returns (a record_stop hung the daemon's
control call in about 1 of 30 runs).
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
LATENCY = 0.5  # s of device buffer: the reader may be late by this much without losing a frame
BLOCK_FRAMES = 4096  # at most this many frames per read
IDLE_WAIT = 0.005  # s between looks at a device that has nothing yet
STOP_GRACE = 2.0  # s a stop waits for a read in progress before closing the file without it


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
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _reader_done: threading.Event = field(default_factory=threading.Event, repr=False)
    _ended: threading.Event = field(default_factory=threading.Event, repr=False)
    _queue_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _closed: bool = field(default=False, repr=False)  # the end of the file is queued: nothing more joins it

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
        stream = None
        try:
            stream = sd.InputStream(device=self.device.index, samplerate=self.rate, channels=self.channels,
                                    dtype="float32", latency=LATENCY)
            stream.start()
        except Exception:
            out.close()
            self.path.unlink(missing_ok=True)
            if stream is not None:
                close_quietly(stream)
            raise
        threading.Thread(target=self._read, args=(stream,), name=f"record-{self.id}-read", daemon=True).start()
        threading.Thread(target=self._write, args=(out,), name=f"record-{self.id}-write", daemon=True).start()

    def stop(self) -> None:
        """End the recording now: the blocks already read are kept. A read that does not return (an
        input that went quiet inside its driver) is not waited for beyond STOP_GRACE."""
        self._stop.set()
        if not self._reader_done.wait(STOP_GRACE):
            log.warning("recording %s: the device %r does not return a read; closing the file without it",
                        self.id, self.device.name)
            self._close_file()

    def wait(self, timeout: float | None = None) -> bool:
        return self._ended.wait(timeout)

    def _read(self, stream) -> None:
        try:
            while not self._stop.is_set():
                limit = self.limit
                wanted = BLOCK_FRAMES if limit is None else min(BLOCK_FRAMES, limit - self.frames)
                if wanted <= 0:
                    break
                available = stream.read_available
                if not available:
                    self._stop.wait(IDLE_WAIT)
                    continue
                block, overflowed = stream.read(min(wanted, available))
                self._add(block, overflowed)
        except Exception as exc:  # the device went away: what came in so far is kept
            self.error = f"the device {self.device.name!r} failed: {exc}"
            log.warning("recording %s: %s", self.id, self.error)
        finally:
            self._reader_done.set()
            self._close_file()
            close_quietly(stream)  # a stopped blocking stream: no thread to cancel

    def _add(self, block: np.ndarray, overflowed: bool) -> None:
        with self._queue_lock:
            if self._closed:  # a read that outlived a stop: the file is closed without it
                return
            self._blocks.put(block.copy())
            self.frames += len(block)
            self.overflows += bool(overflowed)

    def _close_file(self) -> None:
        with self._queue_lock:
            if not self._closed:
                self._closed = True
                self._blocks.put(None)

    def _write(self, out: sf.SoundFile) -> None:
        try:
            with out:
                while (block := self._blocks.get()) is not None:
                    out.write(block)
            self.state = "recorded"
        except Exception as exc:  # the disk filled up, the folder went away
            self.state, self.error = "failed", f"writing {self.path} failed: {exc}"
            log.warning("%s", self.error)
        log.info("recording %s from %r: %d frames, %d overflow(s), %s", self.id, self.device.name,
                 self.frames, self.overflows, self.state)
        if self.on_done:
            self.on_done(self)
        self._ended.set()
