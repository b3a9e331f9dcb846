"""The one job model every bridge speaks, and (later) its store, pipeline and scheduler."""
