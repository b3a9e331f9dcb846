"""The Demucs path's parts that need no torch, so they run on every machine: when Demucs is
offered, where its weights are looked for, and a clear refusal of a missing checkpoint. Loading
and running a real checkpoint needs torch: test_localsep_demucs.py."""

import importlib.util
from pathlib import Path

import pytest

from mvsep_bridge.daemon.errors import ValidationError
from mvsep_bridge.daemon.localsep import MODELS, available_models, load_demucs_model
from mvsep_bridge.daemon.localsep.demucs import hub_checkpoints_dir


def test_weights_without_the_demucs_package_are_not_offered():
    assert importlib.util.find_spec("demucs") is None  # the real package is not installed here
    hub_checkpoints_dir().mkdir(parents=True)
    (hub_checkpoints_dir() / "955717e8-00000000.th").write_bytes(b"weights")
    assert available_models()[20] == MODELS[20]


def test_weights_are_looked_for_where_torch_keeps_them(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert hub_checkpoints_dir() == tmp_path / "cache" / "torch" / "hub" / "checkpoints"
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert hub_checkpoints_dir() == tmp_path / "th" / "hub" / "checkpoints"
    if importlib.util.find_spec("torch") is not None:  # and torch's own rule agrees, where it is installed
        import torch.hub

        assert hub_checkpoints_dir() == Path(torch.hub.get_dir()) / "checkpoints"


def test_a_missing_checkpoint_is_refused_with_its_path(tmp_path):
    missing = tmp_path / "955717e8-gone.th"
    with pytest.raises(ValidationError, match="cannot load the demucs model .*955717e8-gone.th"):
        load_demucs_model(missing)
