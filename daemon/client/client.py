"""MvsepClient: one typed method per endpoint of API.md, on one requests.Session.

    client = MvsepClient.from_settings(load_settings())
    job = client.create_once(SeparationInput(sep_type=40, options={"add_opt1": "81"},
                                             output_format=2, audiofile=Path("song.wav")))
    result = client.get(job.hash)            # poll until result.status.final
    for f in result.files:
        client.download(f, out_dir / f.file_name)

Errors are daemon.errors: AuthError, BadRequest, NotFound, RateLimited, ServerError (5xx after
retries), TransportError (connection level). The token never appears in their text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from ..errors import (
    AuthError,
    BadRequest,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    Unreachable,
)
from ..settings import DEFAULT_BASE_URL, Settings
from .algorithms import Algorithm
from .download import Progress as DownloadProgress
from .download import download_file
from .models import (
    CreatedJob,
    DemoItem,
    HistoryEntry,
    Leaderboard,
    Message,
    NewsItem,
    QcCreated,
    QcEntry,
    QueueInfo,
    RemoteSeparation,
    Separation,
    UserInfo,
    as_list,
    hash_file_name,
)
from .transport import (
    DEFAULT_TIMEOUT,
    LOGIN_HINT,
    MAX_RETRY_AFTER,
    build_session,
    decode_json,
    failure_message,
    mask_token,
    raise_for_status,
    request_was_sent,
    transport_error,
)
from .upload import Progress as UploadProgress
from .upload import SeparationInput, create_body, monitored, same_upload_name

log = logging.getLogger(__name__)

ALL_SCOPES = "single_upload,no_upload,matchering_upload"
#: separation_history's largest page; create_once's snapshot of known jobs
HISTORY_PAGE = 20
#: after an ambiguous create, look for the job in the history after these pauses (seconds)
HISTORY_RECHECKS = (0.0, 2.0, 5.0)


class MvsepClient:
    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        attempts: int = 4,  # tries of an idempotent call; sleeps 0, 0.6, 1.2 s between (backoff)
        backoff: float = 0.3,
    ):
        self.base_url = base_url.rstrip("/")
        self._token = token or None
        self.timeout = timeout
        self.backoff = backoff
        self.session = build_session(self.base_url, attempts=attempts, backoff=backoff)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> MvsepClient:
        return cls(settings.base_url, settings.token, **kwargs)

    def __repr__(self) -> str:
        return f"MvsepClient({self.base_url!r}, token={'***' if self._token else None})"

    def __enter__(self) -> MvsepClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    # ------------------------------------------------------------ plumbing

    def _url(self, path: str) -> str:
        return f"{self.base_url}/api/{path}"

    def _require_token(self, what: str) -> str:
        if not self._token:
            raise AuthError(f"{what} needs an MVSEP API token and none is configured", hint=LOGIN_HINT)
        return self._token

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict[str, Any] | None = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
        bad_request_is_auth: bool = False,
        check_success: bool = True,
    ) -> Any:
        """One request → decoded JSON; every failure as our error tree, token masked."""
        if token is not None:
            if method == "GET":
                params = {**(params or {}), "api_token": token}
            elif isinstance(data, dict):
                data = {**data, "api_token": token}
        try:
            response = self.session.request(
                method, self._url(path), params=params, data=data, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise transport_error(exc, what, self._token) from None
        raise_for_status(response, what, token=self._token, bad_request_is_auth=bad_request_is_auth)
        payload = decode_json(response, what)
        if check_success and isinstance(payload, dict) and payload.get("success") is False:
            reason = mask_token(failure_message(payload) or "the server said no", self._token)
            if bad_request_is_auth and "token" in reason.lower():
                raise AuthError(f"{what}: {reason}", hint=LOGIN_HINT)
            raise BadRequest(f"{what}: {reason}", status=response.status_code)
        return payload

    @staticmethod
    def _data(payload: Any) -> Any:
        return payload.get("data", payload) if isinstance(payload, dict) else payload

    # ------------------------------------------------------------ separation jobs

    def create(self, request: SeparationInput, *, progress: UploadProgress | None = None) -> CreatedJob:
        """POST separation/create once; the audio is streamed from disk. Raises Unreachable when
        the connection was never made (nothing sent), TransportError / ServerError when the
        outcome is unknown (the job may exist): use create_once unless you handle that yourself."""
        token = self._require_token("creating a separation")
        what = f"create (sep_type {request.sep_type})"
        with create_body(request, token, progress) as body:
            try:
                response = self.session.post(
                    self._url("separation/create"),
                    data=body,
                    headers={"Content-Type": body.content_type},
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                if not request_was_sent(exc):
                    raise Unreachable(f"{what}: cannot connect to {self.base_url}",
                                      hint="check the network and base_url (`mvsep-bridge config show`)") from None
                raise transport_error(exc, what, token) from None
        raise_for_status(response, what, token=token)
        payload = decode_json(response, what)
        if not isinstance(payload, dict) or payload.get("success") is False:
            reason = mask_token(failure_message(payload) or "the server refused the job", token)
            raise BadRequest(f"{what}: {reason}", status=response.status_code)
        return CreatedJob.model_validate(self._data(payload))

    def create_once(
        self,
        request: SeparationInput,
        *,
        progress: UploadProgress | None = None,
        attempts: int = 3,
        rechecks: Sequence[float] = HISTORY_RECHECKS,
        known: set[str] | None = None,
    ) -> CreatedJob:
        """Create a job so that it exists exactly once on the server (and is paid once).

        Before the first attempt the hashes on the first history page are noted. When an attempt
        ends ambiguously (connection broken or timed out after sending, or a 5xx, where the server
        may have created the job anyway), the history is read again (after each pause in
        `rechecks`); a job that was not there before, with the same sep_type (when the history
        names it) and the same upload name (the name is part of the hash), is taken as ours and
        returned. Only when none shows up is the create sent again. Comparing against the noted
        hashes needs no clock agreement with the server. If the history itself cannot be read,
        nothing is re-sent: the error says to check `mvsep-bridge account history`.

        known: the hashes the caller noted before (the daemon persists them before it sends, for
        after a crash); then the history is not read again first.
        """
        if known is None:
            known = self.history_hashes()
        error: Exception | None = None
        for attempt in range(1, attempts + 1):
            try:
                return self.create(request, progress=progress)
            except RateLimited as exc:  # refused outright: nothing was created
                if exc.retry_after is not None and exc.retry_after > MAX_RETRY_AFTER:
                    raise
                error = exc
                time.sleep(exc.retry_after if exc.retry_after is not None else self.backoff * 2**attempt)
            except (TransportError, ServerError) as exc:
                error = exc
                log.warning("create attempt %d ended without an answer (%s); checking history",
                            attempt, exc.message)
                found = self.find_created(request, known, rechecks)
                if found is not None:
                    log.info("the job was created after all: %s", found.hash)
                    return found
        assert error is not None
        if isinstance(error, (TransportError, ServerError)):
            error.message += f" (tried {attempts} times; the history shows none of them created a job)"
        raise error

    def history_hashes(self) -> set[str]:
        """The jobs on the first history page now: what a later `find_created` compares with."""
        return {entry.hash for entry in self.separation_history(limit=HISTORY_PAGE)}

    def find_created(
        self, request: SeparationInput, known: set[str], rechecks: Sequence[float]
    ) -> CreatedJob | None:
        """A job of `request` created since `known` was noted, looked for after each pause."""
        for pause in rechecks:
            time.sleep(pause)
            try:
                history = self.separation_history(limit=HISTORY_PAGE)
            except (Unreachable, ServerError, RateLimited) as exc:
                raise TransportError(
                    f"the create may or may not have reached MVSEP, and the history to check it "
                    f"cannot be read: {exc.message}",
                    hint="see `mvsep-bridge account history` before trying again, so the job is "
                    "not paid twice",
                ) from None
            fresh = [e for e in history if e.hash not in known and _is_ours(e, request)]
            if fresh:
                return CreatedJob(hash=fresh[-1].hash)  # newest first: the earliest new one
        return None

    def get(self, job_hash: str, *, mirror: bool = False) -> Separation:
        """separation/get. An unknown or expired hash raises NotFound."""
        params: dict[str, Any] = {"hash": job_hash}
        if mirror:
            params.update(mirror=1, api_token=self._require_token("a mirror download"))
        payload = self._call("GET", "separation/get", f"status of {job_hash}", params=params,
                             check_success=False)
        result = Separation.model_validate(payload if isinstance(payload, dict) else {})
        if not result.success:
            raise NotFound(
                f"job {job_hash} is unknown to the server ({result.message or 'expired or never created'})",
                hint="results are kept about 72 hours",
            )
        return result

    def get_remote(self, job_hash: str) -> RemoteSeparation:
        """separation/get-remote, for jobs created from a url; when done `.data.hash` is the job."""
        payload = self._call("GET", "separation/get-remote", f"status of {job_hash}",
                             params={"hash": job_hash}, check_success=False)
        result = RemoteSeparation.model_validate(payload if isinstance(payload, dict) else {})
        if not result.success:
            raise NotFound(f"remote job {job_hash} is unknown to the server ({result.data.message or 'expired'})")
        return result

    def cancel(self, job_hash: str) -> Message:
        """Cancel a job not yet processing (credits refunded). A refusal (already processing,
        unknown hash) is `success=False` with the server's reason, not an exception."""
        token = self._require_token("cancelling a job")
        try:
            payload = self._call("POST", "separation/cancel", f"cancel {job_hash}",
                                 data={"hash": job_hash}, token=token, check_success=False)
        except BadRequest as exc:
            return Message(success=False, message=exc.message)
        return Message.model_validate(payload if isinstance(payload, dict) else {"success": False})

    def download(
        self,
        file: Any,
        dest: Path,
        *,
        expected_bytes: int | None = None,
        progress: DownloadProgress | None = None,
    ) -> Path:
        """Download a ResultFile (or a url) to `dest`: resumable, length-checked, atomic."""
        url = file if isinstance(file, str) else file.url
        if expected_bytes is None and not isinstance(file, str):
            expected_bytes = file.bytes
        return download_file(self.session, urljoin(self.base_url + "/", url), Path(dest),
                             expected_bytes=expected_bytes, progress=progress, timeout=self.timeout)

    # ------------------------------------------------------------ site information

    def algorithms_payload(self, scopes: str = ALL_SCOPES) -> list[dict[str, Any]]:
        """The raw /api/app/algorithms array (what the catalog caches)."""
        payload = self._call("GET", "app/algorithms", "algorithm list", params={"scopes": scopes})
        return [entry for entry in as_list(payload) if isinstance(entry, dict)]

    def algorithms(self, scopes: str = ALL_SCOPES) -> list[Algorithm]:
        return [Algorithm.model_validate(entry) for entry in self.algorithms_payload(scopes)]

    def news(self, *, lang: str = "en", start: int = 0, limit: int = 10) -> list[NewsItem]:
        payload = self._call("GET", "app/news", "news", params={"lang": lang, "start": start, "limit": limit})
        return [NewsItem.model_validate(item) for item in as_list(payload)]

    def queue(self) -> QueueInfo:
        """Site queue per plan; with a token, `plan` is the caller's."""
        params = {"api_token": self._token} if self._token else None
        payload = self._call("GET", "app/queue", "site queue", params=params)
        if not (isinstance(payload, dict) and "queue" in payload):
            payload = self._data(payload)
        return QueueInfo.model_validate(payload if isinstance(payload, dict) else {"queue": payload})

    def demo(self, *, start: int = 0, limit: int = 10) -> list[DemoItem]:
        payload = self._call("GET", "app/demo", "demo list", params={"start": start, "limit": limit})
        return [DemoItem.model_validate(item) for item in as_list(payload)]

    # ------------------------------------------------------------ account

    def login(self, email: str, password: str) -> UserInfo:
        """app/login; the answer carries the api_token (a SecretStr)."""
        try:
            payload = self._call("POST", "app/login", "login", data={"email": email, "password": password})
        except BadRequest as exc:
            raise AuthError(f"login refused for {email}: {exc.message.split(': ', 1)[-1]}",
                            hint="check the e-mail and password") from None
        return UserInfo.model_validate(self._data(payload))

    def register(self, name: str, email: str, password: str) -> Message:
        payload = self._call("POST", "app/register", "register", data={
            "name": name, "email": email, "password": password, "password_confirmation": password})
        return Message.model_validate(payload)

    def user(self) -> UserInfo:
        token = self._require_token("account info")
        payload = self._call("GET", "app/user", "account info", token=token, bad_request_is_auth=True)
        return UserInfo.model_validate(self._data(payload))

    def separation_history(self, *, start: int = 0, limit: int = 10) -> list[HistoryEntry]:
        """The user's jobs, newest first (limit ≤ 20)."""
        token = self._require_token("the separation history")
        payload = self._call("GET", "app/separation_history", "separation history",
                             params={"start": start, "limit": limit}, token=token, bad_request_is_auth=True)
        return [HistoryEntry.model_validate(e) for e in as_list(payload) if isinstance(e, dict)]

    def _switch(self, endpoint: str, what: str) -> Message:
        token = self._require_token(what)
        payload = self._call("POST", f"app/{endpoint}", what, data={}, token=token, bad_request_is_auth=True)
        return Message.model_validate(payload)

    def enable_premium(self) -> Message:
        return self._switch("enable_premium", "enable premium")

    def disable_premium(self) -> Message:
        return self._switch("disable_premium", "disable premium")

    def enable_long_filenames(self) -> Message:
        return self._switch("enable_long_filenames", "enable long file names")

    def disable_long_filenames(self) -> Message:
        return self._switch("disable_long_filenames", "disable long file names")

    # ------------------------------------------------------------ quality checker

    def qc_queue(self, *, start: int = 0, limit: int = 10) -> list[QcEntry]:
        payload = self._call("GET", "quality_checker/queue", "quality checker queue",
                             params={"start": start, "limit": limit})
        return [QcEntry.model_validate(e) for e in as_list(payload)]

    def qc_leaderboard(
        self,
        *,
        dataset_type: str | None = None,
        start: int = 0,
        limit: int = 10,
        algo_name_filter: str | None = None,
        sort: str | None = None,
    ) -> Leaderboard:
        params = {"dataset_type": dataset_type, "start": start, "limit": limit,
                  "algo_name_filter": algo_name_filter, "sort": sort}
        payload = self._call("GET", "quality_checker/leaderboard", "leaderboard",
                             params={k: v for k, v in params.items() if v is not None})
        return Leaderboard.model_validate(payload if isinstance(payload, dict) else {"data": payload})

    def qc_add(
        self,
        zipfile: Path,
        *,
        algo_name: str,
        main_text: str,
        password: str,
        dataset_type: str = "0",
        ensemble: bool = False,
        progress: UploadProgress | None = None,
    ) -> QcCreated:
        """Upload a zip of separated stems for scoring (not retried: it would add a second entry)."""
        token = self._require_token("adding a quality checker entry")
        what = "quality checker add"
        with open(zipfile, "rb") as handle:
            body = monitored({
                "api_token": token, "algo_name": algo_name, "main_text": main_text,
                "dataset_type": str(dataset_type), "password": password,
                "ensemble": "1" if ensemble else "0",
                "zipfile": (Path(zipfile).name, handle, "application/zip"),
            }, progress)
            payload = self._call("POST", "quality_checker/add", what, data=body,
                                 headers={"Content-Type": body.content_type})
        return QcCreated.model_validate(self._data(payload))

    def qc_entry(self, entry_id: int) -> QcEntry:
        payload = self._call("GET", "quality_checker/entry", f"quality checker entry {entry_id}",
                             params={"id": entry_id})
        data = self._data(payload)
        if not isinstance(data, dict) or "id" not in data:
            raise NotFound(f"quality checker entry {entry_id} does not exist")
        return QcEntry.model_validate(data)

    def qc_delete(self, entry_id: int, password: str) -> Message:
        payload = self._call("POST", "quality_checker/delete", f"delete quality checker entry {entry_id}",
                             data={"id": str(entry_id), "password": password})
        return Message.model_validate(payload)


def _is_ours(entry: HistoryEntry, request: SeparationInput) -> bool:
    """Whether a job that appeared in the history since our snapshot fits our create."""
    if entry.sep_type is not None and entry.sep_type != request.sep_type:
        return False
    in_hash, sent = hash_file_name(entry.hash), request.sent_name
    return not (in_hash and sent) or same_upload_name(sent, in_hash)
