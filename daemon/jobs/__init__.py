"""Jobs: the one model every bridge speaks, and the engine that runs them.

    model.py       JobRequest / JobView / JobEvent / JobState (wire data, pydantic)
    store.py       SQLite (WAL) job rows under data_dir; every change a committed row
    events.py      Journal: the only writer after creation (row, then log line, then listeners)
    pipeline.py    the stages: prepare → plan (ledger, budget) → upload → apply polls → download
                   → finish (align, write, manifest, one rename)
    scheduler.py   worker threads, server slots (plan's job limit), the poller
    pollrate.py  the one poll budget per token (Retry-After pauses it)
    manifest.py    manifest.json (DESIGN.md "Output")
    job_engine.py  JobEngine: the daemon's `daemon.engine.Engine`, one per data_dir (locked)

Backends (where separation happens) are in daemon/backends/; the process around the engine (control
channel, bridges, signals) is daemon/runtime.py.
"""
