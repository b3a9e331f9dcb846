"""install-reaper / uninstall-reaper as a user runs them, and the ReaPack index against the headers."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

from mvsep_bridge.bridges.reaper.reapack import script_headers as headers

from .lua import SCRIPTS
from harness import run_cli
from processes import daemon_env

HEADERS = ("description", "version", "author", "about", "provides", "changelog")


def env_for(tmp_path):
    return daemon_env(tmp_path / "data")


def keymap(resource: Path) -> list[str]:
    return (resource / "reaper-kb.ini").read_text().splitlines()


def test_install_copies_the_scripts_registers_every_action_and_says_where_the_spool_is(tmp_path, fake):
    resource = tmp_path / "REAPER"
    (resource / "Scripts").mkdir(parents=True)
    (resource / "reaper-kb.ini").write_text('KEY 1 65 40001 0\nSCR 4 0 RSmine "Custom: mine.lua" "mine.lua"\n')
    (resource / "Scripts" / "__startup.lua").write_text("-- mine\nreaper.ShowConsoleMsg('hi')\n")
    env = env_for(tmp_path)
    for _ in range(2):  # installing again replaces, never duplicates
        done = run_cli(["install-reaper", "--resource-path", str(resource)], env)
        assert done.returncode == 0, done.stderr
    folder = resource / "Scripts" / "MVSEP Bridge"
    actions = sorted(p.name for p in SCRIPTS.glob("*.lua"))
    assert sorted(p.name for p in folder.glob("*.lua")) == actions and len(actions) == 9
    assert sorted(p.name for p in (folder / "lib").iterdir()) == sorted(p.name for p in (SCRIPTS / "lib").glob("*.lua"))
    spool = json.loads((folder / "mvsep-bridge.json").read_text())["spool"]
    assert spool == str(tmp_path / "data" / "reaper-spool") and (Path(spool) / "requests").is_dir()
    lines = keymap(resource)
    assert lines[:2] == ['KEY 1 65 40001 0', 'SCR 4 0 RSmine "Custom: mine.lua" "mine.lua"']
    registered = [re.match(r'SCR 4 0 (RS[0-9a-f]{40}) "Custom: (.+)" "(.+)"$', line) for line in lines[2:]]
    assert all(registered) and len(registered) == len(actions)
    assert sorted(m.group(2) for m in registered) == actions
    assert all((resource / "Scripts" / m.group(3)).is_file() for m in registered)
    assert len({m.group(1) for m in registered}) == len(actions)
    startup = (resource / "Scripts" / "__startup.lua").read_text().splitlines()
    assert startup[:2] == ["-- mine", "reaper.ShowConsoleMsg('hi')"]  # the user's own lines stay
    assert startup[2:] == ["-- begin MVSEP Bridge (mvsep-bridge install-reaper)",
                           "dofile(reaper.GetResourcePath() .. '/Scripts/MVSEP Bridge/"
                           "mvsep_Follow separation jobs (background).lua')", "-- end MVSEP Bridge"]    # the installed action finds the spool (no daemon: nothing to cancel, said plainly)
    fake.run(folder / "mvsep_Cancel all separation jobs.lua")
    assert fake.messages == [("No separation job is running.", "MVSEP Bridge")]

    removed = run_cli(["uninstall-reaper", "--resource-path", str(resource)], env)
    assert removed.returncode == 0, removed.stderr
    assert not folder.exists()
    assert keymap(resource) == ['KEY 1 65 40001 0', 'SCR 4 0 RSmine "Custom: mine.lua" "mine.lua"']
    assert (resource / "Scripts" / "__startup.lua").read_text() == "-- mine\nreaper.ShowConsoleMsg('hi')\n"


def test_with_reaper_running_the_keymap_is_left_alone_and_the_user_told_how(tmp_path):
    resource = tmp_path / "REAPER"
    resource.mkdir()
    fake_reaper = tmp_path / "reaper"  # a process named like REAPER
    shutil.copy("/bin/sleep", fake_reaper)
    running = subprocess.Popen([str(fake_reaper), "60"])
    try:
        time.sleep(0.2)
        done = run_cli(["install-reaper", "--resource-path", str(resource)], env_for(tmp_path))
        assert done.returncode == 0, done.stderr
        assert "REAPER is running" in done.stdout and "Load ReaScript" in done.stdout
        assert not (resource / "reaper-kb.ini").exists()
        assert (resource / "Scripts" / "MVSEP Bridge" / "mvsep-bridge.json").is_file()
        refused = run_cli(["uninstall-reaper", "--resource-path", str(resource)], env_for(tmp_path))
        assert refused.returncode == 2 and "quit REAPER" in refused.stderr
    finally:
        running.kill()
        running.wait()


def test_a_missing_resource_folder_is_named_with_the_fix(tmp_path):
    done = run_cli(["install-reaper", "--resource-path", str(tmp_path / "nope")], env_for(tmp_path))
    assert done.returncode == 2 and "nope does not exist" in done.stderr and "--resource-path" in done.stderr


def test_every_script_has_the_reapack_headers_and_the_index_matches_them():
    scripts = sorted(SCRIPTS.glob("*.lua"))
    for script in scripts:
        tags = headers(script)
        assert all(tags.get(tag) for tag in HEADERS), (script.name, tags)
        assert tags["version"] == headers(scripts[0])["version"]
    for module in (SCRIPTS / "lib").glob("*.lua"):
        assert module.read_text().startswith("-- @noindex"), module  # provided by the package

    index = ET.parse(SCRIPTS / "index.xml").getroot()
    packages = index.findall("./category/reapack")
    assert len(packages) == 1
    package = packages[0]
    main = SCRIPTS / package.get("name")
    tags = headers(main)
    assert package.get("type") == "script" and package.get("desc") == tags["description"][0]
    assert package.find("./metadata/description").text == "\n".join(tags["about"])
    version = package.find("version")
    assert version.get("name") == tags["version"][0] and version.get("author") == tags["author"][0]
    assert version.find("changelog").text == "\n".join(tags["changelog"])
    listed = {}
    for source in version.findall("source"):
        name = source.get("file") or main.name
        listed[name] = source.get("main")
        assert unquote(source.text).endswith("/reaper_scripts/" + name)
    provided = {}
    for line in tags["provides"]:
        kind, pattern = re.match(r"\[(\w+)\]\s+(.+)", line).groups()
        for path in ([main] if pattern == "." else sorted(SCRIPTS.glob(pattern))):
            provided[str(path.relative_to(SCRIPTS))] = "main" if kind == "main" else None
    assert listed == provided
    assert set(listed) == {s.name for s in scripts} | {f"lib/{m.name}" for m in (SCRIPTS / "lib").glob("*.lua")}


def test_the_index_is_what_the_generator_makes_and_the_repository_is_one_setting(tmp_path):
    from mvsep_bridge.bridges.reaper import reapack

    committed = (SCRIPTS / "index.xml").read_text(encoding="utf-8")
    time_ = ET.fromstring(committed).find("./category/reapack/version").get("time")
    assert reapack.index_xml(time=time_) == committed  # no hand edits: regenerate after changing a header
    # a maintainer publishing elsewhere changes one setting and every link follows
    output = tmp_path / "index.xml"
    done = subprocess.run([sys.executable, "-m", "mvsep_bridge.bridges.reaper.reapack", "--repository",
                           "https://github.com/someone/fork.git", "--output", str(output)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    version = headers(SCRIPTS / reapack.MAIN)["version"][0]
    links = [s.text for s in ET.parse(output).getroot().iter("source")]
    assert len(links) == len(ET.fromstring(committed).findall(".//source"))
    assert all(link.startswith(f"https://raw.githubusercontent.com/someone/fork/v{version}/reaper_scripts/") for link in links)
    wrong = subprocess.run([sys.executable, "-m", "mvsep_bridge.bridges.reaper.reapack", "--repository",
                            "gitlab.com/x", "--output", str(output)], capture_output=True, text=True)
    assert wrong.returncode == 2 and "is not a GitHub repository URL: give https://github.com/OWNER/REPO" in wrong.stderr
