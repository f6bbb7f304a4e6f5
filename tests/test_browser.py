"""The explorer and the live preview as a reader sees them: in headless Chromium (tests/headless.py).

Every page must leave the console empty and request nothing but itself (file://, data:, blob:) or the
local server. Screenshots go to out/browser/ (docs/draw.md shows one of them)."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
from headless import chromium, console, requested_urls, screenshot, start_server, wait_for
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import archdsl
from archdsl.backends.diagram import build_diagram

from conftest import ROOT

pytestmark = pytest.mark.slow  # one browser start is a few seconds on a busy machine


@pytest.fixture(scope="module")
def driver():
    with chromium() as browser:
        yield browser


def node_count(driver) -> int:
    return int(driver.execute_script("return document.body.dataset.nodes || 0"))


def node(driver, node_id: str):
    return driver.find_element(By.CSS_SELECTOR, f'#diagram g.node[data-id="{node_id}"]')


def frame_label(driver, unit: str):
    """The label in the top-left corner of an open block's frame (a click there closes the block)."""
    return driver.find_element(By.CSS_SELECTOR, f'#diagram g.frame[data-unit="{unit}"] text')


def scale_and_offset(driver) -> tuple[float, float, float]:
    transform = driver.find_element(By.ID, "viewport").get_attribute("transform")
    x, y, k = re.fullmatch(r"translate\(([-\d.]+),([-\d.]+)\) scale\(([-\d.e]+)\)", transform).groups()
    return float(k), float(x), float(y)


def only_local(urls: list[str], allowed: tuple[str, ...]) -> list[str]:
    return [url for url in urls if not url.startswith(allowed)]


def test_explorer_file(driver, tmp_path):
    page = tmp_path / "resnet50.html"
    subprocess.run(
        [sys.executable, "-m", "archdsl", "draw", "specs/resnet50.arch", "-o", str(page)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    graph = archdsl.check("specs/resnet50.arch").graph
    requested_urls(driver), console(driver)  # drop what the browser did before this page (its new tab)
    driver.get(page.as_uri())
    wait_for(lambda: node_count(driver), what="the diagram")
    # The page opens at the static diagram's default depth: the same nodes, every op its own (the static
    # diagram draws conv1's batchnorm and relu in its node).
    assert node_count(driver) == len(build_diagram(graph, "auto", fuse=False).nodes) == 13
    assert len(build_diagram(graph, "auto").nodes) == 11

    # Click layer2 (a closed stage): it opens in place, with its first block and the folded rest.
    ActionChains(driver).move_to_element(node(driver, "layer2")).click().perform()
    wait_for(lambda: node_count(driver) == 14, what="layer2 to open")
    titles = [n.text for n in driver.find_elements(By.CSS_SELECTOR, "#diagram g.node")]
    assert any("Bottleneck x 3" in t for t in titles)  # layer2.1–3, folded
    # And its first block: the projection shortcut appears.
    ActionChains(driver).move_to_element(node(driver, "layer2.0")).click().perform()
    wait_for(lambda: node_count(driver) > 14, what="layer2.0 to open")
    assert driver.find_elements(By.CSS_SELECTOR, '#diagram g.frame[data-unit="layer2.0.downsample"]')
    ActionChains(driver).move_to_element(driver.find_element(By.ID, "title")).perform()
    driver.execute_script("archdslExplorer.reveal('layer2')")
    screenshot(driver, "explorer-resnet50-layer2.png")
    driver.execute_script("archdslExplorer.fit()")

    # Hover a node: its full path, op and arguments, shapes, parameters, MACs and spec line.
    ActionChains(driver).move_to_element(node(driver, "conv1")).perform()
    tooltip = driver.find_element(By.ID, "tooltip")
    wait_for(tooltip.is_displayed, what="the tooltip")
    text = tooltip.text
    for expected in (
        "conv1",
        "conv2d(out=64, kernel=7, stride=2, padding=3",
        "3x224x224",
        "64x112x112",
        "9,408",
        "118,013,952",
        "families/resnet.arch:",
    ):
        assert expected in text, (expected, text)
    screenshot(driver, "explorer-resnet50-tooltip.png")

    # Click the frame of layer2: it closes again.
    ActionChains(driver).move_to_element(frame_label(driver, "layer2")).click().perform()
    wait_for(lambda: node_count(driver) == 13, what="layer2 to close")

    # Search a label inside a folded run: layer3.4 is drawn by layer3.1 (layer3.1–5); its blocks open.
    search = driver.find_element(By.ID, "search")
    search.send_keys("layer3.4.conv2", Keys.ENTER)
    found = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#diagram g.node.found"), what="the search hit")
    assert found[0].get_attribute("data-id") == "layer3.1.conv2"
    assert {"layer3", "layer3.1"} <= set(driver.execute_script("return archdslExplorer.state()"))
    ActionChains(driver).move_to_element(driver.find_element(By.ID, "title")).perform()
    screenshot(driver, "explorer-resnet50-search.png")

    # Zoom with the wheel, pan by dragging (a drag is not a click: nothing opens or closes).
    canvas = driver.find_element(By.ID, "canvas")
    before = scale_and_offset(driver)
    ActionChains(driver).scroll_from_origin(ScrollOrigin.from_element(canvas, -600, 0), 0, -400).perform()
    zoomed = wait_for(lambda: scale_and_offset(driver) if scale_and_offset(driver)[0] > before[0] else None, 5, "zoom")
    count = node_count(driver)
    ActionChains(driver).move_to_element_with_offset(canvas, -600, 0).click_and_hold().move_by_offset(
        80, 40
    ).release().perform()
    panned = scale_and_offset(driver)
    assert panned[0] == zoomed[0] and (round(panned[1] - zoomed[1]), round(panned[2] - zoomed[2])) == (80, 40)
    assert node_count(driver) == count

    # Expand all shows every op (identical blocks folded), collapse all the top level.
    driver.find_element(By.ID, "expand-all").click()
    assert node_count(driver) == len(build_diagram(graph, "all").nodes)
    driver.find_element(By.ID, "collapse-all").click()
    assert node_count(driver) == len(build_diagram(graph, 1).nodes)

    # The downloadable SVG is the current view, standalone.
    svg = driver.execute_script("return archdslExplorer.svgText()")
    assert svg.startswith("<?xml") and svg.count('class="node"') == node_count(driver)

    assert console(driver) == []
    assert only_local(requested_urls(driver), ("file://", "data:", "blob:")) == []


def test_serve_follows_edits(driver, tmp_path):
    folder = tmp_path / "project"
    shutil.copytree(ROOT / "specs" / "families", folder / "families")
    spec = folder / "resnet18.arch"
    shutil.copy(ROOT / "specs" / "resnet18.arch", spec)
    family = folder / "families" / "resnet.arch"
    process, url = start_server(spec)
    try:
        requested_urls(driver), console(driver)
        driver.get(url)
        wait_for(lambda: driver.execute_script("return document.body.dataset.version") == "1", what="the first check")
        assert node_count(driver) == 13
        assert "11,689,512 params" in driver.find_element(By.ID, "subtitle").text
        assert "conv1" in driver.find_element(By.ID, "summary").text
        ActionChains(driver).move_to_element(node(driver, "layer2")).click().perform()
        wait_for(lambda: node_count(driver) == 14, what="layer2 to open")
        driver.execute_script("window.notReloaded = true")

        # Save a change: the page follows without a reload, and layer2 stays open.
        spec.write_text(spec.read_text().replace("layers=[2, 2, 2, 2]", "layers=[2, 3, 2, 2]"))
        saved = time.monotonic()
        wait_for(lambda: driver.execute_script("return document.body.dataset.version") == "2", what="the edit")
        print(f"page updated {time.monotonic() - saved:.2f} s after the save")
        assert driver.execute_script("return window.notReloaded") is True
        assert "layer2" in driver.execute_script("return archdslExplorer.state()")
        assert "BasicBlock x 2" in driver.find_element(By.CSS_SELECTOR, "#diagram").text  # layer2.1–2
        assert "11,984,936 params" in driver.find_element(By.ID, "subtitle").text
        screenshot(driver, "serve-resnet18.png")

        # A mistake in an imported file: the CLI's diagnostic, the last good diagram dimmed.
        good = family.read_text()
        family.write_text(good.replace("conv(planes, 3, padding=1, bias=false)", "conv(planes, 3, bias=false)", 1))
        diagnostics = driver.find_element(By.ID, "diagnostics")
        wait_for(diagnostics.is_displayed, what="the diagnostic")
        cli = subprocess.run(
            [sys.executable, "-m", "archdsl", "check", str(spec)], check=False, cwd=ROOT, capture_output=True, text=True
        )
        assert cli.returncode == 1
        assert diagnostics.text.strip() == cli.stderr.strip()
        assert "stale" in driver.find_element(By.ID, "canvas").get_attribute("class")
        assert node_count(driver) == 14  # the last good diagram stays
        screenshot(driver, "serve-error.png")

        # Fixed again: the diagnostic goes, the diagram is live again.
        family.write_text(good)
        wait_for(lambda: not diagnostics.is_displayed(), what="the fix")
        assert "stale" not in driver.find_element(By.ID, "canvas").get_attribute("class")
        assert driver.execute_script("return window.notReloaded") is True

        assert console(driver) == []
        assert only_local(requested_urls(driver), (url, "data:", "blob:")) == []
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err
