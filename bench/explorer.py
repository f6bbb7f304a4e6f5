"""The explorer's page size for every spec (the goal: resnet152 at most 3 MB), and how long `archdsl serve`
takes from a save to the new model reaching a page.

    python bench/explorer.py                 # page sizes of specs/*, then 5 timed saves of resnet50
    python bench/explorer.py --saves 10
    python bench/explorer.py --browser       # and the time of "expand all" in headless Chromium

Sizes: `explorer_html` for each spec at the default depth, in bytes of UTF-8 (the file `archdsl draw SPEC
-o net.html` writes), with the time to make it after the check. Latency: a copy of resnet50 and its
family file in a temporary folder, served on a free port; a client reads the event stream as the page
does; each save changes `num_classes` and is timed until its event arrives (watchfiles' debounce, the
check, the model and the push). Exits 1 if a page is over 3 MB or the median latency is over 2 s.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_BYTES = 3_000_000
MAX_LATENCY_S = 2.0


def page_sizes() -> int:
    sys.path.insert(0, str(ROOT))
    import archdsl
    from archdsl.explorer import explorer_html

    largest = 0
    for spec in sorted([*(ROOT / "specs").glob("*.arch"), *(ROOT / "specs").glob("*.yaml")]):
        checked = archdsl.check(spec)
        start = time.perf_counter()
        size = len(explorer_html(checked).encode("utf-8"))
        print(f"{spec.name:28} {size / 1e3:8,.0f} kB  {time.perf_counter() - start:5.2f} s")
        largest = max(largest, size)
    print(f"largest page: {largest / 1e6:.2f} MB (goal: at most {MAX_BYTES / 1e6:.0f} MB)")
    return largest


def next_event(stream) -> bytes:
    """One server-sent event's data line."""
    while True:
        line = stream.readline()
        if line.startswith(b"data: "):
            return line


def serve_latency(saves: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(ROOT / "specs" / "families", Path(folder) / "families")
        spec = Path(folder) / "resnet50.arch"
        shutil.copy(ROOT / "specs" / "resnet50.arch", spec)
        server = subprocess.Popen(
            [sys.executable, "-m", "archdsl", "serve", str(spec), "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            port = int(server.stdout.readline().split("127.0.0.1:")[1].split("/")[0])
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/_archdsl/events")
            stream = connection.getresponse()
            next_event(stream)  # the current state
            text = spec.read_text()
            latencies = []
            for i in range(saves):
                time.sleep(0.5)  # let the watcher settle, as between a person's saves
                start = time.perf_counter()
                spec.write_text(text.replace("ResNet(", f"ResNet(num_classes={10 + i}, ", 1))
                next_event(stream)
                latencies.append(time.perf_counter() - start)
            connection.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    median = statistics.median(latencies)
    print(
        f"serve: save -> event, {saves} saves: median {median:.2f} s, max {max(latencies):.2f} s "
        f"(goal: within {MAX_LATENCY_S:.0f} s)"
    )
    return median


def expand_all_times(specs: list[str]) -> None:
    """In headless Chromium (tests/headless.py): the time of "expand all" (the layout of every op) per spec."""
    sys.path.insert(0, str(ROOT / "tests"))
    from headless import chromium, wait_for

    import archdsl
    from archdsl.explorer import explorer_html

    with tempfile.TemporaryDirectory() as folder, chromium() as driver:
        driver.set_script_timeout(600)
        for name in specs:
            page = Path(folder) / f"{name}.html"
            page.write_text(explorer_html(archdsl.check(ROOT / "specs" / f"{name}.arch")), encoding="utf-8")
            driver.get(page.as_uri())
            wait_for(lambda: driver.execute_script("return document.body.dataset.nodes"), 60)
            ms, nodes = driver.execute_script(
                "const t = performance.now(); archdslExplorer.expandAll();"
                "return [performance.now() - t, document.body.dataset.nodes]"
            )
            print(f"expand all, {name:16} {nodes:>5} nodes  {ms / 1e3:6.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=5, help="timed saves for the serve latency")
    parser.add_argument(
        "--browser",
        nargs="*",
        metavar="SPEC",
        default=None,
        help="also time 'expand all' in headless Chromium for these specs (names in specs/; "
        "default: resnet152 googlenet densenet201)",
    )
    args = parser.parse_args()
    largest = page_sizes()
    median = serve_latency(args.saves)
    if args.browser is not None:
        expand_all_times(args.browser or ["resnet152", "googlenet", "densenet201"])
    return 0 if largest <= MAX_BYTES and median <= MAX_LATENCY_S else 1


if __name__ == "__main__":
    sys.exit(main())
