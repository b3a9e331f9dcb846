"""`mvsep-bridge account …` run as a subprocess against the emulator."""

import json
import stat

import pytest

from .cli_world import closed_port_url, run


@pytest.fixture
def config(tmp_path):
    return tmp_path / "config.toml"


def test_login_stores_the_token_0600_and_never_prints_it(emulator, config):
    account = emulator.create_account(credits=77)
    result = run("account", "login", "--email", account.email, "--password-stdin",
                 base_url=emulator.base_url, config=config, stdin=account.password + "\n")
    assert result.code == 0, result.text
    assert "77" in result.out and str(config) in result.out
    assert account.token not in result.text
    assert f'api_token = "{account.token}"' in config.read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    # the stored token is used from then on (no MVSEP_API_TOKEN in the environment)
    info = run("account", "info", "--json", base_url=emulator.base_url, config=config)
    assert info.code == 0, info.text
    data = json.loads(info.out)
    assert data["email"] == account.email and data["premium_minutes"] == 77
    assert account.token not in info.out  # the user endpoint returns it too: printed masked


def test_login_with_a_wrong_password_is_an_auth_failure(emulator, config):
    account = emulator.create_account()
    result = run("account", "login", "--email", account.email, "--password-stdin",
                 base_url=emulator.base_url, config=config, stdin="wrong\n")
    assert result.code == 4 and "check the e-mail and password" in result.err
    assert not config.exists()


def test_password_from_the_environment(emulator, config):
    account = emulator.create_account()
    result = run("account", "login", "--email", account.email, base_url=emulator.base_url,
                 config=config, env={"MVSEP_PASSWORD": account.password})
    assert result.code == 0, result.text


def test_register_then_login(emulator, config):
    result = run("account", "register", "--name", "neo", "--email", "neo@example.org", "--password-stdin",
                 base_url=emulator.base_url, config=config, stdin="Matrix-1999\n")
    assert result.code == 0, result.text
    login = run("account", "login", "--email", "neo@example.org", "--password-stdin",
                base_url=emulator.base_url, config=config, stdin="Matrix-1999\n")
    assert login.code == 0, login.text
    again = run("account", "register", "--name", "neo", "--email", "neo@example.org", "--password-stdin",
                base_url=emulator.base_url, config=config, stdin="Matrix-1999\n")
    assert again.code == 2 and "email" in again.err.lower()  # refused input


@pytest.mark.parametrize("args", [("account", "info"), ("account", "history"), ("account", "premium", "on")])
def test_bad_token_exits_4_and_says_how_to_log_in(emulator, args):
    result = run(*args, base_url=emulator.base_url, token="bogus-token-0000")
    assert result.code == 4, result.text
    assert "mvsep-bridge account login" in result.err and "MVSEP_API_TOKEN" in result.err
    assert "bogus-token-0000" not in result.text


def test_no_token_at_all_exits_4(emulator):
    result = run("account", "info", base_url=emulator.base_url)
    assert result.code == 4 and "mvsep-bridge account login" in result.err


def test_token_file_flag(emulator, tmp_path):
    account = emulator.create_account()
    token_file = tmp_path / "token"
    token_file.write_text(account.token + "\n")
    result = run("account", "info", "--json", "--base-url", emulator.base_url, "--token-file", str(token_file))
    assert result.code == 0, result.text
    assert json.loads(result.out)["email"] == account.email


def test_switches_and_info_table(emulator):
    account = emulator.create_account(premium=False)
    env = dict(base_url=emulator.base_url, token=account.token)
    for args in (("premium", "on"), ("long-filenames", "on")):
        assert run("account", *args, **env).code == 0
    data = json.loads(run("account", "info", "--json", **env).out)
    assert data["premium_enabled"] is True and data["long_filenames_enabled"] is True
    for args in (("premium", "off"), ("long-filenames", "off")):
        assert run("account", *args, **env).code == 0
    table = run("account", "info", **env)
    assert table.code == 0 and "premium enabled" in table.out and account.email in table.out
    assert run("account", "premium", "maybe", **env).code == 2


def test_history_lists_jobs(emulator, tmp_path):
    from mvsep_bridge.daemon.client import MvsepClient, SeparationInput

    from harness import write_wav

    account = emulator.create_account(premium=True)
    with MvsepClient(emulator.base_url, account.token) as client:
        job = client.create_once(SeparationInput(sep_type=40, audiofile=write_wav(tmp_path / "h.wav")))
    env = dict(base_url=emulator.base_url, token=account.token)
    listed = json.loads(run("account", "history", "--json", **env).out)
    assert [e["hash"] for e in listed] == [job.hash]
    table = run("account", "history", "--limit", "5", **env)
    assert table.code == 0 and job.hash in table.out and "BS Roformer" in table.out
    assert run("account", "history", "--limit", "50", **env).code == 2


def test_server_unreachable_exits_3():
    result = run("account", "info", base_url=closed_port_url(), token="t")
    assert result.code == 3, result.text
    assert "connection" in result.err


def test_login_against_another_server_keeps_that_server(emulator, config):
    # a token is only good on the server that issued it: after `login --base-url`, later commands
    # must go there too, not to mvsep.com
    account = emulator.create_account(credits=12)
    login = run("account", "login", "--email", account.email, "--password-stdin", "--base-url", emulator.base_url,
                config=config, stdin=account.password + "\n")
    assert login.code == 0, login.text
    assert f'base_url = "{emulator.base_url}"' in config.read_text()
    info = run("account", "info", "--json", config=config)
    assert info.code == 0, info.text
    assert json.loads(info.out)["email"] == account.email
