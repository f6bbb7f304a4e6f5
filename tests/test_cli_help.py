"""The CLI's help reads as click's does: no `<bool>` on flags, arguments in capitals; `--version` works."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from archdsl import __version__
from archdsl.cli import app

COMMANDS = ["check", "compile", "summary", "compare", "convert", "draw"]


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)], ids=["archdsl", *COMMANDS])
def test_help_has_no_bool_metavars_and_no_braced_arguments(command):
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    usage = next(line for line in result.output.splitlines() if "Usage:" in line)
    assert not re.search(r"\{\w+\}", usage), usage
    if command:
        assert re.search(r"\[OPTIONS\] [A-Z]+", usage), usage  # `SPEC`, `SPECS...`


def test_version_flag_prints_the_version_and_exits():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"archdsl {__version__}"
