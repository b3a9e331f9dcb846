"""The ledger (same audio + settings are not paid twice) and the credit budgets."""

from __future__ import annotations

import json
import shutil

import soundfile as sf

from harness import read_manifest, run_cli, write_wav
from processes import daemon_env


def _separate(env, source, out, *extra):
    return run_cli(["separate", str(source), "--sep-type", "40", "--out", str(out), "--json", *extra], env)


def test_the_same_audio_and_settings_are_not_submitted_again(emulator, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    first = _separate(env, source, tmp_path / "a")
    assert first.returncode == 0, first.stderr

    # a copy under another name, to another folder: the result on disk is copied
    copy = tmp_path / "copy.wav"
    shutil.copyfile(source, copy)
    second = _separate(env, copy, tmp_path / "b")
    assert second.returncode == 0, second.stderr
    [view] = json.loads(second.stdout)
    assert view["credits"] == 0
    assert read_manifest(tmp_path / "b" / "copy")["job"] == view["id"]
    assert sf.read(tmp_path / "b" / "copy" / "vocals.flac")[0].tolist() == \
        sf.read(tmp_path / "a" / "song" / "vocals.flac")[0].tolist()

    # results on disk gone: the server still has them (72 h), so they are fetched, not paid again
    shutil.rmtree(tmp_path / "a")
    shutil.rmtree(tmp_path / "b")
    third = _separate(env, source, tmp_path / "c")
    assert third.returncode == 0, third.stderr
    assert (tmp_path / "c" / "song" / "vocals.flac").exists()

    # other settings are another job
    fourth = _separate(env, source, tmp_path / "d", "--format", "1")
    assert fourth.returncode == 0, fourth.stderr
    assert emulator.stats()["creates"]["per_account"][account.email] == 2


def test_budgets_refuse_before_anything_is_spent(emulator, tmp_path):
    account = emulator.create_account(credits=100)
    source = write_wav(tmp_path / "song.wav", seconds=1.0)  # MVSEP's minimum price: 1 credit
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token,
                     MVSEP_BRIDGE_BUDGET__MAX_CREDITS_PER_JOB="0")

    refused = _separate(env, source, tmp_path / "out")

    assert refused.returncode == 2
    assert "1 credits, over the per-job budget of 0" in refused.stderr
    assert "max_credits_per_job" in refused.stderr
    # another budget in the environment needs a daemon started with it
    assert run_cli(["daemon", "stop"], env).returncode == 0
    day_env = daemon_env(tmp_path / "data", emulator.base_url, account.token,
                         MVSEP_BRIDGE_BUDGET__MAX_CREDITS_PER_DAY="1")
    assert _separate(day_env, source, tmp_path / "out").returncode == 0  # 1 of 1 spent
    over = _separate(day_env, write_wav(tmp_path / "other.wav", seconds=1.0, seed=5), tmp_path / "out")
    assert over.returncode == 2
    assert "today's budget of 1" in over.stderr and "max_credits_per_day" in over.stderr
    assert emulator.stats()["credits"][account.email] == 99


def test_a_server_result_gone_early_is_sent_again(emulator, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    assert _separate(env, source, tmp_path / "a").returncode == 0
    shutil.rmtree(tmp_path / "a")
    emulator.advance_clock(73 * 3600)  # the server dropped it; our clock still says it is there

    again = _separate(env, source, tmp_path / "b")

    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)[0]["state"] == "done"
    assert (tmp_path / "b" / "song" / "vocals.flac").exists()
    assert emulator.stats()["creates"]["per_account"][account.email] == 2


def test_the_day_budget_holds_for_a_batch_submitted_at_once(emulator, daemons, tmp_path):
    account = emulator.create_account(premium=True, credits=100)  # several uploads at once
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token,
                     MVSEP_BRIDGE_BUDGET__MAX_CREDITS_PER_DAY="2")
    daemons(env)
    sources = [write_wav(tmp_path / f"take{i}.wav", seconds=1.0, seed=i) for i in range(3)]  # 1 credit each

    result = _separate(env, sources[0], tmp_path / "out", *map(str, sources[1:]))

    assert result.returncode == 1
    states = sorted(v["state"] for v in json.loads(result.stdout))
    assert states == ["done", "done", "failed"]
    [failed] = [v for v in json.loads(result.stdout) if v["state"] == "failed"]
    assert "today's budget of 2" in failed["error"]
    assert emulator.stats()["credits"][account.email] == 98
