"""Mistakes that used to be accepted silently: a misspelt key anywhere in the config file, an
option given twice. Each is refused (exit 2) naming the key and, when there is one, its close match."""

from __future__ import annotations

import pytest

from harness import write_wav

from .cli_world import run

KEYS = [
    ('bakend = "local"\n', '"bakend" (did you mean "backend"?)'),
    ('[budget]\nmax_credit_per_job = 5\n', '"budget.max_credit_per_job" (did you mean "budget.max_credits_per_job"?)'),
    ('[osc]\nprot = 9100\n', '"osc.prot" (did you mean "osc.port"?)'),
    ('[presets.vocals]\nsep_type = 40\noptons = { add_opt1 = 81 }\n',
     '"presets.vocals.optons" (did you mean "presets.vocals.options"?)'),
    ('[[hot_folders]]\npath = "/tmp/in"\npreset = "vocals"\ndestinaton = ""\n',
     '"hot_folders[0].destinaton" (did you mean "hot_folders[0].destination"?)'),
]


@pytest.mark.parametrize("text,named", KEYS)
def test_an_unknown_config_key_is_named_with_its_close_match(tmp_path, text, named):
    config = tmp_path / "config.toml"
    config.write_text(text)
    song = write_wav(tmp_path / "song.wav", seconds=0.5)
    for command in (["config", "show"], ["separate", str(song)], ["hotfolder", "list"]):
        result = run(*command, config=config)
        assert result.code == 2, (command, result.text)
        assert f"unknown key {named}" in result.err and str(config) in result.err, result.err


def test_an_option_given_twice_is_refused_not_last_wins(tmp_path):
    song = tmp_path / "song.wav"
    song.write_bytes(b"")  # never read: the flags are refused first
    for command in (["separate", str(song)], ["preset", "add", "vocals", "--sep-type", "40"]):
        result = run(*command, "--opt", "add_opt1=81", "--opt", "add_opt1=3", config=tmp_path / "config.toml")
        assert result.code == 2, result.text
        assert "--opt add_opt1 is given twice ('81' and '3')" in result.err
    assert not (tmp_path / "config.toml").exists()  # the preset was not written either
