"""The audio test world: real PortAudio on ALSA, with devices from a test-owned ~/.asoundrc.

ALSA's `file` plugin writes the raw samples an application plays into a file (its slave, the
`null` plugin, has no clock: a stream runs as fast as it is fed) and reads what an application
captures from an `infile`. A FIFO in place of either file makes a device that only moves when the
test reads or writes it: a preview that cannot end by itself, an input that can vanish.
PortAudio reads the device list when a process first loads it, so the files exist before that.
The default device plays into the same file as `preview_out` (for callers that name no device,
as OSC's /mvsep/play).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from processes import daemon_env

from .world import separate, write_song

RATE = 44_100  # the default rate PortAudio reports for ALSA plugin devices

ASOUNDRC = """
pcm.!default {{
    type file
    slave.pcm "null"
    file "{out}"
    format "raw"
}}
pcm.preview_out {{
    type file
    slave.pcm "null"
    file "{out}"
    format "raw"
}}
pcm.preview_fifo {{
    type file
    slave.pcm "null"
    file "{out_fifo}"
    format "raw"
}}
pcm.capture_in {{
    type file
    slave.pcm "null"
    file "/dev/null"
    infile "{inp}"
    format "raw"
}}
pcm.capture_fifo {{
    type file
    slave.pcm "null"
    file "/dev/null"
    infile "{in_fifo}"
    format "raw"
}}
pcm.mono_out {{
    type multi
    slaves.a {{ pcm "null"; channels 1 }}
    bindings.0 {{ slave a; channel 0 }}
}}
"""


@dataclass
class Alsa:
    folder: Path
    out: Path  # what preview_out played, raw float32 interleaved
    inp: Path  # what capture_in delivers, raw float32 interleaved
    out_fifo: Path
    in_fifo: Path
    out_fd: int | None = None  # the test's end of out_fifo (read what is played)
    in_fd: int | None = None  # the test's end of in_fifo (write what is captured)

    def played(self, channels: int) -> np.ndarray:
        return np.fromfile(self.out, dtype="<f4").reshape(-1, channels)

    def feed(self, samples: np.ndarray) -> None:
        np.ascontiguousarray(samples, dtype="<f4").tofile(self.inp)


@pytest.fixture
def alsa(isolated_home) -> Alsa:
    folder = isolated_home / "alsa"
    folder.mkdir()
    world = Alsa(folder, folder / "out.raw", folder / "in.raw", folder / "out.fifo", folder / "in.fifo")
    world.inp.write_bytes(b"")
    os.mkfifo(world.out_fifo)
    os.mkfifo(world.in_fifo)
    # the FIFOs are held open both ways, so PortAudio's probe of those devices never blocks
    world.out_fd, world.in_fd = os.open(world.out_fifo, os.O_RDWR), os.open(world.in_fifo, os.O_RDWR)
    (isolated_home / ".asoundrc").write_text(ASOUNDRC.format(
        out=world.out, out_fifo=world.out_fifo, inp=world.inp, in_fifo=world.in_fifo))
    yield world
    for fd in (world.out_fd, world.in_fd):
        if fd is not None:
            os.close(fd)


@pytest.fixture
def env(isolated_home, alsa) -> dict:
    """A daemon/CLI environment on the local engine; HOME (with the .asoundrc) is the test's."""
    return daemon_env(isolated_home / "data", MVSEP_BRIDGE_OSC__PORT="0")  # never a fixed port


@pytest.fixture
def finished_job(env, isolated_home) -> dict:
    """A job separated by the local engine (48 kHz stereo stems): its view (id, result_dir, stems)."""
    return separate(env, write_song(isolated_home / "Music" / "song.wav"))
