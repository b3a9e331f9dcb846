"""Playing a job's stems (one, or several mixed) on an output device.

The files are read block by block (a long stem is never loaded whole), mixed, resampled with a
streaming soxr resampler when the device does not take the file's rate, and written to a blocking
PortAudio stream by the player's own thread. `stop()` aborts the stream: the sound ends at once,
without playing out what the device has buffered. A device that fails mid-stream (unplugged, its
server gone) ends the playback with an error; nothing is raised into the daemon.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np
import soundfile as sf
import soxr

from .devices import Device
from .mixing import mix, start_frame
from .portaudio import close_quietly

log = logging.getLogger("mvsep_bridge.audio")

BLOCK_FRAMES = 4096


@dataclass
class StemFiles:
    """The stems to play, all of one job (so of one sample rate)."""

    paths: list[Path]
    rate: int
    channels: int  # the widest stem's
    frames: int  # the longest stem's

    @classmethod
    def open(cls, paths: list[Path]) -> StemFiles:
        infos = [sf.info(str(p)) for p in paths]
        rates = {i.samplerate for i in infos}
        if len(rates) != 1:
            raise ValueError(f"the stems have different sample rates {sorted(rates)}")
        return cls(paths, rates.pop(), max(i.channels for i in infos), max(i.frames for i in infos))

    def blocks(self, first: int) -> Iterator[np.ndarray]:
        """The mix from frame `first` on, BLOCK_FRAMES at a time."""
        with ExitStack() as stack:
            files = [stack.enter_context(sf.SoundFile(str(p))) for p in self.paths]
            for f in files:
                f.seek(min(first, f.frames))
            while True:
                blocks = [f.read(BLOCK_FRAMES, dtype="float32", always_2d=True) for f in files]
                if not any(len(b) for b in blocks):
                    return
                yield mix(blocks, self.channels)


def resampled(blocks: Iterator[np.ndarray], rate: int, to_rate: int, channels: int) -> Iterator[np.ndarray]:
    if rate == to_rate:
        yield from blocks
        return
    stream = soxr.ResampleStream(rate, to_rate, channels, dtype="float32", quality="HQ")
    for block in blocks:
        out = stream.resample_chunk(block)
        if len(out):
            yield out
    yield stream.resample_chunk(np.zeros((0, channels), dtype=np.float32), last=True)


@dataclass
class Playback:
    id: str
    job: str
    stems: list[str]
    device: Device
    files: StemFiles
    rate: int  # the device's
    start: float = 0.0
    state: str = "playing"  # playing | done | stopped | failed
    frames_played: int = 0  # at the device's rate
    underflows: int = 0
    error: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def status(self) -> dict:
        return {"playing": self.id, "job": self.job, "stems": self.stems, "device": self.device.name,
                "state": self.state, "rate": self.rate, "file_rate": self.files.rate,
                "channels": self.files.channels, "start": self.start, "frames_played": self.frames_played,
                "seconds_played": round(self.frames_played / self.rate, 3), "underflows": self.underflows,
                "error": self.error}

    def begin(self, sd: ModuleType) -> None:
        """Open the stream here (so opening errors reach the caller), play on a thread."""
        stream = sd.OutputStream(device=self.device.index, samplerate=self.rate,
                                 channels=self.files.channels, dtype="float32", blocksize=BLOCK_FRAMES)
        self._thread = threading.Thread(target=self._run, args=(stream,), name=f"play-{self.id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread:
            self._thread.join(timeout)

    def _run(self, stream) -> None:
        first = start_frame(self.start, self.files.rate, self.files.frames)
        blocks = resampled(self.files.blocks(first), self.files.rate, self.rate, self.files.channels)
        try:
            stream.start()
            for block in blocks:
                if self._stop.is_set():
                    break
                if stream.write(block):
                    self.underflows += 1
                self.frames_played += len(block)
            if self._stop.is_set():
                stream.abort()  # at once: what the device buffered is dropped
                self.state = "stopped"
            else:
                stream.stop()  # plays out what is buffered
                self.state = "done"
        except Exception as exc:  # the device went away, a stem became unreadable
            self.state, self.error = "failed", f"playback on {self.device.name!r} failed: {exc}"
            log.warning("%s", self.error)
        finally:
            close_quietly(stream)
        log.info("playback %s of job %s on %r: %s after %d frames", self.id, self.job, self.device.name,
                 self.state, self.frames_played)

