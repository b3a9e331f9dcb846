"""The local DSP engine: stems add up to the input, have its shape, follow MVSEP's stem sets,
refuse what they cannot do, and do not depend on how the file is cut into blocks."""

import json
from pathlib import Path

import numpy as np
import pytest

import mvsep_bridge.daemon
from mvsep_bridge.daemon.errors import AudioError, ValidationError
from mvsep_bridge.daemon.localsep import MODELS, available_models, refuse, separate
from mvsep_bridge.daemon.localsep import dsp
from mvsep_bridge.daemon.localsep.synth import song

MIX, PARTS = song(3.0, 44_100)


def sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    return 10 * np.log10(np.sum(reference**2) / np.sum((reference - estimate) ** 2))


@pytest.mark.parametrize("sep_type", sorted(MODELS))
def test_stems_add_up_to_the_input_and_have_its_shape(sep_type):
    stems = separate(MIX, 44_100, sep_type)
    assert tuple(stems) == MODELS[sep_type].stems
    for stem in stems.values():
        assert stem.shape == MIX.shape and stem.dtype == np.float32
    assert np.max(np.abs(np.sum(list(stems.values()), axis=0) - MIX)) <= 1e-4
    assert all(np.any(stem) for stem in stems.values())  # every stem got something


@pytest.mark.parametrize(
    "samples,rate",
    [
        (MIX[:, :1], 44_100),  # mono (frames, 1)
        (MIX[:, 0], 44_100),  # 1-D
        (np.repeat(MIX[:48_000, :1], 4, axis=1), 48_000),  # 4 channels, 48 kHz
        (MIX[:100], 44_100),  # shorter than one FFT frame
        (MIX.astype(np.float64), 22_050),
    ],
)
def test_any_layout_and_rate_keeps_shape_and_sum(samples, rate):
    stems = separate(samples, rate, 20)
    for stem in stems.values():
        assert stem.shape == samples.shape
    assert np.max(np.abs(np.sum(list(stems.values()), axis=0) - samples)) <= 1e-4


def test_mono_is_all_centre():
    stems = separate(MIX[:, :1], 44_100, 55)
    assert np.max(np.abs(stems["wide"])) <= 1e-4


def test_blocks_give_the_same_stems_as_one_block():
    one = dsp.separate(MIX, 44_100, "four", block_frames=MIX.shape[0] + 1)
    many = dsp.separate(MIX, 44_100, "four", block_frames=20_000)  # 7 blocks, ragged last one
    for name in one:
        assert np.max(np.abs(one[name] - many[name])) <= 1e-6, name


def test_progress_goes_up_to_one():
    seen = []
    dsp.separate(MIX, 44_100, "vocals", progress=seen.append, block_frames=30_000)
    assert len(seen) == 5 and seen == sorted(seen) and seen[-1] == 1.0


def test_stems_resemble_the_true_parts():
    """Honest DSP, not a model: modest floors (bench/sdr.py prints the figures)."""
    stems = separate(MIX, 44_100, 20)
    assert sdr(PARTS["vocals"], stems["vocals"]) > 5
    assert sdr(PARTS["bass"], stems["bass"]) > 4
    assert sdr(PARTS["pad"], stems["other"]) > 4
    assert sdr(PARTS["drums"], stems["drums"]) > 1.5
    # the vocals stem holds more voice than anything else
    assert sdr(PARTS["vocals"], stems["vocals"]) > sdr(PARTS["vocals"], np.zeros_like(MIX)) + 5


def test_unknown_sep_type_is_refused_with_what_it_can_do_and_how_to_use_mvsep():
    with pytest.raises(ValidationError) as info:
        separate(MIX, 44_100, 48)
    text = str(info.value)
    assert "sep_type 48 is not available on the local engine" in text
    for sep_type, model in available_models().items():
        assert f"{sep_type} ({', '.join(model.stems)})" in text
    assert "mvsep-bridge account login" in text and "api_token" in text
    assert str(refuse(48)) == text
    assert info.value.exit_code == 2


def test_mvsep_options_are_accepted_so_presets_work_on_both_backends():
    with_options = separate(MIX, 44_100, 40, {"add_opt1": "81"})
    without = separate(MIX, 44_100, 40)
    assert np.array_equal(with_options["vocals"], without["vocals"])


def test_default_sep_type_is_four_stems():
    assert tuple(separate(MIX[:5000], 44_100)) == ("vocals", "drums", "bass", "other")


@pytest.mark.parametrize("bad", [np.zeros((0, 2), np.float32), np.zeros((10, 2, 2), np.float32)])
def test_empty_or_misshapen_audio_is_refused(bad):
    with pytest.raises(AudioError):
        separate(bad, 44_100, 40)


def test_model_table_uses_mvsep_sep_types_with_the_same_stems():
    catalog = Path(mvsep_bridge.daemon.__file__).parent / "data/algorithms.json"
    algorithms = json.loads(catalog.read_text())
    by_sep_type = {a["render_id"]: a for a in algorithms}
    for sep_type, model in MODELS.items():
        assert model.sep_type == sep_type
        algorithm = by_sep_type[sep_type]
        listed = algorithm["output_stems"] or algorithm["outputs"]  # 55 lists only its outputs
        stems = list(json.loads(listed))
        assert sorted(stems) == sorted(model.stems), algorithm["name"]
