"""The emulator's knobs: timings, limits and faults, settable at start (`--config FILE.json`,
`--set knob=value`) and at run time (`POST /_emulator/config {"knob": value, …}`).

Timings (seconds of the emulator clock)
    waiting_seconds        2.0    a job sits in `waiting` this long
    processing_seconds     3.0    then `processing` at least this long (the split runs meanwhile)
    processing_jitter_seconds
                           0.0    and a random extra per job, uniform in [0, this], drawn at create:
                                  a real server's job ends are random, not in step with a client's looks
    jitter_seed            1      seed of that draw (re-seeded when set), so runs are reproducible
    distribute_threshold   600.0  inputs longer than this go waiting → distributing → merging
    chunk_length           120.0  seconds of input per chunk when distributing (all_chunks)
    chunk_seconds          1.0    time to finish one chunk while distributing
    merging_seconds        2.0    time in `merging`
    remote_fetch_seconds   1.0    a `url` job waits this long before its file is fetched
    tick_seconds           0.02   how often the worker looks at the jobs
    result_ttl_hours       72.0   results (and the job) expire this long after `done`

Accounts and results
    max_concurrent_free    1      running jobs a non-premium account may have (the next create: 400)
    max_concurrent_premium 10     the same for premium accounts
    resample_44k           true   results come back at 44.1 kHz whatever the input rate, as MVSEP does
    max_upload_bytes       2 GiB  larger request bodies get 413
    signup_credits         100    credits of an account made with /api/app/register
    files_host             ""     serve result/input downloads from a second listener on this
                                  address (e.g. 127.0.0.2, another loopback host) and link them
                                  there, as MVSEP links files on other hosts; read at start only
    hostile_file_names     false  `download` names of result files try to leave the client's
                                  folder: "../../<name>" and "/tmp/<name>" by turns

Rendering: results are rendered by up to `max_concurrent_premium` jobs at a time (read at start),
so the plan's concurrency, not the emulator, bounds the server's time.

Bandwidth (bytes per second of one link shared by every connection, in arrival order; 0 = unlimited)
    upload_bandwidth       0      request bodies (uploads) are read no faster than this
    download_bandwidth     0      result and input downloads are sent no faster than this

Rate limits (per api_token, or per client IP without one; sliding window)
    rate_limit             120    requests per window on most endpoints
    rate_limit_slow        60     requests per window on separation/get and app/algorithms
    rate_limit_window      60.0   window length in seconds (wall clock)

Faults (counters count down as they fire; "requests" means /api/… and result downloads,
never /_emulator/…; `fault_path` narrows them to paths containing that text)
    fault_path             ""     only requests whose path contains this are faulted
    fail_next              0      the next N requests get HTTP `fail_status` (JSON body)
    fail_rate              0.0    probability of `fail_status` per request (seeded by fault_seed)
    fail_status            503    the 5xx status used by fail_next / fail_rate
    fault_seed             1      seed of the fail_rate generator (re-seeded when set)
    throttle_next          0      the next N requests get 429 with Retry-After
    throttle_retry_after   1      the Retry-After seconds sent by throttle_next
    reset_next             0      the next N requests get a TCP reset and no response
    reset_after_create_next 0     the next N successful creates are committed (job exists, credits
                                  charged) and then the connection is reset: the lost response
    truncate_next          0      the next N downloads send the full Content-Length but only
                                  `truncate_fraction` of the body, then close
    truncate_fraction      0.5
    delay_seconds          0.0    every request waits this long before it is answered
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EmulatorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    waiting_seconds: float = Field(2.0, ge=0)
    processing_seconds: float = Field(3.0, ge=0)
    processing_jitter_seconds: float = Field(0.0, ge=0)
    jitter_seed: int = 1
    distribute_threshold: float = Field(600.0, ge=0)
    chunk_length: float = Field(120.0, gt=0)
    chunk_seconds: float = Field(1.0, ge=0)
    merging_seconds: float = Field(2.0, ge=0)
    remote_fetch_seconds: float = Field(1.0, ge=0)
    tick_seconds: float = Field(0.02, gt=0)
    result_ttl_hours: float = Field(72.0, gt=0)

    max_concurrent_free: int = Field(1, ge=1)
    max_concurrent_premium: int = Field(10, ge=1)
    resample_44k: bool = True
    max_upload_bytes: int = Field(2 * 1024**3, gt=0)
    signup_credits: int = Field(100, ge=0)
    files_host: str = ""
    hostile_file_names: bool = False

    upload_bandwidth: int = Field(0, ge=0)
    download_bandwidth: int = Field(0, ge=0)

    rate_limit: int = Field(120, ge=1)
    rate_limit_slow: int = Field(60, ge=1)
    rate_limit_window: float = Field(60.0, gt=0)

    fault_path: str = ""
    fail_next: int = Field(0, ge=0)
    fail_rate: float = Field(0.0, ge=0, le=1)
    fail_status: int = Field(503, ge=500, le=599)
    fault_seed: int = 1
    throttle_next: int = Field(0, ge=0)
    throttle_retry_after: int = Field(1, ge=0)
    reset_next: int = Field(0, ge=0)
    reset_after_create_next: int = Field(0, ge=0)
    truncate_next: int = Field(0, ge=0)
    truncate_fraction: float = Field(0.5, ge=0, lt=1)
    delay_seconds: float = Field(0.0, ge=0)


#: knobs the fast test fixture uses (tests/conftest.py `emulator`)
FAST_TIMINGS = {
    "waiting_seconds": 0.2,
    "processing_seconds": 0.2,
    "chunk_seconds": 0.2,
    "merging_seconds": 0.2,
    "remote_fetch_seconds": 0.2,
}
