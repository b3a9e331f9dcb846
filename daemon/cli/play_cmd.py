"""`mvsep-bridge play JOB [--stem NAME]… [--device D] [--start S]`: preview a finished job's stems
(several are mixed) on an output device, through the daemon's audio bridge; Ctrl-C stops it."""

from __future__ import annotations

import time

import click

from ..settings import load_settings
from .connect import connect
from .interrupts import uninterrupted

POLL_SECONDS = 0.2


@click.command("play")
@click.argument("job")
@click.option("--stem", "stems", multiple=True, metavar="NAME", help="a stem to play (repeatable; default: all, mixed)")
@click.option("--device", metavar="D", help="output device: number or name (`mvsep-bridge devices`)")
@click.option("--start", type=click.FloatRange(min=0), default=0.0, help="start at S seconds")
@click.option("--rate", type=click.IntRange(min=1), help="play at this device rate (resampled); default: the file's when the device takes it")
def play_command(job, stems, device, start, rate) -> int:
    """Preview a finished job's stems on an output device (several stems are mixed)."""
    client = connect(load_settings())
    arguments = {"job": job, "stems": list(stems), "device": device, "start": start, "rate": rate}
    status, interrupted = uninterrupted(
        lambda: client.call("audio", "play", {k: v for k, v in arguments.items() if v is not None}))
    resampled = f", resampled from {status['file_rate']} Hz" if status["rate"] != status["file_rate"] else ""
    click.echo(f"playing {', '.join(status['stems'])} of job {job} on {status['device']} "
               f"at {status['rate']} Hz{resampled} (Ctrl-C stops)", err=True)
    try:
        if interrupted:
            raise KeyboardInterrupt
        status = _follow(client, status)
    except KeyboardInterrupt:
        status = client.call("audio", "stop")
    if status["playing"] is None:
        click.echo("replaced by another preview", err=True)
        return 0
    click.echo(f"{status['state']}: {status['seconds_played']:g} s played"
               + (f", {status['underflows']} underflow(s)" if status["underflows"] else ""))
    if status["error"]:
        click.echo(f"error: {status['error']}", err=True)
        return 1
    return 0


def _follow(client, status: dict) -> dict:
    """The preview's last status once it ended ({"playing": None} when another one replaced it)."""
    mine = status["playing"]
    while status["state"] == "playing":
        time.sleep(POLL_SECONDS)
        now = client.call("audio", "status")["playback"]
        if not now or now["playing"] != mine:
            return {"playing": None}
        status = now
    return status
