"""The status page (DESIGN.md "Status page"): the daemon's jobs, stems, budget and hot folders in
the browser, live, on a loopback port; `mvsep-bridge ui` opens it with a one-time link.

    access.py    one-time links, session cookies, Host and Origin checks
    live.py      engine events fanned out to open pages as server-sent events
    overview.py  the side panel: backend and budget, hot folder counts, bridges
    results.py   a job's result files, and only those (no way out of the result folder)
    waveform.py  a stem's min/max peaks read in blocks, drawn as SVG
    app.py       the HTTP routes (werkzeug)
    bridge.py    UiBridge: the server thread, the "link" action, the announcement
    static/      the page: plain HTML, CSS and JavaScript, no build step, nothing from a CDN
"""

from .bridge import UiBridge

__all__ = ["UiBridge"]
