"""`mvsep-bridge record [--device D] [--seconds N] [separate options]`: capture an input device
into a lossless file through the daemon's audio bridge, then separate it like `separate` does
(progress, stems, exit code). Without --seconds, Ctrl-C ends the recording."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..errors import JobFailed
from ..jobs.model import JobRequest, JobView
from ..settings import load_settings
from .interrupts import uninterrupted
from .params import parse_options
from .separate_cmd import DaemonRunner, daemon_client, job_options, run_jobs

STOP_MARGIN_SECONDS = 30.0  # beyond --seconds, for the device to deliver the last block


class RecordedJob(DaemonRunner):
    """run_jobs follows requests it submits; the recording's job is submitted by the daemon."""

    def __init__(self, client, data_dir: Path, job_id: str):
        super().__init__(client, data_dir)
        self.job_id = job_id

    def submit(self, request: JobRequest) -> JobView:
        return self.get(self.job_id)


@click.command("record")
@click.option("--device", metavar="D", help="input device: number or name (`mvsep-bridge devices`)")
@click.option("--seconds", type=click.FloatRange(min=0, min_open=True), help="record this long (default: until Ctrl-C)")
@click.option("--rate", type=click.IntRange(min=1), help="sample rate (default: the device's)")
@click.option("--channels", type=click.IntRange(min=1), help="channels (default: 2, or 1 on a mono device)")
@click.option("--file-format", type=click.Choice(["flac", "wav"]), default="flac", show_default=True,
              help="the recording's file: FLAC 24-bit or WAV 32-bit float")
@click.option("--sep-type", type=int, help="algorithm (see `mvsep-bridge algorithms`)")
@job_options("folder for the recording and its stems (default: the daemon's recordings folder)")
def record_command(device, seconds, rate, channels, file_format, sep_type, opts, output_format, out, replace,
                   as_json) -> int:
    """Record an input device into a lossless file, then separate it into stems."""
    settings = load_settings()
    arguments = {"device": device, "seconds": seconds, "rate": rate, "channels": channels,
                 "file_format": file_format, "sep_type": sep_type, "options": parse_options(opts),
                 "output_format": output_format, "destination": str(out.resolve()) if out else None,
                 "replace": replace}
    client = daemon_client(settings)  # a bad token or a server that is down: said before anything is recorded
    status, interrupted = uninterrupted(
        lambda: client.call("audio", "record_start", {k: v for k, v in arguments.items() if v is not None}))
    length = f" for {seconds:g} s" if seconds else " until Ctrl-C"
    click.echo(f"recording {status['channels']} channel(s) at {status['rate']} Hz from {status['device']}"
               f"{length} into {status['file']}", err=True)
    try:
        if interrupted:
            raise KeyboardInterrupt
        if seconds:
            status = client.call("audio", "record_stop", {"wait": seconds + STOP_MARGIN_SECONDS},
                                 timeout=seconds + 2 * STOP_MARGIN_SECONDS)
        else:
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        status = client.call("audio", "record_stop")
    overflows = f", {status['overflows']} input overflow(s): the recording has gaps" if status["overflows"] else ""
    click.echo(f"recorded {status['seconds']:g} s into {status['file']}{overflows}", err=True)
    if status["state"] != "submitted":
        raise JobFailed(f"the recording was not separated: {status['error']}")
    runner = RecordedJob(client, settings.data_dir, status["job"])
    try:
        request = JobRequest(source=Path(status["file"]))  # its name labels the progress line
        return run_jobs(runner, [request], as_json)
    finally:
        runner.close()
