"""The engine of mvsep-bridge. Bridges (mvsep_bridge.bridges) use it only through `engine.Engine`
(and, from other processes, the control channel); never through the modules below.

    engine.py       Engine / Bridge protocols: the one door for bridges
    jobs/           the job model (model.py), store, pipeline, scheduler: see jobs/__init__.py
    backends/       where separation happens: MVSEP (mvsep.py) or this machine (local.py)
    client/         MvsepClient: every MVSEP endpoint on one requests.Session
    catalog.py      /api/app/algorithms cached, validation, credit estimates
    kinds.py        jobs beyond "a file in, stems out": which inputs an algorithm takes, what it makes
    audio/          decode/encode at the edges, pure numpy in between (section, resample, align)
    localsep/       the offline DSP engine (and Demucs when installed)
    control/        loopback HTTP control channel (server in the daemon, client for the CLI)
    runtime.py      the daemon process: engine + control channel + bridges until SIGTERM
    settings.py     flags > environment > config file > defaults; config_file.py edits the file
    errors.py       the exception tree and exit codes
    emulator/       a local MVSEP-compatible server (tests, and `mvsep-bridge emulator`)
    cli/            one module per command, registered in cli/main.py
"""
