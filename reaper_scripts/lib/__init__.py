"""Lua modules of the ReaScripts (a package only so that installs carry its .lua files)."""
