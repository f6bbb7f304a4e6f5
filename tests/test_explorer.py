"""The explorer page and `archdsl serve` without a browser: the model the page draws, the file `draw -o
net.html` writes, what the server will and will not serve, Ctrl-C, and the notebook display methods.
(tests/test_browser.py drives the same pages in Chromium.)"""

from __future__ import annotations

import http.client
import json
import re
import signal

import pytest
from headless import start_server
from typer.testing import CliRunner

import archdsl
from archdsl.backends.diagram import build_diagram
from archdsl.cli import app
from archdsl.explorer.model import explorer_model

MAX_BYTES = 3_000_000  # the issue's limit for resnet152's page


def run_cli(*args: str):
    """The command line, in this process (the same code as `python -m archdsl`, without its start-up)."""
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("spec", ["resnet50", "densenet121", "googlenet", "efficientnet_b0", "mobilenet_v2"])
def test_model_is_consistent(spec):
    checked = archdsl.check(f"specs/{spec}.arch")
    model = explorer_model(checked)
    units, nodes = model["units"], model["nodes"]
    assert units[""]["parent"] is None
    for unit_id, unit in units.items():
        if unit_id:
            assert unit["parent"] in units and "closed" in unit, unit_id
        assert all(node in nodes for node in unit["nodes"])
    # Every op sits in exactly one unit, and the edges join ops the model knows.
    placed = [node for unit in units.values() for node in unit["nodes"]]
    assert sorted(placed) == sorted(nodes)
    assert all(source in nodes and target in nodes for source, target, _, _ in model["edges"])
    # The page starts as the static diagram does: the units around its nodes are open, no other.
    default = build_diagram(checked.graph, "auto")
    assert set(model["open"]) <= set(units)
    for node in default.nodes:
        if node.id in units:  # a closed block in the static diagram is closed on the page
            assert node.id not in model["open"]
    json.dumps(model)  # plain JSON


def test_draw_html_is_self_contained(tmp_path):
    out = tmp_path / "resnet152.html"
    result = run_cli("draw", "specs/resnet152.arch", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"wrote {out}: resnet152, interactive")
    html = out.read_text(encoding="utf-8")
    assert len(html.encode("utf-8")) <= MAX_BYTES
    # Nothing to fetch: no src or href but the empty data: icon, no fetch or XHR, the licence of dagre inside.
    assert re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html) == ["data:,"]
    assert "fetch(" not in html and "XMLHttpRequest" not in html and "import(" not in html
    assert "Copyright (c) 2012-2014 Chris Pettitt" in html
    model = json.loads(
        re.search(r'<script id="archdsl-model" type="application/json">(.*?)</script>', html, re.DOTALL)[1]
    )
    assert model["title"] == "resnet152" and model["subtitle"].startswith("60,192,808 params")


def test_draw_html_options_and_errors(tmp_path):
    out = tmp_path / "r18.html"
    assert run_cli("draw", "specs/resnet18.arch", "-o", str(out), "--expand", "layer2").exit_code == 0
    html = out.read_text(encoding="utf-8")
    model = json.loads(re.search(r'type="application/json">(.*?)</script>', html, re.DOTALL)[1])
    assert "layer2" in model["open"]
    bad = tmp_path / "bad.arch"
    bad.write_text("network bad():\n    input 3x8x8\n    y = conv(4, 3)\n    add(y, in)\n")
    result = run_cli("draw", str(bad), "-o", str(tmp_path / "bad.html"))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert re.match(rf"{re.escape(str(bad))}:4:5: error\[E401\]", result.stderr), result.stderr
    assert not (tmp_path / "bad.html").exists()
    result = run_cli("draw", "specs/resnet18.arch", "-o", str(tmp_path / "x.html"), "--expand", "layer9")
    assert result.exit_code == 2 and "layer9" in result.stderr


def raw_get(url: str, path: str) -> tuple[int, bytes]:
    """GET with the path sent exactly as written (no client-side normalising of `..`)."""
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


@pytest.mark.slow
def test_serve_only_the_spec_folder_and_ctrl_c(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    spec = folder / "net.arch"
    spec.write_text('"""A tiny net."""\nnetwork net:\n    input 3x8x8\n    conv(4, 3, padding=1)\n    relu\n')
    (tmp_path / "secret.txt").write_text("outside the spec folder")
    (folder / "link.txt").symlink_to(tmp_path / "secret.txt")
    process, url = start_server(spec)
    try:
        assert url.startswith("http://127.0.0.1:")
        status, body = raw_get(url, "/")
        assert status == 200 and b"archdsl-model" in body and b"new EventSource(" in body
        assert raw_get(url, "/net.arch") == (200, spec.read_bytes())
        for path in (
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/..%2fsecret.txt",
            "//etc/passwd",
            "/link.txt",
            "/../../../../etc/passwd",
            "/nothing.arch",
            "/%00",
        ):
            assert raw_get(url, path)[0] == 404, path
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0 and out.strip().endswith("stopped") and "Traceback" not in err


def test_notebook_display_methods():
    checked = archdsl.check("specs/resnet18.arch")
    drawing = archdsl.draw(checked)
    html = drawing._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "&lt;script" in html and "<script" not in html
    assert drawing._repr_svg_().lstrip().startswith(("<?xml", "<svg"))
    summary = archdsl.summary(checked, depth=1)._repr_html_()
    assert "<table" in summary and "11,689,512" in summary and "layer4" in summary
    comparison = archdsl.compare([checked, "specs/lenet5.arch"])._repr_html_()
    assert comparison.count("<tr>") == 3 and "61,706" in comparison
