"""/_emulator/…: the test and admin control surface (loopback only; see the package docstring)."""

from __future__ import annotations

import json
import secrets

from pydantic import ValidationError
from werkzeug.wrappers import Request, Response

from ..errors import validation_problems
from .responses import Rejected, json_response
from .service import Emulator


def _body(request: Request) -> dict:
    raw = request.get_data()  # raw even when curl -d labels it a form
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise Rejected("the body must be a JSON object", shape="errors") from None
    if not isinstance(body, dict):
        raise Rejected("the body must be a JSON object", shape="errors")
    return body


def accounts(world: Emulator, request: Request) -> Response:
    body = _body(request)
    email = body.get("email") or f"user-{secrets.token_hex(4)}@emulator.local"
    password = body.get("password") or "secret"
    try:
        account = world.accounts.create(
            email=email, password=password, name=body.get("name", ""),
            credits=int(body.get("credits", 1000)), premium=bool(body.get("premium", False)))
    except ValueError as exc:
        raise Rejected(str(exc)) from None
    return json_response({"api_token": account.api_token, "email": account.email,
                          "password": password})


def config(world: Emulator, request: Request) -> Response:
    if request.method == "POST":
        try:
            world.configure(_body(request))
        except ValidationError as exc:
            raise Rejected(f"bad knob: {validation_problems(exc)}", shape="errors") from None
    return json_response(world.config.model_dump())


def clock(world: Emulator, request: Request) -> Response:
    body = _body(request)
    try:
        seconds = float(body.get("advance", 0))
    except (TypeError, ValueError):
        raise Rejected("advance must be a number of seconds", shape="errors") from None
    now = world.clock.advance(seconds)
    world.worker.tick()  # expiry and phase changes are visible to the very next request
    return json_response({"now": now, "date": world.clock.stamp()})


def stats(world: Emulator, request: Request) -> Response:
    return json_response(world.stats())
