"""The control channel: loopback HTTP (werkzeug) in front of an Engine, for the CLI and scripts.

    GET  /v1/ping                      {"pid", "backend", "data_dir", "on_demand", "bridges": {name:
                                       where it listens}, "identity": Settings.identity()}
    POST /v1/reload                    read the config file again now; answers as ping
    POST /v1/check                     reach the backend now (AuthError / Unreachable as errors)
    POST /v1/shutdown                  stop the daemon (unfinished jobs resume at its next start)
    GET  /v1/algorithms?search=TEXT    [Algorithm] the backend runs
    POST /v1/estimate      JobRequest  Estimate
    POST /v1/call/<bridge>/<action> {…} an action a bridge offered (Engine.offer), its JSON answer
    POST /v1/jobs          JobRequest  JobView (201)
    GET  /v1/jobs                      [JobView], newest first
    GET  /v1/jobs/<id>                 JobView
    POST /v1/jobs/<id>/cancel          JobView
    GET  /v1/events?since=N[&job=ID]   {"events": [{"seq", "event": JobEvent}], "next": M}
                                       long-poll: answers as soon as there is an event after N,
                                       or after ~20 s with none
Every request carries `Authorization: Bearer <secret>`; the secret and the address are in
data_dir/daemon.json (mode 0600), so only the user who runs the daemon can drive it. Errors answer
{"error", "hint", "kind", "exit_code"} so the client re-raises the same error class.
"""

from __future__ import annotations

import collections
import hmac
import json
import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError as PydanticValidationError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ..engine import Engine
from ..errors import BridgeError, validation_problems
from ..files import write_text
from ..jobs.model import JobEvent, JobRequest
from . import daemon_file

log = logging.getLogger("mvsep_bridge.control")

LONG_POLL_SECONDS = 20.0
EVENT_BUFFER = 2000


class EventLog:
    """The last events with sequence numbers, so a watcher that reconnects misses none."""

    def __init__(self, size: int = EVENT_BUFFER):
        self._events: collections.deque[tuple[int, JobEvent]] = collections.deque(maxlen=size)
        # numbers go on from one daemon to the next (milliseconds at start): a watcher still
        # holding an older daemon's `since` gets every event of this one
        self._seq = int(time.time() * 1000)
        self._cond = threading.Condition()

    def append(self, event: JobEvent) -> None:
        with self._cond:
            self._seq += 1
            self._events.append((self._seq, event))
            self._cond.notify_all()

    def after(self, since: int, job: str | None, timeout: float) -> tuple[list[tuple[int, JobEvent]], int]:
        def pick() -> list[tuple[int, JobEvent]]:
            return [(s, e) for s, e in self._events if s > since and (job is None or e.job.id == job)]

        with self._cond:
            found = pick()
            if not found:
                self._cond.wait_for(lambda: self._seq > since and bool(pick()), timeout)
                found = pick()
            return found, self._seq


class DaemonHandle(Protocol):
    """What the control channel asks of the daemon process around the engine (runtime.Daemon)."""

    def info(self) -> dict[str, Any]: ...

    def reload(self) -> None: ...

    def shutdown(self) -> None: ...

    def touch(self) -> None: ...


class ControlServer:
    def __init__(self, engine: Engine, data_dir: Path, daemon: DaemonHandle, host: str = "127.0.0.1", port: int = 0):
        self.engine = engine
        self.daemon = daemon
        self.data_dir = data_dir
        self.secret = secrets.token_urlsafe(32)
        self.events = EventLog()
        self._unsubscribe = engine.subscribe(self.events.append)
        self._urls = Map([
            Rule("/v1/ping", endpoint="ping", methods=["GET"]),
            Rule("/v1/reload", endpoint="reload", methods=["POST"]),
            Rule("/v1/shutdown", endpoint="shutdown", methods=["POST"]),
            Rule("/v1/check", endpoint="check", methods=["POST"]),
            Rule("/v1/call/<bridge>/<action>", endpoint="call", methods=["POST"]),
            Rule("/v1/algorithms", endpoint="algorithms", methods=["GET"]),
            Rule("/v1/estimate", endpoint="estimate", methods=["POST"]),
            Rule("/v1/jobs", endpoint="submit", methods=["POST"]),
            Rule("/v1/jobs", endpoint="jobs", methods=["GET"]),
            Rule("/v1/jobs/<job_id>", endpoint="get", methods=["GET"]),
            Rule("/v1/jobs/<job_id>/cancel", endpoint="cancel", methods=["POST"]),
            Rule("/v1/events", endpoint="events", methods=["GET"]),
        ])
        self._server = make_server(host, port, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="control", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ControlServer:
        self._thread.start()
        _write_private(daemon_file(self.data_dir),
                       {"url": self.url, "secret": self.secret, "pid": os.getpid()})
        log.info("control channel on %s", self.url)
        return self

    def stop(self) -> None:
        path = daemon_file(self.data_dir)
        try:  # only our own file: a newer daemon may have replaced it
            if json.loads(path.read_text()).get("pid") == os.getpid():
                path.unlink()
        except (OSError, ValueError):
            pass
        self._unsubscribe()
        self._server.shutdown()
        self._server.server_close()

    # --- WSGI ---------------------------------------------------------------------------------
    def _wsgi(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        return self._dispatch(request)(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.secret}".encode()):
            return _json({"error": "missing or wrong control secret", "kind": "AuthError", "exit_code": 4}, 401)
        self.daemon.touch()
        try:
            endpoint, args = self._urls.bind_to_environ(request.environ).match()
            return getattr(self, f"_on_{endpoint}")(request, **args)
        except BridgeError as exc:
            return _json({"error": exc.message, "hint": exc.hint, "kind": type(exc).__name__,
                          "exit_code": exc.exit_code, "field": exc.field}, 400)
        except PydanticValidationError as exc:
            return _json({"error": f"bad request: {validation_problems(exc)}", "kind": "UsageError", "exit_code": 2}, 400)
        except json.JSONDecodeError as exc:
            return _json({"error": f"bad request: not JSON ({exc})", "kind": "UsageError", "exit_code": 2}, 400)
        except NotFound:
            return _json({"error": f"no such endpoint {request.path}", "kind": "UsageError", "exit_code": 2}, 404)
        except HTTPException as exc:
            return _json({"error": str(exc), "kind": "UsageError", "exit_code": 2}, exc.code or 400)

    def _on_ping(self, request: Request) -> Response:
        return _json(self.daemon.info())

    def _on_reload(self, request: Request) -> Response:
        self.daemon.reload()
        return _json(self.daemon.info())

    def _on_check(self, request: Request) -> Response:
        self.engine.check()
        return _json({"ok": True})

    def _on_call(self, request: Request, bridge: str, action: str) -> Response:
        arguments = json.loads(request.get_data() or b"{}")
        if not isinstance(arguments, dict):
            raise BridgeError("the arguments of a bridge action are a JSON object")
        return _json(self.engine.call(bridge, action, arguments))

    def _on_shutdown(self, request: Request) -> Response:
        self.daemon.shutdown()
        return _json({"stopping": os.getpid()})

    def _on_algorithms(self, request: Request) -> Response:
        found = self.engine.algorithms(request.args.get("search") or None)
        return _json([a.model_dump(mode="json") for a in found])

    def _on_estimate(self, request: Request) -> Response:
        return _json(self.engine.estimate(JobRequest.model_validate_json(request.get_data())).model_dump(mode="json"))

    def _on_submit(self, request: Request) -> Response:
        job = JobRequest.model_validate_json(request.get_data())
        return _json(self.engine.submit(job).model_dump(mode="json"), 201)

    def _on_jobs(self, request: Request) -> Response:
        return _json([v.model_dump(mode="json") for v in self.engine.jobs()])

    def _on_get(self, request: Request, job_id: str) -> Response:
        return _json(self.engine.get(job_id).model_dump(mode="json"))

    def _on_cancel(self, request: Request, job_id: str) -> Response:
        return _json(self.engine.cancel(job_id).model_dump(mode="json"))

    def _on_events(self, request: Request) -> Response:
        since = request.args.get("since", default=0, type=int)
        timeout = min(request.args.get("timeout", default=LONG_POLL_SECONDS, type=float), LONG_POLL_SECONDS)
        found, latest = self.events.after(since, request.args.get("job"), timeout)
        return _json({"events": [{"seq": s, "event": e.model_dump(mode="json")} for s, e in found],
                      "next": latest})


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def _write_private(path: Path, payload: dict) -> None:
    """A file only its owner can read: it holds the secret."""
    write_text(path, json.dumps(payload), mode=0o600)
