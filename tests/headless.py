"""Headless Chromium for the browser tests (Debian's chromium and chromium-driver, driven by selenium),
and what a page did: its console messages and every URL it requested."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "out" / "browser"  # screenshots, kept after the run (out/ is ignored by git)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def find_chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@contextmanager
def chromium(width: int = 1400, height: int = 900) -> Iterator:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    found = find_chromium()
    assert found, "chromium and chromedriver are needed: apt-get install -y chromium chromium-driver (.ci/run does)"
    browser, driver_path = found
    options = Options()
    options.binary_location = browser
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    with tempfile.TemporaryDirectory(prefix="archdsl-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")  # a fresh profile: no cache, no state between runs
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def requested_urls(driver) -> list[str]:
    """Every URL the browser asked for since the last call (from the DevTools performance log), but for
    those of Chromium's own pages (its new tab page goes on loading for a while after start-up)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        internal = message["params"].get("documentURL", "").startswith(("chrome://", "chrome-"))
        if message["method"] == "Network.requestWillBeSent" and not internal:
            urls.append(message["params"]["request"]["url"])
    return urls


def console(driver) -> list[str]:
    """Console messages (and page errors) since the last call."""
    return [entry["message"] for entry in driver.get_log("browser")]


def wait_for(condition: Callable[[], object], timeout: float = 10.0, what: str = "the page") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


def start_server(spec: Path) -> tuple[subprocess.Popen, str]:
    """`archdsl serve SPEC --port 0` in a child process; its URL from the line it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "archdsl", "serve", str(spec), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    assert " at http://127.0.0.1:" in line, line + process.stderr.read()
    return process, line.split(" at ")[1].split()[0]
