"""Memory before allocation: `check` warns (W606), `compile` and `build` refuse (E606), exit 1, never exit 3.

Available memory is patched to a known figure, so the tests decide the same on any machine and never
allocate the large models they describe.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import archdsl
import archdsl.memory
from archdsl.cli import app
from archdsl.errors import ArchError

HUGE = "network t():\n    input 64\n    fc: linear(100000000)\n"  # 6.5 x 10^9 params, 26 GB of weights
MEDIUM = "network t():\n    input 64\n    fc: linear(2000000)\n"  # 1.3 x 10^8 params, 520 MB of weights


@pytest.fixture
def small_machine(monkeypatch):
    """A machine with 256 MB available."""
    monkeypatch.setattr(archdsl.memory, "available_bytes", lambda meminfo=None: 256 * 10**6)


def write(tmp_path, text):
    path = tmp_path / "t.arch"
    path.write_text(text)
    return str(path)


def test_meminfo_is_read_in_bytes(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       32000000 kB\nMemFree:  1000 kB\nMemAvailable:   22366940 kB\n")
    assert archdsl.memory.available_bytes(meminfo) == 22366940 * 1024
    assert archdsl.memory.available_bytes(tmp_path / "absent") is None


def test_default_max_params_stops_a_typo_before_anything(tmp_path):
    result = CliRunner().invoke(app, ["compile", write(tmp_path, HUGE)])
    assert result.exit_code == 1, result.output
    assert "t.arch:3:9: error[E604]: the network has more than 1,000,000,000 parameters" in result.stderr
    assert "internal error" not in result.stderr


def test_compile_refuses_what_does_not_fit(tmp_path, small_machine):
    result = CliRunner().invoke(app, ["compile", write(tmp_path, HUGE), "--max-params", str(10**10)])
    assert result.exit_code == 1, result.output
    assert "t.arch:3:9: error[E606]: t needs 26.4 GB (26.0 GB of weights and 400 MB of activations" in result.stderr
    assert "more than the 256 MB of memory available here" in result.stderr
    assert "internal error" not in result.stderr and "built t" not in result.stdout


def test_check_warns_and_succeeds(tmp_path, small_machine):
    result = CliRunner().invoke(app, ["check", write(tmp_path, MEDIUM)])
    assert result.exit_code == 0, result.output
    assert "t.arch:3:9: warning[W606]: t needs 528 MB" in result.stderr
    assert "`compile` would refuse to build it" in result.stderr
    result = CliRunner().invoke(app, ["check", write(tmp_path, MEDIUM), "--format", "json"])
    assert '"code": "W606"' in result.stdout


def test_build_refuses_on_the_cpu(tmp_path, small_machine):
    with pytest.raises(ArchError) as info:
        archdsl.build(write(tmp_path, MEDIUM))
    assert info.value.code == "E606" and info.value.span.line == 3


def test_what_fits_passes(tmp_path):
    checked = archdsl.check(write(tmp_path, MEDIUM))
    assert archdsl.memory.memory_problem(checked, forward=True, available=10**9) is None
    problem = archdsl.memory.memory_problem(checked, forward=False, available=500 * 10**6)
    assert problem is not None and "520 MB of weights;" in problem.message


def test_compare_bench_refuses_without_internal_error(tmp_path, small_machine):
    result = CliRunner().invoke(app, ["compare", write(tmp_path, MEDIUM), "--bench", "--runs", "1"])
    assert result.exit_code == 1, result.output
    assert "error[E606]" in result.stderr and "internal error" not in result.stderr
