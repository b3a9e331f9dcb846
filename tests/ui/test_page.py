"""The status page in Debian's headless chromium (Selenium + chromium-driver), against a real daemon
and the emulator: a CLI job followed live without a reload, its stems played, a job cancelled and
retried from the page, a screenshot for a person to look at."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import soundfile as sf
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from .conftest import DAY_BUDGET, save_screenshot
from harness import read_manifest, run_cli, store_states, wait_for
from processes import CLI

# every change of a job card's state, as the page showed it (installed by the test, not the page)
WATCH_STATES = """
window.seen = [];
window.notReloaded = true;
new MutationObserver(() => {
  for (const card of document.querySelectorAll('.job')) {
    const last = window.seen.filter(s => s.id === card.dataset.id).pop();
    if (!last || last.state !== card.dataset.state) window.seen.push({id: card.dataset.id, state: card.dataset.state});
  }
}).observe(document.getElementById('jobs'), {subtree: true, childList: true, attributes: true});
"""


def open_page(driver, world) -> None:
    link = world.link()
    driver.get(link)
    assert driver.current_url == link.split("/login")[0] + "/"  # the token is gone from the address
    WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "link").text == "live")


def card(driver, job_id: str):
    return driver.find_element(By.CSS_SELECTOR, f'.job[data-id="{job_id}"]')


def on_card(driver, job_id: str, selector: str, act):
    """`act(element)` for the `selector` element of a job's card, found again if the live page
    redrew the card's summary in between (it does on every event of that job)."""
    for _ in range(50):
        try:
            return act(card(driver, job_id).find_element(By.CSS_SELECTOR, selector))
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"the card of {job_id} never held still")


def click(element) -> None:
    element.click()


REDRAWN = (StaleElementReferenceException,)  # for WebDriverWait: a redrawn card is looked up again


def wait_state(driver, state: str, timeout: float = 60.0) -> str:
    """The id of the first card that shows `state`."""
    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(
        "const c = document.querySelector(`.job[data-state='${arguments[0]}']`); return c && c.dataset.id;", state))


def side_table(driver) -> dict:
    texts = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#budget dt, #budget dd")]
    budget = dict(zip(texts[::2], texts[1::2], strict=True))
    folders = [[row.find_element(By.CSS_SELECTOR, ".path").text,
                *(span.text for span in row.find_elements(By.CSS_SELECTOR, ".counts span"))]
               for row in driver.find_elements(By.CSS_SELECTOR, "#hotfolders .folder")]
    listening = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#listening li")]
    return {"budget": budget, "folders": folders, "listening": listening}


def test_a_cli_job_appears_progresses_and_finishes_live_and_its_stems_play(world, chromium, tmp_path):
    open_page(chromium, world)
    panel = side_table(chromium)
    assert panel["budget"]["per day"] == str(DAY_BUDGET) and panel["budget"]["spent today"] == "0"
    # error notes are not counted
    assert panel["folders"] == [[str(world.hot), "preset p", "processing 0", "done 2", "failed 1"]]
    announced = json.loads(run_cli(["daemon", "status", "--json"], world.env).stdout)["bridges"]
    assert "ui" in announced and panel["listening"] == [f"{name}: {where}" for name, where in announced.items()]
    chromium.execute_script(WATCH_STATES)

    source = world.song(seconds=3.0)
    separate = subprocess.Popen([CLI, "separate", str(source), "--sep-type", "40", "--out", str(tmp_path / "out"),
                                 "--json"], env=world.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    job_id = wait_state(chromium, "done")
    out, err = separate.communicate(timeout=60)
    assert separate.returncode == 0, err
    [finished] = json.loads(out)

    assert job_id == finished["id"]
    states = [s["state"] for s in chromium.execute_script("return window.seen") if s["id"] == job_id]
    assert states[0] in ("queued", "preparing") and "remote" in states and states[-1] == "done", states
    assert chromium.execute_script("return window.notReloaded") is True
    charged = 1000 - world.emulator.stats()["credits"][world.account.email]
    assert charged > 0
    WebDriverWait(chromium, 10).until(lambda d: side_table(d)["budget"]["spent today"] == f"{charged:g}")
    assert side_table(chromium)["budget"]["left today"] == f"{DAY_BUDGET - charged:g}"

    done = card(chromium, job_id)
    manifest = read_manifest(tmp_path / "out" / "song")
    names = [e.text for e in done.find_elements(By.CSS_SELECTOR, ".stem-name")]
    assert names == [s["name"] for s in manifest["stems"]]
    links = {a.text: a.get_attribute("href") for a in done.find_elements(By.CSS_SELECTOR, ".files a")}
    assert links["manifest.json"].endswith(f"/files/{job_id}/manifest.json")
    assert chromium.execute_script(
        "return [...arguments[0].querySelectorAll('.stem img')].every(i => i.complete && i.naturalWidth > 0)", done)

    done.find_element(By.CSS_SELECTOR, ".play").click()
    played = WebDriverWait(chromium, 20).until(lambda d: d.execute_script(
        "const a = [...arguments[0].querySelectorAll('audio')];"
        "return a.every(x => x.played.length > 0 && x.currentTime > 0.3) && a.map(x => x.currentTime);", done))
    assert len(played) == len(names) and max(played) - min(played) < 0.25  # all in step
    done.find_elements(By.CSS_SELECTOR, ".solo")[1].click()
    muted = chromium.execute_script("return [...arguments[0].querySelectorAll('audio')].map(a => a.muted)", done)
    assert muted == [i != 1 for i in range(len(names))]

    save_screenshot(chromium, tmp_path, "ui-screenshot.png")
    chromium.find_element(By.CSS_SELECTOR, '#filters [data-filter="failed"]').click()
    assert not done.is_displayed()
    chromium.find_element(By.CSS_SELECTOR, '#filters [data-filter="done"]').click()
    assert done.is_displayed()

    # opened later, the page lists the job with its stems folded away until asked for
    chromium.refresh()
    WebDriverWait(chromium, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, f'.job[data-id="{job_id}"] .stems'))
    assert card(chromium, job_id).find_elements(By.TAG_NAME, "audio") == []
    on_card(chromium, job_id, ".stems summary", click)
    WebDriverWait(chromium, 10, ignored_exceptions=REDRAWN).until(
        lambda d: len(card(d, job_id).find_elements(By.TAG_NAME, "audio")) == len(names))


def test_errors_in_words_cancel_and_retry_from_the_page(world, chromium, tmp_path):
    world.emulator.configure(waiting_seconds=60.0)  # the job waits on the server: cancellable
    open_page(chromium, world)
    # a flac cut short: its header is fine (a non-audio file is refused before it is a job), its
    # frames cannot all be decoded, so the job fails while being prepared
    broken = tmp_path / "broken.flac"
    sf.write(broken, np.random.default_rng(0).standard_normal((48_000, 2)).astype(np.float32) * 0.1, 48_000)
    broken.write_bytes(broken.read_bytes()[:broken.stat().st_size // 2])
    assert run_cli(["separate", str(broken), "--sep-type", "40"], world.env).returncode == 1
    failed = wait_state(chromium, "failed")
    error = on_card(chromium, failed, ".error", lambda e: e.text)
    assert "broken.flac" in error and "cannot read" in error.lower()

    source = world.song()
    separate = subprocess.Popen([CLI, "separate", str(source), "--sep-type", "40", "--out", str(tmp_path / "out")],
                                env=world.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    job_id = wait_state(chromium, "remote")
    assert world.emulator.stats()["credits"][world.account.email] < 1000

    on_card(chromium, job_id, ".cancel", click)

    assert wait_state(chromium, "cancelled") == job_id
    assert world.emulator.stats()["credits"][world.account.email] == 1000  # refunded
    assert [j["status"] for j in world.emulator.stats()["jobs"]] == ["cancelled"]
    separate.communicate(timeout=30)
    assert separate.returncode == 1  # the CLI that started it says it did not finish

    on_card(chromium, job_id, ".retry", click)
    again = WebDriverWait(chromium, 20).until(lambda d: d.execute_script(
        "const c = [...document.querySelectorAll('.job')].find(c => !arguments[0].includes(c.dataset.id));"
        "return c && c.dataset.id;", [job_id, failed]))
    WebDriverWait(chromium, 20, ignored_exceptions=REDRAWN).until(
        lambda d: card(d, again).find_elements(By.CSS_SELECTOR, ".cancel"))
    save_screenshot(chromium, tmp_path, "ui-screenshot-cancel.png")
    status = json.loads(run_cli(["status", again, "--json"], world.env).stdout)
    assert status["request"]["reply"]["bridge"] == "ui" and status["request"]["source"] == str(source)
    assert store_states(world.data)[job_id] == "cancelled"
    wait_for(lambda: len(world.emulator.stats()["jobs"]) == 2, what="the retry on the server")
    charged = 1000 - world.emulator.stats()["credits"][world.account.email]  # the retry's, not the refunded one's
    assert charged > 0
    WebDriverWait(chromium, 10).until(lambda d: side_table(d)["budget"]["spent today"] == f"{charged:g}")
