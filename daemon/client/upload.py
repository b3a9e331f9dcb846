"""What separation/create is sent: the input kinds of the API (an uploaded file, a link, the two
files of matchering, or nothing for no-upload models) and the streamed multipart body.

The body is a requests-toolbelt MultipartEncoder: it reads the files in chunks while sending and
knows its length up front, so a 1 GB file is never in memory and the server gets Content-Length.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from requests_toolbelt.multipart.encoder import MultipartEncoder, MultipartEncoderMonitor

from ..errors import UsageError
from ..jobs.model import REMOTE_TYPES

OPTION_KEYS = ("add_opt1", "add_opt2", "add_opt3", "add_opt4")

#: progress(bytes_sent, bytes_total)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SeparationInput:
    """One create call. Exactly one input kind: `audiofile`, `url` (+ `remote_type`),
    `target_audiofile` + `reference_audiofile` (matchering), or none (no-upload models)."""

    sep_type: int
    options: Mapping[str, str] = field(default_factory=dict)
    output_format: int | None = None  # None: the server's default (0, mp3)
    audiofile: Path | None = None
    upload_name: str | None = None  # name sent for audiofile; default its file name
    url: str | None = None
    remote_type: str | None = None
    target_audiofile: Path | None = None
    reference_audiofile: Path | None = None
    is_demo: bool = False  # publishes the result on mvsep.com: only on the user's explicit request

    def __post_init__(self) -> None:
        kinds = [
            k
            for k, present in (
                ("audiofile", self.audiofile is not None),
                ("url", self.url is not None),
                ("matchering", self.target_audiofile is not None or self.reference_audiofile is not None),
            )
            if present
        ]
        if len(kinds) > 1:
            raise UsageError(
                f"a separation takes one kind of input, got {' and '.join(kinds)}",
                hint="give an audio file, or a url, or matchering's target + reference files",
            )
        if (self.target_audiofile is None) != (self.reference_audiofile is None):
            raise UsageError("matchering needs both target_audiofile and reference_audiofile")
        if self.remote_type is not None and self.url is None:
            raise UsageError("remote_type only applies to a url input")
        if self.remote_type is not None and self.remote_type not in REMOTE_TYPES:
            raise UsageError(
                f"unknown remote_type {self.remote_type!r}; valid: {', '.join(REMOTE_TYPES)}"
            )
        bad = [k for k in self.options if k not in OPTION_KEYS]
        if bad:
            raise UsageError(f"unknown option field(s) {bad}; valid: {', '.join(OPTION_KEYS)}")
        for path in (self.audiofile, self.target_audiofile, self.reference_audiofile):
            if path is not None and not Path(path).is_file():
                raise UsageError(f"no such file: {path}", hint="check the path of the audio file")

    @property
    def kind(self) -> str:
        if self.audiofile is not None:
            return "audiofile"
        if self.url is not None:
            return "url"
        if self.target_audiofile is not None:
            return "matchering"
        return "none"

    @property
    def sent_name(self) -> str | None:
        """The file name the server sees (it ends up in the job's hash)."""
        if self.audiofile is not None:
            return self.upload_name or Path(self.audiofile).name
        if self.target_audiofile is not None:
            return Path(self.target_audiofile).name
        return None

    def text_fields(self) -> dict[str, str]:
        fields = {"sep_type": str(self.sep_type)}
        fields.update({k: str(v) for k, v in self.options.items()})
        if self.output_format is not None:
            fields["output_format"] = str(self.output_format)
        if self.url is not None:
            fields["url"] = self.url
            fields["remote_type"] = self.remote_type or "direct"
        if self.is_demo:  # never sent otherwise, not even as 0
            fields["is_demo"] = "1"
        return fields


@contextmanager
def create_body(
    request: SeparationInput, token: str, progress: Progress | None = None
) -> Iterator[MultipartEncoderMonitor]:
    """The streamed multipart body of a create; files are closed on exit."""
    with ExitStack() as stack:
        fields: dict[str, object] = {"api_token": token, **request.text_fields()}
        uploads = {
            "audiofile": (request.audiofile, request.sent_name),
            "target_audiofile": (request.target_audiofile, None),
            "reference_audiofile": (request.reference_audiofile, None),
        }
        for key, (path, name) in uploads.items():
            if path is not None:
                handle = stack.enter_context(open(path, "rb"))
                fields[key] = (name or Path(path).name, handle, "application/octet-stream")
        yield monitored(fields, progress)


def monitored(fields: Mapping[str, object], progress: Progress | None) -> MultipartEncoderMonitor:
    encoder = MultipartEncoder(fields=dict(fields))
    total = encoder.len
    callback = (lambda m: progress(m.bytes_read, total)) if progress else None
    return MultipartEncoderMonitor(encoder, callback)


_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def same_upload_name(sent: str, in_hash: str) -> bool:
    """Whether the name at the end of a job hash is (MVSEP's cleaned, maybe shortened form of) the
    name we sent: compared on letters and digits only, either a prefix of the other."""
    a, b = _NOT_ALNUM.sub("", sent.lower()), _NOT_ALNUM.sub("", in_hash.lower())
    if not a or not b:
        return True
    return a.startswith(b) or b.startswith(a)
