"""The engine of mvsep-bridge: settings, MVSEP client, catalog, job store, scheduler, backends,
audio, emulator and CLI. Bridges (mvsep_bridge.bridges) talk to it only through `jobs.model`
and the control channel, never through its internals."""
