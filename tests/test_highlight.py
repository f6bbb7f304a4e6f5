"""The Pygments lexer: every shipped spec lexes without an error token, through the registered entry point."""

from __future__ import annotations

import importlib

import pytest
import tomllib
from pygments.token import Comment, Error, Keyword, Name, Number, Punctuation

from archdsl.highlight import ArchdslLexer

from conftest import ROOT, SPECS

ARCH_FILES = sorted(SPECS.rglob("*.arch"))


@pytest.mark.parametrize("spec", ARCH_FILES, ids=lambda p: str(p.relative_to(SPECS)))
def test_every_spec_lexes_without_errors(spec):
    text = spec.read_text(encoding="utf-8")
    tokens = list(ArchdslLexer().get_tokens(text))
    assert [value for kind, value in tokens if kind in Error] == []
    assert "".join(value for _, value in tokens) == (text if text.endswith("\n") else text + "\n")


def test_tokens_of_a_line():
    tokens = [(k, v) for k, v in ArchdslLexer().get_tokens("    conv1: conv(64, 7) x 2  # c\n") if v.strip()]
    assert tokens == [
        (Name.Label, "conv1"),
        (Punctuation, ":"),
        (Name.Function, "conv"),
        (Punctuation, "("),
        (Number, "64"),
        (Punctuation, ","),
        (Number, "7"),
        (Punctuation, ")"),
        (Keyword, "x"),
        (Number, "2"),
        (Comment.Single, "# c"),
    ]


def test_declared_as_a_pygments_plugin():
    """pyproject's `pygments.lexers` entry point names this lexer (pygmentize finds it once installed)."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    target = declared["project"]["entry-points"]["pygments.lexers"]["archdsl"]
    module, _, attr = target.partition(":")
    assert getattr(importlib.import_module(module), attr) is ArchdslLexer
