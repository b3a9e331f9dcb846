"""`mvsep-bridge algorithms …` and `config …`."""

import json
import stat
import tomllib

from .cli_world import closed_port_url, run


def test_algorithms_list_search_and_show(emulator):
    listed = json.loads(run("algorithms", "--json", base_url=emulator.base_url).out)
    by_type = {a["sep_type"]: a for a in listed}
    assert 68 in by_type and by_type[26]["premium_only"] is True
    assert by_type[40]["stems"] == ["vocals", "instrumental"]

    found = json.loads(run("algorithms", "--search", "karaoke", "--json", base_url=emulator.base_url).out)
    named = {a["sep_type"] for a in listed if "karaoke" in (a["name"] + a["group"]).lower()}
    assert named and named <= {a["sep_type"] for a in found} < set(by_type)  # descriptions count too
    assert json.loads(run("algorithms", "-s", "zzqx", "--json", base_url=emulator.base_url).out) == []
    table = run("algorithms", "-s", "bs roformer", base_url=emulator.base_url)
    assert table.code == 0 and "BS Roformer (vocals, instrumental)" in table.out

    shown = json.loads(run("algorithms", "show", "40", "--json", base_url=emulator.base_url).out)
    fields = {f["key"]: f for f in shown["fields"]}
    assert fields["add_opt1"]["default"] == "81" and "171" in fields["add_opt1"]["options"]
    assert fields["add_opt2"]["price_multipliers"] == {"8": 2.0}
    assert fields["add_opt3"]["conditions"] == [
        {"action": "show", "field": "add_opt1", "operator": "in", "values": ["171"]}]
    text = run("algorithms", "show", "40", base_url=emulator.base_url)
    assert text.code == 0 and "Vocal model type" in text.out and "x2" in text.out and "premium only: no" in text.out


def test_unknown_sep_type_exits_2_naming_valid_choices(emulator):
    result = run("algorithms", "show", "999", base_url=emulator.base_url)
    assert result.code == 2
    assert "unknown sep_type 999" in result.err and " 40," in result.err and "mvsep-bridge algorithms" in result.err


def test_algorithms_work_offline_from_the_snapshot():
    result = run("algorithms", "show", "40", "--json", base_url=closed_port_url())
    assert result.code == 0 and json.loads(result.out)["name"].startswith("BS Roformer")
    assert run("algorithms", "--refresh", base_url=closed_port_url()).code == 3


def test_config_init_path_show(tmp_path):
    config = tmp_path / "cfg" / "config.toml"
    assert run("config", "path", config=config).out.strip() == str(config)
    made = run("config", "init", config=config)
    assert made.code == 0 and config.is_file() and stat.S_IMODE(config.stat().st_mode) == 0o600
    parsed = tomllib.loads(config.read_text())
    assert parsed["osc"]["port"] == 9045 and "# api_token" in config.read_text()
    assert run("config", "init", config=config).code == 2  # never overwrites silently
    assert run("config", "init", "--force", config=config).code == 0

    text = config.read_text().replace('backend = "auto"', 'backend = "mvsep"\napi_token = "file-secret-token"')
    config.write_text(text)
    shown = run("config", "show", "--json", config=config, env={"MVSEP_BRIDGE_OSC__PORT": "9999"})
    assert shown.code == 0
    rows = {r["key"]: r for r in json.loads(shown.out)["settings"]}
    assert rows["api_token"] == {"key": "api_token", "value": "********", "source": "file"}
    assert rows["backend"]["value"] == "mvsep" and rows["backend"]["source"] == "file"
    assert rows["osc"]["value"]["port"] == 9999 and rows["osc"]["source"] == "env MVSEP_BRIDGE_OSC__PORT"
    assert rows["base_url"]["source"] == "default"
    flagged = json.loads(run("config", "show", "--json", "--base-url", "http://x:1", config=config).out)
    assert {r["key"]: r["source"] for r in flagged["settings"]}["base_url"] == "flag"
    table = run("config", "show", config=config, token="env-secret-token")
    assert table.code == 0 and "env MVSEP_API_TOKEN" in table.out
    assert "file-secret-token" not in table.text and "env-secret-token" not in table.text


def test_broken_config_exits_2_naming_the_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("backend = [")
    result = run("config", "show", config=config)
    assert result.code == 2 and str(config) in result.err
