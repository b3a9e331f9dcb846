"""The status page's test world: the emulator, a real daemon process (with a config file: a hot
folder, a day budget, allowed_roots), `mvsep-bridge ui --print` for links, and Debian's chromium."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import tomlkit

from emulator_handle import Account, EmulatorHandle
from harness import DaemonProcess, run_cli, write_wav
from processes import daemon_env

DAY_BUDGET = 500
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@dataclass
class UiWorld:
    tmp: Path
    env: dict
    data: Path
    hot: Path
    daemon: DaemonProcess
    emulator: EmulatorHandle
    account: Account

    def link(self) -> str:
        """A one-time sign-in link, as `mvsep-bridge ui --print` prints it."""
        result = run_cli(["ui", "--print"], self.env)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def signed_in(self) -> tuple[requests.Session, str]:
        """A session that traded a link for its cookie, and the page's base address."""
        link = self.link()
        session = requests.Session()
        assert session.get(link, timeout=10).status_code == 200
        return session, link.split("/login")[0]

    def song(self, name: str = "song.wav", seconds: float = 2.0) -> Path:
        return write_wav(self.tmp / name, seconds=seconds)


def write_config(path: Path, tmp: Path, hot: Path) -> None:
    path.write_text(tomlkit.dumps({
        "allowed_roots": [str(tmp)],  # the page's retries are checked against it
        "budget": {"max_credits_per_day": DAY_BUDGET},
        "presets": {"p": {"sep_type": 40}},
        "hot_folders": [{"path": str(hot), "preset": "p"}],
    }))


@pytest.fixture
def world(emulator, tmp_path):
    account = emulator.create_account(credits=1000)
    hot = tmp_path / "hot"
    for name in ("done/a.wav", "done/b.flac", "failed/c.wav", "failed/c.wav.error.txt"):
        (hot / name).parent.mkdir(parents=True, exist_ok=True)
        (hot / name).write_bytes(b"x")
    config = tmp_path / "config.toml"
    write_config(config, tmp_path, hot)
    data = tmp_path / "data"
    env = daemon_env(data, emulator.base_url, account.token, config=config)
    daemon = DaemonProcess(env, tmp_path / "daemon.log")
    yield UiWorld(tmp=tmp_path, env=env, data=data, hot=hot, daemon=daemon, emulator=emulator, account=account)
    daemon.stop()


@pytest.fixture(scope="module")
def chromium():
    """Headless Debian chromium through its own chromedriver (nothing downloaded); one per module."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for program in (CHROMIUM, CHROMEDRIVER):
        if not Path(program).exists():
            pytest.fail(f"{program} is missing: ./scripts/setup.sh installs chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1300,900",
                     "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


def save_screenshot(driver, tmp_path: Path, name: str) -> Path:
    """For a person to look at: under the test's folder, and a copy for the lead in /work/notes
    when that folder exists (the developers' machines)."""
    shot = tmp_path / name
    driver.save_screenshot(str(shot))
    notes = Path("/work/notes")
    if notes.is_dir():
        shutil.copy(shot, notes / name)
    return shot
