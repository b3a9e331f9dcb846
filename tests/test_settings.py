"""Settings order: flags > environment > config file > defaults (DESIGN.md)."""

from mvsep_bridge.daemon.settings import config_path, load_settings

CONFIG = """
api_token = "from-file"
base_url = "http://127.0.0.1:1/"
[osc]
port = 9100
[presets.vocals]
sep_type = 40
options = { add_opt1 = 81 }
output_format = 2
[[hot_folders]]
path = "~/Stems/vocals"
preset = "vocals"
"""


def test_defaults_without_a_config_mean_the_local_engine(isolated_home):
    settings = load_settings()
    assert settings.token is None
    assert settings.base_url == "https://mvsep.com"
    assert settings.effective_backend == "local"
    assert settings.osc.host == "127.0.0.1" and settings.osc.port == 9045
    assert str(config_path()).startswith(str(isolated_home))


def test_file_then_environment_then_flags(isolated_home, monkeypatch, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    monkeypatch.setenv("MVSEP_BRIDGE_CONFIG", str(path))

    settings = load_settings()
    assert settings.token == "from-file"
    assert settings.effective_backend == "mvsep"
    assert settings.base_url == "http://127.0.0.1:1"
    assert settings.osc.port == 9100
    assert settings.presets["vocals"].options == {"add_opt1": "81"}
    assert settings.hot_folders[0].path == isolated_home / "Stems/vocals"

    monkeypatch.setenv("MVSEP_API_TOKEN", "from-env")
    monkeypatch.setenv("MVSEP_BRIDGE_OSC__PORT", "9200")
    settings = load_settings()
    assert settings.token == "from-env"
    assert settings.osc.port == 9200

    assert load_settings(base_url="http://flag:2", backend="local").base_url == "http://flag:2"
    assert load_settings(backend="local").effective_backend == "local"


def test_a_broken_config_file_names_the_file_and_the_fix(monkeypatch, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("backend = [unterminated")
    monkeypatch.setenv("MVSEP_BRIDGE_CONFIG", str(path))
    import pytest

    from mvsep_bridge.daemon.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(path) in str(info.value)
    assert info.value.exit_code == 2
