"""`mvsep-bridge jobs`, `status JOB`, `cancel JOB`: the daemon's jobs. Listing reads the store
directly when no daemon runs (and creates nothing); cancelling needs the daemon (started on demand)."""

from __future__ import annotations

import time

import click

from ..control.client import ControlClient
from ..errors import UsageError
from ..jobs.model import JobView, check_job_id
from ..settings import Settings, load_settings
from .output import describe, print_json

CANCEL_WAIT_SECONDS = 10.0


def _daemon(settings: Settings) -> ControlClient | None:
    return ControlClient.discover(settings.data_dir)


def _stored_views(settings: Settings, job: str | None = None) -> list[JobView]:
    """The store read directly, read-only (SQLite WAL allows it beside a running engine)."""
    from ..jobs.store import STORE_FILE, JobStore

    store = JobStore.read_only(settings.data_dir / STORE_FILE)
    if store is None:
        if job is not None:
            raise UsageError(f"no job {job!r}", hint="`mvsep-bridge jobs` lists the known jobs")
        return []
    try:
        return [store.get(job).view()] if job is not None else [j.view() for j in store.all()]
    finally:
        store.close()


@click.command("jobs")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def jobs_command(as_json: bool) -> None:
    """List the jobs, newest first."""
    settings = load_settings()
    client = _daemon(settings)
    views = client.jobs() if client else _stored_views(settings)
    if as_json:
        print_json(views)
        return
    for view in views:
        click.echo(f"{view.id}  {view.created_at:%Y-%m-%d %H:%M}  {describe(view):40}  {view.request.title}")


@click.command("status")
@click.argument("job")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def status_command(job: str, as_json: bool) -> None:
    """Show one job."""
    check_job_id(job)
    settings = load_settings()
    client = _daemon(settings)
    view = client.get(job) if client else _stored_views(settings, job)[0]
    if as_json:
        print_json(view)
        return
    request = view.request
    click.echo(f"job      {view.id}\nsource   {request.source or request.url or '(none: made from text)'}")
    if request.reference is not None:
        click.echo(f"reference {request.reference}")
    click.echo(f"state    {describe(view)}")
    for label, value in (("backend", view.backend), ("remote", view.remote_hash), ("credits", view.credits),
                         ("message", view.message), ("result", view.result_dir)):
        if value is not None:
            click.echo(f"{label:8} {value}")
    for stem in view.stems:
        click.echo(f"  {stem.name}: {stem.file}")
    for other in view.other_files:
        click.echo(f"  {other.name} ({other.kind}): {other.file}")


@click.command("cancel")
@click.argument("job")
def cancel_command(job: str) -> int:
    """Cancel a job (the server refunds jobs it has not started)."""
    from .connect import connect

    check_job_id(job)
    settings = load_settings()
    client = connect(settings)
    view = client.cancel(job)
    if str(view.state) in ("done", "failed"):  # over before we asked: cancel cannot apply
        raise UsageError(f"job {view.id} is already {view.state}; nothing to cancel",
                         hint=f"`mvsep-bridge status {view.id}` shows it")
    deadline = time.monotonic() + CANCEL_WAIT_SECONDS
    while not view.state.final and time.monotonic() < deadline:  # the remote cancel and refund
        time.sleep(0.1)
        view = client.get(job)
    click.echo(f"{view.id}: {view.state} ({view.message or ''})")
    return 0 if str(view.state) == "cancelled" else 1
