"""Soak, security and wire-count tests on real processes (tests/README.md)."""

#: OSC listens on a fixed UDP port (9045) by default: the daemons here take any free one
NO_FIXED_PORT = {"MVSEP_BRIDGE_OSC__PORT": "0"}
