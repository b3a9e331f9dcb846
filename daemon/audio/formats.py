"""MVSEP's output formats (the `output_format` codes 0..5), the one table every part uses: labels
for listings and errors, file extensions, how to encode each, which are lossy or premium."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutputFormat:
    code: int
    label: str
    extension: str
    # lossless: soundfile (format, subtype); lossy: FFmpeg's (muxer, encoder, bit rate), written
    # by the ffmpeg CLI or PyAV (audio/lossy.py)
    soundfile: tuple[str, str] | None = None
    ffmpeg: tuple[str, str, int] | None = None
    premium: bool = False  # MVSEP gives it to premium accounts only

    @property
    def lossy(self) -> bool:
        return self.ffmpeg is not None


FORMATS: dict[int, OutputFormat] = {f.code: f for f in (
    OutputFormat(0, "mp3 (320 kbps)", "mp3", ffmpeg=("mp3", "libmp3lame", 320_000)),
    OutputFormat(1, "wav (16 bit)", "wav", soundfile=("WAV", "PCM_16")),
    OutputFormat(2, "flac (16 bit)", "flac", soundfile=("FLAC", "PCM_16")),
    OutputFormat(3, "m4a (lossy)", "m4a", ffmpeg=("mp4", "aac", 256_000)),
    OutputFormat(4, "wav (32 bit float)", "wav", soundfile=("WAV", "FLOAT"), premium=True),
    OutputFormat(5, "flac (24 bit)", "flac", soundfile=("FLAC", "PCM_24"), premium=True),
)}

#: code → (label, extension), as listings and the wire models show them
OUTPUT_FORMATS: dict[int, tuple[str, str]] = {c: (f.label, f.extension) for c, f in FORMATS.items()}
PREMIUM_FORMATS = frozenset(c for c, f in FORMATS.items() if f.premium)
LOSSY_FORMATS = frozenset(c for c, f in FORMATS.items() if f.lossy)
DEFAULT_OUTPUT_FORMAT = 2
FLOAT_WAV = 4  # lossless and unquantised: local stems and anything that must add up exactly
FLAC_24 = 5  # lossless for 16/24-bit sources, and smaller than wav: what is uploaded


def extension(output_format: int) -> str:
    return FORMATS[output_format].extension
