"""`mvsep-bridge jobs`, `status JOB`, `cancel JOB`: the daemon's jobs (or the store's, when no
daemon runs)."""

from __future__ import annotations

import click

from ..control.client import ControlClient
from ..errors import UsageError
from ..jobs.model import check_job_id
from ..settings import Settings, load_settings
from .output import print_json
from .separate_cmd import describe


def _daemon(settings: Settings) -> ControlClient | None:
    return ControlClient.discover(settings.data_dir)


def _stored(settings: Settings):
    """The job store read directly (SQLite WAL allows it beside a running engine)."""
    from ..jobs.engine import STORE_FILE
    from ..jobs.store import JobStore

    return JobStore(settings.data_dir / STORE_FILE)


@click.command("jobs")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def jobs_command(as_json: bool) -> None:
    """List the jobs, newest first."""
    settings = load_settings()
    client = _daemon(settings)
    if client:
        views = client.jobs()
    else:
        store = _stored(settings)
        views = [job.view() for job in store.all()]
        store.close()
    if as_json:
        print_json(views)
        return
    for view in views:
        click.echo(f"{view.id}  {view.created_at:%Y-%m-%d %H:%M}  {describe(view):40}  {view.request.source.name}")


@click.command("status")
@click.argument("job")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def status_command(job: str, as_json: bool) -> None:
    """Show one job."""
    check_job_id(job)
    settings = load_settings()
    client = _daemon(settings)
    if client:
        view = client.get(job)
    else:
        store = _stored(settings)
        try:
            view = store.get(job).view()
        finally:
            store.close()
    if as_json:
        print_json(view)
        return
    click.echo(f"job      {view.id}\nsource   {view.request.source}\nstate    {describe(view)}")
    for label, value in (("backend", view.backend), ("remote", view.remote_hash), ("credits", view.credits),
                         ("message", view.message), ("result", view.result_dir)):
        if value is not None:
            click.echo(f"{label:8} {value}")
    for stem in view.stems:
        click.echo(f"  {stem.name}: {stem.file}")


@click.command("cancel")
@click.argument("job")
def cancel_command(job: str) -> int:
    """Cancel a job (the server refunds jobs it has not started)."""
    check_job_id(job)
    settings = load_settings()
    client = _daemon(settings)
    if client:
        view = client.cancel(job)
    else:
        from ..jobs.engine import JobEngine

        engine = JobEngine(settings)
        try:
            view = engine.cancel(job)
        finally:
            engine.close()
    if str(view.state) in ("done", "failed"):  # over before we asked: cancel cannot apply
        raise UsageError(f"job {view.id} is already {view.state}; nothing to cancel",
                         hint=f"`mvsep-bridge status {view.id}` shows it")
    click.echo(f"{view.id}: {view.state} ({view.message or ''})")
    return 0 if str(view.state) == "cancelled" else 1
