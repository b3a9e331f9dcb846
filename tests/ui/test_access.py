"""Who gets what from the status page, over plain HTTP against a real daemon: nothing without the
session, a link that works once, loopback Host and same-origin POSTs only, result files only from
inside their job's folder; the waveform checked against plain numpy."""

from __future__ import annotations

import http.client
import json
import re
from urllib.parse import urlsplit

import numpy as np
import requests
import soundfile as sf

from mvsep_bridge.daemon.control.client import ControlClient
from mvsep_bridge.daemon.jobs.model import JobRequest

from harness import read_manifest, run_cli, store_states, wait_for


def finished_job(world) -> dict:
    source = world.song()
    result = run_cli(["separate", str(source), "--sep-type", "40", "--out", str(world.tmp / "out"), "--json"],
                     world.env)
    assert result.returncode == 0, result.stderr
    [job] = json.loads(result.stdout)
    return job


def raw_get(base: str, path: str, cookie: str | None = None, host: str | None = None) -> tuple[int, bytes]:
    """GET with the path sent byte for byte (no client-side `..` clean-up)."""
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    headers = {"Host": host or address.netloc}
    if cookie:
        headers["Cookie"] = f"mvsep_ui={cookie}"
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    status, body = response.status, response.read()
    connection.close()
    return status, body


def test_without_the_session_nothing_is_served_and_with_it_only_the_jobs_own_files(world):
    job = finished_job(world)
    folder = world.tmp / "out" / "song"
    stem = read_manifest(folder)["stems"][0]["file"]
    session, base = world.signed_in()
    cookie = session.cookies["mvsep_ui"]
    paths = ["/", "/static/app.js", "/static/app.css", "/api/events", f"/files/{job['id']}/manifest.json",
             f"/files/{job['id']}/{stem}", f"/waveform/{job['id']}/0.svg", "/no/such/page"]

    for path in paths:
        for wrong in (None, "forged-session"):
            status, body = raw_get(base, path, cookie=wrong)
            assert (status, body) == (401, b""), path
    refused = requests.post(f"{base}/api/jobs/{job['id']}/retry", headers={"Origin": base}, timeout=10)
    assert (refused.status_code, refused.content) == (401, b"")

    manifest = session.get(f"{base}/files/{job['id']}/manifest.json", timeout=10)
    assert manifest.content == (folder / "manifest.json").read_bytes()
    audio = session.get(f"{base}/files/{job['id']}/{stem}", timeout=10)
    assert audio.content == (folder / stem).read_bytes()
    part = session.get(f"{base}/files/{job['id']}/{stem}", headers={"Range": "bytes=100-199"}, timeout=10)
    assert part.status_code == 206 and part.content == (folder / stem).read_bytes()[100:200]

    (folder / "passwd.flac").symlink_to("/etc/passwd")
    (world.tmp / "out" / "secret.txt").write_text("not the job's")
    for escape in ("../secret.txt", "..%2fsecret.txt", "%2e%2e/secret.txt", "passwd.flac", "/etc/passwd",
                   "%2fetc%2fpasswd", "nothing.flac"):
        status, body = raw_get(base, f"/files/{job['id']}/{escape}", cookie=cookie)
        assert status in (404, 308) and b"not the job's" not in body and b"root:" not in body, escape
    assert raw_get(base, f"/files/nosuchjob/{stem}", cookie=cookie)[0] == 404


def test_a_link_works_once_and_no_address_or_log_keeps_a_secret(world):
    link = world.link()
    token = link.split("token=")[1]
    base = link.split("/login")[0]
    assert urlsplit(link).hostname == "127.0.0.1"

    first = requests.get(link, allow_redirects=False, timeout=10)
    assert first.status_code == 303 and first.headers["Location"] == "/"
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert token not in cookie
    page = requests.get(base + "/", cookies=first.cookies, timeout=10)
    assert page.status_code == 200 and b"/static/app.js" in page.content

    again = requests.get(link, allow_redirects=False, timeout=10)
    assert again.status_code == 403 and "Set-Cookie" not in again.headers
    assert "mvsep-bridge ui" in again.text  # what to do instead
    logs = "".join(p.read_text(errors="replace") for p in world.tmp.rglob("*.log"))
    assert token not in logs


def test_a_foreign_host_or_origin_is_refused_and_the_page_can_cancel_and_retry(world):
    world.emulator.configure(waiting_seconds=60.0)  # the job waits on the server: cancellable
    control = ControlClient.discover(world.data)
    source = world.song()
    job = control.submit(JobRequest(source=source, sep_type=40, destination=world.tmp / "out")).id
    wait_for(lambda: store_states(world.data).get(job) == "remote", what="the job on the server")
    session, base = world.signed_in()
    cookie = session.cookies["mvsep_ui"]
    port = urlsplit(base).port
    cancel = f"{base}/api/jobs/{job}/cancel"

    assert raw_get(base, "/", cookie=cookie, host=f"rebound.example:{port}") == (403, b"")
    assert raw_get(base, "/", cookie=cookie, host=f"127.0.0.1:{port + 1}") == (403, b"")
    for origin in ({"Origin": "http://evil.example"}, {"Origin": f"http://localhost:{port + 1}"}, {}):
        refused = session.post(cancel, headers=origin, timeout=10)
        assert (refused.status_code, refused.content) == (403, b""), origin
    assert store_states(world.data)[job] == "remote"

    early = session.post(f"{base}/api/jobs/{job}/retry", headers={"Origin": base}, timeout=10)
    assert early.status_code == 400 and "only a failed or cancelled job" in early.json()["error"]
    assert session.post(cancel, headers={"Origin": base}, timeout=10).status_code == 200
    wait_for(lambda: store_states(world.data).get(job) == "cancelled", what="the job cancelled")
    assert [j["status"] for j in world.emulator.stats()["jobs"]] == ["cancelled"]

    retried = session.post(f"{base}/api/jobs/{job}/retry", headers={"Origin": base}, timeout=10)
    assert retried.status_code == 200, retried.text
    again = control.get(retried.json()["id"])
    assert again.id != job and again.request.reply.bridge == "ui"
    assert (again.request.source, again.request.sep_type) == (source, 40)
    wait_for(lambda: len(world.emulator.stats()["jobs"]) == 2, what="the retry sent to the server")


def test_the_waveform_is_the_stems_min_and_max_per_column(world):
    job = finished_job(world)
    session, base = world.signed_in()
    folder = world.tmp / "out" / "song"
    for index, stem in enumerate(read_manifest(folder)["stems"]):
        picture = session.get(f"{base}/waveform/{job['id']}/{index}.svg", timeout=10)
        assert picture.headers["Content-Type"].startswith("image/svg+xml")
        bars = [(float(top), float(bottom)) for top, bottom in re.findall(r"M\d+ ([-\d.]+)V([-\d.]+)", picture.text)]
        samples, _ = sf.read(folder / stem["file"], always_2d=True)
        columns = len(bars)
        starts = -(-np.arange(columns) * len(samples) // columns)  # ceil: the first frame of each column
        high = np.maximum.reduceat(samples.max(axis=1), starts)
        low = np.minimum.reduceat(samples.min(axis=1), starts)
        assert columns == 600
        drawn_high = np.array([50 - top for top, _ in bars]) / 50
        drawn_low = np.array([50 - bottom for _, bottom in bars]) / 50
        np.testing.assert_allclose(drawn_high, np.clip(high, -1, 1), atol=0.002)
        np.testing.assert_allclose(drawn_low, np.clip(low, -1, 1), atol=0.002)
