"""Demucs as a local model, only when the package and its weights are already on this machine.

Nothing is ever downloaded. A demucs checkpoint (what `demucs` leaves in torch's hub cache, e.g.
`~/.cache/torch/hub/checkpoints/955717e8-8726e21a.th` for htdemucs) is a pickled dict
{"klass", "args", "kwargs", "state"}: the model class, its constructor arguments and its weights.
`load_demucs_model` rebuilds the model from it; `run_demucs` runs it over a file in overlapping
segments, as demucs does, and returns stems that add up to the input.

torch is imported only here, only when a model is used: the rest of the engine needs numpy.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..audio.align import fit
from ..audio.resample import resample
from ..errors import ValidationError

#: signature of htdemucs, the 4-stem Demucs v4 model (its checkpoint file name starts with it)
HTDEMUCS_SIGNATURE = "955717e8"
#: segments overlap by this fraction and are cross-faded
OVERLAP = 0.25


def hub_checkpoints_dir() -> Path:
    """torch's hub cache (torch.hub.get_dir()'s rule, without importing torch): $TORCH_HOME/hub,
    TORCH_HOME defaulting to $XDG_CACHE_HOME/torch, then ~/.cache/torch."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(cache, "torch")
    return Path(torch_home).expanduser() / "hub" / "checkpoints"


def find_demucs_checkpoint() -> Path | None:
    """The htdemucs checkpoint when torch, the demucs package and its weights are all installed."""
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("demucs") is None:
        return None
    folder = hub_checkpoints_dir()
    found = sorted(folder.glob(f"{HTDEMUCS_SIGNATURE}-*.th")) if folder.is_dir() else []
    return found[0] if found else None


def load_demucs_model(path: Path | str):
    """Rebuild a demucs model (a torch.nn.Module in eval mode) from a checkpoint file.

    The file is unpickled (it names the model's class), so give only files you trust, such as
    the ones demucs itself downloaded. The model must have `sources` (stem names), `samplerate`
    and `audio_channels`, and map (batch, channels, time) to (batch, sources, channels, time).
    Loaded once per file version (path and modification time).
    """
    path = Path(path)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise ValidationError(f"cannot load the demucs model {path}: {exc}", hint="check the path") from exc
    return _load(path, mtime)


@functools.lru_cache(maxsize=2)
def _load(path: Path, mtime: int):
    import torch

    try:
        package = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many kinds for a bad file
        raise ValidationError(
            f"cannot load the demucs model {path}: {exc}",
            hint="reinstall demucs's weights, or remove the file to use the DSP engine",
        ) from exc
    if not isinstance(package, dict) or not {"klass", "args", "kwargs", "state"} <= package.keys():
        raise ValidationError(
            f"{path} is not a demucs checkpoint (expected klass, args, kwargs, state)",
            hint="point to a .th file written by demucs",
        )
    if "__quantized" in package["state"]:
        raise ValidationError(f"{path} is a quantized demucs model", hint="use the full-precision htdemucs")
    model = package["klass"](*package["args"], **package["kwargs"])
    model.load_state_dict(package["state"])
    for attribute in ("sources", "samplerate", "audio_channels"):
        if not hasattr(model, attribute):
            raise ValidationError(f"{path}: the model has no `{attribute}`", hint="point to a demucs model")
    return model.eval()


def run_demucs(
    model,
    samples: np.ndarray,
    rate: int,
    progress: Callable[[float], None] | None = None,
) -> dict[str, np.ndarray]:
    """Separate (frames, channels) samples with a loaded demucs model; one stem per
    `model.sources`, each the input's shape. What the model leaves out of its stems (the input
    minus their sum) goes into "other" (or the last stem), so the stems add up to the input."""
    import torch

    frames, channels = samples.shape
    want = int(model.audio_channels)
    if channels == 1 and want == 2:
        audio = np.repeat(samples, 2, axis=1)
    elif channels == want:
        audio = samples
    else:
        raise ValidationError(
            f"the demucs model takes {want} channel(s), the audio has {channels}",
            hint="give a mono or stereo file",
        )
    model_rate = int(model.samplerate)
    audio = resample(audio, rate, model_rate)
    # demucs models are trained on standardised mixes
    scale = float(audio.mean(axis=1).std()) or 1.0
    mix = torch.from_numpy(np.ascontiguousarray(audio.T / scale, dtype=np.float32))

    length = mix.shape[1]
    segment = int(float(getattr(model, "segment", 10.0)) * model_rate)
    stride = max(1, int(segment * (1 - OVERLAP)))
    fade = max(1, segment - stride)
    ramp = torch.clamp(torch.arange(1, segment + 1, dtype=torch.float32) / fade, max=1.0)
    weight = torch.minimum(ramp, ramp.flip(0))  # linear cross-fade where segments overlap
    out = torch.zeros((len(model.sources), want, length))
    total = torch.zeros(length)
    starts = range(0, max(1, length - fade), stride)
    with torch.inference_mode():
        for done, start in enumerate(starts, 1):
            chunk = mix[:, start : start + segment]
            n = chunk.shape[1]
            padded = torch.nn.functional.pad(chunk, (0, segment - n))
            estimate = model(padded[None])[0, :, :, :n]
            out[:, :, start : start + n] += estimate * weight[:n]
            total[start : start + n] += weight[:n]
            if progress:
                progress(done / len(starts))
    out = (out / total.clamp(min=1e-8)).numpy() * scale

    stems = {}
    for name, stem in zip(model.sources, out):
        stem = fit(resample(np.ascontiguousarray(stem.T), model_rate, rate), 0, frames)
        stems[name] = stem.mean(axis=1, keepdims=True) if channels == 1 else stem
    rest = "other" if "other" in stems else list(stems)[-1]
    others = np.sum([s for n, s in stems.items() if n != rest], axis=0, dtype=np.float64)
    stems[rest] = (samples.astype(np.float64) - others).astype(np.float32)
    return {name: np.asarray(stem, dtype=np.float32) for name, stem in stems.items()}
