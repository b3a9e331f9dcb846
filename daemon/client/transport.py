"""The HTTP layer under MvsepClient: one requests.Session, retry policies per endpoint, the
mapping from responses to our error tree, and the token kept out of every message and log line.

Retry policy (urllib3 Retry, honouring Retry-After):
- GET and idempotent POSTs (cancel, login, the enable/disable switches, qc delete): connect
  errors, read errors, 429 and 5xx are retried with backoff.
- Non-idempotent POSTs (separation/create, app/register, quality_checker/add): only connect
  errors, where nothing was sent. Anything after the request left us is the caller's decision
  (MvsepClient.create_once checks the history before trying again).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, MaxRetryError, NewConnectionError, ResponseError
from urllib3.util.retry import Retry

from ..errors import (
    ApiError,
    AuthError,
    BadRequest,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
)

#: (connect, read) seconds; read is the longest silence tolerated, not the whole transfer
DEFAULT_TIMEOUT = (10.0, 60.0)
#: a Retry-After longer than this is not slept through: the caller gets RateLimited instead
MAX_RETRY_AFTER = 30.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: endpoints that must never be re-sent once the request may have reached the server
NON_IDEMPOTENT_PATHS = ("/api/separation/create", "/api/app/register", "/api/quality_checker/add")

LOGIN_HINT = "run `mvsep-bridge account login` or set MVSEP_API_TOKEN"

_TOKEN_IN_TEXT = re.compile(r"(api_token=)[^&\s'\"]+")


def mask_token(text: str, token: str | None = None) -> str:
    """`text` with any api_token query value, and the token itself, replaced by ***."""
    text = _TOKEN_IN_TEXT.sub(r"\1***", text)
    if token:
        text = text.replace(token, "***")
    return text


class _MaskTokenFilter(logging.Filter):
    """urllib3 logs request URLs (with api_token in the query) at DEBUG and WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "api_token=" in message:
            record.msg, record.args = mask_token(message), None
        return True


for _name in ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.connection"):
    logging.getLogger(_name).addFilter(_MaskTokenFilter())


class _CappedRetry(Retry):
    """A Retry that gives up (urllib3 then returns the response) when the server asks for a
    longer wait than we sleep inside one call: the caller gets RateLimited and schedules it."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):  # type: ignore[no-untyped-def]
        if response is not None:
            wait = self.get_retry_after(response)
            if wait is not None and wait > MAX_RETRY_AFTER:
                raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {wait:g} s is too long"))
        return super().increment(method, url, response, error, _pool, _stacktrace)


#: a refused or unresolvable connection is retried this often (a server that is down stays down)
CONNECT_RETRIES = 2


def idempotent_retry(attempts: int, backoff: float) -> Retry:
    return _CappedRetry(
        total=attempts,
        connect=min(attempts, CONNECT_RETRIES),
        read=attempts,
        status=attempts,
        other=0,
        redirect=5,
        backoff_factor=backoff,
        backoff_max=10.0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD", "POST"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def send_once_retry(attempts: int, backoff: float) -> Retry:
    # connect errors only: a refused/unresolved connection never carried the request
    return Retry(
        total=attempts,
        connect=min(attempts, CONNECT_RETRIES),
        read=False,
        status=0,
        other=0,
        redirect=0,
        backoff_factor=backoff,
        raise_on_status=False,
    )


def build_session(base_url: str, *, attempts: int = 4, backoff: float = 0.3) -> requests.Session:
    """One Session; the mount prefixes pick the retry policy (requests uses the longest match)."""
    session = requests.Session()
    session.headers["User-Agent"] = "mvsep-bridge"
    retrying = HTTPAdapter(max_retries=idempotent_retry(attempts, backoff))
    session.mount("http://", retrying)
    session.mount("https://", retrying)
    once = HTTPAdapter(max_retries=send_once_retry(attempts, backoff))
    for path in NON_IDEMPOTENT_PATHS:
        session.mount(base_url + path, once)
    return session


def _get_retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:  # seconds or an HTTP date
        return Retry().parse_retry_after(value)
    except InvalidHeader:
        return None


def failure_message(payload: Any) -> str | None:
    """The server's reason, from any of the failure shapes MVSEP uses:
    {"data": {"message": …}}, {"errors": […]}, {"message": {"field": […]}} or {"message": "…"}."""
    if not isinstance(payload, dict):
        return None
    parts: list[str] = []
    data = payload.get("data")
    if isinstance(data, dict) and data.get("message"):
        parts.append(str(data["message"]))
    errors = payload.get("errors")
    if isinstance(errors, list):
        parts.extend(str(e) for e in errors)
    elif isinstance(errors, dict):
        parts.extend(_field_messages(errors))
    message = payload.get("message")
    if isinstance(message, dict):
        parts.extend(_field_messages(message))
    elif message:
        parts.append(str(message))
    return "; ".join(parts) or None


def _field_messages(fields: dict[str, Any]) -> list[str]:
    out = []
    for field, value in fields.items():
        texts = value if isinstance(value, list) else [value]
        out.append(f"{field}: " + " ".join(str(t) for t in texts))
    return out


def decode_json(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        raise ServerError(
            f"{what}: the server answered HTTP {response.status_code} with something that is not JSON",
            status=response.status_code,
            hint="check base_url (`mvsep-bridge config show`); the service may be down",
        ) from None


def raise_for_status(
    response: requests.Response, what: str, *, token: str | None, bad_request_is_auth: bool = False
) -> None:
    """Turn a non-2xx answer into our error tree. `bad_request_is_auth` for endpoints whose only
    input is the token, where MVSEP answers 400 to an unknown key."""
    status = response.status_code
    if status < 400:
        return
    try:
        payload = response.json()
    except ValueError:
        payload = None
    reason = mask_token(failure_message(payload) or response.reason or "", token)
    if status == 401 or (status == 400 and bad_request_is_auth) or status == 403:
        raise AuthError(f"{what}: MVSEP refused the API token ({reason or status})", hint=LOGIN_HINT)
    if status == 400:
        raise BadRequest(f"{what}: {reason or 'the server refused the request'}", status=status)
    if status == 404:
        raise NotFound(f"{what}: not found ({reason or status})", status=status)
    if status == 429:
        retry_after = _get_retry_after(response)
        wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        raise RateLimited(f"{what}: rate limited by the server{wait}", retry_after=retry_after)
    if status >= 500:
        raise ServerError(
            f"{what}: MVSEP failed with HTTP {status} ({reason or 'no reason given'})",
            status=status,
            hint="MVSEP may be overloaded or down; try again later",
        )
    raise ApiError(f"{what}: HTTP {status} ({reason})", status=status)


def transport_error(exc: requests.RequestException, what: str, token: str | None) -> TransportError:
    """A connection-level failure as TransportError, with the token masked out of the text.
    Callers raise it `from None`: the original exception's text carries the URL with the token."""
    kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
    return TransportError(
        f"{what}: the connection {kind}: {mask_token(str(exc), token)}",
        hint="check the network and base_url (`mvsep-bridge config show`)",
    )


def request_was_sent(exc: requests.RequestException) -> bool:
    """False only when the connection was never made, so the server cannot have seen a byte."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return not isinstance(reason, NewConnectionError)
    return True
