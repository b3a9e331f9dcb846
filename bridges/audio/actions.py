"""The arguments of the audio bridge's actions, as pydantic models (wire data: they come from the
control channel and from OSC as JSON objects)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from mvsep_bridge.daemon.engine import OUTPUT_FORMATS, UsageError


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlayArgs(Arguments):
    job: str
    stems: list[str] = Field(default_factory=list)  # empty: every stem of the job, mixed
    stem: str | None = None  # one stem, as OSC's /mvsep/play s:job s:stem sends it: added to `stems`
    device: str | int | None = None
    start: float = Field(default=0.0, ge=0)
    rate: int | None = Field(default=None, gt=0)  # the device's rate; default: the file's if it takes it

    @model_validator(mode="after")
    def _one_list(self) -> PlayArgs:
        if self.stem and self.stem not in self.stems:
            self.stems.append(self.stem)
        return self


class RecordArgs(Arguments):
    device: str | int | None = None
    seconds: float | None = Field(default=None, gt=0)
    rate: int | None = Field(default=None, gt=0)  # default: the device's default rate
    channels: int | None = Field(default=None, gt=0)  # default: 2, or 1 on a mono device
    file_format: Literal["flac", "wav"] = "flac"
    sep_type: int | None = None
    options: dict[str, str] = Field(default_factory=dict)
    output_format: int | None = Field(default=None, ge=min(OUTPUT_FORMATS), le=max(OUTPUT_FORMATS))
    destination: Path | None = None
    replace: bool = False  # as `separate --replace`: an earlier result in the stems' folder is replaced


class RecordStopArgs(Arguments):
    wait: float | None = Field(default=None, ge=0)  # let a recording with `seconds` end by itself, up to this long


class NoArgs(Arguments):
    pass


def parse(model: type[Arguments], action: str, arguments: dict) -> Arguments:
    try:
        return model.model_validate(arguments)
    except PydanticValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())
        fields = ", ".join(model.model_fields) or "none"
        raise UsageError(f"bad arguments for audio {action}: {problems}",
                         hint=f"its arguments: {fields}") from None
