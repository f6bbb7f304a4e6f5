"""The public API's contracts: one channel for network parameters, built-in ops that a plugin cannot
switch off, and output files written alike by the CLI and by Python."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import archdsl
from archdsl.files import write_atomic

from conftest import ROOT

EFFICIENTNET = "specs/efficientnet_b0.arch"


def test_register_op_before_the_first_check_keeps_the_builtins():
    # A fresh interpreter: in this one, earlier tests have long since loaded the built-in ops.
    code = (
        "import archdsl\n"
        "archdsl.register_op(archdsl.OpDef(name='my_scale', family='other', args=(), shape=lambda a, i: i[0]))\n"
        "g = archdsl.check('network n():\\n    input 3x8x8\\n    conv(4, 3) -> my_scale -> relu\\n').graph\n"
        "print([node.op for _, node in g.ops()])\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        check=False,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "['conv2d', 'my_scale', 'relu']"


def test_a_user_op_named_like_a_builtin_is_refused_before_the_first_check():
    code = (
        "import archdsl\n"
        "archdsl.register_op(archdsl.OpDef(name='conv', family='other', args=(), shape=lambda a, i: i[0]))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        check=False,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 1 and "op `conv` is already registered" in run.stderr


def test_network_parameters_go_only_through_params():
    # EfficientNet has a network parameter called `depth`; summary and draw have an option `depth`.
    deeper = archdsl.check(EFFICIENTNET, {"depth": 2.0})
    assert deeper.graph.params["depth"] == 2.0
    assert deeper.total_params > archdsl.check(EFFICIENTNET).total_params
    assert archdsl.summary(EFFICIENTNET, {"depth": 2.0}, depth=0).totals.params == deeper.total_params
    assert archdsl.draw(EFFICIENTNET, {"depth": 2.0}, depth=1).diagram is not None
    for call in (archdsl.check, archdsl.emit, archdsl.build, archdsl.summary, archdsl.compare, archdsl.draw):
        with pytest.raises(TypeError, match="num_classes"):
            call([EFFICIENTNET] if call is archdsl.compare else EFFICIENTNET, num_classes=10)


def test_a_checked_spec_cannot_take_parameters_again():
    checked = archdsl.check("specs/lenet5.arch")
    with pytest.raises(TypeError, match="already bound"):
        archdsl.summary(checked, {"num_classes": 3})


def test_drawings_and_cli_outputs_get_the_same_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        drawing = archdsl.draw("specs/lenet5.arch").save(tmp_path / "net.dot")
        written = write_atomic(tmp_path / "out" / "net.py", "x = 1\n")
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "archdsl",
                "convert",
                "specs/lenet5.arch",
                "--to",
                "yaml",
                "-o",
                str(tmp_path / "cli.yaml"),
            ],
            capture_output=True,
            check=False,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    finally:
        os.umask(umask)
    assert run.returncode == 0, run.stderr
    modes = {path.name: path.stat().st_mode & 0o777 for path in (drawing, written, tmp_path / "cli.yaml")}
    assert modes == {"net.dot": 0o644, "net.py": 0o644, "cli.yaml": 0o644}
    assert written.read_text() == "x = 1\n" and not list((tmp_path / "out").glob(".*.tmp"))
