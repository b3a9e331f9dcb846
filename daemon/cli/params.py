"""Click parameter types for numbers: click's FloatRange lets `nan` and (without a maximum) `inf`
through; these refuse them, with the range, as bad usage (exit 2)."""

from __future__ import annotations

import math

import click

from ..errors import UsageError, shown
from ..jobs.model import OPTION_KEYS


class FiniteFloat(click.FloatRange):
    name = "number"

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number ({self._describe_range()})", param, ctx)
        return number


def parse_options(pairs: tuple[str, ...]) -> dict[str, str]:
    """`--opt add_opt1=81` pairs → {"add_opt1": "81"}. A key given twice is refused: which one the
    user meant cannot be guessed (last-wins would silently drop the other)."""
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = (part.strip() for part in pair.partition("="))
        if not sep or key not in OPTION_KEYS or not value:
            raise UsageError(f"bad --opt {shown(pair)}",
                             hint=f"write --opt FIELD=VALUE with FIELD one of {', '.join(OPTION_KEYS)}")
        if key in options:
            raise UsageError(f"--opt {key} is given twice ({shown(options[key])} and {shown(value)})",
                             hint=f"give {key} once")
        options[key] = value
    return options
