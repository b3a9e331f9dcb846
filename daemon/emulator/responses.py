"""JSON answers in the shapes real MVSEP clients see. Failures come in three shapes, and each
endpoint uses the one the real site uses for it, so clients must accept all of them:

    "data"     {"success": false, "data": {"message": "…"}}
    "errors"   {"success": false, "errors": ["…"]}
    "fields"   {"success": false, "message": {"field": ["…"]}}
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def ok(data: Any = None, **top) -> Response:
    body: dict[str, Any] = {"success": True, **top}
    if data is not None:
        body["data"] = data
    return json_response(body)


class Rejected(Exception):
    """An answer with success:false; raised anywhere below a route, turned into JSON by the app."""

    def __init__(self, message: str, status: int = 400, shape: str = "data",
                 field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.shape = shape
        self.field = field
        self.extra = extra or {}

    def response(self) -> Response:
        body: dict[str, Any] = {"success": False, **self.extra}
        if self.shape == "errors":
            body["errors"] = [self.message]
        elif self.shape == "fields":
            body["message"] = {self.field or "error": [self.message]}
        else:
            body["data"] = {"message": self.message}
        return json_response(body, self.status)


def human_size(count: int) -> str:
    """"5.70 MB", as the site prints sizes."""
    size = float(count)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{int(size)} B" if unit == "B" else f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"
