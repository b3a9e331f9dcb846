"""`mvsep-bridge demo`: the product working on a fresh machine with no account.

It generates a short song whose parts are known (localsep.synth), starts a daemon on the local
engine in a data folder of its own (so it never touches the user's daemon, jobs or MVSEP credits),
separates the song through that daemon exactly as `separate` would, checks the stems add back up to
the song, prints where they are, and stops the daemon it started.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import click
import numpy as np

from ..audio import codecs
from ..audio.formats import (
    FLOAT_WAV,  # lossless, unquantised: the stems must add back up exactly
)
from ..control.client import ControlClient
from ..errors import JobFailed, Unreachable
from ..jobs.model import JobRequest, JobState, ReplyChannel
from ..localsep import DEFAULT_SEP_TYPE, synth
from .separate_cmd import DaemonRunner, run_jobs

DEMO_RATE = 44_100
START_TIMEOUT = 60.0


@click.command("demo")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("mvsep-demo"),
              show_default=True, help="folder for the demo clip, its stems and the demo daemon's data")
@click.option("--seconds", type=click.FloatRange(1, 120), default=8.0, show_default=True,
              help="length of the generated clip")
def demo_command(out: Path, seconds: float) -> int:
    """Separate a generated demo clip on the local engine through a real daemon; print the stems."""
    out = out.absolute()
    out.mkdir(parents=True, exist_ok=True)
    clip = out / "demo.wav"
    mix, _ = synth.song(seconds, DEMO_RATE)
    codecs.encode(mix, DEMO_RATE, FLOAT_WAV, clip)
    click.echo(f"demo clip: {clip} ({seconds:g} s, {DEMO_RATE} Hz, stereo)")

    data_dir = out / ".daemon"
    daemon = _start_daemon(data_dir)
    try:
        client = _wait_for_daemon(data_dir, daemon)
        click.echo(f"daemon: pid {daemon.pid}, local engine, {client.url}")
        request = JobRequest(source=clip, sep_type=DEFAULT_SEP_TYPE, output_format=FLOAT_WAV,
                             destination=out, reply=ReplyChannel(bridge="cli", tag="demo"))
        runner = DaemonRunner(client, data_dir)
        try:
            code = run_jobs(runner, [request], as_json=False)
            view = client.jobs()[0]  # newest first: the one just run
        finally:
            runner.close()
    finally:
        _stop_daemon(daemon)
    if code != 0 or view.state != JobState.DONE:
        raise JobFailed(f"the demo job ended {view.state}: {view.error or view.message}",
                        hint=f"the daemon's log is under {data_dir}")
    stems = [codecs.decode(view.result_dir / stem.file)[0] for stem in view.stems]
    residual = float(np.max(np.abs(np.sum(stems, axis=0) - mix)))
    frames = {stem.shape[0] for stem in stems}
    click.echo(f"check: {len(stems)} stems of {frames.pop() if len(frames) == 1 else frames} frames "
               f"(clip: {mix.shape[0]}), max |sum of stems - clip| = {residual:.2e}")
    click.echo(f"manifest: {view.result_dir / 'manifest.json'}")
    click.echo("with an MVSEP account: `mvsep-bridge account login`, then `mvsep-bridge separate FILE`")
    return 0


def _start_daemon(data_dir: Path) -> subprocess.Popen:
    """`mvsep-bridge daemon` on the local engine, in its own data dir, with no token in reach."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MVSEP_")}
    env.update(MVSEP_BRIDGE_DATA_DIR=str(data_dir), MVSEP_BRIDGE_BACKEND="local",
               MVSEP_BRIDGE_CONFIG=str(data_dir / "config.toml"))  # no hot folders of the user's
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / "daemon.out", "ab")
    return subprocess.Popen([sys.executable, "-m", "mvsep_bridge.daemon.cli", "daemon"], env=env,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait_for_daemon(data_dir: Path, daemon: subprocess.Popen) -> ControlClient:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            break
        client = ControlClient.discover(data_dir)
        if client:
            return client
        time.sleep(0.1)
    raise Unreachable("the demo daemon did not start",
                      hint=f"see {data_dir / 'daemon.out'} for why")


def _stop_daemon(daemon: subprocess.Popen) -> None:
    daemon.terminate()
    try:
        daemon.wait(timeout=30)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()
