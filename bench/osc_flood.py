"""A flood of OSC messages against a real daemon: is /mvsep/ping still answered, is anything lost?

    .venv/bin/python bench/osc_flood.py [--messages 5000] [--separates 5]

Starts `mvsep-bridge daemon` (local engine, OSC on a free port) in a temporary folder, sends the
flood as fast as one Python client can (unknown-job status requests, listings, garbage, pings,
bad paths, and a few real separate requests spread through it) while a second client pings every
20 ms, and prints: the flood's rate, ping round trips during and right after it, the replies the
flood got, refusals as busy, datagrams the kernel dropped (Linux /proc/net/snmp), and whether
every accepted job finished.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

CLI = str(Path(sys.executable).with_name("mvsep-bridge"))


def message(address: str, *args: object) -> bytes:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


def udp_drops() -> int | None:
    try:
        lines = Path("/proc/net/snmp").read_text().splitlines()
    except OSError:
        return None
    names, values = [line.split() for line in lines if line.startswith("Udp:")][:2]
    return int(values[names.index("RcvbufErrors")])


def start_daemon(root: Path) -> tuple[subprocess.Popen, int]:
    (root / "music").mkdir()
    (root / "config.toml").write_text(f'allowed_roots = ["{root / "music"}"]\n[osc]\nport = 0\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("MVSEP_")}
    env.update(HOME=str(root), MVSEP_BRIDGE_DATA_DIR=str(root / "data"), MVSEP_BRIDGE_CONFIG=str(root / "config.toml"),
               XDG_STATE_HOME=str(root / "state"), XDG_CONFIG_HOME=str(root / "config"))
    with open(root / "daemon.log", "wb") as log:
        daemon = subprocess.Popen([CLI, "daemon", "--backend", "local"], env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = subprocess.run([CLI, "daemon", "status", "--json"], env=env, capture_output=True, text=True,
                                check=False)
        where = json.loads(status.stdout).get("bridges", {}).get("osc") if status.returncode == 0 else None
        if where:
            return daemon, int(where.rsplit(":", 1)[1])
        time.sleep(0.2)
    daemon.kill()
    raise SystemExit(f"the daemon's OSC bridge did not come up; see {root / 'daemon.log'}")


class Pinger(threading.Thread):
    """Pings every `every` seconds from its own socket; records round trips."""

    def __init__(self, port: int, every: float = 0.02):
        super().__init__(daemon=True)
        self.port, self.every = port, every
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(5.0)
        self.round_trips: list[float] = []
        self.lost = 0
        self.stop = threading.Event()

    def ping(self) -> float | None:
        sent = time.perf_counter()
        self.sock.sendto(message("/mvsep/ping"), ("127.0.0.1", self.port))
        try:
            while OscMessage(self.sock.recv(65_535)).address != "/mvsep/pong":
                pass
        except TimeoutError:
            self.lost += 1
            return None
        return time.perf_counter() - sent

    def run(self) -> None:
        while not self.stop.is_set():
            took = self.ping()
            if took is not None:
                self.round_trips.append(took)
            time.sleep(self.every)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--separates", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        daemon, port = start_daemon(root)
        try:
            run(root, port, args.messages, args.separates)
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)


def run(root: Path, port: int, count: int, separates: int) -> None:
    rng = np.random.default_rng(0)
    songs = []
    for i in range(separates):
        songs.append(root / "music" / f"song{i}.wav")
        sf.write(songs[-1], (rng.standard_normal((48_000, 2)) * 0.1).astype(np.float32), 48_000)
    kinds = [message("/mvsep/status", "unknown"), message("/mvsep/jobs"), b"garbage!", message("/mvsep/ping"),
             message("/mvsep/separate", "relative.wav")]
    every = max(1, count // max(separates, 1))
    flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flood.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    replies: list[tuple[str, tuple]] = []

    def collect() -> None:
        flood.settimeout(2.0)
        try:
            while True:
                parsed = OscMessage(flood.recv(65_535))
                replies.append((parsed.address, tuple(parsed.params)))
        except (TimeoutError, OSError):
            pass

    pinger = Pinger(port)
    baseline = [t for t in (pinger.ping() for _ in range(20)) if t is not None]
    drops_before = udp_drops()
    pinger.start()
    started = time.perf_counter()
    sent_separates = 0
    for i in range(count):
        if i % every == every // 2 and sent_separates < separates:
            flood.sendto(message("/mvsep/separate", str(songs[sent_separates]), 44, f"tag=flood {sent_separates}"),
                         ("127.0.0.1", port))
            sent_separates += 1
        else:
            flood.sendto(kinds[i % len(kinds)], ("127.0.0.1", port))
    sending = time.perf_counter() - started
    after = Pinger(port).ping()  # a fresh client, right after the last flood message
    pinger.stop.set()
    pinger.join()
    collect()
    drops = udp_drops()

    accepted = {a[0] for address, a in replies if address == "/mvsep/accepted"}
    busy = sum(1 for address, a in replies if address == "/mvsep/error" and a[0] == "busy")
    deadline = time.monotonic() + 120
    finished: set[str] = set()
    flood.settimeout(1.0)
    while accepted - finished and time.monotonic() < deadline:
        try:
            parsed = OscMessage(flood.recv(65_535))
        except TimeoutError:
            continue
        replies.append((parsed.address, tuple(parsed.params)))
        if parsed.address in ("/mvsep/done", "/mvsep/failed"):
            finished.add(parsed.params[0])
    finished |= {a[0] for address, a in replies if address in ("/mvsep/done", "/mvsep/failed")}
    done = sum(1 for address, a in replies if address == "/mvsep/done")

    during = pinger.round_trips
    print(f"flood: {count} messages in {sending:.2f} s ({count / sending:,.0f}/s) from one Python client")
    print(f"ping idle:         median {statistics.median(baseline) * 1e3:.2f} ms, max {max(baseline) * 1e3:.2f} ms")
    if during:
        print(f"ping during flood: {len(during)} answered, {pinger.lost} lost; median "
              f"{statistics.median(during) * 1e3:.2f} ms, max {max(during) * 1e3:.2f} ms")
    print("ping right after the last flood message: "
          + (f"{after * 1e3:.2f} ms" if after is not None else "NO ANSWER within 5 s"))
    print(f"replies to the flood: {sum(1 for r in replies if r[0] != '/mvsep/done')} "
          f"(busy refusals {busy}); kernel UDP receive drops: "
          + (f"{drops - drops_before}" if drops is not None and drops_before is not None else "unknown"))
    print(f"separates: {sent_separates} sent, {len(accepted)} accepted, {done} done, "
          f"{len(accepted - finished)} accepted but unfinished after 120 s")


if __name__ == "__main__":
    main()
