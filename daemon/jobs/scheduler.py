"""Who runs which stage when.

- Worker threads run the local stages in lanes, each with its own threads and the oldest job
  first: prepare (and plan), upload, download, finish. A finished job's download never waits
  behind an upload or another job's finishing, and an upload never behind preparing; the links
  are shared, so a lane runs few transfers at once (more would only split the link). The
  download stage also runs the finish's first pass on the stems as they arrive (pipeline.py).
- Slots: a job holds one from its upload until the server says done/failed; never more than the
  backend's capacity (MVSEP: 1 non-premium, up to 10 premium, read from the account). Prepared
  jobs wait for a slot first come, first served.
- One poller thread asks the backend about remote jobs, all calls drawing from one PollRate;
  jobs near the front of the server's queue are asked more often, and Retry-After pauses all.
  Once jobs of an algorithm have been seen done (ServerPace, remembered across restarts), a job
  like them is not asked about before its expected end, so the polls go to the jobs that may be done.
- The bell: while jobs are on the server, the poller counts the account's running jobs, every
  BELL_SECONDS while one of ours may end and its budget allows (a token bucket on app/user's
  120 a minute, which the creates draw from too: bursts of BELL_SECONDS steps, then its steady
  rate), less often (as its polls would be, but never longer
  than LATE_SHARE of a job's run: the pace may be too slow) while none can, so a long real job
  costs a few counts a minute (MVSEP's app/user current_queue, on the 120-a-minute limit, not
  the 60 of separation/get). Fewer running than ours on the server: that many of ours are done,
  and the ones most likely done are asked about at once. The regular polls then only cover what the
  count cannot show (e.g. jobs of the site hiding ours), with at most half the poll budget.
- Transient failures (network, 5xx, 429) are retried later with backoff; the rest fail the job.
"""

from __future__ import annotations

import itertools
import logging
import queue
import shutil
import threading
import time

from ..backends.base import SlotTaken
from ..errors import AuthError, BridgeError, RateLimited, ServerError, Unreachable
from .model import JobState
from .pace import ServerPace
from .pipeline import Pipeline
from .pollrate import MVSEP_LIMIT, PollRate
from .store import Job

log = logging.getLogger("mvsep_bridge.jobs")

#: worker threads per lane (see the module's doc)
LANES = {"prepare": 2, "upload": 2, "download": 2, "finish": 2}
CAPACITY_TTL = 60.0  # seconds a plan's capacity is trusted before the account is asked again
MAX_ATTEMPTS = 10  # transient failures in one stage before the job fails (~8 min of backoff)
TRANSIENT = (Unreachable, ServerError, RateLimited)
EARLY = 0.5  # seconds before a job's expected end that it is first asked about
SLOT_WAIT_MAX = 30.0  # seconds between creates while the plan's slots are taken from elsewhere
#: how often the account's running jobs are counted while one of ours may end, as long as the
#: bell's budget (Scheduler.reads) allows; spent, at its steady rate (93 a minute, 0.65 s)
BELL_SECONDS = 0.4
BELL_MAX = 10.0  # ... and at the least, while all of ours are surely still running
BELL_PAUSE = 10.0  # seconds without the bell after it could not be read
#: whoever sees jobs done (the bell; the polls where there is none) never waits longer than this
#: share of a job's run so far, whatever the pace says. A pace may be too slow (remembered from a
#: busier day, or learned an hour ago: MVSEP's load changes by the hour, so age alone does not
#: tell), and a job that ends well before its expected end is then still seen done at most ~1/8
#: of its run late, as without a pace (a 30 s job expected at 60 s: ~3.75 s late, not BELL_MAX).
#: The pace still saves the polls (the bell covers them), and the bell's looks far from the
#: expected end of a long job, while near it the bell looks every BELL_SECONDS (2 s without one).
LATE_SHARE = 1 / 8


def poll_interval(job: Job, now: float | None = None, expected: float | None = None) -> float:
    """Seconds until the next poll.

    `expected`: when jobs like this one have been seen done so far (epoch s; see ServerPace).
    Before it, there is nothing to ask: the first poll is half a second ahead of it; after it,
    often (it is due). Without one, at the front of the queue or being worked on: an eighth of
    the time since the upload, between 0.25 and 2 s, so a job is seen done at most ~1/8 of its
    run late at 30 polls a minute at most for one job. Far back in the queue: rarely. The
    token's one PollRate bounds them all, so the polls saved go to the jobs that are due."""
    now = now or time.time()
    position = job.queue_position or 0
    if position > 1 and job.remote_status == "waiting":
        return min(30.0, 1.0 + 1.5 * position)
    if expected is not None and now < expected - EARLY:
        return min(30.0, expected - EARLY - now)
    if expected is not None:
        return min(2.0, max(0.25, (now - expected + EARLY) / 4))
    elapsed = now - (job.submitted_at or 0.0)
    return min(2.0, max(0.25, elapsed / 8))


def bell_interval(jobs: list[tuple[Job, float | None]], now: float) -> float:
    """Seconds from a count of the running jobs to the next, for (job, expected end) on the
    server: as soon as one of them would be polled (see poll_interval; without a pace, at half
    its share of the run so far, up to the same 2 s: the count's limit is twice the polls', and one
    count covers every job) or a too slow pace could have hidden its end (LATE_SHARE), between
    BELL_SECONDS and BELL_MAX. Not aimed at an expected end: a pace is right to a few tenths of a
    second at best, and counts set to land just after it saw a 5 s job done later than counts at
    their own step (bench/batch.py: 0.41 s against 0.29 s, and 0.30 s against 0.20 s in a batch)."""
    def wait(job: Job, end: float | None) -> float:
        polled = poll_interval(job, now, end) if end is not None else \
            min(poll_interval(job, now), late_wait(job, now) / 2)
        return min(BELL_MAX, max(BELL_SECONDS, min(polled, late_wait(job, now))))

    return min((wait(job, end) for job, end in jobs), default=BELL_SECONDS)


def late_wait(job: Job, now: float) -> float:
    """The longest wait that keeps a job seen done at most LATE_SHARE of its run late."""
    return (now - (job.submitted_at or now)) * LATE_SHARE


def backoff(attempt: int) -> float:
    return min(60.0, 0.5 * 2**attempt)


class Scheduler:
    def __init__(self, pipeline: Pipeline, lanes: dict[str, int] = LANES, pace: ServerPace | None = None):
        self.pipeline = pipeline
        self.store = pipeline.store
        self.journal = pipeline.journal
        self.backend = pipeline.backend
        self.polls = PollRate(self.backend.polls_per_minute)
        # the bell's counts and our creates on app/user's limit: with the burst, ≤ 90 % of it in
        # any minute, the rest left for the account reads and the user's other tools
        self.reads = PollRate(MVSEP_LIMIT)
        self.pace = pace or ServerPace()
        self._since = time.time()  # jobs sent since: their whole time on the server was watched
        self._sent_at: dict[str, float] = {}  # job id -> when (epoch) its upload ended, in this run
        # lane -> (created_at, sequence, job id): the oldest job first; a None id stops a thread
        self._lanes = {lane: queue.PriorityQueue() for lane in lanes}
        self._sequence = itertools.count()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._awaiting: list[tuple[float, str]] = []  # (created_at, id): prepared, want a slot
        self._in_flight: set[str] = set()  # slot holders
        self._polls: dict[str, float] = {}  # job id -> monotonic time of its next poll
        self._retries: dict[str, int] = {}  # job id -> transient failures in its current stage
        self._slot_waits: dict[str, int] = {}  # job id -> creates refused for a full plan
        self._busy: set[str] = set()  # jobs a worker is running right now (one worker per job)
        self._asked: dict[str, float] = {}  # job id -> monotonic time of its last poll answer
        self._running_at: dict[str, float] = {}  # job id -> last time (epoch) it was seen still running
        self._counted: dict[str, tuple[float, float]] = {}  # job id -> (epoch) the counts it ended between
        self._counted_at = 0.0  # epoch time of the last count
        self._bell_at = 0.0  # monotonic time of the next count of the account's running jobs
        self._rang_at = 0.0  # monotonic time of the last count
        self._bell_on = False  # the backend counts them (a first count came back)
        self._capacity = (1, -CAPACITY_TTL)
        self._workers = [(lane, threading.Thread(target=self._worker, args=(lane,), name=f"job-{lane}-{i}",
                                                 daemon=True))
                         for lane, count in lanes.items() for i in range(count)]
        self._threads = [thread for _, thread in self._workers]
        self._threads.append(threading.Thread(target=self._poller, name="job-poller", daemon=True))

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the threads and pick up every unfinished job where it was."""
        for job in self.store.unfinished():
            self.route(job)
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for lane, _ in self._workers:
            self._lanes[lane].put((float("-inf"), next(self._sequence), None))
        for thread in self._threads:
            thread.join(timeout)

    # --- routing ------------------------------------------------------------------------------
    def route(self, job: Job) -> None:
        """Hand a job to whoever runs its current state."""
        with self._cond:
            if job.state.final:
                self._release(job.id)
                return
            if job.state in (JobState.UPLOADING, JobState.REMOTE):
                self._in_flight.add(job.id)  # on the server already (or maybe): it holds a slot
            if (job.state == JobState.REMOTE and (job.submitted_at or 0.0) >= self._since
                    and job.id not in self._sent_at):
                self._sent_at[job.id] = time.time()  # just sent: the server's time starts
                self.reads.spend()  # its create was on the bell's limit
            if job.state == JobState.REMOTE and not job.cancel_requested:
                # just sent: nothing to ask before jobs like it were done, or the bell rings
                self._polls[job.id] = time.monotonic() + self._next_poll(job)
                self._cond.notify_all()
                return
        self._enqueue(job.id)

    def kick(self, job_id: str) -> None:
        """Look at a job again now (e.g. a cancel was requested)."""
        with self._cond:
            if job_id in self._polls:
                del self._polls[job_id]
            self._awaiting = [(t, i) for t, i in self._awaiting if i != job_id]
        self._enqueue(job_id)

    def _enqueue(self, job_id: str) -> None:
        """Queue a job on the lane of its current stage."""
        if self._stop.is_set():  # e.g. a retry's timer after the engine stopped (its store closed)
            return
        job = self.store.get(job_id)
        with self._cond:
            granted = job.id in self._in_flight
        if job.state == JobState.DOWNLOADING:
            lane = "download"
        elif job.state == JobState.FINISHING:
            lane = "finish"
        elif job.state == JobState.UPLOADING or (granted and job.plan is not None and self.pipeline.prepared(job)):
            lane = "upload"
        else:
            lane = "prepare"  # and planning, and a cancel of a job on the server
        self._lanes[lane].put((job.created_at, next(self._sequence), job_id))

    def _later(self, job_id: str, seconds: float) -> None:
        timer = threading.Timer(seconds, self._enqueue, args=(job_id,))
        timer.daemon = True
        timer.start()

    def _release(self, job_id: str) -> None:
        with self._cond:
            self._in_flight.discard(job_id)
            self._polls.pop(job_id, None)
            self._retries.pop(job_id, None)
            self._asked.pop(job_id, None)
            self._running_at.pop(job_id, None)
            self._counted.pop(job_id, None)
            self._sent_at.pop(job_id, None)
        job = self.store.get(job_id)
        if job.state.final:  # failed or cancelled: nothing reads its upload or downloads again
            shutil.rmtree(self.pipeline.work_dir(job), ignore_errors=True)
        self._dispatch()

    def capacity(self) -> int:
        value, stamp = self._capacity
        if time.monotonic() - stamp > CAPACITY_TTL:
            try:
                value = max(1, int(self.backend.capacity()))
            except BridgeError as exc:
                log.warning("cannot read the plan's job limit (%s); assuming %d", exc, value)
            self._capacity = (value, time.monotonic())
        return value

    def _dispatch(self) -> None:
        """Give free slots to the oldest prepared jobs."""
        capacity = self.capacity()
        with self._cond:
            while self._awaiting and len(self._in_flight) < capacity:
                _, job_id = self._awaiting.pop(0)
                self._in_flight.add(job_id)
                self._enqueue(job_id)

    def _await_slot(self, job: Job) -> None:
        with self._cond:
            if job.id in self._in_flight:  # granted already (a retry): go on
                self._enqueue(job.id)
                return
            if all(i != job.id for _, i in self._awaiting):
                self._awaiting.append((job.created_at, job.id))
                self._awaiting.sort()
        self._dispatch()

    # --- workers ------------------------------------------------------------------------------
    def _worker(self, lane: str) -> None:
        while True:
            _, _, job_id = self._lanes[lane].get()
            if job_id is None or self._stop.is_set():
                return
            with self._cond:
                if job_id in self._busy:  # e.g. a cancel while its download runs: look again soon
                    self._later(job_id, 0.2)
                    continue
                self._busy.add(job_id)
            try:
                self._advance(self.store.get(job_id))
            except Exception:  # never lose a worker thread
                log.exception("job %s: unexpected error", job_id)
            finally:
                with self._cond:
                    self._busy.discard(job_id)

    def _advance(self, job: Job) -> None:
        if job.state.final:
            self._release(job.id)
            return
        if job.cancel_requested:
            self.cancel(job)
            return
        try:
            job = self._run_stage(job)
        except SlotTaken as exc:  # not a failure: as long as it takes, without using up attempts
            waits = self._slot_waits.get(job.id, 0) + 1
            self._slot_waits[job.id] = waits
            delay = min(SLOT_WAIT_MAX, 2.0**waits)
            log.info("job %s: %s; asking again in %.0f s", job.id, exc.message, delay)
            self.journal.commit(job.id, message=exc.message)
            self._later(job.id, delay)
            return
        except TRANSIENT as exc:
            self._retry(job, exc)
            return
        except BridgeError as exc:
            job = self.journal.commit(job.id, state=JobState.FAILED, error=str(exc))
        except Exception as exc:  # a bug or an OS error: fail this job, keep the queue going
            log.exception("job %s failed", job.id)
            job = self.journal.commit(job.id, state=JobState.FAILED, error=f"{type(exc).__name__}: {exc}")
        self._retries.pop(job.id, None)
        self._slot_waits.pop(job.id, None)
        if job.state.final:
            self._release(job.id)
        elif job.state == JobState.QUEUED:
            self._await_slot(job)
        else:
            self.route(job)

    def _run_stage(self, job: Job) -> Job:
        """Run the stage of the job's state; the next one is another lane's (see _enqueue)."""
        pipeline = self.pipeline
        if job.state in (JobState.QUEUED, JobState.PREPARING):
            if not pipeline.prepared(job):
                job = pipeline.prepare(job)
                if job.id in self._in_flight:
                    return job  # its slot is granted already: on to the upload lane
            if job.id in self._in_flight and job.plan is not None:
                return pipeline.upload(job)
            job = pipeline.plan(job)  # ledger: may come back REMOTE or DONE
            return job
        if job.state == JobState.UPLOADING:
            return pipeline.upload(job)
        if job.state == JobState.DOWNLOADING:
            return pipeline.download(job)  # the finish lane takes it from here
        if job.state == JobState.FINISHING:
            if job.remote_files:
                return pipeline.finish(job)
            return pipeline.plan(job)  # a ledger copy cut short: redo it
        return job

    def _retry(self, job: Job, exc: BridgeError) -> None:
        attempt = self._retries.get(job.id, 0) + 1
        self._retries[job.id] = attempt
        if attempt > MAX_ATTEMPTS:
            self.journal.commit(job.id, state=JobState.FAILED, error=f"gave up after {MAX_ATTEMPTS} tries: {exc}")
            self._release(job.id)
            return
        delay = getattr(exc, "retry_after", None) or backoff(attempt)
        log.info("job %s: retrying in %.0f s: %s", job.id, delay, exc)
        self.journal.commit(job.id, message=f"retrying in {delay:.0f} s: {exc}")
        self._later(job.id, delay)

    def cancel(self, job: Job) -> None:
        refunded = None
        if job.remote_hash and job.remote_status not in ("done", "failed"):
            try:
                refunded = self.backend.cancel(job.remote_hash)
            except BridgeError as exc:
                log.warning("job %s: remote cancel failed: %s", job.id, exc)
                refunded = False
        # the state says "cancelled" already: the message says what it cost
        message = "stopped before anything was sent; nothing spent"
        if refunded is True:
            message = "the server dropped it" + ("; its credits are refunded" if job.credits else "")
        elif refunded is False:
            message = "stopped here; the server had started it already, so no refund"
        credits = 0 if refunded or not job.remote_hash else job.credits
        self.journal.commit(job.id, state=JobState.CANCELLED, message=message, credits=credits)
        self._release(job.id)

    # --- poller -------------------------------------------------------------------------------
    def _poller(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                if not self._polls:
                    self._cond.wait(1.0)
                    continue
                job_id, due = min(self._polls.items(), key=lambda item: item[1])
                now = time.monotonic()
                # the bell first when it is due: a count draws nothing from the poll budget, and
                # polls waiting for their turn (a burst spent, a Retry-After) must not silence it
                ring = self._bell_at <= now
                if due > now and not ring:
                    self._cond.wait(min(due, self._bell_at) - now)
                    continue
            if ring:
                self._ring()
                continue
            if not self.polls.acquire(self._stop, until=self._bell_at):
                continue  # stopping, or the bell comes first; the poll stays planned
            with self._cond:
                if self._polls.pop(job_id, None) is None:  # handed on meanwhile (cancelled, routed)
                    continue
            try:
                self._poll(self.store.get(job_id))
            except Exception:
                log.exception("job %s: poll failed", job_id)
                self._schedule_poll(job_id, 5.0)

    def _next_poll(self, job: Job) -> float:
        """Seconds until `job` is asked about again. While the bell rings, these looks are only
        for what it cannot show, so together they use at most half the poll budget."""
        now = time.time()
        seconds = poll_interval(job, now, self._expected(job))
        if self._bell_at == float("inf"):  # no bell: the polls alone see it done (see LATE_SHARE)
            return min(seconds, max(0.25, late_wait(job, now)))
        per_minute = self.polls.per_minute
        if self._bell_on and per_minute:
            seconds = max(seconds, (len(self._polls) + 1) * 120.0 / per_minute)
        return seconds

    def _ring(self) -> None:
        """Count the account's running jobs; ask at once about as many of ours as are missing
        from the count, those most likely done first (not asked since the last count, the
        earliest expected end). With the bell's budget spent, the count waits for its turn."""
        wait = self.reads.take()
        if wait > 0:
            self._bell_at = time.monotonic() + wait
            return
        rang_before, self._rang_at = self._rang_at, time.monotonic()
        counted_before, counted_at = self._counted_at, time.time()
        self._counted_at = counted_at
        try:
            running = self.backend.running()
        except BridgeError as exc:  # a 429 or an outage: the regular polls go on meanwhile
            log.info("cannot count the running jobs (%s); again in %.0f s", exc, BELL_PAUSE)
            self._bell_at = time.monotonic() + BELL_PAUSE
            return
        if running is None:  # the backend cannot tell: the regular polls alone
            self._bell_on = False
            self._bell_at = float("inf")
            with self._cond:  # planned while a bell was hoped for: look soon, then as _next_poll says
                soon = time.monotonic() + 0.25
                self._polls = {job_id: min(due, soon) for job_id, due in self._polls.items()}
            return
        self._bell_on = True
        with self._cond:
            ours = list(self._polls)
        jobs = [self.store.get(job_id) for job_id in ours]
        # from the count's answer: its latency shifts the next count, so the counts drift across the
        # ends of jobs sent together instead of keeping a step that may fall between them every
        # time (bench/batch.py, 10 files: done → download median 0.44-0.59 s with a kept step,
        # 0.20-0.27 s drifting)
        self._bell_at = time.monotonic() + bell_interval([(job, self._expected(job)) for job in jobs], time.time())
        finished = len(ours) - running
        if finished <= 0:  # all of ours still ran (unless the site's jobs hid an end: then a bit late)
            with self._cond:
                self._running_at.update(dict.fromkeys(ours, counted_at))
            return
        jobs.sort(key=lambda job: (self._asked.get(job.id, 0.0) > rang_before,
                                   self._expected(job) or job.submitted_at or 0.0))
        with self._cond:
            for job in jobs[:finished]:
                if job.id in self._polls:
                    self._polls[job.id] = 0.0  # before every regular poll
                    self._counted[job.id] = (counted_before, counted_at)  # if done: it ended between
            self._cond.notify_all()

    def _expected(self, job: Job) -> float | None:
        """When `job` should be done (epoch), by the pace (None: not known). The pace counts from
        the upload's end (an upload's time depends on the link and on the uploads beside it);
        for a job sent before a restart, from its upload's start: a little early, never late."""
        took = self.pace.duration(job)
        start = self._sent_at.get(job.id) or job.submitted_at
        return None if took is None or not start else start + took

    def _ended(self, job_id: str) -> float:
        """When a job just seen done ended, at best: the middle of the span it ended in (from the
        last look that saw it running, or the count before the one that missed it, to now, or that
        count), so the pace is the server's time, not that plus how late we looked. In a batch the
        counts rarely see all of ours running (some are done, not yet asked about), so the count
        before is the closer bound there."""
        now = time.time()
        with self._cond:
            running = self._running_at.get(job_id)
            before, missed = self._counted.get(job_id, (None, now))
        start = max((t for t in (running, before) if t), default=None)
        end = min(now, missed)
        return end if start is None else (start + end) / 2

    def _schedule_poll(self, job_id: str, seconds: float) -> None:
        with self._cond:
            self._polls[job_id] = time.monotonic() + seconds
            self._cond.notify_all()

    def _poll(self, job: Job) -> None:
        if job.state != JobState.REMOTE or job.cancel_requested:
            self._enqueue(job.id)
            return
        asked_at = time.time()
        try:
            progress = self.backend.status(job.remote_hash or "")
        except RateLimited as exc:
            self.polls.pause(exc.retry_after or 5.0)
            self._schedule_poll(job.id, exc.retry_after or 5.0)
            return
        except AuthError as exc:
            self.journal.commit(job.id, state=JobState.FAILED, error=str(exc))
            self._release(job.id)
            return
        except (Unreachable, ServerError) as exc:
            attempt = self._retries.get(job.id, 0) + 1
            self._retries[job.id] = min(attempt, 6)
            self.journal.commit(job.id, message=f"cannot reach the server ({exc}); asking again")
            self._schedule_poll(job.id, backoff(attempt))
            return
        self._retries.pop(job.id, None)
        self._asked[job.id] = time.monotonic()
        self.polls.set_limit(self.backend.polls_per_minute)
        job = self.pipeline.apply(job, progress)
        if job.state == JobState.REMOTE:
            with self._cond:
                self._running_at[job.id] = asked_at
                self._counted.pop(job.id, None)  # the count's miss was another job's end
            self._schedule_poll(job.id, self._next_poll(job))
            return
        # only a job sent in this run: one sent before a restart may have been done long before
        sent_at = self._sent_at.get(job.id)
        if job.state == JobState.DOWNLOADING and sent_at is not None:
            self.pace.learn(job, self._ended(job.id) - sent_at, time.time())
        self._release(job.id)
        if not job.state.final:
            self._enqueue(job.id)
