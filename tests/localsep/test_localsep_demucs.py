"""The demucs path with a tiny model this test builds and saves in demucs's checkpoint format:
found only when torch, a `demucs` package and the weights are on the machine, loaded from the
file, really run (segments, cross-fades, resampling), stems adding up to the input.

The tiny model splits its input by fixed gains, so what each stem must be is known exactly. It
lives in a `demucs` package the test writes to a temp folder: a checkpoint pickles its model
class by module path, as real ones name demucs.htdemucs.HTDemucs.

These need real torch, from the demucs extra: scripts/setup.sh installs it in CI (CI=true) and
with MVSEP_SETUP_TORCH=1. Without torch they are reported as skipped, never as passed; in CI a
missing torch fails the run instead. What needs no torch is in test_localsep_demucs_discovery.py.
"""

import os
import sys
import textwrap

import numpy as np
import pytest

from mvsep_bridge.daemon.errors import ValidationError
from mvsep_bridge.daemon.localsep import MODELS, available_models, load_demucs_model, separate
from mvsep_bridge.daemon.localsep.demucs import hub_checkpoints_dir

if os.environ.get("CI") == "true":
    import torch  # CI installs the demucs extra: without torch this path would go untested
else:
    torch = pytest.importorskip("torch", reason="real torch not installed: `MVSEP_SETUP_TORCH=1 ./scripts/setup.sh`")

GAINS = {"drums": 0.1, "bass": 0.2, "other": 0.3, "vocals": 0.35}  # leaves 0.05 out: goes to other

TINY_MODEL = '''
import torch


class TinySplit(torch.nn.Module):
    """(batch, channels, time) -> (batch, sources, channels, time): each source a gain."""

    def __init__(self, sources, samplerate=44100, audio_channels=2, segment=1.0):
        super().__init__()
        self.sources = list(sources)
        self.samplerate = samplerate
        self.audio_channels = audio_channels
        self.segment = segment
        self.gains = torch.nn.Parameter(torch.zeros(len(self.sources)))

    def forward(self, mix):
        assert mix.shape[-1] == int(self.segment * self.samplerate), "demucs gets whole segments"
        return mix[:, None] * self.gains[None, :, None, None]
'''


@pytest.fixture
def demucs_package(tmp_path, monkeypatch):
    """A `demucs` package with the tiny model class, importable for this test only."""
    site = tmp_path / "site"
    (site / "demucs").mkdir(parents=True)
    (site / "demucs" / "__init__.py").write_text("")
    (site / "demucs" / "tiny.py").write_text(textwrap.dedent(TINY_MODEL))
    monkeypatch.syspath_prepend(str(site))
    yield __import__("demucs.tiny").tiny
    for name in [n for n in sys.modules if n == "demucs" or n.startswith("demucs.")]:
        del sys.modules[name]


def save_checkpoint(tiny, path, **kwargs):
    model = tiny.TinySplit(list(GAINS), **kwargs)
    with torch.no_grad():
        model.gains.copy_(torch.tensor(list(GAINS.values())))
    path.parent.mkdir(parents=True, exist_ok=True)
    package = {"klass": tiny.TinySplit, "args": [list(GAINS)], "kwargs": kwargs, "state": model.state_dict()}
    torch.save(package, path)
    return path


def band_noise(frames, rate, channels=2):
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(5)
    sos = butter(8, 10_000, fs=rate, output="sos")
    return sosfilt(sos, rng.standard_normal((frames, channels)) * 0.2, axis=0).astype(np.float32)


def test_loader_rebuilds_the_model_with_its_weights(tmp_path, demucs_package):
    path = save_checkpoint(demucs_package, tmp_path / "tiny.th", segment=0.5)
    model = load_demucs_model(path)
    assert model.sources == list(GAINS) and model.segment == 0.5 and not model.training
    assert torch.allclose(model.gains, torch.tensor(list(GAINS.values())))


def test_installed_demucs_with_weights_becomes_sep_type_20_and_runs(demucs_package):
    assert available_models()[20] == MODELS[20]  # no weights yet: the DSP
    save_checkpoint(demucs_package, hub_checkpoints_dir() / "955717e8-00000000.th")
    assert available_models()[20].name == "Demucs4 HT (local weights)"

    x = band_noise(3 * 48_000 + 123, 48_000)  # 48 kHz: resampled to the model's 44.1 and back
    seen = []
    stems = separate(x, 48_000, 20, progress=seen.append)
    assert tuple(stems) == ("vocals", "drums", "bass", "other")
    assert seen and seen[-1] == 1.0  # 3 s in 1 s segments: several chunks
    core = slice(2000, -2000)  # resampling edges
    for name in ("vocals", "drums", "bass"):
        assert stems[name].shape == x.shape
        assert np.allclose(stems[name][core], GAINS[name] * x[core], atol=2e-3), name
    assert np.allclose(stems["other"][core], 0.35 * x[core], atol=2e-3)  # 0.3 + the 0.05 left out
    assert np.max(np.abs(np.sum(list(stems.values()), axis=0) - x)) <= 1e-4


def test_mono_input_runs_through_a_stereo_model(demucs_package):
    save_checkpoint(demucs_package, hub_checkpoints_dir() / "955717e8-00000000.th")
    x = band_noise(44_100, 44_100, channels=1)
    stems = separate(x, 44_100, 20)
    assert stems["drums"].shape == x.shape
    assert np.allclose(stems["drums"], 0.1 * x, atol=1e-5)  # same rate: no resampling error


def test_bad_checkpoints_are_refused_clearly(tmp_path):
    garbage = tmp_path / "garbage.th"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(ValidationError, match="cannot load the demucs model"):
        load_demucs_model(garbage)
    other = tmp_path / "state_only.th"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(ValidationError, match="not a demucs checkpoint"):
        load_demucs_model(other)
