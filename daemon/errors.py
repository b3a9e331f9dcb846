"""Every error mvsep-bridge raises on purpose, one tree, so callers catch at the depth they need.

    BridgeError                      anything of ours; `.exit_code` is what the CLI exits with
    ├── UsageError                   bad flags, bad input file, bad request           (exit 2)
    │   ├── ConfigError              config file or environment cannot be parsed/validated
    │   ├── AudioError               a source the decoders cannot read, a bad section
    │   ├── PathNotAllowed           a bridge asked for a path outside allowed_roots
    │   ├── SettingsMismatch         the command's settings differ from the running daemon's
    │   └── ValidationError          sep_type / option / format the catalog refuses
    │       └── BudgetError          the credit estimate is over a configured budget
    ├── JobFailed                    a job ran and failed (server said failed, finish failed) (exit 1)
    ├── Unreachable                  the daemon, MVSEP or the emulator cannot be reached     (exit 3)
    │   ├── TransportError           connection refused/reset, timeout, truncated body
    │   └── EngineBusy               another process holds this data_dir's engine lock
    ├── AuthError                    401 / unknown or missing api_token                      (exit 4)
    └── ApiError                     the server answered, and not with success              (exit 1)
        ├── BadRequest               HTTP 400 with the server's message: the input refused   (exit 2)
        ├── NotFound                 unknown or expired hash, unknown id                     (exit 2)
        ├── RateLimited              HTTP 429; `.retry_after` seconds
        │   └── SlotTaken            (backends/base.py) the plan's job slots are taken elsewhere
        └── ServerError              HTTP 5xx after the retries ran out

Messages name the problem and the fix ("… run `mvsep-bridge account login`"). Errors about one
field of a job request say which (`.field`: "source", "destination", "replace", "sep_type",
"options", "output_format", "start", "length"), so each way in names its own flag or key.
"""

from __future__ import annotations


class BridgeError(Exception):
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.field = field

    def __str__(self) -> str:
        return f"{self.message}\n  {self.hint}" if self.hint else self.message


class UsageError(BridgeError):
    exit_code = 2


class ConfigError(UsageError):
    pass


class AudioError(UsageError):
    pass


class PathNotAllowed(UsageError):
    pass


class SettingsMismatch(UsageError):
    pass


class ValidationError(UsageError):
    pass


class BudgetError(ValidationError):
    pass


class JobFailed(BridgeError):
    exit_code = 1


class Unreachable(BridgeError):
    exit_code = 3


class TransportError(Unreachable):
    pass


class EngineBusy(Unreachable):
    """Another engine (a daemon) runs on this data_dir."""


class AuthError(BridgeError):
    exit_code = 4


class ApiError(BridgeError):
    exit_code = 1

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.status = status


class BadRequest(ApiError):
    exit_code = 2  # the server refused what the user gave it: bad input, as DESIGN.md counts it


class NotFound(ApiError):
    exit_code = 2  # asked for something the server does not have: bad input


class RateLimited(ApiError):
    def __init__(self, message: str, *, retry_after: float | None = None, status: int = 429):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ServerError(ApiError):
    pass


def validation_problems(exc) -> str:
    """A pydantic ValidationError as `where: what; …` for a user: no pydantic links ("For further
    information visit …"), no echo of the input (which may be huge or hold a token)."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg'].removeprefix('Value error, ')}"
                     for e in exc.errors(include_url=False, include_input=False))


def shown(value: object, limit: int = 60) -> str:
    """`value` quoted for a message, cut to `limit` characters: a 100 000-character input is named,
    not echoed whole."""
    text = repr(str(value))
    return text if len(text) <= limit else f"{text[:limit]}…' ({len(str(value))} characters)"
