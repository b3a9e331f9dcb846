"""Jobs created from a `url` (remote_type direct): the create answers at once with a remote hash;
after `remote_fetch_seconds` the file is fetched (loopback URLs only: the emulator never goes
out to the internet), then a normal job is charged and created. `separation/get-remote` shows
waiting → done (data.link / data.hash of the normal job) or failed."""

from __future__ import annotations

import secrets
import shutil
import string
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import requests

from .jobs import clean_name
from .responses import Rejected

if TYPE_CHECKING:
    from .service import Emulator

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
FETCH_TIMEOUT = 30


def check_url(url: str, remote_type: str) -> None:
    if remote_type not in ("", "direct"):
        raise Rejected(
            f"remote_type {remote_type!r} cannot be fetched by the emulator (it has no internet); "
            "use remote_type=direct with a loopback URL, or upload the file as audiofile",
            shape="errors")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK:
        raise Rejected(
            f"url must be an http(s) URL on this machine (127.0.0.1 / localhost), got {url!r}",
            shape="errors")


@dataclass
class RemoteFetch:
    remote_hash: str
    email: str
    url: str
    sep_type: int
    options: dict[str, str]
    output_format: int
    is_demo: bool
    created: float
    status: str = "waiting"  # waiting | fetching | done | failed
    message: str = ""
    hash: str | None = None


class RemoteFetches:
    def __init__(self, world: Emulator):
        self._world = world
        self._lock = threading.RLock()
        self._fetches = {f["remote_hash"]: RemoteFetch(**f) for f in world.store.all("remote")}
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fetch")
        self._started: set[str] = set()

    def _save(self, fetch: RemoteFetch) -> None:
        self._world.store.put("remote", fetch.remote_hash, asdict(fetch))

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def add(self, email: str, url: str, sep_type: int, options: dict[str, str],
            output_format: int, is_demo: bool) -> RemoteFetch:
        alphabet = string.ascii_letters + string.digits
        fetch = RemoteFetch(
            remote_hash="".join(secrets.choice(alphabet) for _ in range(16)), email=email, url=url,
            sep_type=sep_type, options=options, output_format=output_format, is_demo=is_demo,
            created=self._world.clock.now())
        with self._lock:
            self._fetches[fetch.remote_hash] = fetch
            self._save(fetch)
        return fetch

    def get(self, remote_hash: str) -> RemoteFetch | None:
        return self._fetches.get(remote_hash)

    def pending(self, email: str) -> int:
        return sum(1 for f in list(self._fetches.values())
                   if f.email == email and f.status in ("waiting", "fetching"))

    def listing(self) -> list[dict]:
        return [asdict(f) for f in list(self._fetches.values())]

    def tick(self, now: float) -> None:
        wait = self._world.config.remote_fetch_seconds
        with self._lock:
            for fetch in self._fetches.values():
                if fetch.remote_hash in self._started:
                    continue
                # "fetching" without a thread is one a restart interrupted: fetch it again
                if fetch.status == "fetching" or (
                    fetch.status == "waiting" and now - fetch.created >= wait
                ):
                    self._started.add(fetch.remote_hash)
                    fetch.status = "fetching"
                    self._save(fetch)
                    self._pool.submit(self._fetch, fetch)

    def _fetch(self, fetch: RemoteFetch) -> None:
        from .service import Submission  # service imports this module: import at call time

        world = self._world
        staged = world.staging_dir()
        try:
            name = clean_name(unquote(PurePosixPath(urlsplit(fetch.url).path).name) or "remote.audio")
            with requests.get(fetch.url, stream=True, timeout=FETCH_TIMEOUT) as answer:
                answer.raise_for_status()
                with open(staged / name, "wb") as out:
                    for chunk in answer.iter_content(1 << 16):
                        out.write(chunk)
            account = world.accounts.by_email(fetch.email)
            submission = Submission(
                algorithm=world.catalog.get(fetch.sep_type), options=fetch.options,
                output_format=fetch.output_format, is_demo=fetch.is_demo, input_name=name,
                staged=staged, inputs={"audiofile": name})
            job = world.submit(account, submission, remote_hash=fetch.remote_hash)
            fetch.status, fetch.hash, fetch.message = "done", job.hash, "File downloaded"
        except Rejected as exc:
            fetch.status, fetch.message = "failed", exc.message
        except (requests.RequestException, OSError) as exc:
            shutil.rmtree(staged, ignore_errors=True)
            fetch.status, fetch.message = "failed", f"could not download {fetch.url}: {exc}"
        with self._lock:
            self._save(fetch)
