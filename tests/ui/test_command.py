"""`mvsep-bridge ui`: starts the daemon when none runs and hands the browser a one-time link."""

from __future__ import annotations

import stat

import requests

from harness import run_cli, wait_for
from processes import daemon_env


def test_ui_starts_a_daemon_and_opens_the_link_in_the_users_browser(tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"  # what $BROWSER names is what `webbrowser` runs
    browser.write_text(f'#!/bin/sh\necho "$1" > "{opened}"\n')
    browser.chmod(browser.stat().st_mode | stat.S_IXUSR)
    env = daemon_env(tmp_path / "data", BROWSER=f"{browser} %s")

    result = run_cli(["ui"], env)

    assert result.returncode == 0, result.stderr
    assert "started a daemon in the background" in result.stderr
    assert "token" not in result.stdout + result.stderr  # the link went to the browser alone
    link = wait_for(lambda: opened.exists() and opened.read_text().strip(), what="the browser called")
    assert link.startswith("http://127.0.0.1:") and "/login?token=" in link
    session = requests.Session()
    page = session.get(link, timeout=10)
    assert page.status_code == 200 and page.url == link.split("/login")[0] + "/"
    assert "<title>mvsep-bridge</title>" in page.text
    assert requests.get(link, timeout=10).status_code == 403  # used once already
