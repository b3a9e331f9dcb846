"""The local engine: separation on this machine, no network, no account.

    from mvsep_bridge.daemon.localsep import separate, available_models, refuse
    stems = separate(samples, 44100, sep_type=40)   # {"vocals": ..., "instrumental": ...}

Honest DSP (daemon.localsep.dsp, masks) under MVSEP's sep_type numbers (models), and Demucs when
it is already installed with its weights (demucs). synth makes a song with known stems.
"""

from .demucs import load_demucs_model, run_demucs
from .models import DEFAULT_SEP_TYPE, MODELS, LocalModel, available_models, refuse
from .separator import separate

__all__ = [
    "DEFAULT_SEP_TYPE",
    "MODELS",
    "LocalModel",
    "available_models",
    "load_demucs_model",
    "refuse",
    "run_demucs",
    "separate",
]
