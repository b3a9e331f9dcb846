"""/api/app/…: the catalog, site information (news, queue, demo) and the account endpoints."""

from __future__ import annotations

import math
import re

from werkzeug.wrappers import Request, Response

from . import params, sitedata
from .catalog import SCOPES
from .responses import Rejected, json_response, ok
from .service import Emulator

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 6


def algorithms(world: Emulator, request: Request) -> Response:
    raw = params.text(request, "scopes") or "single_upload"
    scopes = [s.strip() for s in raw.split(",") if s.strip()]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise Rejected(f"unknown scope {', '.join(unknown)}; use {','.join(SCOPES)}", shape="errors")
    return json_response(world.catalog.listing(scopes))


def news(world: Emulator, request: Request) -> Response:
    start, limit = params.page(request)
    lang = params.text(request, "lang")
    today = world.clock.now() // 86400 * 86400  # fixed dates, as a real feed has (10:00 each day)
    items = [
        {"title": n["title"], "lang": n["lang"], "text": n["text"],
         "created_at": world.clock.stamp(today - n["days_ago"] * 86400 + 10 * 3600)}
        for n in sitedata.NEWS if not lang or n["lang"] == lang
    ]
    return json_response(items[start:start + limit])


def queue(world: Emulator, request: Request) -> Response:
    waiting = [j for j in world.book.all() if j.status == "waiting"]
    counts = dict(sitedata.BACKGROUND_QUEUE)
    counts["registered"] += sum(1 for j in waiting if not j.premium)
    counts["premium"] += sum(1 for j in waiting if j.premium)
    plans = [{"plan": plan, "count": count} for plan, count in counts.items()]
    token = params.text(request, "api_token")
    caller = world.accounts.by_token(token) if token else None
    plan = "unregistered" if caller is None else ("premium" if caller.premium_enabled else "registered")
    return ok(queue=plans, plan={"plan": plan, "count": counts[plan]})


def _demo_entry(world: Emulator, *, job_hash, date, input_url, size, sep_type) -> dict:
    algorithm = world.catalog.get(sep_type)
    return {"hash": job_hash, "date": date, "input_audio": input_url, "size": size,
            "algorithm": algorithm.brief() if algorithm else None}


def demo(world: Emulator, request: Request) -> Response:
    """Jobs created with is_demo=1 (newest first), then the site's own demo separations."""
    start, limit = params.page(request)
    base = request.host_url
    now = world.clock.now()
    entries = []
    for job in reversed(world.book.all()):
        if job.is_demo and job.status == "done":
            name = next(iter(job.inputs.values()), "")
            path = world.book.folder(job.hash) / name
            entries.append(_demo_entry(
                world, job_hash=job.hash, date=world.clock.stamp(job.done_at),
                input_url=f"{base}inputs/{job.hash}/{name}",
                size=path.stat().st_size if name and path.is_file() else 0, sep_type=job.sep_type))
    for d in sitedata.DEMO:
        entries.append(_demo_entry(
            world, job_hash=d["hash"], date=world.clock.stamp(now - d["days_ago"] * 86400),
            input_url=f"{base}inputs/{d['hash']}/{d['input']}", size=d["size"], sep_type=d["sep_type"]))
    return json_response(entries[start:start + limit])


def login(world: Emulator, request: Request) -> Response:
    email, password = params.text(request, "email") or "", params.text(request, "password") or ""
    account = world.accounts.login(email, password)
    if account is None:
        raise Rejected("Invalid email or password")
    return ok(account.public())


def register(world: Emulator, request: Request) -> Response:
    form = {k: (params.text(request, k) or "").strip() for k in
            ("name", "email", "password", "password_confirmation")}
    errors: dict[str, list[str]] = {}
    for key in ("name", "email", "password"):
        if not form[key]:
            errors.setdefault(key, []).append(f"The {key} field is required.")
    if form["email"] and not EMAIL.match(form["email"]):
        errors.setdefault("email", []).append("The email must be a valid email address.")
    elif form["email"] and world.accounts.by_email(form["email"]):
        errors.setdefault("email", []).append("The email has already been taken.")
    if form["password"] and len(form["password"]) < MIN_PASSWORD:
        errors.setdefault("password", []).append(
            f"The password must be at least {MIN_PASSWORD} characters.")
    if form["password"] != form["password_confirmation"]:
        errors.setdefault("password", []).append("The password confirmation does not match.")
    if errors:
        return json_response({"success": False, "message": errors}, 400)
    world.accounts.create(email=form["email"], password=form["password"], name=form["name"],
                          credits=world.config.signup_credits)
    return json_response({"success": True, "message": "Registration complete: log in to get your api_token"})


def user(world: Emulator, request: Request) -> Response:
    account = params.account(request, world, status=400)
    running = world.book.running(account.email)
    data = account.public()
    data["current_queue"] = len(running)
    return ok(data)


def history(world: Emulator, request: Request) -> Response:
    account = params.account(request, world, status=400)
    start, limit = params.page(request)
    ttl = world.config.result_ttl_hours
    now = world.clock.now()
    rows = []
    for job in reversed(world.book.all()):
        if job.email != account.email:
            continue
        exists = job.status not in ("expired", "cancelled")
        if job.done_at is not None and exists:
            left = max(0.0, ttl - (now - job.done_at) / 3600)
        else:
            left = ttl if exists else 0.0
        algorithm = world.catalog.get(job.sep_type)
        rows.append({"hash": job.hash, "job_exists": exists, "credits": job.credits if exists else None,
                     "time_left": math.ceil(left), "date": world.clock.stamp(job.created),
                     "algorithm": algorithm.brief() if algorithm else None})
    return ok(rows[start:start + limit])


def _switch(field: str, value: bool, message: str):
    def handler(world: Emulator, request: Request) -> Response:
        account = params.account(request, world, status=400)
        world.accounts.update(account, **{field: value})
        return json_response({"success": True, "message": message})
    return handler


enable_premium = _switch("premium_enabled", True, "Premium enabled")
disable_premium = _switch("premium_enabled", False, "Premium disabled")
enable_long_filenames = _switch("long_filenames_enabled", True, "Long filenames enabled")
disable_long_filenames = _switch("long_filenames_enabled", False, "Long filenames disabled")
