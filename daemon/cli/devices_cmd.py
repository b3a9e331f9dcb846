"""`mvsep-bridge devices [--json]`: the audio devices PortAudio sees, listed in this process (no
daemon needed)."""

from __future__ import annotations

import click

from mvsep_bridge.bridges.audio.devices import list_devices
from mvsep_bridge.bridges.audio import portaudio

from .output import print_json, print_table


@click.command("devices")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def devices_command(as_json: bool) -> None:
    """Audio devices with their channels and default sample rates (for play/record --device)."""
    found = list_devices(portaudio.load())
    if as_json:
        print_json([d.as_dict() for d in found])
        return
    print_table(None, ("#", "name", "api", "in", "out", "default rate", "default"),
                ((d.index, d.name, d.host_api, d.input_channels, d.output_channels, f"{d.default_rate:g}",
                  " ".join(k for k, on in (("input", d.default_input), ("output", d.default_output)) if on))
                 for d in found))
