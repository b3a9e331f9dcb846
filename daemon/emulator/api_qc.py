"""/api/quality_checker/…: queue, leaderboard, add (a zip), entry, delete (with the password)."""

from __future__ import annotations

import shutil

from werkzeug.wrappers import Request, Response

from . import params
from .responses import Rejected, json_response, ok
from .service import Emulator
from .sitedata import DATASETS


def queue(world: Emulator, request: Request) -> Response:
    start, limit = params.page(request)
    return ok(world.qc.queue(start, limit))


def leaderboard(world: Emulator, request: Request) -> Response:
    start, limit = params.page(request)
    board = world.qc.leaderboard(
        params.text(request, "dataset_type") or "0", start, limit,
        params.text(request, "algo_name_filter") or "", params.text(request, "sort"))
    return json_response({"success": True, **board})


def entry(world: Emulator, request: Request) -> Response:
    entry_id = params.text(request, "id")
    if not entry_id:
        raise Rejected("id is required", shape="fields", field="id")
    return ok(world.qc.entry(entry_id))


def add(world: Emulator, request: Request) -> Response:
    params.account(request, world, status=401)
    fields = {k: (params.text(request, k) or "").strip()
              for k in ("algo_name", "main_text", "password")}
    errors = {k: [f"The {k} field is required."] for k, v in fields.items() if not v}
    upload = request.files.get("zipfile")
    if upload is None or not upload.filename:
        errors["zipfile"] = ["The zipfile field is required."]
    dataset_type = (params.text(request, "dataset_type") or "0").strip()
    if dataset_type not in DATASETS:
        errors["dataset_type"] = [f"The dataset type must be one of {', '.join(DATASETS)}."]
    ensemble = (params.text(request, "ensemble") or "0").strip()
    if ensemble not in ("0", "1"):
        errors["ensemble"] = ["The ensemble must be 0 or 1."]
    if errors:
        return json_response({"success": False, "message": errors}, 400)
    staged = world.staging_dir()
    try:
        zip_path = staged / "upload.zip"
        upload.save(str(zip_path))
        created = world.qc.add(zip_path=zip_path, dataset_type=dataset_type,
                               ensemble=int(ensemble), **fields)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return ok({"id": created["id"],
               "link": f"{request.host_url}quality_checker/entry/{created['id']}"})


def delete(world: Emulator, request: Request) -> Response:
    entry_id, password = params.text(request, "id"), params.text(request, "password")
    if not entry_id or not password:
        raise Rejected("id and password are required")
    world.qc.delete(entry_id, password)
    return ok({"message": "The entry was deleted"})
