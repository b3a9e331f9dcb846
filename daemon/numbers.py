"""Numbers users give (flags, the config file, sidecars, requests on the wire) are finite and
within sense, or refused with the range: `inf` is not "the whole file", and 1e308 seconds would
overflow the frame arithmetic deep inside a job instead of being refused at the door.

Pydantic types for models, so every way in (CLI, control channel, hot folders, OSC, spool)
inherits the same check.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

#: the longest start or length of a section: a week of audio; anything longer is a typo
MAX_SECTION_SECONDS = 7 * 24 * 3600.0
#: the longest wait a setting may ask for (a hot folder's settle time)
MAX_SETTLE_SECONDS = 3600.0
#: the most source audio uploaded on each side of a section
MAX_MARGIN_SECONDS = 30.0
#: sep_type and option numbers are the server's 32-bit integers
MAX_ID = 2**31 - 1


def _seconds_check(low: float, high: float, *, low_included: bool):
    def check(value: float) -> float:
        fine = math.isfinite(value) and (value >= low if low_included else value > low) and value <= high
        if not fine:
            sign = ">=" if low_included else ">"
            raise PydanticCustomError(
                "seconds_range", "{value} is not a number of seconds {sign} {low:g} and <= {high:g}",
                {"value": value, "sign": sign, "low": low, "high": high})
        return value

    return AfterValidator(check)


SectionStart = Annotated[float, _seconds_check(0, MAX_SECTION_SECONDS, low_included=True)]
SectionLength = Annotated[float, _seconds_check(0, MAX_SECTION_SECONDS, low_included=False)]
SettleSeconds = Annotated[float, _seconds_check(0, MAX_SETTLE_SECONDS, low_included=True)]
MarginSeconds = Annotated[float, _seconds_check(0, MAX_MARGIN_SECONDS, low_included=True)]
SepType = Annotated[int, Field(ge=0, le=MAX_ID)]
Credits = Annotated[int, Field(ge=0, le=MAX_ID)]
Port = Annotated[int, Field(ge=0, le=65535)]
