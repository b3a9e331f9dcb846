"""A full disk while writing: the failure reaches failed/ with its reason, or waits for space;
nothing is lost. A real condition: a small tmpfs (needs root, as in CI)."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

from .world import listing, manifest, tone, wait_for


@pytest.fixture
def small_disk(tmp_path):
    """mount(tmpfs, size) on a fresh folder; unmounted in teardown (after the daemons stop:
    request this fixture before `hot`)."""
    mounts: list[Path] = []

    def mount(name: str, size: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.strip()}")
        mounts.append(point)
        return point

    yield mount
    for point in reversed(mounts):
        subprocess.run(["umount", "-l", str(point)], check=False)


def fill(disk: Path) -> Path:
    """Take every free byte of `disk` with one file (returned, to be deleted to free the space)."""
    filler = disk / ".filler"
    with open(filler, "wb", buffering=0) as out:  # unbuffered: nothing left to flush at close
        try:
            while out.write(b"\0" * 65536):
                pass
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_a_full_destination_fails_the_file_with_the_reason_then_a_retry_works(small_disk, hot, tmp_path):
    stems_disk = small_disk("stems disk", "64k")
    hot.configure({}, destination=str(stems_disk))
    daemon = hot.daemon()
    os.rename(tone(tmp_path / "song.wav", seconds=1.0, seed=1), hot.inbox / "song.wav")

    wait_for(lambda: (hot.failed / "song.wav.error.txt").exists(), 60, what="the failure note", logs=daemon.log)
    note = (hot.failed / "song.wav.error.txt").read_text()
    assert "No space left on device" in note and "To retry" in note
    assert (hot.failed / "song.wav").stat().st_size > 0

    subprocess.run(["mount", "-o", "remount,size=16m", "tmpfs", str(stems_disk)], check=True)
    os.rename(hot.failed / "song.wav", hot.inbox / "song.wav")  # as the note says
    wait_for(lambda: (hot.done / "song.wav").exists(), 60, what="the retry in done/", logs=daemon.log)
    result = manifest(stems_disk / "song")
    assert result["stems"]
    # only the result is left on that disk: no half-written stems from the failed attempt
    files = [s["file"] for s in result["stems"]] + ["manifest.json"]
    assert listing(stems_disk) == sorted(f"song/{name}" for name in files)
    assert daemon.alive()


def test_a_full_hot_folder_keeps_the_file_until_it_can_be_filed(small_disk, hot, tmp_path):
    disk = small_disk("folder disk", "2m")
    hot.inbox = disk / "inbox"
    hot.inbox.mkdir()
    hot.configure({})
    daemon = hot.daemon()
    staged = tone(disk / "song.wav", seconds=1.0, seed=2)  # on the same disk: the drop is a rename
    filler = fill(disk)
    os.rename(staged, hot.inbox / "song.wav")

    daemon.wait_log("song.wav failed", 60)
    daemon.wait_log("but cannot be filed", 30)
    claimed = [p for p in (hot.inbox / "processing").rglob("song.wav")]
    assert len(claimed) == 1 and claimed[0].stat().st_size > 0  # still there, whole
    assert listing(hot.failed) == []

    filler.unlink()
    wait_for(lambda: (hot.failed / "song.wav.error.txt").exists(), 30, what="the note once there is room", logs=daemon.log)
    assert "No space left on device" in (hot.failed / "song.wav.error.txt").read_text()
    assert listing(hot.inbox / "processing") == []
    assert daemon.alive()
