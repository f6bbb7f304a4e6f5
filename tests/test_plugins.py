"""`--plugin` (issue 12): the worked example of docs/plugins.md, run as written through the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

DOC = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


def _example(tmp_path):
    """docs/plugins.md's plugin and spec, written to files as a reader would save them."""
    (tmp_path / "my_ops.py").write_text(re.search(r"```python\n(.*?)```", DOC, re.S).group(1))
    (tmp_path / "tiny.arch").write_text(re.search(r"```archdsl\n(.*?)```", DOC, re.S).group(1))


def _archdsl(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "archdsl", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, check=False)


@pytest.mark.slow  # four processes, two of them import torch: about 14 s on 2 busy cores
def test_the_documented_plugin_checks_compiles_and_runs(tmp_path):
    _example(tmp_path)
    checked = _archdsl(tmp_path, "check", "tiny.arch", "--plugin", "my_ops.py")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == "Tiny: 3x32x32 -> 10, 5,466 params"
    assert "Tiny: 3x32x32 -> 10, 5,466 params" in DOC

    built = _archdsl(tmp_path, "compile", "tiny.arch", "--plugin", "my_ops.py")  # builds it and runs it once
    assert built.returncode == 0, built.stderr
    assert "5,466 params; forward 1x3x32x32 -> 1x10 matches the static check" in built.stdout

    written = _archdsl(tmp_path, "compile", "tiny.arch", "--plugin=my_ops.py", "-o", "out/tiny.py")
    assert written.returncode == 0, written.stderr
    (tmp_path / "my_ops.py").unlink()  # the generated file holds the module class: it needs torch only
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import torch, tiny; m = tiny.Tiny(); print(tuple(m(torch.ones(2, 3, 32, 32)).shape),"
            " sum(p.numel() for p in m.parameters()), m.scale_bias_1.weight.flatten()[0].item())",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path / "out",
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["(2,", "10)", "5466", "0.5"]


def test_plugin_errors_and_the_attr_form(tmp_path):
    _example(tmp_path)
    missing = _archdsl(tmp_path, "check", "tiny.arch")
    assert missing.returncode == 1 and "tiny.arch:3:43: error[E201]: unknown name `scale_bias`" in missing.stderr
    absent = _archdsl(tmp_path, "summary", "tiny.arch", "--plugin", "nope.py")
    assert absent.returncode == 1 and absent.stderr.startswith("error[E220]: plugin file `nope.py` not found")
    (tmp_path / "more_ops.py").write_text(
        "from archdsl import OpDef\n"
        "OPS = [OpDef(name='twice', family='other', args=(), shape=lambda a, i: i[0])]\n"
        "def broken():\n    raise RuntimeError('no GPU here')\n"
    )
    (tmp_path / "net.arch").write_text("network N():\n    input 3x8x8\n    conv(4, 3) -> twice -> scale_bias\n")
    both = _archdsl(tmp_path, "check", "net.arch", "--plugin", "my_ops.py", "--plugin", "more_ops.py:OPS")
    assert both.returncode == 0 and both.stdout.strip() == "N: 3x8x8 -> 4x6x6, 120 params", both.stderr
    failing = _archdsl(tmp_path, "draw", "net.arch", "--plugin", "more_ops.py:broken")
    assert failing.returncode == 1, failing.stderr
    assert failing.stderr.startswith("error[E220]: plugin `more_ops.py:broken` failed while loading: RuntimeError")
    assert "help: raised at more_ops.py:4" in failing.stderr and "Traceback" not in failing.stderr
