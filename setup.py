"""Maps the user's folders onto the one import package `mvsep_bridge` (see pyproject.toml)."""
from setuptools import find_packages, setup

ROOTS = ("daemon", "bridges", "reaper_scripts")

setup(
    packages=[
        f"mvsep_bridge.{name}"
        for name in find_packages(include=[f"{root}*" for root in ROOTS])
    ],
)
