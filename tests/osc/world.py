"""The OSC test world: a real daemon process, real UDP clients (python-osc), real audio files."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
from pythonosc.osc_message import OscMessage
from pythonosc.udp_client import SimpleUDPClient

from harness import DaemonProcess, run_cli, wait_for
from processes import daemon_env

Message = tuple[str, tuple]


def free_udp_port() -> int:
    """A port nobody listens on now, for a client that must listen on a fixed port (TouchOSC,
    oscdump): the config file has to name it before the daemon starts."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def decode(datagram: bytes) -> Message:
    parsed = OscMessage(datagram)
    return parsed.address, tuple(parsed.params)


class Inbox:
    """What one UDP socket received, in order; `expect` waits for a message."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.received: list[Message] = []
        self._taken: dict[str, int] = {}  # address → how many `next` has returned
        self.largest = 0  # bytes of the largest datagram received

    def _drain(self, timeout: float) -> None:
        self.sock.settimeout(timeout)
        try:
            while True:
                datagram = self.sock.recv(65_535)
                self.largest = max(self.largest, len(datagram))
                self.received.append(decode(datagram))
                self.sock.settimeout(0)
        except (TimeoutError, BlockingIOError):
            pass

    def expect(self, address: str, *first: object, timeout: float = 60.0,
               where: Callable[[tuple], bool] = lambda args: True) -> tuple:
        """The arguments of the first message at `address` whose leading arguments are `first`
        (and that `where` accepts)."""
        deadline = time.monotonic() + timeout
        while True:
            for got, args in self.received:
                if got == address and args[:len(first)] == first and where(args):
                    return args
            if time.monotonic() > deadline:
                raise AssertionError(f"no {address} {first} within {timeout} s; got {self.received[-20:]}")
            self._drain(0.05)

    def next(self, address: str, timeout: float = 10.0) -> tuple:
        """The arguments of the next message at `address` not yet returned by `next`."""
        index = self._taken.get(address, 0)
        self._taken[address] = index + 1
        self.expect(address, timeout=timeout, where=lambda _: len(self.of(address)) > index)
        return self.of(address)[index]

    def of(self, address: str, *first: object) -> list[tuple]:
        """Everything received so far at `address` starting with `first`."""
        self._drain(0)
        return [args for got, args in self.received if got == address and args[:len(first)] == first]


class Client(Inbox):
    """A python-osc client: it sends from its own port and hears replies there (as Ardour's
    "auto" mode and liblo do); `bind_host` picks the address it sends from."""

    def __init__(self, port: int, bind_host: str | None = None):
        self.osc = SimpleUDPClient("127.0.0.1", port)
        if bind_host:
            self.osc._sock.bind((bind_host, 0))  # python-osc has no option for the source address
        super().__init__(self.osc._sock)

    def send(self, address: str, *args: object) -> None:
        self.osc.send_message(address, list(args))

    def send_raw(self, datagram: bytes) -> None:
        self.sock.sendto(datagram, ("127.0.0.1", self.osc._port))


class Listener(Inbox):
    """A client that listens on a fixed port of its own (TouchOSC, Max's udpreceive, a monitor)."""

    def __init__(self, port: int = 0):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", port))
        super().__init__(sock)
        self.port = sock.getsockname()[1]


@dataclass
class OscWorld:
    root: Path
    daemons: list[DaemonProcess] = field(default_factory=list)
    sockets: list[socket.socket] = field(default_factory=list)

    @property
    def music(self) -> Path:
        """Inside allowed_roots."""
        folder = self.root / "music"
        folder.mkdir(exist_ok=True)
        return folder

    def start(self, *, base_url: str | None = None, token: str | None = None, **osc: object) -> OscDaemon:
        """A daemon whose OSC bridge listens on a free port, with `osc` settings on top."""
        return OscDaemon(self, self.launch(base_url=base_url, token=token, **osc))

    def launch(self, *, base_url: str | None = None, token: str | None = None, **osc: object) -> DaemonProcess:
        """A daemon with `[osc] port = 0` and `osc` settings on top; its OSC bridge may not start."""
        config = self.root / f"config{len(self.daemons)}.toml"
        doc = tomlkit.document()
        doc["allowed_roots"] = [str(self.music)]
        doc["osc"] = {"port": 0, **osc}
        config.write_text(tomlkit.dumps(doc))
        env = daemon_env(self.root / f"data{len(self.daemons)}", base_url, token, config=config)
        del env["MVSEP_BRIDGE_OSC__PORT"]  # the config file above says where OSC listens
        process = DaemonProcess(env, self.root / f"daemon{len(self.daemons)}.log")
        self.daemons.append(process)
        return process

    def track(self, sock: socket.socket) -> None:
        self.sockets.append(sock)

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        for process in self.daemons:
            process.kill()


def bridges(process: DaemonProcess) -> dict[str, str]:
    """Where the daemon's bridges listen, as `mvsep-bridge daemon status --json` says."""
    status = run_cli(["daemon", "status", "--json"], env=process.env)
    return json.loads(status.stdout).get("bridges", {}) if status.returncode == 0 else {}


class OscDaemon:
    def __init__(self, world: OscWorld, process: DaemonProcess):
        self.world = world
        self.process = process
        self.port = int(wait_for(self._announced, timeout=30, what="the OSC bridge's announce"))

    def _announced(self) -> str | None:
        """The port the bridge bound, as `mvsep-bridge daemon status` tells a user."""
        found = re.fullmatch(r"udp://127\.0\.0\.1:(\d+)", bridges(self.process).get("osc", ""))
        return found.group(1) if found else None

    @property
    def data_dir(self) -> Path:
        return Path(self.process.env["MVSEP_BRIDGE_DATA_DIR"])

    def log(self) -> str:
        return self.process.log_path.read_text(errors="replace")

    def client(self, bind_host: str | None = None) -> Client:
        client = Client(self.port, bind_host)
        self.world.track(client.sock)
        return client

    def listener(self, port: int = 0) -> Listener:
        listener = Listener(port)
        self.world.track(listener.sock)
        return listener

    def alive(self) -> bool:
        return self.process.process.poll() is None
