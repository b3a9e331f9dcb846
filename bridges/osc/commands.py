"""What each request address means: OSC arguments → a typed command, or a Refusal saying why not.

Pure functions. Numbers come as `i` or `f` (tablet apps send only floats): 40.0 is 40, 40.5 is
refused, as are non-finite and absurd values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from mvsep_bridge.daemon.engine import OPTION_KEYS, OUTPUT_FORMATS

PREFIX = "/mvsep/"
MAX_SECONDS = 7 * 24 * 3600.0  # a start or length beyond a week of audio is a mistake
MAX_SEP_TYPE = 100_000
MAX_TAG = 256
KEYS = (*OPTION_KEYS, "start", "length", "destination", "replace", "tag")
FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
#: where a job request's field is given in /mvsep/separate (the engine's errors name the field)
ARGUMENTS = {"source": "the path (1st argument)", "sep_type": "sep_type (the 1st number)",
             "output_format": "output_format (the 2nd number)", "options": "add_optN=VALUE",
             "start": "start=SECONDS", "length": "length=SECONDS", "destination": "destination=FOLDER",
             "replace": "replace=1"}


class Refusal(Exception):
    """A request that cannot be served: `code` for programs, `message` for people."""

    def __init__(self, code: str, message: str, tag: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.tag = tag


@dataclass(frozen=True)
class Separate:
    path: Path
    sep_type: int | None = None
    output_format: int | None = None
    options: dict[str, str] = field(default_factory=dict)
    start: float | None = None
    length: float | None = None
    destination: Path | None = None
    replace: bool = False
    tag: str | None = None


@dataclass(frozen=True)
class JobCommand:
    verb: str  # status | cancel
    job: str


@dataclass(frozen=True)
class Listing:
    verb: str  # jobs | algorithms
    search: str | None = None


@dataclass(frozen=True)
class Subscription:
    port: int
    on: bool


@dataclass(frozen=True)
class Playback:
    """Preview a stem through the audio bridge (`/mvsep/play s:job s:stem`), or stop it."""

    action: str  # play | stop
    job: str | None = None
    stem: str | None = None


@dataclass(frozen=True)
class Ping:
    pass


Command = Separate | JobCommand | Listing | Subscription | Playback | Ping


def is_action(command: Command) -> bool:
    """Starts or stops something (served before questions such as status and listings)."""
    return isinstance(command, (Separate, Playback)) or (isinstance(command, JobCommand) and command.verb == "cancel")


def parse(address: str, args: tuple[object, ...]) -> Command:
    verb = address[len(PREFIX):] if address.startswith(PREFIX) else None
    if verb == "separate":
        return parse_separate(args)
    if verb in ("status", "cancel"):
        (job,) = _exactly(verb, args, ("s:job",))
        return JobCommand(verb, _text(job, "job", verb))
    if verb == "jobs":
        _exactly(verb, args, ())
        return Listing(verb)
    if verb == "algorithms":
        if len(args) > 1:
            raise Refusal("bad_arguments", "/mvsep/algorithms takes at most one argument: s:search")
        return Listing(verb, _text(args[0], "search", verb) if args else None)
    if verb in ("subscribe", "unsubscribe"):
        (port,) = _exactly(verb, args, ("i:port",))
        return Subscription(whole(port, "port", 1, 65535), on=verb == "subscribe")
    if verb == "play":
        job, stem = _exactly(verb, args, ("s:job", "s:stem"))
        return Playback("play", _text(job, "job", verb), _text(stem, "stem", verb))
    if verb == "stop":
        _exactly(verb, args, ())
        return Playback("stop")
    if verb == "ping":
        return Ping()
    raise Refusal("unknown_address", f"unknown address {address!r}; known: {', '.join(ADDRESSES)}")


ADDRESSES = tuple(PREFIX + v for v in (
    "separate", "status", "cancel", "jobs", "algorithms", "play", "stop", "ping", "subscribe", "unsubscribe"))


def parse_separate(args: tuple[object, ...]) -> Separate:
    tag = find_tag(args)
    try:
        return _separate(args, tag)
    except Refusal as refusal:
        refusal.tag = tag
        raise


def find_tag(args: tuple[object, ...]) -> str | None:
    """The request's tag, even when another argument is wrong, so the error can echo it."""
    for arg in args[1:]:
        if isinstance(arg, str) and arg.startswith("tag=") and 0 < len(arg) - 4 <= MAX_TAG:
            return arg[4:]
    return None


def _separate(args: tuple[object, ...], tag: str | None) -> Separate:
    usage = "/mvsep/separate s:path [sep_type] [output_format] [s:\"key=value\" …]"
    if not args or not isinstance(args[0], str) or not args[0]:
        raise Refusal("bad_arguments", f"the first argument must be the audio file's path (s); usage: {usage}")
    path = Path(args[0]).expanduser()
    if not path.is_absolute():
        raise Refusal("bad_arguments", f"{args[0]!r} is not an absolute path; the daemon has no working "
                                       "folder of yours, send the full path")
    numbers = []
    rest = list(args[1:])
    while rest and not isinstance(rest[0], str):
        numbers.append(rest.pop(0))
    if len(numbers) > 2:
        raise Refusal("bad_arguments", f"at most two numbers (sep_type, output_format) after the path; usage: {usage}")
    sep_type = whole(numbers[0], "sep_type", 0, MAX_SEP_TYPE) if numbers else None
    output_format = whole(numbers[1], "output_format", min(OUTPUT_FORMATS), max(OUTPUT_FORMATS)) \
        if len(numbers) > 1 else None
    values: dict[str, str] = {}
    for arg in rest:
        if not isinstance(arg, str):
            raise Refusal("bad_arguments", f"{arg!r} after a key=value string; numbers go right after the path")
        key, sep, value = arg.partition("=")
        if not sep or key not in KEYS:
            raise Refusal("bad_arguments", f"{arg!r} is not key=value with a key among {', '.join(KEYS)}")
        if key in values:
            raise Refusal("bad_arguments", f"{key} given twice")
        values[key] = value
    if "tag" in values and not 0 < len(values["tag"]) <= MAX_TAG:
        raise Refusal("bad_arguments", f"a tag has 1 to {MAX_TAG} characters")
    if values.get("replace", "0").lower() not in FLAGS:
        raise Refusal("bad_arguments", f"replace={values['replace']!r}: write replace=1 or replace=0")
    destination = values.get("destination")
    if destination is not None and not Path(destination).expanduser().is_absolute():
        raise Refusal("bad_arguments", f"destination {destination!r} is not an absolute path")
    return Separate(
        path=path,
        sep_type=sep_type,
        output_format=output_format,
        options={k: values[k] for k in OPTION_KEYS if k in values},
        start=seconds(values["start"], "start", allow_zero=True) if "start" in values else None,
        length=seconds(values["length"], "length", allow_zero=False) if "length" in values else None,
        destination=Path(destination).expanduser() if destination else None,
        replace=FLAGS[values.get("replace", "0").lower()],
        tag=tag,
    )


def whole(value: object, name: str, low: int, high: int) -> int:
    """An integer sent as i or f (40.0 → 40); fractions, non-finite and out-of-range refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Refusal("bad_arguments", f"{name} must be a number (i or f), got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise Refusal("bad_arguments", f"{name} must be a whole number, got {value!r}")
        value = int(value)
    if not low <= value <= high:
        raise Refusal("bad_arguments", f"{name} must be between {low} and {high}, got {value}")
    return value


def seconds(text: str, name: str, *, allow_zero: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise Refusal("bad_arguments", f"{name}={text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero) or value > MAX_SECONDS:
        low = "0 or more" if allow_zero else "more than 0"
        raise Refusal("bad_arguments", f"{name} must be {low} and at most {MAX_SECONDS:.0f} seconds, got {text!r}")
    return value


def _exactly(verb: str, args: tuple[object, ...], spec: tuple[str, ...]) -> tuple[object, ...]:
    if len(args) != len(spec):
        wanted = " ".join(spec) or "no arguments"
        raise Refusal("bad_arguments", f"/mvsep/{verb} takes {wanted}, got {len(args)} argument(s)")
    return args


def _text(value: object, name: str, verb: str) -> str:
    if not isinstance(value, str) or not value:
        raise Refusal("bad_arguments", f"/mvsep/{verb}: {name} must be a non-empty string (s), got {value!r}")
    return value
