"""What can go wrong with an audio device, each error naming the problem and the fix. All are
UsageErrors (exit 2 on the command line) except a device failing mid-stream, which is reported in
the stream's status rather than raised to a caller."""

from __future__ import annotations

from mvsep_bridge.daemon.engine import UsageError

INSTALL_PORTAUDIO = ("install PortAudio: `sudo apt-get install libportaudio2` (Debian/Ubuntu), "
                     "`sudo dnf install portaudio` (Fedora), `brew install portaudio` (macOS)")


class PortAudioMissing(UsageError):
    """The PortAudio library cannot be loaded: no audio device can be used."""


class NoSuchDevice(UsageError):
    pass


class UnsupportedFormat(UsageError):
    """The device does not take this sample rate or channel count."""


class DeviceBusy(UsageError):
    pass
