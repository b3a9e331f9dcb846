"""The daemon's control channel: server.py (in the daemon), client.py (the CLI's side)."""
