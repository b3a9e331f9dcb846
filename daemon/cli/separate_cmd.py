"""`mvsep-bridge separate FILE…`: one-shot jobs with progress bars, through the running daemon if
there is one, else on an engine inside this process (the same engine the daemon runs)."""

from __future__ import annotations

import queue
from pathlib import Path

import click
from pydantic import ValidationError as PydanticValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..control.client import ControlClient
from ..errors import Unreachable, UsageError
from ..jobs.model import DEFAULT_SEP_TYPE, DEFAULT_SEP_TYPE_NAME, OUTPUT_FORMATS, JobEvent, JobRequest, JobState, JobView, ReplyChannel
from ..settings import Settings, load_settings
from ..numbers import MAX_SECTION_SECONDS
from .output import print_json
from .params import FiniteFloat, parse_options

def describe(view: JobView) -> str:
    """One line about where a job is, for progress bars and listings."""
    parts = [view.stage]
    if view.remote_status and str(view.state) == "remote" and view.backend != "local":
        parts = [view.remote_status]
    if view.queue_position is not None and view.remote_status == "waiting" and not view.state.final:
        total = f"/{view.queue_count}" if view.queue_count else ""
        parts.append(f"queue {view.queue_position}{total}")
    if view.chunks_total:
        parts.append(f"chunks {view.chunks_done or 0}/{view.chunks_total}")
    if view.error:
        parts.append(view.error.splitlines()[0])
    return " · ".join(parts)


class InProcessRunner:
    """The engine in this process; events through a queue."""

    left_behind = "stopped with this process; it resumes when `mvsep-bridge daemon` or the next `separate` runs"

    def __init__(self, settings: Settings):
        from .. import logs
        from ..jobs.engine import JobEngine

        logs.setup(settings, stderr=False)
        self.engine = JobEngine(settings).start()
        self.events: queue.Queue[JobEvent] = queue.Queue()
        self._unsubscribe = self.engine.subscribe(self.events.put)

    def submit(self, request: JobRequest) -> JobView:
        return self.engine.submit(request)

    def get(self, job_id: str) -> JobView:
        return self.engine.get(job_id)

    def next_events(self, timeout: float) -> list[JobEvent]:
        try:
            found = [self.events.get(timeout=timeout)]
        except queue.Empty:
            return []
        while not self.events.empty():
            found.append(self.events.get_nowait())
        return found

    def close(self) -> None:
        self._unsubscribe()
        self.engine.close()


class DaemonRunner:
    left_behind = "goes on in the daemon"

    def __init__(self, client: ControlClient):
        self.client = client
        _, self.since = client.events(since=1 << 62, timeout=0)  # from now on, nothing missed

    def submit(self, request: JobRequest) -> JobView:
        return self.client.submit(request)

    def get(self, job_id: str) -> JobView:
        return self.client.get(job_id)

    def next_events(self, timeout: float) -> list[JobEvent]:
        found, self.since = self.client.events(since=self.since, timeout=timeout)
        return found

    def close(self) -> None:
        self.client.close()


@click.command("separate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--sep-type", type=int,
              help=f"algorithm (default {DEFAULT_SEP_TYPE}, {DEFAULT_SEP_TYPE_NAME}; see `mvsep-bridge algorithms`)")
@click.option("--opt", "opts", multiple=True, metavar="add_optN=V", help="an algorithm option (repeatable)")
@click.option("--format", "output_format", type=click.IntRange(0, 5), default=None,
              help="output format: " + ", ".join(f"{k} {v[0]}" for k, v in OUTPUT_FORMATS.items()))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="folder for <source name>/ (default: beside each source)")
@click.option("--start", type=FiniteFloat(0, MAX_SECTION_SECONDS), help="section start, seconds")
@click.option("--length", type=FiniteFloat(0, MAX_SECTION_SECONDS, min_open=True), help="section length, seconds")
@click.option("--json", "as_json", is_flag=True, help="print the finished jobs as JSON")
def separate_command(files, sep_type, opts, output_format, out, start, length, as_json) -> int:
    """Separate FILE… into stems, written to <out>/<source name>/ with a manifest.json."""
    settings = load_settings()
    options = parse_options(opts)
    requests = []
    for path in files:
        try:
            fields = dict(source=path, start=start, length=length, sep_type=sep_type, options=options,
                          destination=out, reply=ReplyChannel(bridge="cli"))
            if output_format is not None:
                fields["output_format"] = output_format
            requests.append(JobRequest(**fields))
        except PydanticValidationError as exc:
            error = exc.errors()[0]
            flag = "--" + "-".join(map(str, error["loc"])).replace("_", "-") if error["loc"] else "request"
            raise UsageError(f"bad request for {path}: {flag}: {error['msg']}") from None
    _refuse_shared_results(requests)
    client = ControlClient.discover(settings.data_dir)
    runner = DaemonRunner(client) if client else InProcessRunner(settings)
    console = Console(stderr=True)
    if not as_json:
        where = f"the daemon at {client.url}" if client else f"this process ({settings.effective_backend} backend; no daemon running)"
        console.print(f"separating through {where}", style="dim", highlight=False)
    try:
        return run_jobs(runner, requests, console, as_json)
    finally:
        runner.close()


def _refuse_shared_results(requests: list[JobRequest]) -> None:
    """Two different sources with one result folder: the second would silently replace the first."""
    from ..jobs.pipeline import result_folder

    owners: dict[Path, Path] = {}
    for request in requests:
        folder = result_folder(request)
        owner = owners.setdefault(folder, request.source)
        if owner != request.source:
            raise UsageError(f"{owner} and {request.source} would both write {folder}",
                             hint="separate them in two runs with different --out folders, or rename one")


def run_jobs(runner, requests: list[JobRequest], console: Console, as_json: bool) -> int:
    """Submit, show progress until every job is over, report; DESIGN.md's exit code."""
    views: dict[str, JobView] = {}
    try:
        return _run_jobs(runner, requests, console, as_json, views)
    except (KeyboardInterrupt, Unreachable) as exc:
        # Ctrl-C (or a daemon that died) ends the watching, not the jobs: say where each one is
        # and how to follow or drop it
        where = runner.left_behind if isinstance(exc, KeyboardInterrupt) else \
            "resumes when `mvsep-bridge daemon` runs again"
        for view in views.values():
            if not view.state.final:
                click.echo(f"{view.request.source.name}: job {view.id} {where}; "
                           f"`mvsep-bridge status {view.id}` to follow it, `mvsep-bridge cancel {view.id}` "
                           "to drop it", err=True)
        raise


def _run_jobs(runner, requests: list[JobRequest], console: Console, as_json: bool, views: dict[str, JobView]) -> int:
    bad_input = False
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"),
                  TimeElapsedColumn(), console=console, disable=as_json or not console.is_terminal) as bars:
        tasks: dict[str, int] = {}
        for request in requests:
            try:
                view = runner.submit(request)
            except UsageError as exc:
                console.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
                bad_input = True
                continue
            views[view.id] = view
            tasks[view.id] = bars.add_task(request.source.name, total=1.0, status="queued")

        plain = not as_json and not console.is_terminal  # no bars (a pipe, a log): a line per change
        said: dict[str, str] = {}

        def update(view: JobView) -> None:
            status = describe(view)
            if plain and said.get(view.id) != status:
                said[view.id] = status
                click.echo(f"{view.request.source.name}: {status}", err=True)
            done = 1.0 if view.state.final else (view.progress or 0.0)
            bars.update(tasks[view.id], completed=done, status=status)

        for job_id in list(views):  # events before we listened are in the current state
            views[job_id] = runner.get(job_id)
            update(views[job_id])
        while any(not v.state.final for v in views.values()):
            events = runner.next_events(timeout=5.0)
            if not events:  # a quiet spell: ask directly (events may have been dropped)
                for job_id in list(views):
                    views[job_id] = runner.get(job_id)
            for event in events:
                # events from before the first get() would take the display back in time
                shown = views.get(event.job.id)
                if shown is not None and event.job.updated_at >= shown.updated_at:
                    views[event.job.id] = event.job
            for view in views.values():
                update(view)
    for view in views.values():
        if as_json:
            continue
        name = view.request.source.name
        if view.state == JobState.DONE:
            click.echo(f"{name}: {view.result_dir}")
            for stem in view.stems:
                click.echo(f"  {stem.name}: {view.result_dir / stem.file}")
        else:
            click.echo(f"{name}: {view.state}: {view.error or view.message or ''}", err=True)
    if as_json:
        print_json(list(views.values()))
    if bad_input:
        return 2
    return 1 if any(v.state != JobState.DONE for v in views.values()) else 0
