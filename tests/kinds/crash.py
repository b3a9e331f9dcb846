"""kill -9 the daemon while a create is on the wire, then start it again (tests/kinds)."""

from __future__ import annotations

from harness import DaemonProcess, store_states, wait_for


def crash_during_create(emulator, daemon: DaemonProcess, data, job: str) -> None:
    """The emulator holds creates (fault_path + delay_seconds set by the test) and runs them after
    the daemon is gone, so the restarted daemon must find that job, not send it again."""
    wait_for(lambda: store_states(data).get(job) == "uploading", interval=0.005, what="the create under way")
    daemon.kill()
    emulator.configure(fault_path="", delay_seconds=0.0)
    daemon.start()
    wait_for(lambda: store_states(data).get(job) in ("done", "failed"), timeout=90, what="the job over")
    assert store_states(data)[job] == "done"
