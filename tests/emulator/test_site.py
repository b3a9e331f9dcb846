"""The catalog, site information, account and quality checker endpoints."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import requests

from .helpers import create, tone, wait_for, wav_bytes


def _get(mvsep, path, **query):
    return requests.get(f"{mvsep.base_url}/api/{path}", params=query, timeout=10)


def _post(mvsep, path, **form):
    return requests.post(f"{mvsep.base_url}/api/{path}", data=form, timeout=10)


def test_algorithms_serves_the_snapshot_and_filters_by_scope(mvsep):
    snapshot = json.loads((Path(__file__).parents[2] / "daemon/data/algorithms.json").read_text())
    default = _get(mvsep, "app/algorithms")
    assert default.status_code == 200
    assert default.json() == snapshot
    no_upload = _get(mvsep, "app/algorithms", scopes="no_upload").json()
    assert sorted(a["render_id"] for a in no_upload) == [62, 104, 115, 118, 119]
    tts = next(a for a in no_upload if a["render_id"] == 118)
    assert [f["name"] for f in tts["algorithm_fields"]] == ["add_opt1", "add_opt2", "add_opt3", "add_opt4"]
    # free text; the prompt a textarea, as the live catalog's Qwen3-TTS (Voice Cloning) has it
    assert [f["input_type"] for f in tts["algorithm_fields"]] == ["textarea", "text", "text", "text"]
    assert all(f["options"] == "{}" for f in tts["algorithm_fields"])
    [matchering] = _get(mvsep, "app/algorithms", scopes="matchering_upload").json()
    assert matchering["render_id"] == 68 and matchering["audio_widget"] == "matchering_upload"
    everything = _get(mvsep, "app/algorithms", scopes="single_upload,no_upload,matchering_upload").json()
    assert len(everything) == len(snapshot) + 6
    bad = _get(mvsep, "app/algorithms", scopes="everything")
    assert bad.status_code == 400 and "everything" in bad.json()["errors"][0]


def test_news_filters_by_language_and_pages(mvsep):
    english = _get(mvsep, "app/news", lang="en").json()
    assert len(english) >= 4 and all(n["lang"] == "en" for n in english)
    assert set(english[0]) == {"title", "lang", "text", "created_at"}
    assert _get(mvsep, "app/news", lang="en", start=2, limit=1).json() == english[2:3]
    assert len(_get(mvsep, "app/news", limit=500).json()) <= 20


def test_queue_shows_plans_and_the_callers_plan(mvsep):
    anonymous = _get(mvsep, "app/queue").json()
    assert {q["plan"] for q in anonymous["queue"]} == {"unregistered", "registered", "premium"}
    assert anonymous["plan"]["plan"] == "unregistered"
    premium = mvsep.create_account(premium=True)
    assert _get(mvsep, "app/queue", api_token=premium.token).json()["plan"]["plan"] == "premium"


def test_demo_lists_site_examples(mvsep):
    demo = _get(mvsep, "app/demo", start=0, limit=2).json()
    assert len(demo) == 2
    assert set(demo[0]) == {"hash", "date", "input_audio", "size", "algorithm"}


def test_register_login_user_and_switches(mvsep):
    form = {"name": "Ada", "email": "ada@example.com", "password": "ASDFQWEr123",
            "password_confirmation": "ASDFQWEr123"}
    registered = _post(mvsep, "app/register", **form)
    assert registered.status_code == 200 and registered.json()["success"] is True
    again = _post(mvsep, "app/register", **form)
    assert again.status_code == 400 and again.json()["message"]["email"] == ["The email has already been taken."]
    mismatch = _post(mvsep, "app/register", **{**form, "email": "bob@example.com",
                                                 "password_confirmation": "other"})
    assert mismatch.status_code == 400 and "confirmation" in mismatch.json()["message"]["password"][0]
    missing = _post(mvsep, "app/register", email="x")
    assert set(missing.json()["message"]) >= {"name", "password", "email"}

    assert _post(mvsep, "app/login", email="ada@example.com", password="wrong").status_code == 400
    login = _post(mvsep, "app/login", email="ada@example.com", password="ASDFQWEr123").json()["data"]
    assert login["name"] == "Ada" and login["premium_minutes"] == 100 and login["premium_enabled"] == 0
    token = login["api_token"]

    user = _get(mvsep, "app/user", api_token=token).json()["data"]
    assert user["email"] == "ada@example.com" and user["current_queue"] == 0
    assert _get(mvsep, "app/user", api_token="bad").status_code == 400
    for switch, key, value in [("enable_premium", "premium_enabled", 1),
                               ("disable_premium", "premium_enabled", 0),
                               ("enable_long_filenames", "long_filenames_enabled", 1),
                               ("disable_long_filenames", "long_filenames_enabled", 0)]:
        answer = _post(mvsep, f"app/{switch}", api_token=token).json()
        assert answer["success"] is True and answer["message"]
        assert _get(mvsep, "app/user", api_token=token).json()["data"][key] == value
        assert _post(mvsep, f"app/{switch}", api_token="bad").status_code == 400


def test_history_pages_newest_first(mvsep):
    account = mvsep.create_account()
    audio = wav_bytes(tone(0.2), 44100)
    hashes = []
    for _ in range(3):
        hashes.append(create(mvsep.base_url, account.token, audio, sep_type=40).json()["data"]["hash"])
        wait_for(mvsep.base_url, hashes[-1])
    rows = _get(mvsep, "app/separation_history", api_token=account.token).json()["data"]
    assert [r["hash"] for r in rows] == hashes[::-1]
    page = _get(mvsep, "app/separation_history", api_token=account.token, start=1, limit=1).json()["data"]
    assert [r["hash"] for r in page] == [hashes[1]]
    assert _get(mvsep, "app/separation_history", api_token="bad").status_code == 400


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("song_000_vocals.wav", wav_bytes(tone(0.1), 44100))
    return buffer.getvalue()


def test_quality_checker_queue_and_leaderboard(mvsep):
    queue = _get(mvsep, "quality_checker/queue", limit=3).json()["data"]
    assert len(queue) == 3
    assert {"id", "dataset_type", "date", "algo_name", "main_text", "proc", "proc_remote_date",
            "msg", "metrics", "dataset_name"} <= set(queue[0])
    board = _get(mvsep, "quality_checker/leaderboard", dataset_type=0, sort="sdr_instrum").json()
    assert board["sortables"] == ["sdr_vocals", "sdr_instrum"] and board["sort"] == "sdr_instrum"
    scores = [row["sdr_instrum"] for row in board["data"]]
    assert scores == sorted(scores, reverse=True) and len(scores) >= 4
    mvsep_only = _get(mvsep, "quality_checker/leaderboard", algo_name_filter="mvsep").json()["data"]
    assert mvsep_only and all("mvsep" in r["algo_name"].lower() for r in mvsep_only)
    assert len(mvsep_only) < len(board["data"])
    assert _get(mvsep, "quality_checker/leaderboard", sort="sdr_bass").status_code == 400
    assert _get(mvsep, "quality_checker/leaderboard", dataset_type=9).status_code == 400


def test_quality_checker_add_entry_delete(mvsep):
    account = mvsep.create_account()
    fields = {"algo_name": "My Model", "main_text": "test run", "dataset_type": "2",
              "password": "pw", "ensemble": "0"}
    url = f"{mvsep.base_url}/api/quality_checker/add"
    no_token = requests.post(url, data=fields, files={"zipfile": ("a.zip", _zip())}, timeout=10)
    assert no_token.status_code == 401
    not_zip = requests.post(url, data={**fields, "api_token": account.token},
                            files={"zipfile": ("a.zip", b"plain text")}, timeout=10)
    assert not_zip.status_code == 400 and "zipfile" in not_zip.json()["message"]
    missing = requests.post(url, data={"api_token": account.token}, timeout=10)
    assert missing.status_code == 400 and {"algo_name", "zipfile", "password"} <= set(missing.json()["message"])
    added = requests.post(url, data={**fields, "api_token": account.token},
                          files={"zipfile": ("a.zip", _zip())}, timeout=10).json()["data"]
    entry_id = added["id"]
    assert str(entry_id) in added["link"]
    entry = _get(mvsep, "quality_checker/entry", id=entry_id).json()["data"]
    assert entry["algo_name"] == "My Model" and entry["proc"] == 0
    mvsep.advance_clock(5)
    entry = _get(mvsep, "quality_checker/entry", id=entry_id).json()["data"]
    assert entry["proc"] == 1 and entry["msg"] == "OK"
    assert all(isinstance(entry[f"sdr_{s}"], float) for s in ("vocals", "bass", "drums", "other"))
    wrong = _post(mvsep, "quality_checker/delete", id=entry_id, password="nope")
    assert wrong.status_code == 400 and wrong.json()["success"] is False
    deleted = _post(mvsep, "quality_checker/delete", id=entry_id, password="pw").json()
    assert deleted["success"] is True and deleted["data"]["message"]
    assert _get(mvsep, "quality_checker/entry", id=entry_id).status_code == 404


@pytest.mark.parametrize("path", ["api/nothing", "results/nohash/file.wav"])
def test_unknown_paths_are_404_json(mvsep, path):
    answer = requests.get(f"{mvsep.base_url}/{path}", timeout=10)
    assert answer.status_code == 404 and answer.json()["success"] is False
