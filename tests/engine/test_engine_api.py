"""A bridge needs nothing but daemon/engine.py: a test bridge built on it alone submits, follows
and cancels jobs; allowed_roots holds for every bridge request, on resolved paths."""

from __future__ import annotations

import ast
import queue
from pathlib import Path

import pytest
import soundfile as sf

from mvsep_bridge.daemon import engine as door
from mvsep_bridge.daemon.engine import (
    Engine,
    JobEvent,
    JobRequest,
    JobTracker,
    PathNotAllowed,
    ReplyChannel,
)

from harness import write_wav

BRIDGES = Path(__file__).resolve().parents[2] / "bridges"


class EchoBridge:
    """A bridge as small as it gets: submits what it is given, keeps what it hears."""

    name = "echo"

    def __init__(self):
        self.events: queue.Queue[JobEvent] = queue.Queue()

    def start(self, engine: Engine) -> None:
        self.engine = engine
        self.tracker = JobTracker(engine, self.name, self.events.put)
        self.earlier = self.tracker.start()

    def stop(self) -> None:
        self.tracker.stop()

    def separate(self, source: Path, tag: str, **fields):
        return self.engine.submit(JobRequest(source=source, reply=ReplyChannel(bridge=self.name, tag=tag), **fields))

    def until_final(self, job_id: str, timeout: float = 60.0) -> list[JobEvent]:
        seen = []
        while True:
            event = self.events.get(timeout=timeout)
            if event.job.id == job_id:
                seen.append(event)
                if event.job.state.final:
                    return seen


@pytest.fixture
def engine(tmp_path, isolated_home):
    from mvsep_bridge.daemon.jobs.job_engine import JobEngine
    from mvsep_bridge.daemon.settings import load_settings

    settings = load_settings(data_dir=tmp_path / "data", backend="local",
                             allowed_roots=[tmp_path / "music"])
    with JobEngine(settings) as running:
        yield running


def test_bridges_import_nothing_from_the_daemon_but_the_engine_module():
    for path in BRIDGES.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mvsep_bridge.daemon"):
                assert node.module == "mvsep_bridge.daemon.engine", f"{path}: imports {node.module}"


def test_a_bridge_on_the_engine_alone_submits_follows_and_cancels(engine, tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    bridge = EchoBridge()
    bridge.start(engine)
    try:
        done = bridge.separate(write_wav(music / "a.wav", seconds=2.0), tag="first", sep_type=40)
        events = bridge.until_final(done.id)
        kinds = [e.kind for e in events]
        assert kinds[0] == "accepted" and kinds.count("accepted") == 1 and kinds[-1] == "done"
        assert all(k == "progress" for k in kinds[1:-1])
        firsts = [b.job for a, b in zip(events, events[1:]) if a.job.state != b.job.state]
        assert all(v.progress in (None, 0.0) for v in firsts if not v.state.final), \
            "a state began with the progress of the one before"
        views = [e.job.model_dump(exclude={"updated_at"}) for e in events]
        assert all(a != b for a, b in zip(views, views[1:])), "a progress event without a change"
        final = events[-1].job
        assert [s.name for s in final.stems] == ["vocals", "instrumental"]
        assert sf.info(str(final.result_dir / final.stems[0].file)).frames == 2 * 48_000
        assert bridge.tracker.by_tag("first").id == done.id

        long = bridge.separate(write_wav(music / "b.wav", seconds=30.0), tag="second", sep_type=20)
        cancelled = engine.cancel(long.id)  # returns at once; the event says when it is over
        assert not cancelled.state.final or cancelled.state == "cancelled"
        assert bridge.until_final(long.id)[-1].kind == "cancelled"
    finally:
        bridge.stop()


def test_the_engine_lists_the_catalog_and_prices_a_request(engine, tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    names = {a.render_id: a.name for a in engine.algorithms()}
    assert {20, 40, 41, 44, 55} <= set(names)
    assert [a.render_id for a in engine.algorithms("phantom centre")] == [55]
    estimate = engine.estimate(JobRequest(source=write_wav(music / "a.wav", seconds=3.0), sep_type=40))
    assert (estimate.sep_type, estimate.seconds, estimate.credits) == (40, 3.0, 0)
    engine.announce("echo", "udp://127.0.0.1:1")
    assert engine.listening() == {"echo": "udp://127.0.0.1:1"}
    usage = engine.usage()
    assert (usage.backend, usage.credits_today, usage.max_credits_per_day) == ("local", 0, None)


@pytest.mark.parametrize("case", ["outside", "symlink out", "dot-dot", "destination outside",
                                  "destination symlink out"])
def test_allowed_roots_refuse_paths_outside_for_bridges(engine, tmp_path, case):
    music, elsewhere = tmp_path / "music", tmp_path / "elsewhere"
    music.mkdir()
    elsewhere.mkdir()
    inside = write_wav(music / "in.wav", seconds=0.5)
    outside = write_wav(elsewhere / "out.wav", seconds=0.5)
    (music / "link.wav").symlink_to(outside)
    (music / "linked-dir").symlink_to(elsewhere)
    source, destination = {
        "outside": (outside, None),
        "symlink out": (music / "link.wav", None),
        "dot-dot": (music / ".." / "elsewhere" / "out.wav", None),
        "destination outside": (inside, elsewhere),
        "destination symlink out": (inside, music / "linked-dir"),
    }[case]

    with pytest.raises(PathNotAllowed) as refused:
        engine.submit(JobRequest(source=source, destination=destination, sep_type=40,
                                 reply=ReplyChannel(bridge="osc")))

    assert "outside allowed_roots" in refused.value.message and "allowed_roots" in refused.value.hint
    assert engine.jobs() == []
    # the user's own command line is not a bridge: the same request from it is taken
    assert engine.submit(JobRequest(source=source, destination=destination, sep_type=40,
                                    reply=ReplyChannel(bridge="cli"))).state == "queued"


def test_the_door_re_exports_what_a_bridge_needs():
    for name in ("Engine", "Bridge", "JobTracker", "JobRequest", "JobView", "JobEvent", "ReplyChannel",
                 "Algorithm", "Estimate", "UsageError", "PathNotAllowed", "Settings", "OUTPUT_FORMATS"):
        assert hasattr(door, name), name
