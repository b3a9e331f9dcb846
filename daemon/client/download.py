"""Streaming download of a result file: into `<dest>.part`, resumed with a Range request after a
break (MVSEP's file hosts drop long transfers), checked against the expected length, fsynced, and
renamed into place so `dest` is either absent or complete."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import requests
import urllib3

from ..errors import ApiError, TransportError
from .transport import mask_token, raise_for_status

log = logging.getLogger(__name__)

#: progress(bytes_on_disk, bytes_total or None)
Progress = Callable[[int, int | None], None]

CHUNK = 1 << 20
#: consecutive attempts that add no byte before giving up
MAX_STALLS = 5


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def download_file(
    session: requests.Session,
    url: str,
    dest: Path,
    *,
    expected_bytes: int | None = None,
    progress: Progress | None = None,
    timeout: tuple[float, float],
    max_stalls: int = MAX_STALLS,
) -> Path:
    """Fetch `url` into `dest`. A `.part` left by an earlier run is resumed, not restarted."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(dest)
    stalls = 0
    total = expected_bytes
    best = _size(part)  # progress means getting further than ever (a restart from 0 is not)
    while True:
        have = _size(part)
        if total is not None and have > total:  # a stale part of some other file
            part.unlink()
            have = 0
        if total is not None and have == total and have > 0:
            break
        try:
            total, finished = _fetch(session, url, part, have, total, progress, timeout)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                urllib3.exceptions.HTTPError) as exc:
            finished = False
            log.info("download of %s broke at %d bytes: %s", dest.name, _size(part), mask_token(str(exc)))
        size = _size(part)
        if finished and (total is None or size == total):
            break
        stalls = 0 if size > best else stalls + 1
        best = max(best, size)
        if stalls >= max_stalls:
            raise TransportError(
                f"download of {dest.name} keeps breaking at {size} of "
                f"{total if total is not None else '?'} bytes",
                hint="the partial file is kept; run the same command again to resume",
            )
    _commit(part, dest)
    return dest


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _fetch(
    session: requests.Session,
    url: str,
    part: Path,
    have: int,
    total: int | None,
    progress: Progress | None,
    timeout: tuple[float, float],
) -> tuple[int | None, bool]:
    """One GET from `have` on. Returns (total length if known, whether the body ended cleanly)."""
    headers = {"Range": f"bytes={have}-"} if have else {}
    with session.get(url, headers=headers, stream=True, timeout=timeout) as response:
        if response.status_code == 416:  # nothing past `have`: the part is the whole file
            return (have if total is None else total), True
        raise_for_status(response, f"download {part.name[:-5]}", token=None)
        if response.status_code == 200 and have:  # the server ignored Range: start over
            have = 0
        total = _total_length(response, have) if total is None else total
        mode = "ab" if have else "wb"
        added = 0
        with open(part, mode) as out:
            # read1 hands over what arrived even when the connection then breaks (iter_content
            # would drop the last partial chunk), so a resume starts after every byte we got
            while chunk := response.raw.read1(CHUNK, decode_content=True):
                out.write(chunk)
                added += len(chunk)
                if progress:
                    progress(have + added, total)
            out.flush()
            os.fsync(out.fileno())
        if total is not None and have + added > total:
            part.unlink()
            raise ApiError(
                f"download {part.name[:-5]}: got {have + added} bytes, the server said {total}",
                hint="the file changed on the server; run the command again",
            )
        return total, True


def _total_length(response: requests.Response, have: int) -> int | None:
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range and not content_range.endswith("/*"):
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    return have + int(length) if length and length.isdigit() else None


def _commit(part: Path, dest: Path) -> None:
    with open(part, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(part, dest)
    directory = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
