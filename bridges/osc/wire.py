"""Datagrams ⇄ OSC messages, with the limits a server facing any sender needs.

python-osc decodes messages and encodes replies. Bundles are split here rather than by python-osc's
OscBundle, which loops forever on a negative element size and recurses without limit: one such
datagram would stop the receive loop.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

MAX_DATAGRAM = 8192  # no reply is larger (DESIGN.md "OSC"); safe through any network path
MAX_STRING = 4096  # bytes of one string argument (PATH_MAX)
MAX_BUNDLE_DEPTH = 8
MAX_MESSAGES = 64  # per datagram: one datagram must not cost thousands of replies
NUMBER_TAGS = frozenset("ifhd")
ACCEPTED_TAGS = NUMBER_TAGS | frozenset("sTFN")
BUNDLE_PREFIX = b"#bundle\x00"


class BadPacket(ValueError):
    """A datagram that is not a usable OSC packet; the message says what is wrong with it."""


@dataclass(frozen=True)
class Message:
    address: str
    args: tuple[object, ...]


def split_packet(datagram: bytes) -> list[Message]:
    """The messages of a datagram (a message, or a bundle of them, nested; timetags are ignored:
    everything runs on arrival)."""
    messages = list(_contents(datagram, 0))
    if len(messages) > MAX_MESSAGES:
        raise BadPacket(f"a bundle of {len(messages)} messages; send at most {MAX_MESSAGES} in one")
    return messages


def _contents(datagram: bytes, depth: int):
    if datagram.startswith(BUNDLE_PREFIX):
        if depth >= MAX_BUNDLE_DEPTH:
            raise BadPacket(f"bundles nested deeper than {MAX_BUNDLE_DEPTH}")
        index = len(BUNDLE_PREFIX) + 8  # the timetag
        if len(datagram) < index:
            raise BadPacket("bundle without a timetag")
        while index < len(datagram):
            if index + 4 > len(datagram):
                raise BadPacket("bundle element size cut off")
            (size,) = struct.unpack_from(">i", datagram, index)
            index += 4
            if size <= 0 or size % 4 or index + size > len(datagram):
                raise BadPacket(f"bundle element of {size} bytes does not fit the datagram")
            yield from _contents(datagram[index:index + size], depth + 1)
            index += size
        return
    if not datagram.startswith(b"/"):
        raise BadPacket("not an OSC message or bundle (an address starts with '/')")
    yield _message(datagram)


def _message(datagram: bytes) -> Message:
    tags_at = datagram.find(b"\x00") + 1
    tags_end = datagram.find(b"\x00", tags_at)
    if tags_at and tags_end > tags_at and datagram[tags_at:tags_at + 1] == b",":
        unknown = set(datagram[tags_at + 1:tags_end].decode("ascii", "replace")) - ACCEPTED_TAGS
        if unknown:
            raise BadPacket(f"unsupported argument type(s) {''.join(sorted(unknown))}; "
                            "send strings (s) and numbers (i, f)")
    try:
        parsed = OscMessage(datagram)
    except UnicodeDecodeError:
        raise BadPacket("a string is not UTF-8; send paths and values as UTF-8") from None
    except Exception as exc:  # python-osc's ParseError, or whatever a truncated datagram causes
        raise BadPacket(f"malformed OSC message ({exc})") from None
    for arg in parsed.params:
        if isinstance(arg, str) and len(arg.encode()) > MAX_STRING:
            raise BadPacket(f"a string argument is longer than {MAX_STRING} bytes")
    return Message(parsed.address, tuple(parsed.params))


def encode(address: str, args: tuple[object, ...] | list[object]) -> bytes:
    """One reply datagram with explicit type tags: str → s, bool/int → i, float → f."""
    builder = OscMessageBuilder(address)
    for arg in args:
        if isinstance(arg, str):
            builder.add_arg(arg, "s")
        elif isinstance(arg, (bool, int)):
            builder.add_arg(int(arg), "i")
        elif isinstance(arg, float) and math.isfinite(arg):
            builder.add_arg(arg, "f")
        else:
            raise TypeError(f"cannot send {arg!r} in an OSC reply")
    return builder.build().dgram
