"""The status page's HTTP side (werkzeug): the page, its live stream, its actions, result files.

    GET  /login?token=T              a one-time link: sets the session cookie, redirects to /
    GET  /                           the page (static/index.html), /static/app.js, /static/app.css
    GET  /api/events                 server-sent events: `snapshot`, then `job` and `overview`
    POST /api/jobs/<id>/cancel       JobView
    POST /api/jobs/<id>/retry        JobView of the new job (the same request, reply bridge "ui")
    GET  /files/<id>/<path>          a file inside that job's result folder (stems, manifest.json)
    GET  /waveform/<id>/<n>.svg      stem n's waveform

Everything but /login answers 401 with an empty body without the session cookie, 403 for a Host
that is not this loopback address and for a POST from another origin (access.py).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect, send_file
from werkzeug.wrappers import Request, Response

from mvsep_bridge.daemon.engine import BridgeError, Engine, JobState, ReplyChannel, UsageError

from . import live, waveform
from .access import COOKIE, Access, loopback_host, same_origin
from .overview import overview
from .results import result_file, stem_file

log = logging.getLogger("mvsep_bridge.ui")

BRIDGE = "ui"
STATIC = {"index.html": "text/html", "app.js": "text/javascript", "app.css": "text/css", "icon.svg": "image/svg+xml"}
RETRYABLE = (JobState.FAILED, JobState.CANCELLED)
# the page loads nothing from elsewhere and runs no inline script
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

ROUTES = Map([
    Rule("/login", endpoint="login", methods=["GET"]),
    Rule("/", endpoint="page", methods=["GET"]),
    Rule("/static/<name>", endpoint="static", methods=["GET"]),
    Rule("/api/events", endpoint="events", methods=["GET"]),
    Rule("/api/jobs/<job_id>/cancel", endpoint="cancel", methods=["POST"]),
    Rule("/api/jobs/<job_id>/retry", endpoint="retry", methods=["POST"]),
    Rule("/files/<job_id>/<path:file>", endpoint="file", methods=["GET"]),
    Rule("/waveform/<job_id>/<int:index>.svg", endpoint="waveform", methods=["GET"]),
])


class UiApp:
    def __init__(self, engine: Engine, access: Access, hub: live.Hub, port: Callable[[], int]):
        self.engine = engine
        self.access = access
        self.hub = hub
        self._port = port

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        response = self._dispatch(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        if not loopback_host(request.host, self._port()):
            return Response(status=403)
        try:
            endpoint, args = ROUTES.bind_to_environ(request.environ).match()
        except HTTPException as exc:  # no such page, or a redirect (`//` merged)
            # an unknown path says nothing more than a known one to a stranger
            return exc.get_response() if self._signed_in(request) else Response(status=401)
        if endpoint == "login":
            return self._on_login(request)
        if not self._signed_in(request):
            return Response(status=401)
        if request.method == "POST" and not same_origin(request.headers.get("Origin"), request.host):
            return Response(status=403)
        try:
            return getattr(self, f"_on_{endpoint}")(request, **args)
        except BridgeError as exc:
            return _json({"error": exc.message, "hint": exc.hint}, 400)
        except NotFound:
            return Response(status=404)

    def _signed_in(self, request: Request) -> bool:
        return self.access.is_session(request.cookies.get(COOKIE))

    # --- endpoints ----------------------------------------------------------------------------
    def _on_login(self, request: Request) -> Response:
        session = self.access.redeem(request.args.get("token", ""))
        if session is None:
            return Response("This link was used already or has expired: run `mvsep-bridge ui` again.\n",
                            status=403, mimetype="text/plain")
        response = redirect("/", code=303)  # the address that stays in the history has no token
        response.set_cookie(COOKIE, session, httponly=True, samesite="Strict", path="/")
        return response

    def _on_page(self, request: Request) -> Response:
        return self._on_static(request, "index.html")

    def _on_static(self, request: Request, name: str) -> Response:
        if name not in STATIC:
            raise NotFound()
        body = resources.files(__package__).joinpath("static", name).read_bytes()
        return Response(body, mimetype=STATIC[name])

    def _on_events(self, request: Request) -> Response:
        body = live.stream(self.hub, self._snapshot, self._overview)
        return Response(body, mimetype="text/event-stream", direct_passthrough=True)

    def _on_cancel(self, request: Request, job_id: str) -> Response:
        return _json(self.engine.cancel(job_id).model_dump(mode="json"))

    def _on_retry(self, request: Request, job_id: str) -> Response:
        job = self.engine.get(job_id)
        if job.state not in RETRYABLE:
            raise UsageError(f"job {job_id} is {job.state}: only a failed or cancelled job is retried")
        again = job.request.model_copy(update={"reply": ReplyChannel(bridge=BRIDGE)})
        view = self.engine.submit(again)
        log.info("job %s: retry of %s from the status page", view.id, job_id)
        return _json(view.model_dump(mode="json"))

    def _on_file(self, request: Request, job_id: str, file: str) -> Response:
        path = self._or_not_found(lambda: result_file(self.engine.get(job_id), file))
        return send_file(path, request.environ, conditional=True, max_age=None)

    def _on_waveform(self, request: Request, job_id: str, index: int) -> Response:
        path = self._or_not_found(lambda: stem_file(self.engine.get(job_id), index))
        stat = path.stat()
        return Response(_waveform_svg(str(path), stat.st_mtime_ns, stat.st_size), mimetype="image/svg+xml")

    # --- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _or_not_found(find: Callable[[], Path]) -> Path:
        try:
            return find()
        except UsageError:
            raise NotFound() from None

    def _overview(self) -> dict:
        engine = self.engine
        return overview(engine.usage(), engine.settings, engine.listening()).model_dump(mode="json")

    def _snapshot(self) -> dict:
        return {"jobs": [job.model_dump(mode="json") for job in self.engine.jobs()], "overview": self._overview()}


@functools.lru_cache(maxsize=64)
def _waveform_svg(path: str, mtime_ns: int, size: int) -> str:
    """Cached per file version (mtime and size are part of the key)."""
    return waveform.svg(waveform.peaks(Path(path)))


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")
