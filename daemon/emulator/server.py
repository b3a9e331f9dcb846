"""The HTTP side: werkzeug routing, the order faults and rate limits apply in, a threaded server
whose sockets can be reset on purpose, and a request log that never shows an api_token."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from pathlib import Path

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from . import admin, api_app, api_qc, api_separation
from .config import EmulatorConfig
from .responses import Rejected, json_response
from .service import Emulator

log = logging.getLogger("mvsep_bridge.emulator")

ROUTES = Map([
    Rule("/api/separation/create", endpoint=api_separation.create, methods=["POST"]),
    Rule("/api/separation/get", endpoint=api_separation.get, methods=["GET", "POST"]),
    Rule("/api/separation/get-remote", endpoint=api_separation.get_remote, methods=["GET", "POST"]),
    Rule("/api/separation/cancel", endpoint=api_separation.cancel, methods=["POST"]),
    Rule("/api/app/algorithms", endpoint=api_app.algorithms, methods=["GET"]),
    Rule("/api/app/news", endpoint=api_app.news, methods=["GET"]),
    Rule("/api/app/queue", endpoint=api_app.queue, methods=["GET"]),
    Rule("/api/app/demo", endpoint=api_app.demo, methods=["GET"]),
    Rule("/api/app/login", endpoint=api_app.login, methods=["POST"]),
    # the reference's own curl example registers with GET and a form body
    Rule("/api/app/register", endpoint=api_app.register, methods=["GET", "POST"]),
    Rule("/api/app/user", endpoint=api_app.user, methods=["GET"]),
    Rule("/api/app/separation_history", endpoint=api_app.history, methods=["GET"]),
    Rule("/api/app/enable_premium", endpoint=api_app.enable_premium, methods=["POST"]),
    Rule("/api/app/disable_premium", endpoint=api_app.disable_premium, methods=["POST"]),
    Rule("/api/app/enable_long_filenames", endpoint=api_app.enable_long_filenames, methods=["POST"]),
    Rule("/api/app/disable_long_filenames", endpoint=api_app.disable_long_filenames, methods=["POST"]),
    Rule("/api/quality_checker/queue", endpoint=api_qc.queue, methods=["GET"]),
    Rule("/api/quality_checker/leaderboard", endpoint=api_qc.leaderboard, methods=["GET"]),
    Rule("/api/quality_checker/add", endpoint=api_qc.add, methods=["POST"]),
    Rule("/api/quality_checker/entry", endpoint=api_qc.entry, methods=["GET"]),
    Rule("/api/quality_checker/delete", endpoint=api_qc.delete, methods=["POST", "GET"]),
    Rule("/results/<job_hash>/<path:name>", endpoint=api_separation.download_result, methods=["GET"]),
    Rule("/inputs/<job_hash>/<path:name>", endpoint=api_separation.download_input, methods=["GET"]),
    Rule("/_emulator/accounts", endpoint=admin.accounts, methods=["POST"]),
    Rule("/_emulator/config", endpoint=admin.config, methods=["GET", "POST"]),
    Rule("/_emulator/clock", endpoint=admin.clock, methods=["POST"]),
    Rule("/_emulator/stats", endpoint=admin.stats, methods=["GET"]),
], strict_slashes=False)

LOOPBACK = ("127.0.0.1", "::1", "localhost")
SERVER_ERROR_PAGE = (
    "<html><head><title>{code} Service Unavailable</title></head><body><center>"
    "<h1>{code} Service Unavailable</h1></center><hr><center>nginx</center></body></html>"
)


class EmulatorApp:
    def __init__(self, world: Emulator):
        self.world = world

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/_emulator/"):
            exchange = None  # the control surface is neither counted nor paced
        else:
            exchange = self.world.traffic.begin(environ)  # wraps wsgi.input: before the Request
        request = Request(environ)
        request.max_content_length = self.world.config.max_upload_bytes
        if exchange is None:
            return self.respond(request)(environ, start_response)

        def counted_start(status, headers, exc_info=None):
            exchange.answered(status)
            return start_response(status, headers, exc_info)

        return exchange.body(self.respond(request)(environ, counted_start))

    def respond(self, request: Request) -> Response:
        if request.path.startswith("/_emulator/"):
            if request.remote_addr not in LOOPBACK:
                return json_response({"success": False, "data": {"message": "loopback only"}}, 403)
            return self.dispatch(request)
        world = self.world
        if world.faults.applies(request.path):
            fault = self.fault(request)
            if fault is not None:
                return fault
        if not request.path.startswith("/api/"):
            return self.dispatch(request)
        identity = request.args.get("api_token") or request.remote_addr or "?"
        if request.method == "POST" and "api_token" not in request.args:
            identity = request.form.get("api_token") or identity
        verdict = world.limiter.check(request.path, identity)
        if not verdict.allowed:
            response = json_response({"message": "Too Many Attempts."}, 429)
        else:
            response = self.dispatch(request)
        response.headers.update(verdict.headers())
        return response

    def fault(self, request: Request) -> Response | None:
        world = self.world
        if world.config.delay_seconds:
            time.sleep(world.config.delay_seconds)
        if world.faults.take("reset_next"):
            world.faults.reset(request.environ)
        if world.faults.take("fail_next") or world.faults.roll_failure():
            code = world.config.fail_status
            return Response(SERVER_ERROR_PAGE.format(code=code), status=code, mimetype="text/html")
        if world.faults.take("throttle_next"):
            limit = world.config.rate_limit
            return json_response({"message": "Too Many Attempts."}, 429, headers={
                "Retry-After": str(world.config.throttle_retry_after),
                "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0"})
        return None

    def dispatch(self, request: Request) -> Response:
        adapter = ROUTES.bind_to_environ(request.environ)
        try:
            handler, args = adapter.match()
            return handler(self.world, request, **args)
        except Rejected as exc:
            return exc.response()
        except NotFound:
            return json_response({"success": False, "data": {"message": f"no endpoint {request.path}"}}, 404)
        except HTTPException as exc:
            return json_response({"success": False, "data": {"message": exc.description}}, exc.code or 400)


TOKEN = re.compile(r"(api_token=)[^&\s]+")


class RedactingHandler(WSGIRequestHandler):
    """Request log lines with the api_token masked (tokens are never logged)."""

    def connection_dropped(self, error, environ=None) -> None:
        # a reset fault (or a client gone): never wait for another request on this socket
        self.close_connection = True

    def log_request(self, code="-", size="-") -> None:
        path = TOKEN.sub(r"\1***", getattr(self, "path", "") or "")
        log.info('%s "%s %s" %s %s', self.address_string(), self.command, path, code, size)

    def log(self, type: str, message: str, *args) -> None:
        # everything else http.server logs (e.g. a bad request line) may quote the token too
        text = TOKEN.sub(r"\1***", message % args if args else message)
        log.log(logging.ERROR if type == "error" else logging.INFO, "%s %s", self.address_string(), text)


class CannotListen(Exception):
    """The address cannot be bound (taken, not ours); `.reason` is the system's word for it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class EmulatorServer(ThreadedWSGIServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # werkzeug turns an OSError here into a print and sys.exit(1); the CLI says more
        try:
            super().server_bind()
        except OSError as exc:
            raise CannotListen(exc.strerror or str(exc)) from exc

    def __init__(self, host: str, port: int, world: Emulator):
        self.world = world
        self.companions: list[EmulatorServer] = []  # the files listener, closed with this one
        super().__init__(host, port, EmulatorApp(world), handler=RedactingHandler)

    def server_close(self) -> None:
        for companion in self.companions:
            companion.shutdown()
            companion.server_close()
        super().server_close()

    def shutdown_request(self, request: socket.socket) -> None:
        if self.world.faults.wants_reset(request):
            request.close()  # SO_LINGER 0 is set: the kernel answers with RST, not FIN
            return
        super().shutdown_request(request)


def make_emulator(host: str, port: int, state_dir: Path, config: EmulatorConfig) -> EmulatorServer:
    """The API listener; with the files_host knob also a second listener (same world, a free
    port) that result links point at, served on a thread until the API listener closes."""
    world = Emulator(state_dir, config)
    server = EmulatorServer(host, port, world)
    if config.files_host:
        files = EmulatorServer(config.files_host, 0, world)
        shown = f"[{config.files_host}]" if ":" in config.files_host else config.files_host
        world.files_base = f"http://{shown}:{files.server_port}/"
        threading.Thread(target=files.serve_forever, name="emulator-files", daemon=True).start()
        server.companions.append(files)
    world.start()
    return server
