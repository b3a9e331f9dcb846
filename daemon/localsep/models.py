"""What the local engine can do, under MVSEP's own sep_type numbers.

A local model takes the sep_type of the MVSEP algorithm whose stems it gives (the `output_stems`
of `/api/app/algorithms`, daemon/data/algorithms.json), so a preset works on both backends and
gives the same stem files; only the quality differs:

    sep_type  MVSEP algorithm                    local model                   stems
    20        Demucs4 HT                         DSP 4 stems, or demucs        vocals drums bass other
    40        BS Roformer (vocals, instrumental) DSP centre vocals             vocals instrumental
    41        MVSep Bass (bass, other)           DSP low band of the harmonic  bass other
    44        MVSep Drums (drums, other)         DSP HPSS percussive part      drums other
    55        Phantom Centre extraction          DSP centre similarity         center wide

With torch, the demucs package and its htdemucs weights already on the machine, 20 runs Demucs
instead of the DSP (`available_models`). MVSEP's add_opt fields choose among the server's
variants of an algorithm; the local engine has one model per sep_type and ignores them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ValidationError
from ..jobs.model import DEFAULT_SEP_TYPE  # noqa: F401  (re-exported: the local engine's default too)


@dataclass(frozen=True)
class LocalModel:
    sep_type: int
    name: str
    stems: tuple[str, ...]
    description: str


#: sep_type → the DSP recipe (daemon.localsep.dsp.RECIPES) it runs
DSP_RECIPES: dict[int, str] = {20: "four", 40: "vocals", 41: "bass", 44: "drums", 55: "centre"}

#: the built-in DSP models: always available, no dependency beyond numpy/scipy
MODELS: dict[int, LocalModel] = {
    20: LocalModel(
        20,
        "Local DSP 4 stems (vocals, drums, bass, other)",
        ("vocals", "drums", "bass", "other"),
        "drums: percussive part (HPSS); bass: harmonic part below ~200 Hz; vocals: harmonic, "
        "centre-panned part above it; other: the rest",
    ),
    40: LocalModel(
        40,
        "Local DSP vocals (vocals, instrumental)",
        ("vocals", "instrumental"),
        "vocals: harmonic, centre-panned part above ~200 Hz; instrumental: the rest",
    ),
    41: LocalModel(
        41, "Local DSP bass (bass, other)", ("bass", "other"), "bass: harmonic part below ~200 Hz"
    ),
    44: LocalModel(
        44, "Local DSP drums (drums, other)", ("drums", "other"), "drums: percussive part (HPSS)"
    ),
    55: LocalModel(
        55,
        "Local DSP phantom centre (center, wide)",
        ("center", "wide"),
        "center: what is alike in both channels; wide: the rest (mono input is all centre)",
    ),
}

DEMUCS_MODEL = LocalModel(
    20,
    "Demucs4 HT (local weights)",
    ("vocals", "drums", "bass", "other"),
    "htdemucs from the weights demucs installed on this machine, on the CPU",
)



def available_models() -> dict[int, LocalModel]:
    """MODELS, with 20 as Demucs when its package and weights are on this machine."""
    from .demucs import find_demucs_checkpoint

    models = dict(MODELS)
    if find_demucs_checkpoint() is not None:
        models[20] = DEMUCS_MODEL
    return dict(sorted(models.items()))


def refuse(sep_type: int) -> ValidationError:
    """The error for a sep_type the local engine cannot run: what it can do, and how to use MVSEP."""
    can = "; ".join(f"{m.sep_type} ({', '.join(m.stems)})" for m in available_models().values())
    return ValidationError(
        f"sep_type {sep_type} is not available on the local engine, which can do: {can}",
        hint="for every MVSEP algorithm, give an API token: `mvsep-bridge account login` "
        "(or api_token in the config file, or MVSEP_API_TOKEN) with backend = auto or mvsep",
    )
