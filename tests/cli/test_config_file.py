"""config_file edits keep the user's comments and layout and write 0600 files atomically."""

import stat

import pytest

from mvsep_bridge.daemon import config_file
from mvsep_bridge.daemon.errors import ConfigError
from mvsep_bridge.daemon.settings import load_settings

USER_FILE = """\
# my settings, keep this comment
backend = "mvsep"   # trailing comment

[osc]
port = 9100
"""


@pytest.fixture
def path(tmp_path, monkeypatch):
    path = tmp_path / "conf" / "config.toml"
    monkeypatch.setenv("MVSEP_BRIDGE_CONFIG", str(path))
    return path


def test_edits_keep_comments_and_are_read_back_by_settings(path):
    path.parent.mkdir()
    path.write_text(USER_FILE)
    path.chmod(0o644)
    config_file.set_value("api_token", "tok-1")
    config_file.set_value("presets.vocals.sep_type", 40)
    config_file.set_value("presets.vocals.options", {"add_opt1": "81"})
    config_file.append_to_array_of_tables("hot_folders", {"path": "/tmp/in", "preset": "vocals"})
    config_file.append_to_array_of_tables("hot_folders", {"path": "/tmp/in2", "preset": "vocals"})
    text = path.read_text()
    assert "# my settings, keep this comment" in text and "# trailing comment" in text
    assert 'options = {add_opt1 = "81"}' in text  # inline, as DESIGN.md writes presets
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = load_settings()
    assert settings.token == "tok-1" and settings.osc.port == 9100
    assert settings.presets["vocals"].sep_type == 40 and settings.presets["vocals"].options == {"add_opt1": "81"}
    assert [str(h.path) for h in settings.hot_folders] == ["/tmp/in", "/tmp/in2"]
    assert config_file.get_value("presets.vocals.sep_type") == 40

    assert config_file.remove_value("presets.vocals") is True
    assert config_file.remove_value("presets.vocals") is False
    assert config_file.remove_value("no.such.key") is False
    assert "vocals" not in load_settings().presets
    assert not list(path.parent.glob("*.tmp"))  # no leftovers of the atomic writes


def test_a_missing_file_is_created(path):
    config_file.set_value("backend", "local")
    assert load_settings().backend == "local"


def test_broken_file_and_bad_keys_are_config_errors(path):
    path.parent.mkdir()
    path.write_text("backend = [")
    with pytest.raises(ConfigError, match=str(path)):
        config_file.set_value("api_token", "x")
    assert path.read_text() == "backend = ["  # left as it was
    path.write_text('backend = "auto"\n')
    with pytest.raises(ConfigError, match="not a table"):
        config_file.set_value("backend.inner", 1)
    with pytest.raises(ConfigError, match="bad config key"):
        config_file.set_value("a..b", 1)


def test_init_writes_the_commented_template_once(path):
    config_file.init_config()
    assert "# [[hot_folders]]" in path.read_text()
    assert load_settings().osc.port == 9045
    with pytest.raises(ConfigError, match="--force"):
        config_file.init_config()
