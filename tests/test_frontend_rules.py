"""Front end, v2: the compiled and the pure parser agree to the span, and each language fact is written once."""

from __future__ import annotations

import pytest

from archdsl.errors import ArchError, ParseError
from archdsl.frontend import parser
from archdsl.frontend import syntax as ast
from archdsl.frontend.syntax_rules import KEYWORDS
from archdsl.frontend.unparse import expr
from archdsl.source import Source

from conftest import ROOT, SPECS

ARCH_FILES = sorted([*SPECS.glob("**/*.arch"), *(ROOT / "tests" / "errors").glob("*.arch")])


def _dump(node: object) -> object:
    """A node with its spans: AST equality leaves spans out, and this test is about them."""
    if isinstance(node, tuple):
        return [_dump(item) for item in node]
    if isinstance(node, ast.Node):
        span = node.span
        where = None if span is None else (span.line, span.col, span.end_line, span.end_col, span.path)
        return type(node).__name__, where, {k: _dump(v) for k, v in node.__dict__.items() if k != "span"}
    return node


def _outcome(source: Source) -> object:
    try:
        return _dump(parser.parse(source))
    except ArchError as error:
        return str(error)


def test_compiled_and_pure_parsers_agree_on_every_spec_and_error_file(monkeypatch):
    pytest.importorskip("lark_cython")
    sources = [Source(text=path.read_text(encoding="utf-8", errors="replace"), path=str(path)) for path in ARCH_FILES]
    monkeypatch.setattr(parser, "COMPILED_PARSER_MIN_CHARS", 0)
    compiled = [_outcome(source) for source in sources]
    monkeypatch.setattr(parser, "_fast", lambda: None)
    pure = [_outcome(source) for source in sources]
    assert len(sources) > 100
    for source, a, b in zip(sources, compiled, pure):
        assert a == b, source.path


def test_an_error_found_while_building_waits_for_the_syntax_errors_before_it():
    text = "network n():\n    input 3x8x8\n    class = relu\n    conv(3,,)\n"
    with pytest.raises(ParseError) as info:  # line 3 is well-formed but uses a Python keyword
        parser.parse(Source(text=text, path="t.arch"))
    assert (info.value.span.line, info.value.span.col, info.value.code) == (4, 12, "E101")


def test_brackets_nested_past_the_limit_are_an_error_at_the_first_one_too_many():
    text = "network n():\n    input 3x8x8\n    conv(" + "(" * 300 + "3" + ")" * 300 + ", 1)\n"
    with pytest.raises(ArchError) as info:  # the 201st bracket open at once; `conv(` is the first
        parser.parse(Source(text=text, path="t.arch"))
    assert (info.value.code, info.value.span.line, info.value.span.col) == ("E603", 3, 9 + 200)


def test_keywords_are_exactly_the_grammars_reserved_words():
    fast, pure = parser._pure()[0], parser._pure()[0]
    words = {t.pattern.value for t in pure.terminals if t.pattern.type == "str" and t.pattern.value.isalpha()}
    assert fast is pure and words == KEYWORDS


@pytest.mark.parametrize(
    "text",
    [
        "-2 ** 2",
        "(-2) ** 2",
        "2 ** -1",
        "not a == b",
        "(not a) == b",
        "a - (b - c)",
        "a - b - c",
        "2 ** 3 ** 2",
        "(2 ** 3) ** 2",
        "(a if b else c) + 1",
        "a if b else c if d else e",
        "(a or b) and c",
        "-(a + b).x",
        "(a * b)[0]",
    ],
)
def test_unparse_brackets_exactly_where_the_parser_needs_them(text):
    node = parser.parse_expression(text)
    assert expr(node) == text
    assert parser.parse_expression(expr(node)) == node
