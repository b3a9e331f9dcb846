"""Reading request parameters the way the site does: body fields and query string merged."""

from __future__ import annotations

from werkzeug.wrappers import Request

from .accounts import Account
from .responses import Rejected

MAX_LIMIT = 20  # the reference: limit is at most 20


def text(request: Request, name: str) -> str | None:
    value = request.form.get(name)
    if value is None:
        value = request.args.get(name)
    return value


def integer(request: Request, name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
    raw = text(request, name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Rejected(f"{name} must be an integer, got {raw!r}", shape="errors") from None
    value = max(low, value)
    return min(value, high) if high is not None else value


def page(request: Request) -> tuple[int, int]:
    """start (default 0) and limit (default 10, at most 20)."""
    return integer(request, "start", 0), integer(request, "limit", 10, low=1, high=MAX_LIMIT)


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def account(request: Request, world, *, status: int) -> Account:
    """The caller's account by api_token; `status` is what this endpoint answers without one
    (401 on separation endpoints, 400 "invalid key" on app endpoints, as the reference says)."""
    token = text(request, "api_token")
    if not token:
        raise Rejected("api_token is required: get yours with POST /api/app/login", status=status)
    found = world.accounts.by_token(token)
    if found is None:
        raise Rejected("Unknown or invalid api_token", status=status)
    return found
