"""The VS Code extension's TextMate grammar tokenises every shipped spec with no unmatched text, run by Node
with vscode-textmate and vscode-oniguruma (editors/vscode/test/grammar.test.js). Needs Node and
`npm ci` in editors/vscode (.ci/run does it); skipped with a message otherwise."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import ROOT, SPECS

EXTENSION = ROOT / "editors" / "vscode"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed: the VS Code grammar test needs node (and `npm ci` in editors/vscode)")
    if not (EXTENSION / "node_modules" / "vscode-textmate").is_dir():
        pytest.skip("run `npm ci` in editors/vscode to test the VS Code grammar (vscode-textmate, vscode-oniguruma)")
    return node


def _tokenise(*paths: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_node(), "test/grammar.test.js", *paths],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_grammar_matches_every_shipped_spec():
    result = _tokenise(str(SPECS))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["files"] == len(list(SPECS.rglob("*.arch"))) and summary["unmatched"] == 0


def test_grammar_test_reports_text_it_cannot_match(tmp_path):
    odd = tmp_path / "odd.arch"
    odd.write_text("network N():\n    input 3x8x8\n    conv(4, 3) @ $\n", encoding="utf-8")
    result = _tokenise(str(odd))
    assert result.returncode == 1
    assert f'{odd}:3:15: no scope for " @ $"' in result.stderr
