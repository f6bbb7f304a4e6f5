"""The command line: output, exit codes, no tracebacks, and no torch import for `check`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

# Run this checkout's archdsl even from another folder (an installed archdsl may be a different copy).
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


def run(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archdsl", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=check,
        timeout=300,
        env=ENV,
    )


def test_check_prints_one_line():
    result = run("check", "specs/resnet34.arch")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "resnet34: 3x224x224 -> 1000, 21,797,672 params\n"


def test_check_with_set_and_input():
    result = run("check", "specs/resnet18.arch", "--set", "num_classes=10", "--input", "3x64x64")
    assert result.stdout == "resnet18: 3x64x64 -> 10, 11,181,642 params\n"


def test_check_does_not_import_torch():
    probe = textwrap.dedent("""
        import sys
        from archdsl.cli import app
        try:
            app(["check", "specs/resnet50.arch"])
        except SystemExit as exit:
            assert exit.code in (0, None), exit.code
        assert "torch" not in sys.modules, "check imported torch"
        # networkx (installed with torch) cost 0.25-0.35 s of a cold check before graphlib replaced it
        assert "networkx" not in sys.modules, "check imported networkx"
        print("no torch")
    """)
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("no torch")


@pytest.mark.parametrize(
    "text, where, code",
    [
        ("network n():\n    input 3x8x8\n    conv(4, 3\n    relu\n", "bad.arch:3:9: error[E102]", "E102"),
        ("network n():\n    input 3x8x8\n    convolution(4, 3)\n", "bad.arch:3:5: error[E202]", "E202"),
        ("network n():\n    input 3x8x8\n    y = conv(4, 3)\n    add(y, in)\n", "bad.arch:4:5: error[E401]", "E401"),
    ],
    ids=["syntax", "unknown-op", "channel-mismatch"],
)
def test_user_errors_exit_1_with_caret_and_no_traceback(tmp_path, text, where, code):
    spec = tmp_path / "bad.arch"
    spec.write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "archdsl", "check", "bad.arch"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(where)
    assert "^" in result.stderr and "Traceback" not in result.stderr


def test_usage_error_exits_2():
    result = run("check", "specs/resnet18.arch", "--input", "three")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_unknown_op_suggests_a_fix(tmp_path):
    spec = tmp_path / "typo.arch"
    spec.write_text("network n():\n    input 3x8x8\n    maxpol(2)\n")
    result = subprocess.run(
        [sys.executable, "-m", "archdsl", "check", str(spec)], capture_output=True, text=True, env=ENV
    )
    assert "did you mean `maxpool`?" in result.stderr


def test_compile_writes_a_module_and_prints_a_table(tmp_path):
    out = tmp_path / "model.py"
    result = run("compile", "specs/resnet18.arch", "-o", str(out), "--set", "num_classes=10")
    assert result.returncode == 0, result.stderr
    assert "layer4" in result.stdout and "11,181,642" in result.stdout
    assert "def resnet18(num_classes: int = 10) -> ResNet:" in out.read_text()


def test_compile_never_overwrites_its_input(tmp_path):
    spec = tmp_path / "net.arch"
    spec.write_text("network net():\n    input 3x8x8\n    conv(4, 3)\n")
    result = run("compile", str(spec), "-o", str(spec))
    assert result.returncode == 1 and "refusing to overwrite" in result.stderr
    assert spec.read_text().startswith("network net()")


def test_compile_builds_and_verifies_without_output():
    result = run("compile", "specs/resnet18.arch", "--depth", "1")
    assert result.returncode == 0, result.stderr
    assert "matches the static check" in result.stdout


def test_convert_round_trip(tmp_path):
    result = run("convert", "specs/resnet18.yaml", "--to", "arch")
    assert result.returncode == 0 and "network resnet18(num_classes=1000):" in result.stdout
    arch = tmp_path / "r18.arch"
    arch.write_text(result.stdout)
    assert run("check", str(arch)).stdout == "resnet18: 3x224x224 -> 1000, 11,689,512 params\n"


def test_python_dash_m_and_help():
    result = run("--help")
    assert result.returncode == 0 and "check" in result.stdout and "compile" in result.stdout
