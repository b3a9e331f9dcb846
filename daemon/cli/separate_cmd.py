"""`mvsep-bridge separate FILE…`: jobs with progress bars, always through the daemon (started in
the background when none runs, see connect.py)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from pydantic import ValidationError as PydanticValidationError

from ..control.client import ControlClient
from ..errors import Unreachable, UsageError
from ..jobs import manifest
from ..jobs.model import (
    DEFAULT_SEP_TYPE,
    DEFAULT_SEP_TYPE_NAME,
    OUTPUT_FORMATS,
    REMOTE_TYPES,
    JobEvent,
    JobRequest,
    JobState,
    JobView,
    ReplyChannel,
    result_folder,
)
from ..numbers import MAX_SECTION_SECONDS
from ..settings import load_settings
from .connect import connect
from .output import describe, print_json
from .params import FiniteFloat, parse_options

HANDOVER_SECONDS = 10.0

#: the request fields an engine error may name, as this command's flags
FLAGS = {"destination": "--out DIR", "replace": "--replace, or --out DIR", "sep_type": "--sep-type N",
         "options": "--opt add_optN=V", "output_format": "--format N", "start": "--start S", "length": "--length L",
         "source": "FILE|URL", "reference": "--reference REF"}



class DaemonRunner:
    """The daemon's jobs as this command follows them: submits, and events from now on."""

    left_behind = "goes on in the daemon"

    def __init__(self, client: ControlClient, data_dir: Path):
        self.client = client
        self.data_dir = data_dir
        self.since = 0  # set by listen()

    def listen(self) -> None:
        """Events from now on. Called after the submits (the job reaches the daemon a round trip
        sooner) and before the first get(), which shows what happened in between: nothing missed."""
        _, self.since = self.client.events(since=1 << 62, timeout=0)

    def submit(self, request: JobRequest) -> JobView:
        return self.client.submit(request)

    def get(self, job_id: str) -> JobView:
        return self.client.get(job_id)

    def next_events(self, timeout: float) -> list[JobEvent]:
        try:
            found, self.since = self.client.events(since=self.since, timeout=timeout)
        except Unreachable:
            self._follow_the_next_daemon()
            return []  # the caller asks for each job's state when nothing came
        return found

    def _follow_the_next_daemon(self) -> None:
        """The daemon went away: one taking over (`mvsep-bridge daemon`, the service) has the
        same jobs; follow it. None within HANDOVER_SECONDS: the daemon is gone (Unreachable)."""
        deadline = time.monotonic() + HANDOVER_SECONDS
        while time.monotonic() < deadline:
            client = ControlClient.discover(self.data_dir)
            if client is not None:
                self.client.close()
                self.client, self.since = client, 0
                return
            time.sleep(0.2)
        raise Unreachable(f"the daemon at {self.client.url} is gone",
                          hint="`mvsep-bridge daemon status` shows whether one runs")

    def close(self) -> None:
        self.client.close()


def job_options(out_help: str):
    """The flags every job command shares: options, format, where results go, replace, JSON."""
    flags = [
        click.option("--opt", "opts", multiple=True, metavar="add_optN=V", help="an algorithm option (repeatable)"),
        click.option("--format", "output_format", type=click.IntRange(0, 5), default=None,
                     help="output format: " + ", ".join(f"{k} {v[0]}" for k, v in OUTPUT_FORMATS.items())),
        click.option("--out", type=click.Path(file_okay=False, path_type=Path), help=out_help),
        click.option("--replace", is_flag=True, help="replace the results of an earlier run in the result folder"),
        click.option("--json", "as_json", is_flag=True, help="print the finished jobs as JSON"),
    ]

    def apply(command):
        for flag in reversed(flags):
            command = flag(command)
        return command

    return apply


@click.command("separate")
@click.argument("inputs", nargs=-1, required=True, metavar="FILE|URL...")
@click.option("--sep-type", type=int,
              help=f"algorithm (default {DEFAULT_SEP_TYPE}, {DEFAULT_SEP_TYPE_NAME}; see `mvsep-bridge algorithms`)")
@click.option("--start", type=FiniteFloat(0, MAX_SECTION_SECONDS), help="section start, seconds")
@click.option("--length", type=FiniteFloat(0, MAX_SECTION_SECONDS, min_open=True), help="section length, seconds")
@click.option("--remote-type", type=click.Choice(REMOTE_TYPES),
              help="how MVSEP fetches a link (default: from its host; else direct)")
@job_options("folder for <source name>/ (default: beside each source; for a link, here)")
def separate_command(inputs, sep_type, start, length, remote_type, opts, output_format, out, replace, as_json) -> int:
    """Separate FILE… into stems, written to <out>/<source name>/ with a manifest.json.

    An http(s) link instead of a FILE is fetched by MVSEP itself (nothing is uploaded); links of
    MEGA, Google Drive and Dropbox are fetched their own way (--remote-type, default from the host).
    """
    options = parse_options(opts)
    links = [i for i in inputs if is_link(i)]
    if links and (start is not None or length is not None):
        raise UsageError("--start/--length cut a local file; MVSEP fetches a link whole",
                         hint="download the file and give its path to separate a section")
    if remote_type and not links:
        raise UsageError("--remote-type applies to links only", hint="give an http(s) link, or leave it out")
    requests = []
    for item in [*links, *_once_each(tuple(Path(i) for i in inputs if not is_link(i)))]:
        fields = {"start": start, "length": length, "sep_type": sep_type, "options": options, "destination": out,
                  "replace": replace, "output_format": output_format}
        if isinstance(item, Path):
            fields["source"] = item
        else:
            fields.update(url=item, remote_type=remote_type, destination=out or Path.cwd())
        requests.append(make_request(str(item), **fields))
    settings = load_settings()
    return run_through_daemon(settings, requests, as_json)


def is_link(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def make_request(label: str, output_format: int | None = None, **fields) -> JobRequest:
    """A JobRequest from a command line (no --format: the default); what pydantic refuses named by its flag."""
    if output_format is not None:
        fields["output_format"] = output_format
    try:
        return JobRequest(reply=ReplyChannel(bridge="cli"), **fields)
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        flag = "--" + "-".join(map(str, error["loc"])).replace("_", "-") if error["loc"] else "request"
        message = error["msg"].removeprefix("Value error, ")
        raise UsageError(f"bad request for {label}: {flag}: {message}" if error["loc"] else
                         f"bad request for {label}: {message}") from None


def daemon_client(settings) -> ControlClient:
    """The daemon (started on demand), checked: a bad token or a server that is down is said now,
    before any job is queued."""
    client = connect(settings)
    client.check()
    return client


def run_through_daemon(settings, requests: list[JobRequest], as_json: bool,
                       client: ControlClient | None = None) -> int:
    """The jobs through the daemon (`client`, else one started on demand), with progress, until
    each is over; DESIGN.md's exit code."""
    _refuse_shared_results(requests)
    _keep_earlier_results(requests)
    runner = DaemonRunner(client or daemon_client(settings), settings.data_dir)
    try:
        return run_jobs(runner, requests, as_json)
    finally:
        runner.close()


def _once_each(files: tuple[Path, ...]) -> list[Path]:
    """The files, each once: the same file named twice (or through a link) is one job, paid once.
    A missing file is refused here, before anything else is asked."""
    seen: dict[tuple[int, int], Path] = {}
    unique = []
    for path in files:
        try:
            st = path.stat()
        except OSError as exc:
            raise UsageError(f"{path}: {exc.strerror.lower() if exc.strerror else exc}",
                             hint="give the path of an existing audio file") from None
        key = (st.st_dev, st.st_ino)
        if key in seen:
            click.echo(f"{path}: the same file as {seen[key]}; separating it once", err=True)
            continue
        seen[key] = path
        unique.append(path)
    return unique


def _keep_earlier_results(requests: list[JobRequest]) -> None:
    """An earlier run's stems are not replaced without --replace (other settings, other stems)."""
    for request in requests:
        folder = result_folder(request)
        earlier = (manifest.read(folder) or {}) if folder.is_dir() else {}
        if earlier.get("job") and not request.replace:
            algorithm = earlier.get("algorithm", {})
            raise UsageError(
                f"{folder} holds the stems of an earlier run (job {earlier['job']}, sep_type "
                f"{algorithm.get('sep_type')}, {len(earlier.get('stems', []))} stems)",
                hint="--replace to replace them, or --out DIR to keep both")


def _refuse_shared_results(requests: list[JobRequest]) -> None:
    """Two different sources with one result folder: the second would silently replace the first."""
    owners: dict[Path, object] = {}
    for request in requests:
        folder = result_folder(request)
        mine = request.source or request.url
        owner = owners.setdefault(folder, mine)
        if owner != mine:
            raise UsageError(f"{owner} and {mine} would both write {folder}",
                             hint="separate them in two runs with different --out folders, or rename one")


def run_jobs(runner, requests: list[JobRequest], as_json: bool) -> int:
    """Submit, show progress until every job is over, report; DESIGN.md's exit code."""
    views: dict[str, JobView] = {}
    try:
        refused = _submit(runner, requests, views)
        return _follow(runner, as_json, views, refused)
    except (KeyboardInterrupt, Unreachable) as exc:
        # Ctrl-C (or a daemon that died) ends the watching, not the jobs: say where each one is
        # and how to follow or drop it
        where = runner.left_behind if isinstance(exc, KeyboardInterrupt) else \
            "resumes when `mvsep-bridge daemon` runs again"
        for view in views.values():
            if not view.state.final:
                click.echo(f"{view.request.title}: job {view.id} {where}; "
                           f"`mvsep-bridge status {view.id}` to follow it, `mvsep-bridge cancel {view.id}` "
                           "to drop it", err=True)
        raise


def _submit(runner, requests: list[JobRequest], views: dict[str, JobView]) -> list[str]:
    """Each request to the daemon (its view into `views`); what the daemon refused, as messages."""
    refused = []
    for request in requests:
        try:
            view = runner.submit(request)
        except UsageError as exc:
            flag = FLAGS.get(exc.field or "")
            refused.append(f"error: {exc}" + (f"\n  on this command line: {flag}" if flag else ""))
            continue
        views[view.id] = view
    if views:
        runner.listen()
    return refused


def _follow(runner, as_json: bool, views: dict[str, JobView], refused: list[str]) -> int:
    """Progress until every job is over, then the report."""
    # rich (~30 ms of imports) only after the submits: meanwhile the daemon works on the jobs
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    for message in refused:
        console.print(message, style="red", markup=False, highlight=False, soft_wrap=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"),
                  TimeElapsedColumn(), console=console, disable=as_json or not console.is_terminal) as bars:
        tasks = {job_id: bars.add_task(view.request.title, total=1.0, status="queued")
                 for job_id, view in views.items()}

        plain = not as_json and not console.is_terminal  # no bars (a pipe, a log): a line per change
        said: dict[str, str] = {}

        def update(view: JobView) -> None:
            status = describe(view)
            if plain and said.get(view.id) != status:
                said[view.id] = status
                click.echo(f"{view.request.title}: {status}", err=True)
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
        name = view.request.title
        if view.state == JobState.DONE:
            click.echo(f"{name}: {view.result_dir}")
            for stem in view.stems:
                click.echo(f"  {stem.name}: {view.result_dir / stem.file}")
            for other in view.other_files:
                click.echo(f"  {other.name} ({other.kind}): {view.result_dir / other.file}")
        else:
            click.echo(f"{name}: {view.state}: {view.error or view.message or ''}", err=True)
    if as_json:
        print_json(list(views.values()))
    if refused:
        return 2
    return 1 if any(v.state != JobState.DONE for v in views.values()) else 0
