"""OSC (DESIGN.md "OSC"): any audio app starts, watches and cancels jobs over UDP.

    wire.py       datagrams ⇄ messages (bundles, limits), reply encoding
    commands.py   request addresses and their arguments → typed commands (pure)
    replies.py    job views and events → reply messages (pure)
    throttle.py   at most a few progress messages per second per job (pure)
    access.py     who may send (loopback, osc.allow_from)
    routing.py    where replies go (sender, fixed reply host:port, subscribers)
    server.py     the UDP socket and its receive thread
    work.py       requests waiting for the worker (bounded; actions before questions)
    events.py     job events → messages, on their own thread
    bridge.py     OscBridge: the Bridge the daemon starts
"""

from .bridge import OscBridge

__all__ = ["OscBridge"]
