"""separate(): one call for every local model, DSP or demucs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import AudioError
from . import dsp
from .demucs import find_demucs_checkpoint, load_demucs_model, run_demucs
from .models import DEFAULT_SEP_TYPE, DEMUCS_MODEL, DSP_RECIPES, available_models, refuse


def separate(
    samples: np.ndarray,
    rate: int,
    sep_type: int | None = None,
    options: dict[str, str] | None = None,
    progress: Callable[[float], None] | None = None,
) -> dict[str, np.ndarray]:
    """Split (frames, channels) float samples into the stems of local model `sep_type` (None: the
    default), in the order of its `stems`; each stem has the input's shape and dtype float32, and
    the stems add up to the input (within float32 rounding, 1e-4 at most).

    options (MVSEP's add_opt1..4) are accepted and ignored (models module doc). progress, if given,
    is called with the fraction done, 0..1. A sep_type it cannot do raises `refuse(sep_type)`.
    """
    del options  # one model per sep_type locally: MVSEP's variants do not apply
    sep_type = DEFAULT_SEP_TYPE if sep_type is None else int(sep_type)
    model = available_models().get(sep_type)
    if model is None:
        raise refuse(sep_type)
    samples = np.asarray(samples)
    one_d = samples.ndim == 1
    if one_d:
        samples = samples[:, None]
    if samples.ndim != 2 or samples.shape[0] == 0 or samples.shape[1] == 0:
        raise AudioError(
            f"cannot separate audio shaped {samples.shape}", hint="give (frames, channels) samples"
        )
    if rate <= 0:
        raise AudioError(f"sample rate {rate} is invalid", hint="give the file's sample rate")
    samples = samples.astype(np.float32, copy=False)
    if model == DEMUCS_MODEL:
        stems = run_demucs(load_demucs_model(find_demucs_checkpoint()), samples, rate, progress)
    else:
        stems = dsp.separate(samples, rate, DSP_RECIPES[sep_type], progress)
    return {name: stems[name][:, 0] if one_d else stems[name] for name in model.stems}
