"""The error corpus: every bad spec in tests/errors/ and the exact diagnostic archdsl prints for it.

Each `NAME.arch` / `NAME.yaml` holds one realistic mistake (a first-line `# args: ...` adds options).
`NAME.expected` is its golden output: what `archdsl check` writes, then `[exit N]`. Regenerate with
ARCHDSL_ACCEPT=1 after a deliberate change to a message, and read the diff.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archdsl.cli import app
from archdsl.errors import CODES

from conftest import ACCEPT, ROOT

CORPUS = Path(__file__).resolve().parent / "errors"
CASES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".arch", ".yaml"))
DIAGNOSTIC = re.compile(r"^(?:(\S+?):(\d+):(\d+): )?(error|warning)\[([EW]\d{3})\]: ", re.M)


def run_check(path: Path) -> tuple[str, int]:
    """`archdsl check PATH [args]` in-process, from the repository root (paths in messages stay short)."""
    first = path.read_bytes().decode("utf-8", "replace").splitlines()[0]
    args = shlex.split(first.split(":", 1)[1]) if first.startswith("# args:") else []
    result = CliRunner().invoke(app, ["check", str(path.relative_to(ROOT)), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    output = result.stderr + (f"[stdout] {result.stdout}" if result.stdout else "")
    return output.rstrip("\n") + f"\n[exit {result.exit_code}]\n", result.exit_code


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_corpus_case(path):
    output, exit_code = run_check(path)
    assert "Traceback" not in output
    found = DIAGNOSTIC.findall(output)
    assert found, output
    assert all(code in CODES for *_, code in found), output
    warning_only = all(severity == "warning" for *_, severity, _ in found)
    assert exit_code == (0 if warning_only else 1)
    # Every diagnostic about this file is located, and its caret is drawn.
    assert all(line and col for where, line, col, *_ in found if where.endswith(path.name)), output
    golden = path.with_suffix(".expected")
    if ACCEPT:
        golden.write_text(output, encoding="utf-8")
    assert golden.exists(), f"missing {golden.name}; run with ARCHDSL_ACCEPT=1 to create it"
    assert output == golden.read_text(encoding="utf-8"), (
        f"{path.name}: the diagnostic changed; rerun with ARCHDSL_ACCEPT=1 if intended"
    )


def test_corpus_is_large_and_covers_the_issue():
    assert len(CASES) >= 40
    codes = {code for path in CASES for *_, code in DIAGNOSTIC.findall(path.with_suffix(".expected").read_text())}
    required = {
        "E100",
        "E101",
        "E102",
        "E103",
        "E106",
        "E201",
        "E202",
        "E203",
        "E204",
        "E205",
        "E206",
        "E207",
        "E208",
        "E209",
        "E301",
        "E302",
        "E401",
        "E402",
        "E403",
        "E404",
        "E501",
        "E601",
        "E604",
        "E702",
        "E703",
        "W501",
    }
    assert required <= codes, sorted(required - codes)


def test_no_golden_without_a_case():
    cases = {p.stem for p in CASES}
    assert {p.stem for p in CORPUS.glob("*.expected")} <= cases


def test_docs_examples_are_the_corpus_outputs():
    """docs/errors.md quotes corpus cases; its spec and output blocks must be the files' current text."""
    docs = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    quoted = re.findall(r"From `tests/errors/([^`]+)`:\n\n```\w*\n(.*?)\n```\n\n```console\n(.*?)\n```", docs, re.S)
    assert len(quoted) >= 35
    for name, spec, output in quoted:
        path = CORPUS / name
        assert spec == path.read_bytes().decode("utf-8", "replace").rstrip("\n"), name
        golden = path.with_suffix(".expected").read_text(encoding="utf-8")
        shown = "\n".join(line for line in golden.splitlines() if not line.startswith(("[exit", "[stdout]")))
        assert output == shown, f"docs/errors.md shows an old output for {name}"
