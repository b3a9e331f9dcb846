"""`python -m mvsep_bridge.daemon.cli`: the same as the `mvsep-bridge` console script."""

from .main import main

main()
