"""Lossy encoders (mp3, m4a): two backends behind one small interface, PyAV (the FFmpeg bundled in
its wheel, in-process) and the `ffmpeg` CLI, used for the encoders in CLI_CODECS when one on PATH
runs and has them.

Why the CLI for mp3: PyAV's wheel bundles its own LAME, which needs ~2.5x the CPU of the system's
that Debian's ffmpeg links (30 s of 48 kHz stereo at 320 kbps: 1.8 s against 0.7 s here), and the
encoder is most of a lossy stem's post-processing (README, "Post-processing per stem"). Both
backends get the same FFmpeg options, so both write the same kind of file: an mp3 with its LAME
tag, an m4a with or without its edit list.

The CLI is fed float32 PCM through a pipe, one block at a time, so memory stays one block however
long the file. It writes only the file, and its errors to a temp file: never to a pipe nobody
reads, so it cannot stall, and a write to it can block only while it is busy encoding. If we die,
its stdin closes, it sees the end of its input and exits; what it wrote bears a temp name that is
never renamed into place (audio/write.py).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import av
import numpy as np

from ..errors import AudioError

#: LAME's quality (its -q), pinned at 3, LAME's own default, so another build cannot change it.
#: Measured on bench/world.py's song (48 kHz stereo, 320 kbps): q2 costs 1.6x the CPU and is no
#: better above 12 kHz; q5 saves ~20 % and loses 0.4-0.7 dB of SNR above 12 kHz; q7, LAME's
#: "fast", drops the psychoacoustic model (4 dB worse below 4 kHz). None reaches the 100x goal
#: for a whole stem on one core (bench/finish.py, 30 s stems: q3 53x, q5 58x, q7 75x), so the
#: quality stays. FFmpeg's AAC encoder keeps its default coder (twoloop): "-aac_coder fast" would
#: nearly halve its CPU but lose 7-10 dB of SNR above 4 kHz.
CODEC_OPTIONS: dict[str, dict[str, str]] = {"libmp3lame": {"compression_level": "3"}}

#: the encoders the CLI takes over from PyAV: LAME only. FFmpeg's AAC encoder is FFmpeg's own
#: code in both and no faster in Debian's 5.1 than in the wheel's 8 (~25-30x realtime by itself
#: either way, bench/finish.py), and the CLI costs ~0.08 s of CPU to start (Debian's ffmpeg loads
#: some 200 libraries): m4a stays in-process.
CLI_CODECS = frozenset({"libmp3lame"})


@dataclass(frozen=True)
class Encoding:
    """What FFmpeg is asked to write, as its own option names (the same for both backends)."""

    container: str
    codec: str
    bit_rate: int
    codec_options: dict[str, str]
    muxer_options: dict[str, str]

    @classmethod
    def of(cls, ffmpeg: tuple[str, str, int], rate: int, gapless: bool) -> Encoding:
        container, codec, bit_rate = ffmpeg
        muxer = {}
        if container == "mp4":
            # gapless: the edit list in the movie time scale, at the sample rate (1/1000 s by
            # default) so it names the exact frame count. Else no edit list: the AAC priming stays
            # in the stream, as in some servers' files
            muxer = {"movie_timescale": str(rate)} if gapless else {"use_editlist": "0"}
        return cls(container, codec, bit_rate, CODEC_OPTIONS.get(codec, {}), muxer)


class LossyWriter(Protocol):
    name: str

    def write(self, samples: np.ndarray) -> None:
        """Encode float32 (frames, channels) samples, already within -1..1."""

    def close(self) -> None:
        """Finish the file; AudioError if the encoder failed."""

    def abort(self) -> None:
        """Stop; the file is left incomplete (never taken as a result)."""


def open_lossy(path: Path, rate: int, channels: int, ffmpeg: tuple[str, str, int], gapless: bool) -> LossyWriter:
    encoding = Encoding.of(ffmpeg, rate, gapless)
    if channels > 2:
        raise AudioError(f"{channels} channels cannot be written as {encoding.codec}", hint="use wav or flac")
    # refused here, in plain words: the CLI would resample to a rate it takes, without a word
    rates = av.Codec(encoding.codec, "w").audio_rates or ()
    if rates and rate not in rates:
        raise AudioError(f"{rate} Hz audio cannot be written as {encoding.codec} (it takes "
                         f"{', '.join(str(r) for r in sorted(rates))} Hz)", hint="use wav or flac")
    executable = cli_for(encoding.codec)
    if executable:
        return FfmpegCli(executable, path, rate, channels, encoding)
    return Pyav(path, rate, channels, encoding, gapless)


def cli_for(codec: str) -> str | None:
    """The ffmpeg executable that encodes `codec`, or None: PyAV does."""
    executable = shutil.which("ffmpeg") if codec in CLI_CODECS else None
    return executable if executable and codec in cli_encoders(executable) else None


@functools.cache
def cli_encoders(executable: str) -> frozenset[str]:
    """The audio encoders an ffmpeg build has, asked once per executable: a minimal build may lack
    libmp3lame, and one that does not run at all has none (PyAV is used then)."""
    try:
        listing = subprocess.run([executable, "-hide_banner", "-encoders"], capture_output=True, text=True,
                                 timeout=60, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    # " A....D libmp3lame   libmp3lame MP3 (MPEG audio layer 3) (codec mp3)", after a legend
    # of lines such as " A..... = Audio"
    return frozenset(words[1] for words in map(str.split, listing.splitlines())
                     if len(words) > 2 and words[0].startswith("A") and words[1] != "=")


class FfmpegCli:
    """An `ffmpeg` child reading float32 PCM on stdin and writing `path` (module doc)."""

    name = "ffmpeg"

    def __init__(self, executable: str, path: Path, rate: int, channels: int, encoding: Encoding):
        self.executable, self.encoding = executable, encoding
        args = [executable, "-nostdin", "-hide_banner", "-loglevel", "error",
                "-f", "f32le", "-ar", str(rate), "-ac", str(channels), "-i", "pipe:0",
                "-c:a", encoding.codec, "-b:a", str(encoding.bit_rate),
                *_flags(encoding.codec_options), *_flags(encoding.muxer_options),
                # -y: the temp file exists already; file: so no name is taken for a protocol
                "-f", encoding.container, "-y", f"file:{path}"]
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close or abort)
        try:
            self._process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                             stderr=self._errors)
        except OSError as exc:
            self._errors.close()
            raise AudioError(f"cannot run {executable}: {exc.strerror}", hint=self._hint()) from exc

    def write(self, samples: np.ndarray) -> None:
        try:
            self._process.stdin.write(np.ascontiguousarray(samples, dtype="<f4"))
        except BrokenPipeError:  # it stopped reading: it failed, its exit status says why
            raise self._failed() from None

    def close(self) -> None:
        try:
            self._process.stdin.close()  # the end of its input: it finishes the file and exits
        except BrokenPipeError:
            pass
        if self._process.wait() != 0:
            raise self._failed()
        self._errors.close()

    def abort(self) -> None:
        self._process.kill()
        self._process.wait()
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass
        self._errors.close()

    def _failed(self) -> AudioError:
        self._process.kill()  # no-op when it has exited
        code = self._process.wait()
        self._errors.seek(0)
        said = " ".join(self._errors.read()[-2000:].decode(errors="replace").split())
        self.abort()
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        return AudioError(f"ffmpeg failed to encode {self.encoding.codec}: it {how}" + (f": {said}" if said else ""),
                          hint=self._hint())

    def _hint(self) -> str:
        return f"check that `{self.executable} -version` runs, or choose flac or wav output"


class Pyav:
    """FFmpeg's encoder and muxer in-process, through PyAV's bundled libraries."""

    name = "pyav"

    def __init__(self, path: Path, rate: int, channels: int, encoding: Encoding, gapless: bool):
        self.rate, self.gapless, self.frames = rate, gapless, 0
        self._layout = "mono" if channels == 1 else "stereo"
        self._container = av.open(str(path), "w", format=encoding.container, options=encoding.muxer_options)
        self._stream = self._container.add_stream(encoding.codec, rate=rate, layout=self._layout,
                                                  options=encoding.codec_options)
        self._stream.bit_rate = encoding.bit_rate

    def write(self, samples: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.T), format="fltp", layout=self._layout)
        frame.sample_rate = self.rate
        if self.gapless:  # timestamps from 0: the edit list then skips exactly the priming
            frame.pts, frame.time_base = self.frames, Fraction(1, self.rate)
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames += samples.shape[0]

    def close(self) -> None:
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()

    def abort(self) -> None:
        self._container.close()


def _flags(options: dict[str, str]) -> list[str]:
    return [item for key, value in options.items() for item in (f"-{key}", value)]
