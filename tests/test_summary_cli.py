"""`archdsl summary` and `archdsl compare`: output, formats, exit codes, and no torch without --bench."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap

import pytest

from archdsl.backends.summary import Comparison

from conftest import ROOT


def run(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    # PYTHONPATH: run this checkout's archdsl from any directory, not an installed copy.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "archdsl", *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env
    )


TINY = (
    "network tiny(num_classes=10):\n    input 3x32x32\n    conv(8, 3, padding=1) -> relu -> global_avgpool\n"
    "    flatten\n    fc: linear(num_classes)\n"
)


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.arch"
    path.write_text(TINY)
    return path


def test_summary_prints_rows_and_totals():
    result = run("summary", "specs/resnet34.arch", "--depth", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "resnet34: 3x224x224 -> 1000 (batch 1, float32)"
    assert lines[1].split() == ["name", "op", "output", "params", "%", "params", "MACs", "FLOPs", "activations"]
    assert any(line.startswith("layer3 ") and "6,822,400" in line for line in lines)
    assert "MACs         3,663,761,408 (3.664 G)" in result.stdout
    assert "depth        34 " in result.stdout


def test_summary_formats_and_options():
    as_json = json.loads(
        run(
            "summary", "specs/resnet18.arch", "--format", "json", "--set", "num_classes=10", "--input", "3x64x64"
        ).stdout
    )
    assert as_json["input"] == [3, 64, 64] and as_json["output"] == [10]
    assert as_json["totals"]["params"] == 11_181_642
    rows = list(csv.DictReader(io.StringIO(run("summary", "specs/resnet18.arch", "-f", "csv", "-d", "3").stdout)))
    assert {r["level"] for r in rows} == {"0", "1", "2", "3"} and rows[-1]["name"] == "total"
    markdown = run("summary", "specs/resnet18.arch", "-f", "markdown", "--other-ops").stdout
    assert markdown.startswith("**resnet18: 3x224x224 -> 1000") and "| other ops |" in markdown
    totals_only = run("summary", "specs/resnet18.arch", "--depth", "0").stdout
    assert totals_only.splitlines()[1].startswith("params ")


@pytest.mark.parametrize(
    "args",
    [
        ["summary", "specs/resnet18.arch", "--format", "html"],
        ["summary", "specs/resnet18.arch", "--depth", "-1"],
        ["compare", "specs/resnet18.arch", "--sort", "speed"],
        ["compare", "specs/resnet18.arch", "--sort", "latency"],
        ["compare", "specs/resnet18.arch", "--format", "xml"],
    ],
    ids=["format", "depth", "sort", "latency-without-bench", "compare-format"],
)
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr


def test_spec_errors_exit_1_with_a_caret(tmp_path):
    bad = tmp_path / "bad.arch"
    bad.write_text("network bad():\n    input 3x8x8\n    y = conv(4, 3)\n    add(y, in)\n")
    for command in ("summary", "compare"):
        result = run(command, "bad.arch", cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr.startswith("bad.arch:4:5: error[E401]") and "^" in result.stderr
        assert "Traceback" not in result.stderr


def test_summary_and_compare_do_not_import_torch():
    probe = textwrap.dedent("""
        import sys
        from archdsl.cli import app
        for args in (["summary", "specs/resnet50.arch", "-d", "3", "-f", "json"],
                     ["compare", "specs/resnet18.arch", "specs/resnet50.arch", "--sort", "macs", "-f", "markdown"]):
            try:
                app(args)
            except SystemExit as exit:
                assert exit.code in (0, None), exit.code
        assert "torch" not in sys.modules, "imported torch"
        assert "networkx" not in sys.modules, "imported networkx"  # depth walks graphlib's order
        print("no torch")
    """)
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("no torch")


def test_compare_table_sorting_and_shared_options():
    result = run(
        "compare",
        "specs/resnet50.arch",
        "specs/resnet18.arch",
        "--sort",
        "params",
        "--input",
        "3x64x64",
        "--set",
        "num_classes=10",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["model", "input", "params", "GMACs", "depth", "activations"]
    assert lines[1].split()[:5] == ["resnet18", "3x64x64", "11,181,642", "0.148", "18"]  # fvcore: 148,050,944
    assert lines[2].split()[0] == "resnet50"


def test_compare_markdown_for_notes():
    """The issue's own example: a table ready to paste into notes (figures: DESIGN.md's references)."""
    result = run("compare", "specs/alexnet.arch", "specs/vgg16.arch", "specs/resnet18.arch", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "| model | input | params | GMACs | depth | activations |"
    assert lines[2].startswith("| alexnet | 3x224x224 | 61,100,840 | 0.714 | 8 |")
    assert lines[3].startswith("| vgg16 | 3x224x224 | 138,357,544 | 15.470 | 16 |")
    assert lines[4].startswith("| resnet18 | 3x224x224 | 11,689,512 | 1.814 | 18 |")


def test_compare_bench_measures_latency(tiny):
    result = run(
        "compare", str(tiny), "specs/resnet18.arch", "--input", "3x32x32", "--bench", "--runs", "4", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["threads"] == 1  # the default: one thread, steadier on a shared machine
    assert [r["name"] for r in data["rows"]] == ["tiny", "resnet18"]
    assert all(r["latency_ms"] > 0 and r["latency_iqr_ms"] >= 0 for r in data["rows"])
    table = Comparison.model_validate(data).sorted_by("latency").render("table")
    assert table.splitlines()[0].split()[-4:] == ["CPU", "ms/image", "IQR", "ms"]
    assert table.splitlines()[1].split()[0] == "tiny"  # 8 channels at 32x32 runs faster than ResNet-18
    assert (
        "median and interquartile range (IQR) of the timed runs on this machine's CPU (one thread, the default" in table
    )


def test_compare_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "models.png"
    result = run("compare", "specs/resnet18.arch", "specs/resnet50.arch", "specs/resnet152.arch", "--plot", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out}" in result.stderr


def test_compare_plot_refuses_unknown_formats_and_the_input(tmp_path):
    pytest.importorskip("matplotlib")
    result = run("compare", "specs/resnet18.arch", "--plot", str(tmp_path / "models.xyz"))
    assert result.returncode == 2 and ".png" in result.stderr
    spec = tmp_path / "net.svg"  # an odd name for a spec, but a real one: it must survive
    spec.write_text("network net():\n    input 3x8x8\n    conv(4, 3)\n")
    result = run("compare", str(spec), "--plot", str(spec))
    assert result.returncode == 1 and "refusing to overwrite" in result.stderr
    assert spec.read_text().startswith("network net()")


def test_compare_plot_without_matplotlib_says_what_to_install(tmp_path):
    probe = textwrap.dedent(f"""
        import sys
        sys.modules["matplotlib"] = None  # as if it were not installed
        from archdsl.cli import app
        try:
            app(["compare", "specs/resnet18.arch", "--plot", {str(tmp_path / "x.png")!r}])
        except SystemExit as exit:
            sys.exit(exit.code)
    """)
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "pip install 'archdsl[plot]'" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.png").exists()
