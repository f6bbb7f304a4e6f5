"""Diagnostics: several errors per run without cascades, JSON output, exit codes, the minimum-input hint,
and docs/errors.md listing every code. (tests/test_errors_corpus.py holds the rendered goldens.)"""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

import archdsl
from archdsl import cli
from archdsl.cli import app
from archdsl.errors import CODES, MAX_ERRORS, ArchError, ErrorGroup, flatten

from conftest import ROOT

NET = "network n(c=16):\n    input 3x32x32\n"


def errors_of(text: str) -> list[ArchError]:
    with pytest.raises(ArchError) as info:
        archdsl.check(text)
    return flatten(info.value)


def where(errors: list[ArchError]) -> list[tuple[int, int, str]]:
    return [(e.span.line, e.span.col, e.code) for e in errors]


def test_independent_errors_are_all_reported_in_source_order():
    errors = errors_of(
        NET + "    conv(c, 3, strid=2)\n    y = in -> conv(c, 1)\n    z = in -> maxpol(2)\n    fc: linear(num_clases)\n"
    )
    assert where(errors) == [(3, 16, "E203"), (5, 15, "E202"), (6, 16, "E201")]


def test_a_failed_statement_does_not_cascade():
    # `y` fails; everything computed from it is skipped silently, unrelated statements are still checked.
    errors = errors_of(
        NET + "    y = in -> conv(c, 3, bais=false)\n    z = y -> relu\n    add(y, z)\n"
        "    w = in -> conv(c, 3, groups=5)\n"
    )
    assert where(errors) == [(3, 26, "E203"), (6, 15, "E403")]


def test_a_failed_assignment_leaves_the_flow_alone():
    # An assignment never moves the flow (ir/flow.py), so its failure does not hide mistakes in the
    # statements that continue the flow: before, `conv(c, 0)` went unreported.
    errors = errors_of(NET + "    y = in -> conv(c, 3, bais=false)\n    conv(c, 5, stride=3) -> maxpool(20)\n")
    assert where(errors) == [(3, 26, "E203"), (4, 29, "E404")]


def test_a_mistake_in_a_block_used_many_times_is_reported_once():
    text = (
        "block B(c):\n    conv(c, 3, padding=1, bais=false)\n"
        "network n():\n    input 3x32x32\n    B(8)\n    B(16) x 5\n    B(32)\n"
    )
    errors = errors_of(text)
    assert where(errors) == [(2, 27, "E203")]
    assert errors[0].notes[0].message == "in B(c=8), input 3x32x32"


def test_failed_conditions_and_loops_poison_what_they_define():
    text = (
        NET + "    skip = in\n    if c > nope:\n        skip = in -> conv(c, 1)\n    add(skip, in)\n"
        "    for i in range(bad):\n        stage{i}: relu\n    stage0 -> relu\n    conv(c, 0)\n"
    )
    errors = errors_of(text)
    # Nothing about `add` or `stage0`; the arguments of a layer whose input failed are still checked.
    assert where(errors) == [(4, 12, "E201"), (7, 20, "E201"), (10, 13, "E302")]


def test_use_before_definition_is_reported_as_a_cycle():
    errors = errors_of(NET + "    a = in -> conv(c, 1)\n    add(a, b)\n    b = a -> relu\n")
    assert where(errors) == [(4, 12, "E501")] and "used before it is defined (at 5:5)" in errors[0].message


def test_error_count_is_capped():
    body = "".join(f"    y{i} = in -> conv(c, 3, strid=2)\n" for i in range(MAX_ERRORS + 10))
    with pytest.raises(ErrorGroup) as info:
        archdsl.check(NET + body)
    assert len(info.value.errors) == MAX_ERRORS and info.value.truncated
    assert str(info.value).endswith(f"{MAX_ERRORS} errors; stopped after the first {MAX_ERRORS}")


def test_several_syntax_errors_in_one_run():
    text = "block B(c)\n    conv(c, 3 padding=1)\nnetwork n():\n    input 3x8x8\n    B(3) relu\n    fc: linear(10]\n"
    errors = errors_of(text)
    assert where(errors) == [(1, 11, "E106"), (2, 15, "E106"), (5, 10, "E106"), (6, 18, "E102")]


def test_spatial_collapse_names_the_smallest_input():
    errors = errors_of("network n():\n    input 3x64x64\n    conv(8, 3, stride=2, padding=1)\n    maxpool(2) x 6\n")
    assert where(errors) == [(4, 5, "E404")]
    assert errors[0].message == "`maxpool` reduces 1x1 to 0x0; this network needs inputs of at least 127x127"
    assert "--input 3x127x127" in errors[0].hint
    assert archdsl.check(
        "network n():\n    input 3x127x127\n    conv(8, 3, stride=2, padding=1)\n    maxpool(2) x 6\n"
    ).output_shape == (8, 1, 1)


def test_merge_errors_name_both_producers_and_a_fix():
    (error,) = errors_of(
        NET + "    a = in -> conv(64, 3, stride=2, padding=1)\n    b = in -> conv(32, 1)\n    add(a, b)\n"
    )
    assert error.message == "`add` cannot combine 64x16x16 (from `a`, 3:5) with 32x32x32 (from `b`, 4:5)"
    assert [n.message for n in error.notes] == ["`a` is 64x16x16", "`b` is 32x32x32"]
    assert "`conv(64, 1, stride=2, bias=false) -> batchnorm`" in error.hint


# ----------------------------------------------------------------------------------------------
# the command line
# ----------------------------------------------------------------------------------------------


def test_json_diagnostics_for_errors(tmp_path):
    spec = tmp_path / "bad.arch"
    spec.write_text(NET + "    conv(c, 3, strid=2)\n    fc: linear(num_clases)\n")
    result = CliRunner().invoke(app, ["check", str(spec), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["truncated"] is False
    first, second = report["diagnostics"]
    assert (first["code"], first["line"], first["col"], first["end_col"]) == ("E203", 3, 16, 23)
    assert first["severity"] == "error" and first["path"] == str(spec) and first["hint"] == "did you mean `stride`?"
    assert (second["code"], second["line"]) == ("E201", 4)


def test_json_output_on_success_carries_warnings():
    result = CliRunner().invoke(app, ["check", "tests/errors/warning_unused_value.arch", "-f", "json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["output"] == [32, 32, 32]
    (warning,) = report["diagnostics"]
    assert (warning["severity"], warning["code"], warning["line"], warning["col"]) == ("warning", "W501", 5, 20)


@pytest.mark.parametrize(
    "args",
    [
        ["check", "specs/resnet18.arch", "--format", "xml"],
        ["check", "specs/resnet18.arch", "--input", "3x0x8"],
        ["check", "specs/resnet18.arch", "--set", "layers"],
        ["check", "specs/resnet18.arch", "--max-params", "0"],
        ["check"],
        ["frobnicate", "specs/resnet18.arch"],
    ],
)
def test_usage_errors_exit_2(args):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_missing_spec_is_a_user_error():
    result = CliRunner().invoke(app, ["check", "specs/nope.arch"])
    assert result.exit_code == 1 and result.stderr.startswith("error[E100]: no such spec file: specs/nope.arch")


def test_a_bug_in_archdsl_exits_3_and_says_so(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(archdsl.api, "check", broken)
    monkeypatch.setattr("sys.argv", ["archdsl", "check", "specs/resnet18.arch"])
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 3
    assert "internal error (a bug in archdsl, not in your spec)" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# docs/errors.md
# ----------------------------------------------------------------------------------------------


def test_docs_list_every_code_with_an_example_and_a_fix():
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### ([EW]\d{3})\b(.*?)(?=^### |^## |\Z)", text, re.M | re.S))
    assert set(sections) == set(CODES), sorted(set(sections) ^ set(CODES))
    for code, body in sections.items():
        assert "```" in body, f"{code} has no example"
        assert re.search(r"\*\*Fix", body), f"{code} has no fix"
