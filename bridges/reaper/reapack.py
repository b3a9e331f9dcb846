"""The ReaPack index of the ReaScripts (reaper_scripts/index.xml), made from their headers.

The repository the scripts are published from is one setting: REPOSITORY below, or
`--repository` when publishing a fork. A maintainer who publishes the repository runs

    python -m mvsep_bridge.bridges.reaper.reapack --repository https://github.com/OWNER/REPO

after changing a script's @version/@changelog, commits index.xml and tags the commit
v<version> (the index links the files at that tag). Users add
https://raw.githubusercontent.com/OWNER/REPO/main/reaper_scripts/index.xml to ReaPack.
"""

from __future__ import annotations

import argparse
import datetime
import re
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import quoteattr

import mvsep_bridge.reaper_scripts as scripts_package

#: where the scripts are published; a placeholder until the project has a public repository
REPOSITORY = "https://github.com/mvsep-bridge/mvsep-bridge"
MAIN = "mvsep_Separate selected items.lua"  # the package's script: its headers describe the package
SCRIPTS = Path(scripts_package.__file__).parent


def script_headers(path: Path) -> dict[str, list[str]]:
    """ReaPack's `-- @tag value` lines of a script's leading comment, with their indented lines."""
    tags: dict[str, list[str]] = {}
    tag = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        found = re.match(r"--\s*@(\w+)\s*(.*)", line)
        if found:
            tag = found.group(1)
            tags[tag] = [found.group(2)] if found.group(2) else []
        elif tag:
            tags[tag].append(line[2:].strip())
    return tags


def raw_base(repository: str, ref: str) -> str:
    """https://github.com/OWNER/REPO + ref → where GitHub serves that ref's files."""
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", repository)
    if not match:
        raise ValueError(f"{repository!r} is not a GitHub repository URL: give https://github.com/OWNER/REPO")
    return f"https://raw.githubusercontent.com/{match.group(1)}/{match.group(2)}/{ref}/reaper_scripts/"


def provided(tags: dict[str, list[str]]) -> list[tuple[str, bool]]:
    """(file relative to reaper_scripts/, is an action) for each @provides line, in order."""
    files = []
    for line in tags["provides"]:
        kind, pattern = re.match(r"\[(\w+)\]\s+(.+)", line).groups()
        names = [MAIN] if pattern == "." else sorted(str(p.relative_to(SCRIPTS)) for p in SCRIPTS.glob(pattern))
        files += [(name, kind == "main") for name in names]
    return files


def index_xml(repository: str = REPOSITORY, time: str | None = None) -> str:
    tags = script_headers(SCRIPTS / MAIN)
    version = tags["version"][0]
    base = raw_base(repository, f"v{version}")
    time = time or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    sources = []
    for name, is_action in provided(tags):
        attributes = (' main="main"' if is_action else "") + ("" if name == MAIN else f" file={quoteattr(name)}")
        sources.append(f"        <source{attributes}>{base}{quote(name)}</source>")
    return "\n".join([
        '<?xml version="1.0" encoding="utf-8"?>',
        '<index version="1" name="MVSEP Bridge">',
        '  <category name="Items Editing">',
        f'    <reapack name={quoteattr(MAIN)} type="script" desc={quoteattr(tags["description"][0])}>',
        "      <metadata>",
        f'        <description><![CDATA[{chr(10).join(tags["about"])}]]></description>',
        "      </metadata>",
        f'      <version name={quoteattr(version)} author={quoteattr(tags["author"][0])} time="{time}">',
        f'        <changelog><![CDATA[{chr(10).join(tags["changelog"])}]]></changelog>',
        *sources,
        "      </version>",
        "    </reapack>",
        "  </category>",
        "</index>",
    ]) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write reaper_scripts/index.xml from the scripts' headers.")
    parser.add_argument("--repository", default=REPOSITORY, help=f"GitHub URL the scripts are published from ({REPOSITORY})")
    parser.add_argument("--time", help="the release time, ISO 8601 UTC (default: now)")
    parser.add_argument("--output", type=Path, default=SCRIPTS / "index.xml")
    args = parser.parse_args(argv)
    try:
        text = index_xml(args.repository, args.time)
    except ValueError as exc:
        parser.error(str(exc))
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
