"""`mvsep-bridge site …` and `qc …` against the emulator."""

import json
import zipfile

from .cli_world import closed_port_url, run


def test_site_queue_news_demo(emulator):
    account = emulator.create_account(premium=True)
    queue = json.loads(run("site", "queue", "--json", base_url=emulator.base_url, token=account.token).out)
    assert queue["plan"]["plan"] == "premium" and {q["plan"] for q in queue["queue"]} >= {"premium"}
    table = run("site", "queue", base_url=emulator.base_url)
    assert table.code == 0 and "registered" in table.out

    news = json.loads(run("site", "news", "--json", "--limit", "2", base_url=emulator.base_url).out)
    assert 1 <= len(news) <= 2 and all(n["title"] for n in news)
    listed = run("site", "news", base_url=emulator.base_url)
    assert listed.code == 0 and news[0]["title"] in listed.out

    demo = json.loads(run("site", "demo", "--json", base_url=emulator.base_url).out)
    assert demo and all(d["hash"] for d in demo)
    listed = run("site", "demo", base_url=emulator.base_url)
    assert listed.code == 0 and demo[0]["hash"] in listed.out


def test_site_5xx_storm_retries_then_fails_clearly(emulator):
    emulator.configure(fault_path="/api/app/news", fail_next=1000)
    result = run("site", "news", base_url=emulator.base_url)
    assert result.code == 1, result.text
    assert "HTTP 503" in result.err and "try again later" in result.err


def test_site_unreachable_exits_3():
    result = run("site", "demo", base_url=closed_port_url())
    assert result.code == 3 and "connection" in result.err


def test_qc_queue_leaderboard_entry(emulator):
    queue = json.loads(run("qc", "queue", "--json", base_url=emulator.base_url).out)
    assert queue and all("id" in e for e in queue)
    assert str(queue[0]["id"]) in run("qc", "queue", base_url=emulator.base_url).out

    board = json.loads(run("qc", "leaderboard", "--json", "--dataset-type", "0", base_url=emulator.base_url).out)
    assert board["sortables"] and board["data"]
    sort = board["sortables"][-1]
    resorted = json.loads(run("qc", "leaderboard", "--json", "--sort", sort, base_url=emulator.base_url).out)
    values = [e[sort] for e in resorted["data"]]
    assert values == sorted(values, reverse=True)
    table = run("qc", "leaderboard", base_url=emulator.base_url)
    assert table.code == 0 and board["data"][0]["algo_name"] in table.out
    bad = run("qc", "leaderboard", "--sort", "sdr_nothing", base_url=emulator.base_url)
    assert bad.code == 2 and "sdr_nothing" in bad.err

    entry_id = queue[0]["id"]
    entry = json.loads(run("qc", "entry", str(entry_id), "--json", base_url=emulator.base_url).out)
    assert entry["id"] == entry_id
    assert run("qc", "entry", str(entry_id), base_url=emulator.base_url).code == 0
    missing = run("qc", "entry", "999999", base_url=emulator.base_url)
    assert missing.code == 2 and "999999" in missing.err


def test_qc_add_then_delete_with_its_password(emulator, tmp_path):
    account = emulator.create_account()
    archive = tmp_path / "stems.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("song1_vocals.wav", b"RIFF....")
    env = dict(base_url=emulator.base_url, token=account.token)
    added = run("qc", "add", str(archive), "--algo-name", "My Model", "--main-text", "test run",
                "--dataset-type", "0", "--ensemble", "--password-stdin", "--json", stdin="pw-1\n", **env)
    assert added.code == 0, added.text
    entry_id = json.loads(added.out)["id"]
    assert json.loads(run("qc", "entry", str(entry_id), "--json", **env).out)["algo_name"] == "My Model"

    wrong = run("qc", "delete", str(entry_id), "--password-stdin", stdin="nope\n", **env)
    assert wrong.code == 2 and "password" in wrong.err
    gone = run("qc", "delete", str(entry_id), "--password-stdin", stdin="pw-1\n", **env)
    assert gone.code == 0, gone.text
    assert run("qc", "entry", str(entry_id), **env).code == 2

    not_zip = tmp_path / "stems.txt"
    not_zip.write_text("hello")
    refused = run("qc", "add", str(not_zip), "--algo-name", "x", "--main-text", "y", "--password-stdin",
                  stdin="pw\n", **env)
    assert refused.code == 2 and "zip" in refused.err
    no_token = run("qc", "add", str(archive), "--algo-name", "x", "--main-text", "y", "--password-stdin",
                   stdin="pw\n", base_url=emulator.base_url)
    assert no_token.code == 4
