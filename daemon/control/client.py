"""ControlClient: the CLI's side of the control channel (server.py documents the routes).

Plain http.client on loopback: a listing command runs in a fraction of a second, and importing
requests alone would cost a third of it."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from .. import errors
from ..errors import BridgeError, Unreachable
from ..jobs.model import Estimate, JobEvent, JobRequest, JobView
from . import daemon_file

if TYPE_CHECKING:
    from ..client.algorithms import Algorithm

PING_TIMEOUT = 2.0
TIMEOUT = 30.0


class ControlClient:
    def __init__(self, url: str, secret: str):
        self.url = url.rstrip("/")
        self._address = urlsplit(self.url)
        self._headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        self.info: dict | None = None  # the daemon's answer to the last ping (discover's)

    @classmethod
    def discover(cls, data_dir: Path) -> ControlClient | None:
        """The running daemon of this data_dir, or None when there is none (or it died)."""
        try:
            info = json.loads(daemon_file(data_dir).read_text())
            client = cls(info["url"], info["secret"])
        except (OSError, ValueError, KeyError):
            return None
        try:
            client.ping(timeout=PING_TIMEOUT)
        except Unreachable:
            return None
        return client

    def close(self) -> None:
        pass  # one connection per call: nothing held between calls

    def _call(self, method: str, path: str, *, timeout: float = TIMEOUT, body: str | None = None,
              params: dict[str, Any] | None = None) -> Any:
        if params:
            path = f"{path}?{urlencode(params)}"
        connection = http.client.HTTPConnection(self._address.hostname, self._address.port, timeout=timeout)
        try:
            connection.request(method, path, body=body.encode() if body is not None else None,
                               headers=self._headers)
            response = connection.getresponse()
            status, raw = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise Unreachable(f"the daemon at {self.url} does not answer: {exc}",
                              hint="`mvsep-bridge daemon status` shows whether it runs") from None
        finally:
            connection.close()
        try:
            payload = json.loads(raw)
        except ValueError:
            raise Unreachable(f"the daemon at {self.url} answered HTTP {status} without JSON") from None
        if status >= 400:
            raise _error(payload)
        return payload

    def ping(self, timeout: float = TIMEOUT) -> dict:
        self.info = self._call("GET", "/v1/ping", timeout=timeout)
        return self.info

    def submit(self, request: JobRequest) -> JobView:
        return JobView.model_validate(self._call("POST", "/v1/jobs", body=request.model_dump_json()))

    def get(self, job_id: str) -> JobView:
        return JobView.model_validate(self._call("GET", f"/v1/jobs/{job_id}"))

    def jobs(self) -> list[JobView]:
        return [JobView.model_validate(v) for v in self._call("GET", "/v1/jobs")]

    def cancel(self, job_id: str) -> JobView:
        return JobView.model_validate(self._call("POST", f"/v1/jobs/{job_id}/cancel"))

    def events(self, since: int = 0, job: str | None = None, timeout: float = 20.0) -> tuple[list[JobEvent], int]:
        """Events after `since` (long-poll up to `timeout` s) and the `since` for the next call."""
        params: dict[str, Any] = {"since": since, "timeout": timeout}
        if job:
            params["job"] = job
        payload = self._call("GET", "/v1/events", params=params, timeout=timeout + TIMEOUT)
        return [JobEvent.model_validate(e["event"]) for e in payload["events"]], int(payload["next"])

    def reload(self) -> dict:
        """Have the daemon read the config file now; its ping answer after that."""
        return self._call("POST", "/v1/reload")

    def check(self) -> None:
        """The daemon reaches its backend now; raises AuthError/Unreachable as it met them."""
        self._call("POST", "/v1/check", timeout=TIMEOUT * 2)

    def call(self, bridge: str, action: str, arguments: dict | None = None, timeout: float = TIMEOUT) -> dict:
        """An action a bridge of the daemon offers (e.g. the audio bridge's "play")."""
        return self._call("POST", f"/v1/call/{bridge}/{action}", body=json.dumps(arguments or {}), timeout=timeout)

    def shutdown(self) -> None:
        self._call("POST", "/v1/shutdown")

    def algorithms(self, search: str | None = None) -> list[Algorithm]:
        from ..client.algorithms import Algorithm

        params = {"search": search} if search else {}
        return [Algorithm.model_validate(a) for a in self._call("GET", "/v1/algorithms", params=params)]

    def estimate(self, request: JobRequest) -> Estimate:
        return Estimate.model_validate(self._call("POST", "/v1/estimate", body=request.model_dump_json()))


def _error(payload: Any) -> BridgeError:
    """The daemon's error as the same class of our error tree (so exit codes carry over)."""
    if not isinstance(payload, dict):
        return BridgeError(f"the daemon answered {payload!r}")
    kind = getattr(errors, str(payload.get("kind")), None)
    message, hint, field = str(payload.get("error", "error")), payload.get("hint"), payload.get("field")
    if isinstance(kind, type) and issubclass(kind, BridgeError) and kind.__init__ is BridgeError.__init__:
        return kind(message, hint=hint, field=field)
    error = BridgeError(message, hint=hint, field=field)
    error.exit_code = int(payload.get("exit_code", 1))
    return error
