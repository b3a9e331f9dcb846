"""What the bridge says: job views and events → OSC messages (address, arguments). Pure.

Every message about a job ends with the client's tag when it gave one, so a client can match
replies without parsing job ids.
"""

from __future__ import annotations

from mvsep_bridge.daemon.engine import Algorithm, JobState, JobView

Reply = tuple[str, tuple[object, ...]]

BRIDGE = "osc"

#: every address the bridge sends: one arriving is an echo (the daemon's own port given as a reply
#: or subscriber port, two daemons wired to each other) and is ignored, never answered, or the
#: answer would come back too, without end
ADDRESSES = frozenset("/mvsep/" + name for name in (
    "accepted", "progress", "done", "failed", "job", "jobs/end", "algorithm", "algorithms/end", "error",
    "pong", "playing", "stopped", "subscribed", "unsubscribed"))

# where each state sits on one 0..1 bar (a tablet shows one slider, not a state machine)
_SPAN = {
    JobState.QUEUED: (0.0, 0.0),
    JobState.PREPARING: (0.0, 0.05),
    JobState.UPLOADING: (0.05, 0.25),
    JobState.REMOTE: (0.25, 0.85),
    JobState.DOWNLOADING: (0.85, 0.95),
    JobState.FINISHING: (0.95, 1.0),
}


def tag_of(view: JobView) -> str | None:
    reply = view.request.reply
    return reply.tag if reply.bridge == BRIDGE else None


def _tagged(address: str, args: tuple[object, ...], tag: str | None) -> Reply:
    return address, (*args, tag) if tag else args


def fraction(view: JobView) -> float:
    """How far the whole job is, 0..1, never backwards within a run."""
    if view.state is JobState.DONE:
        return 1.0
    low, high = _SPAN.get(view.state, (0.0, 0.0))
    within = view.progress
    if view.state is JobState.REMOTE and view.chunks_total:
        within = (view.chunks_done or 0) / view.chunks_total
    within = min(max(within or 0.0, 0.0), 1.0)
    return round(low + (high - low) * within, 3)


def queue_place(view: JobView) -> int:
    """Place in MVSEP's queue; 0 when not waiting in one (or unknown)."""
    return view.queue_position or 0


def progress_key(view: JobView) -> tuple[object, ...]:
    """What a /mvsep/progress shows: a new one is sent only when this changes."""
    return view.state.value, fraction(view), queue_place(view)


def accepted(view: JobView) -> Reply:
    return _tagged("/mvsep/accepted", (view.id, str(view.request.source)), tag_of(view))


def progress(view: JobView) -> Reply:
    return _tagged("/mvsep/progress", (view.id, view.state.value, fraction(view), queue_place(view)),
                   tag_of(view))


def finished(view: JobView) -> Reply:
    """/mvsep/done with the result folder and the full path of each result file (the stems, then
    MIDI, transcripts and other outputs), or /mvsep/failed."""
    tag = tag_of(view)
    if view.state is JobState.DONE:
        folder = view.result_dir
        files = [*view.stems, *view.other_files]
        paths = tuple(str(folder / item.file) if folder else item.file for item in files)
        return _tagged("/mvsep/done", (view.id, str(folder or ""), *paths), tag)
    if view.state is JobState.CANCELLED:
        reason = "cancelled" + (f": {view.error}" if view.error else "")
    else:
        reason = view.error or view.message or "failed (no reason given)"
    return _tagged("/mvsep/failed", (view.id, reason), tag)


def current(view: JobView) -> Reply:
    """A job's state as the event that would describe it now (the answer to /mvsep/status)."""
    return finished(view) if view.state.final else progress(view)


def job_entry(view: JobView) -> Reply:
    return _tagged("/mvsep/job", (view.id, view.state.value, fraction(view), queue_place(view),
                                  str(view.request.source)), tag_of(view))


def jobs_end(sent: int, total: int) -> Reply:
    return "/mvsep/jobs/end", (sent, total)


def algorithm_entry(algorithm: Algorithm) -> Reply:
    group = algorithm.algorithm_group.name if algorithm.algorithm_group else ""
    return "/mvsep/algorithm", (algorithm.render_id, algorithm.name, group, float(algorithm.price_coefficient))


def algorithms_end(count: int) -> Reply:
    return "/mvsep/algorithms/end", (count,)


def error(code: str, message: str, tag: str | None = None) -> Reply:
    return _tagged("/mvsep/error", (code, message), tag)


def pong() -> Reply:
    return "/mvsep/pong", ()


def playback(action: str, job: str | None, stem: str | None) -> Reply:
    return ("/mvsep/playing", (job, stem)) if action == "play" else ("/mvsep/stopped", ())


def subscribed(port: int, on: bool) -> Reply:
    return ("/mvsep/subscribed" if on else "/mvsep/unsubscribed"), (port,)
