"""The MVSEP emulator: a real HTTP server on loopback that speaks the MVSEP API
(shared/mvsep/API.md), so a client written for mvsep.com works against it unchanged but for the
base URL. It is the test world of the project and a product feature (`mvsep-bridge emulator`).

Where things are
    server.py          routing, the order faults and rate limits apply in, the threaded server
    api_separation.py  separation/create, get, get-remote, cancel; result and input downloads
    api_app.py         app/algorithms, news, queue, demo, login, register, user, history, switches
    api_qc.py          quality_checker queue, leaderboard, add, entry, delete
    admin.py           the /_emulator/ control surface below
    service.py         the world: validation, concurrency, credits, commit of a job
    catalog.py         algorithms.json + the no-upload / Matchering entries, option checks, price
    accounts.py        accounts, tokens, credits     jobs.py   job records and their folders
    worker.py          statuses over time            results.py / split.py   the result audio
    midi.py            MIDI of the input's pitches   transcript.py           SRT of its sounding parts
    remote.py          url jobs (get-remote)         qc.py / sitedata.py     site data
    faults.py          fault injection               ratelimit.py            per-token limits
    traffic.py         bandwidth, per-endpoint/listener counts
    config.py          every knob and its meaning    store.py / clock.py     persistence, time

Behaviour worth knowing
    Every job costs max(1, floor(seconds × price_coefficient × price_rules / 60)) credits, charged
    at create, refunded on cancel (only while waiting) and when the job fails. "Premium"
    (enable_premium) unlocks output formats 4/5, orientation-2 algorithms and 10 concurrent jobs
    (1 otherwise). Results are 44.1 kHz (knob resample_44k) and their stems sum to the input.
    Results expire `result_ttl_hours` after they finish, on the emulator clock.

Control surface (only from loopback; JSON in, JSON out; not part of MVSEP's API)
    POST /_emulator/accounts  {email?, password?, name?, premium?: bool, credits?: int (1000)}
                              → {api_token, email, password}
    GET  /_emulator/config    → every knob
    POST /_emulator/config    {knob: value, …} → every knob (unknown knob or bad value: 400)
    POST /_emulator/clock     {advance: seconds} → {now, date}; expiry is applied at once
    GET  /_emulator/stats     → {creates: {total, per_account: {email: n}},
                                 max_concurrent: {email: n}, credits: {email: n}, clock,
                                 faults_fired: {knob: times it fired},
                                 jobs: [{hash, status, email, credits, sep_type, options,
                                         output_format, is_demo, input_seconds, all_chunks,
                                         remote_hash, files, created, processing_extra
                                         (s drawn by processing_jitter_seconds), done_at,
                                         first_download_at (emulator clock; first GET of a
                                         result file)}],
                                 remote: [{remote_hash, status, url, hash, …}],
                                 endpoints: {"/api/separation/get" | "/results/" | "/inputs/"
                                             | other API path | "other":
                                             {requests, bytes_in, bytes_out, status_429,
                                              busiest_minute (most requests in any 60 s)}},
                                 listeners: {"HOST:PORT": {requests, with_token}},
                                 limits: {"default" | "slow": {busiest_minute}}}
                              with_token counts requests to that listener whose query string,
                              headers or body held any account's api_token. limits: the requests
                              each rate limit counts (slow: separation/get and app/algorithms;
                              default: every other /api/ path), all tokens together, in their
                              busiest 60 s.
    Faults and rate limits never apply to /_emulator/, nor are its requests counted or paced.
    Tokens are never written to the log.

Knobs for benchmarks and security tests (config.py has them all; `--help-knobs` prints it)
    upload_bandwidth / download_bandwidth  bytes/s of one shared link per direction (0: unlimited)
    processing_jitter_seconds / jitter_seed a random extra per job (seeded), so job ends are not in
                                           step with a client's looks
    files_host                             a second listener (e.g. 127.0.0.2) that result links
                                           point at, as MVSEP's files live on other hosts
    hostile_file_names                     result `download` names with ../ or an absolute path
    Results render up to `max_concurrent_premium` at a time, so the plan bounds the server's time.
"""
