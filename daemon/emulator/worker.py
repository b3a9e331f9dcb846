"""The worker: one thread that moves jobs through their statuses on the emulator clock and a small
pool that renders results meanwhile. Phase lengths come from the config, so tests run fast.
Nothing here lives only in memory except the render futures, which are recreated after a restart."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from ..errors import BridgeError
from .accounts import Accounts
from .catalog import Catalog
from .clock import Clock
from .config import EmulatorConfig
from .jobs import Job, JobBook
from .results import render

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, *, config: Callable[[], EmulatorConfig], clock: Clock, book: JobBook,
                 accounts: Accounts, catalog: Catalog, extra_ticks: list[Callable[[float], None]]):
        self._config = config
        self._clock = clock
        self._book = book
        self._accounts = accounts
        self._catalog = catalog
        self._extra_ticks = extra_ticks
        # as many renders as jobs a plan may run: the plan, not the emulator, bounds the server's time
        self._pool = ThreadPoolExecutor(max_workers=config().max_concurrent_premium,
                                        thread_name_prefix="render")
        self._renders: dict[str, Future] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="emulator-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.wait(self._config().tick_seconds):
            try:
                self.tick()
            except Exception:  # one bad job must not stop the world
                log.exception("worker tick failed")

    def tick(self) -> None:
        now = self._clock.now()
        config = self._config()
        for job in self._book.all():
            with self._book.lock:
                if job.status in ("waiting", "processing", "distributing", "merging"):
                    self._advance(job, now, config)
                elif job.status in ("done", "failed") and job.done_at is not None:
                    if now - job.done_at >= config.result_ttl_hours * 3600:
                        job.status = "expired"
                        self._book.drop_files(job)
                        self._book.save(job)
        for extra in self._extra_ticks:
            extra(now)

    def _render(self, job: Job) -> Future:
        future = self._renders.get(job.hash)
        if future is None:
            algorithm = self._catalog.get(job.sep_type)
            folder = self._book.folder(job.hash)
            future = self._pool.submit(
                render, job, algorithm, folder, resample=self._config().resample_44k
            )
            self._renders[job.hash] = future
        return future

    def _advance(self, job: Job, now: float, config: EmulatorConfig) -> None:
        elapsed = now - job.phase_started
        if job.status == "waiting":
            if elapsed < config.waiting_seconds:
                return
            if job.input_seconds > config.distribute_threshold:
                job.status = "distributing"
                job.all_chunks = max(2, math.ceil(job.input_seconds / config.chunk_length))
                job.finished_chunks = 0
            else:
                job.status = "processing"
            job.phase_started = now
            self._render(job)
            self._book.save(job)
            return
        future = self._render(job)
        if job.status == "processing":
            if elapsed >= config.processing_seconds + job.processing_extra and future.done():
                self._finish(job, future, now)
        elif job.status == "distributing":
            per_chunk = config.chunk_seconds
            done = job.all_chunks if per_chunk <= 0 else min(job.all_chunks, int(elapsed // per_chunk))
            if done != job.finished_chunks:
                job.finished_chunks = done
                self._book.save(job)
            if done >= job.all_chunks and future.done():
                job.status = "merging"
                job.phase_started = now
                self._book.save(job)
        elif job.status == "merging":
            if elapsed >= config.merging_seconds and future.done():
                self._finish(job, future, now)

    def _finish(self, job: Job, future: Future, now: float) -> None:
        self._renders.pop(job.hash, None)
        try:
            job.files = future.result()
            job.status = "done"
            job.message = "Separation finished"
        except BridgeError as exc:
            job.status = "failed"
            job.message = exc.message
            self._refund(job)
        except Exception as exc:  # a render bug shows as a failed job, like a server-side crash
            log.exception("render of %s failed", job.hash)
            job.status = "failed"
            job.message = f"processing error: {exc}"
            self._refund(job)
        job.done_at = now
        self._book.save(job)

    def _refund(self, job: Job) -> None:
        account = self._accounts.by_email(job.email)
        if account is not None:
            self._accounts.refund(account, job.credits)
