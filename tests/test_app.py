"""``zopa app``: the dashboard served on 127.0.0.1, driven in a real headless Chromium (Debian's
``chromium`` and ``chromium-driver``, which ``.ci/run`` installs): a slider moved, the model reset, the
figures redrawn. The browser has no network, so the page loading at all shows it works offline."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from zopa.analysis.app_cli import parse_params
from zopa.sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEC = str(ROOT / "scenarios" / "december-2022.yaml")
PARAM = "battlefield.p_a"       # moves every figure (an erosion would leave survival as it is)
WAIT = 180          # seconds; generous, as the machine may be busy: the test ends as soon as it can

# SHA-256 of every image on the page, fetched by the page itself (the figures are blob: URLs)
_HASH_IMAGES = """
const done = arguments[arguments.length - 1];
Promise.all([...document.querySelectorAll('img')].map(async (img) => {
  try {
    const buf = await (await fetch(img.src)).arrayBuffer();
    const h = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
    return Array.from(h).map((b) => b.toString(16).padStart(2, '0')).join('');
  } catch (e) { return 'unreadable'; }
})).then(done);
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen) -> None:
    end = time.monotonic() + WAIT
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"zopa app exited with {proc.returncode}: {proc.stderr.read()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(f"zopa app did not answer on {url} within {WAIT} s")


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.fail("the browser test needs Debian's chromium and chromium-driver: "
                    "apt-get install -y chromium chromium-driver (.ci/run does it)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1500"):
        opts.add_argument(arg)
    browser = webdriver.Chrome(service=Service(driver), options=opts)
    browser.set_script_timeout(60)
    return browser


@pytest.fixture
def served():
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "zopa"), "app", DEC, "--param", f"{PARAM}=0.3:0.7",
                             "--runs", "100", "--seed", "1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_http(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _until(browser, what: str, check):
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(browser, WAIT, poll_frequency=0.5).until(lambda b: check(b))
    except Exception:
        pytest.fail(f"the dashboard never showed {what}; the page read:\n{browser.find_element('tag name', 'body').text}")


def _figures(browser) -> list[str]:
    return browser.execute_async_script(_HASH_IMAGES)


def _screenshot(browser, path: Path) -> None:
    from selenium.webdriver.common.by import By

    for k in range(2, 41):                                           # a few weeks of the live chart
        browser.find_element(By.XPATH, "//button[.//span[normalize-space()='Step']]").click()
        _until(browser, f"round {k}", lambda b: f"Step: {k}" in b.find_element(By.TAG_NAME, "body").text)
    time.sleep(2)
    browser.save_screenshot(str(path))


def test_moving_a_slider_and_resetting_redraws_the_figures(served):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser = _browser()
    try:
        browser.get(served)
        # the live chart, then the timeline, survival and terms figures
        before = _until(browser, "four figures", lambda b: (h := _figures(b)) and len(h) == 4
                        and "unreadable" not in h and h)
        assert f"{PARAM} = 0.5" in browser.find_element(By.TAG_NAME, "body").text    # starts half-way
        box = browser.find_element(By.XPATH, f"//div[contains(@class, 'v-input')][.//label[normalize-space()"
                                             f"='{PARAM}']]")
        track = box.find_element(By.CSS_SELECTOR, ".v-slider__track-container")
        # a click near the right end of the track, as a person moves it
        ActionChains(browser).move_to_element_with_offset(track, track.size["width"] // 2 - 2, 0).click().perform()
        value = float(box.find_element(By.XPATH, ".//div[@role='slider']").get_attribute("aria-valuenow"))
        assert 0.65 < value <= 0.7
        browser.find_element(By.XPATH, "//button[.//span[normalize-space()='Reset']]").click()
        _until(browser, "the new value in use",
               lambda b: f"{PARAM} = {value:.4g}" in b.find_element(By.TAG_NAME, "body").text)
        after = _until(browser, "redrawn figures", lambda b: (h := _figures(b)) and len(h) == 4
                       and all(x != y for x, y in zip(h[1:], before[1:])) and h)
        assert "unreadable" not in after
        # the model steps: the live chart is redrawn and the round counter moves
        browser.find_element(By.XPATH, "//button[.//span[normalize-space()='Step']]").click()
        _until(browser, "round 1", lambda b: "Step: 1" in b.find_element(By.TAG_NAME, "body").text)
        _until(browser, "the live chart after a step", lambda b: (h := _figures(b)) and h[0] != after[0])
        if shot := os.environ.get("ZOPA_DASHBOARD_SCREENSHOT"):        # how docs/images/dashboard.png is made
            _screenshot(browser, Path(shot))
    finally:
        browser.quit()


def test_param_ranges_are_parsed_and_bad_ones_refused(capsys):
    assert parse_params(["actors.a.erosion=0:0.02", "b.c=-1:1"]) == {"actors.a.erosion": (0.0, 0.02),
                                                                   "b.c": (-1.0, 1.0)}
    for bad, message in (("actors.a.erosion=0.02", "expected KEY.PATH=LO:HI"),
                         ("actors.a.erosion=1:0", "expected LO < HI"),
                         ("actors.a.erosion=0:x", "found 'x', expected a number")):
        with pytest.raises(ValueError, match=message):
            parse_params([bad])
    # a path the scenario lacks is one line from the command, before any server starts
    assert main(["app", DEC, "--param", "actors.nobody.erosion=0:1"]) == 1
    assert "actors.nobody" in capsys.readouterr().err
