"""/api/separation/create, get, get-remote, cancel, and the result downloads they link to."""

from __future__ import annotations

import shutil
from urllib.parse import quote, urlsplit, urlunsplit

from werkzeug.datastructures import FileStorage
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from ..audio.formats import OUTPUT_FORMATS
from . import params
from .jobs import Job, clean_name
from .remote import check_url
from .responses import Rejected, human_size, json_response, ok
from .service import Emulator, Submission

OPTION_FIELDS = ("add_opt1", "add_opt2", "add_opt3", "add_opt4")
STATUS_MESSAGES = {
    "waiting": "The separation is waiting in the queue",
    "processing": "The separation is being processed",
    "distributing": "The file is split into chunks processed on several servers",
    "merging": "The chunks are being merged",
    "done": "The separation is complete",
}


def _save_upload(upload: FileStorage, staged, fallback: str) -> str:
    name = clean_name(upload.filename or fallback)
    upload.save(str(staged / name))  # streams from werkzeug's spooled temp file
    return name


def _upload(request: Request, field: str) -> FileStorage | None:
    upload = request.files.get(field)
    return upload if upload is not None and (upload.filename or upload.content_length) else None


def create(world: Emulator, request: Request) -> Response:
    account = params.account(request, world, status=401)
    algorithm, options, fmt = world.resolve(
        account, params.text(request, "sep_type"),
        {name: params.text(request, name) for name in OPTION_FIELDS},
        params.text(request, "output_format"))
    is_demo = params.truthy(params.text(request, "is_demo"))
    base = request.host_url
    url = params.text(request, "url")

    if algorithm.widget == "single_upload" and url and _upload(request, "audiofile") is None:
        check_url(url, (params.text(request, "remote_type") or "direct").strip().lower())
        with world.lock:
            running = world.check_concurrency(account)
            if account.credits < 1:
                raise Rejected("not enough credits: the account has 0. Buy credits")
            fetch = world.remote.add(account.email, url, algorithm.sep_type, options, fmt, is_demo)
            world.accounts.note_create(account, running + 1)
        world.faults_after_create(request)
        return ok({"link": f"{base}api/separation/get-remote?hash={fetch.remote_hash}",
                   "hash": fetch.remote_hash})

    staged = world.staging_dir()
    try:
        if algorithm.widget == "single_upload":
            upload = _upload(request, "audiofile")
            if upload is None:
                raise Rejected(f"audiofile is required for sep_type {algorithm.sep_type} "
                               "(or give url with remote_type=direct)", shape="errors")
            name = _save_upload(upload, staged, "audiofile.wav")
            inputs, input_name = {"audiofile": name}, name
        elif algorithm.widget == "matchering_upload":
            target, reference = _upload(request, "target_audiofile"), _upload(request, "reference_audiofile")
            if target is None or reference is None:
                raise Rejected(f"sep_type {algorithm.sep_type} ({algorithm.name}) takes two files: "
                               "target_audiofile and reference_audiofile", shape="errors")
            (staged / "reference").mkdir()
            target_name = _save_upload(target, staged, "target.wav")
            reference_name = "reference/" + _save_upload(reference, staged / "reference", "reference.wav")
            inputs = {"target": target_name, "reference": reference_name}
            input_name = target_name
        else:  # no_upload: the options are the input (e.g. a text prompt)
            inputs, input_name = {}, clean_name(algorithm.name) + ".wav"
    except Rejected:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    job = world.submit(account, Submission(
        algorithm=algorithm, options=options, output_format=fmt, is_demo=is_demo,
        input_name=input_name, staged=staged, inputs=inputs))
    world.faults_after_create(request)
    return ok({"link": f"{base}api/separation/get?hash={job.hash}", "hash": job.hash})


def _mirror(base: str) -> str:
    """Another host name for the same server: files "on another mirror"."""
    parts = urlsplit(base)
    other = "localhost" if parts.hostname != "localhost" else "127.0.0.1"
    return urlunsplit(parts._replace(netloc=f"{other}:{parts.port}"))


def _download_name(world: Emulator, name: str, index: int) -> str:
    """The name a client is told to save a file as; hostile_file_names tries to escape its folder."""
    if not world.config.hostile_file_names:
        return name
    return f"../../{name}" if index % 2 == 0 else f"/tmp/{name}"


def _done_data(world: Emulator, job: Job, base: str) -> dict:
    base = world.files_base or base  # files may live on another host, as on MVSEP
    folder = world.book.folder(job.hash)
    input_role = next(iter(job.inputs), None)
    input_file = None
    if input_role is not None:
        name = job.inputs[input_role]
        size = (folder / name).stat().st_size if (folder / name).exists() else 0
        input_file = {"url": f"{base}inputs/{job.hash}/{quote(name)}", "size": human_size(size),
                      "download": name.split("/")[-1]}
    algorithm = world.catalog.get(job.sep_type)
    return {
        "message": STATUS_MESSAGES["done"],
        "algorithm": job.algorithm,
        "algorithm_description": algorithm.description if algorithm else "",
        "output_format": OUTPUT_FORMATS[job.output_format][0],
        "tags": {"title": job.input_name.rsplit(".", 1)[0], "artist": None, "album": None},
        "input_file": input_file,
        "files": [
            {"url": f"{base}results/{job.hash}/{quote(f['file'])}",
             "download": _download_name(world, f["file"], index),
             "size": human_size(f["bytes"]), "bytes": f["bytes"], "type": f["type"]}
            for index, f in enumerate(job.files)
        ],
        "date": world.clock.stamp(job.done_at),
        "size": input_file["size"] if input_file else None,
    }


def get(world: Emulator, request: Request) -> Response:
    job_hash = params.text(request, "hash")
    if not job_hash:
        raise Rejected("hash is required", shape="errors")
    base = request.host_url
    if params.truthy(params.text(request, "mirror")):
        account = params.account(request, world, status=401)
        if account.credits < 1:
            raise Rejected("mirror=1 needs at least one credit on the account")
        base = _mirror(base)
    job = world.book.get(job_hash)
    if job is None or job.status in ("expired", "cancelled"):
        reason = {"expired": "The separation has expired and its files were deleted",
                  "cancelled": "The separation was cancelled"}.get(
            job.status if job else "", "Separation not found")
        return json_response({"success": False, "status": "not_found", "data": {"message": reason}})
    data: dict = {"message": STATUS_MESSAGES.get(job.status, job.message)}
    if job.status == "failed":
        data["message"] = job.message
    elif job.status == "waiting":
        data["queue_count"], data["current_order"] = world.book.queue_position(job)
    elif job.status == "distributing":
        data["queue_count"], data["current_order"] = world.book.queue_position(job)[0], 0
        data["finished_chunks"], data["all_chunks"] = job.finished_chunks, job.all_chunks
    elif job.status == "done":
        data = _done_data(world, job, base)
    return json_response({"success": True, "status": job.status, "data": data})


def get_remote(world: Emulator, request: Request) -> Response:
    remote_hash = params.text(request, "hash")
    if not remote_hash:
        raise Rejected("hash is required", shape="errors")
    fetch = world.remote.get(remote_hash)
    if fetch is None:
        return json_response({"success": False, "status": "not_found",
                              "data": {"message": "Remote separation not found"}})
    if fetch.status == "done":
        data = {"link": f"{request.host_url}api/separation/get?hash={fetch.hash}", "hash": fetch.hash}
        return json_response({"success": True, "status": "done", "data": data})
    if fetch.status == "failed":
        return json_response({"success": True, "status": "failed", "data": {"message": fetch.message}})
    waiting = [f for f in world.remote.listing() if f["status"] in ("waiting", "fetching")]
    order = next((i for i, f in enumerate(waiting, 1) if f["remote_hash"] == remote_hash), 1)
    return json_response({"success": True, "status": "waiting",
                          "data": {"queue_count": len(waiting), "current_order": order}})


def cancel(world: Emulator, request: Request) -> Response:
    account = params.account(request, world, status=401)
    job_hash = params.text(request, "hash")
    if not job_hash:
        raise Rejected("hash is required", shape="errors")
    job = world.cancel(account, job_hash)
    return ok({"message": f"The separation was cancelled; {job.credits} credit(s) refunded"})


def _file(world: Emulator, request: Request, path) -> Response:
    if not path.is_file():
        return json_response({"success": False, "data": {"message": "File not found"}}, 404)
    size = path.stat().st_size
    if world.faults.applies(request.path) and world.faults.take("truncate_next"):
        cut = int(size * world.config.truncate_fraction)

        def partial():
            with open(path, "rb") as source:
                yield source.read(cut)  # then the server closes: the client misses the rest

        return Response(partial(), headers={"Content-Length": str(size),
                                            "Content-Disposition": f'attachment; filename="{path.name}"'},
                        mimetype="application/octet-stream", direct_passthrough=True)
    return send_file(path, request.environ, as_attachment=True, download_name=path.name,
                     conditional=True, max_age=0)


def download_result(world: Emulator, request: Request, job_hash: str, name: str) -> Response:
    job = world.book.get(job_hash)
    if job is None or job.status != "done" or name not in {f["file"] for f in job.files}:
        return json_response({"success": False, "data": {"message": "File not found"}}, 404)
    return _file(world, request, world.book.folder(job_hash) / "results" / name)


def download_input(world: Emulator, request: Request, job_hash: str, name: str) -> Response:
    job = world.book.get(job_hash)
    if job is None or job.status in ("expired", "cancelled") or name not in job.inputs.values():
        return json_response({"success": False, "data": {"message": "File not found"}}, 404)
    return _file(world, request, world.book.folder(job_hash) / name)
