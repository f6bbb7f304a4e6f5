"""`.arch` text -> AST: Lark's LALR parser with positions on; `build_ast.Builder` turns the tree into the AST."""

from __future__ import annotations

import functools
import re
from importlib import resources

from lark import Lark, Token
from lark.exceptions import UnexpectedInput
from lark.indenter import Indenter

from ..errors import ArchError, Collector, LimitError, ParseError
from ..source import Source, Span
from . import syntax as ast
from .build_ast import Builder
from .syntax_errors import explain

_BRACKETS = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
_CLOSERS = {v: k for k, v in _BRACKETS.items()}


class _SpecIndenter(Indenter):
    """Lark's Indenter, but it remembers which brackets are open (for "unclosed `(`" messages)
    and reports bad indentation and stray closers as errors instead of asserting."""

    NL_type = "_NL"
    OPEN_PAREN_types = list(_BRACKETS)
    CLOSE_PAREN_types = list(_CLOSERS)
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8

    def __init__(self) -> None:
        super().__init__()
        self.open: list[Token] = []

    def process(self, stream):
        self.open = []
        return super().process(stream)

    def handle_NL(self, token: Token):
        if self.open:
            return
        yield token
        indent_str = token.rsplit("\n", 1)[1]
        indent = indent_str.count(" ") + indent_str.count("\t") * self.tab_len
        if indent > self.indent_level[-1]:
            self.indent_level.append(indent)
            yield Token.new_borrow_pos(self.INDENT_type, indent_str, token)
            return
        inner = self.indent_level[-1]
        while indent < self.indent_level[-1]:
            inner = self.indent_level.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, indent_str, token)
        if indent != self.indent_level[-1]:
            line = (token.end_line or token.line or 1)
            raise _IndentationProblem(line, indent, inner, self.indent_level[-1])

    def _process(self, stream):
        token = None
        for token in stream:
            if token.type == self.NL_type:
                yield from self.handle_NL(token)
                continue
            yield token
            if token.type in _BRACKETS:
                self.open.append(token)
            elif token.type in _CLOSERS and self.open and self.open[-1].type == _CLOSERS[token.type]:
                self.open.pop()
        while len(self.indent_level) > 1:
            self.indent_level.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, "", token) if token else Token(self.DEDENT_type, "")


class _IndentationProblem(Exception):
    """A line dedented to a level no enclosing block uses: between `outer` and `inner`."""

    def __init__(self, line: int, got: int, inner: int, outer: int):
        super().__init__(line)
        self.line, self.got, self.inner, self.outer = line, got, inner, outer


@functools.cache
def _lark() -> tuple[Lark, _SpecIndenter]:
    grammar = resources.files("archdsl.frontend").joinpath("grammar.lark").read_text(encoding="utf-8")
    indenter = _SpecIndenter()
    parser = Lark(
        grammar,
        parser="lalr",
        postlex=indenter,
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
        start=["start", "expr", "single", "chain", "label"],
    )
    return parser, indenter


MAX_SYNTAX_ERRORS = 10


def parse(source: Source) -> ast.SpecFile:
    """Parse `.arch` text into an AST. Raises ParseError at the first mistake, or an ErrorGroup when
    several lines are wrong: after a mistake on a line that is not inside brackets, that line is
    replaced by a neutral one (`pass`, or a header that keeps its body) and parsing starts again."""
    parser, indenter = _lark()
    lines = source.text.split("\n")
    errors = Collector(MAX_SYNTAX_ERRORS)
    replaced: set[int] = set()
    while True:
        text = "\n".join(lines)
        text = text if text.endswith("\n") else text + "\n"
        try:
            tree = parser.parse(text, start="start")
            break
        except _IndentationProblem as problem:
            errors.add(_indent_error(source, problem))
            break  # indentation errors come in runs; the first one is the one to fix
        except UnexpectedInput as exc:
            error = explain(source, exc, list(indenter.open))
            errors.add(error)
            line = _recoverable_line(error, indenter.open, source)
            if line is None or line in replaced:
                break
            replaced.add(line)
            lines[line - 1] = _neutral(lines[line - 1])
        except RecursionError:
            raise _too_deep(source) from None
    errors.raise_if_any()
    try:
        return Builder(source.path).build(tree)
    except RecursionError:
        raise _too_deep(source) from None


def _recoverable_line(error: ArchError, open_brackets: list, source: Source) -> int | None:
    """The line to neutralise to look for further mistakes, or None to stop. A mistake inside brackets
    that span lines, in the indentation, or at the end of the file changes how the rest is read, so
    parsing stops there."""
    if error.span is None or error.code in ("E102", "E103", "E105"):
        return None
    line = error.span.line
    if any(token.line != line for token in open_brackets):
        return None
    text = re.sub(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|#.*", "", source.line(line))
    if sum(text.count(c) for c in "([{") != sum(text.count(c) for c in ")]}"):
        return None
    return line


def _neutral(line: str) -> str:
    """A statement that parses wherever `line` stood and keeps an indented body below it valid."""
    indent = line[: len(line) - len(line.lstrip())]
    code = line.split("#", 1)[0].rstrip()
    words = re.split(r"\W", code.strip(), maxsplit=1)
    if code.endswith(":") or words[0] in ("block", "network", "if", "elif", "else", "for"):
        return f"{indent}if true:" if indent else "block archdsl_recovered_():"
    return f"{indent}pass" if indent else ""


def _too_deep(source: Source) -> ArchError:
    return LimitError(f"{source.path} nests brackets or operators too deeply to read", None, code="E603",
                      hint="split the expression into named parts")


def parse_expression(text: str, path: str = "<value>") -> ast.Node:
    """Parse one expression, e.g. the VALUE of `--set NAME=VALUE` (`[2, 2, 2, 2]`, `0.5`, `Bottleneck`)."""
    return parse_snippet(text, "expr", path)


def parse_snippet(text: str, start: str, path: str, line: int = 1, col: int = 1) -> ast.Node:
    """Parse part of a file (a YAML string): `start` is expr, single (one statement), chain or label.
    Spans come out as positions in the enclosing file, the snippet beginning at line:col."""
    parser, indenter = _lark()
    source = Source(text=text, path=path)
    try:
        tree = parser.parse(text, start=start)
        return Builder(path, line, col).build(tree)
    except _IndentationProblem as problem:
        raise _shift(_indent_error(source, problem), line, col) from None
    except UnexpectedInput as exc:
        raise _shift(explain(source, exc, list(indenter.open), (line - 1, col - 1)), line, col) from None
    except RecursionError:
        raise _too_deep(source) from None


def _shift(error: ArchError, line: int, col: int) -> ArchError:
    span = error.span
    if span is not None and (line, col) != (1, 1):
        error.span = Span(
            line=span.line + line - 1,
            col=span.col + (col - 1 if span.line == 1 else 0),
            end_line=span.end_line + line - 1,
            end_col=span.end_col + (col - 1 if span.end_line == 1 else 0),
            path=span.path,
        )
    return error


# ----------------------------------------------------------------------------------------------
# Tree -> AST
# ----------------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------------
# Syntax errors in plain words
# ----------------------------------------------------------------------------------------------

def _indent_error(source: Source, problem: _IndentationProblem) -> ParseError:
    line_text = source.line(problem.line)
    col = len(line_text) - len(line_text.lstrip()) + 1
    def spaces(n: int) -> str:
        return f"{n} space{'s' if n != 1 else ''}"

    return ParseError(
        f"this line is indented by {spaces(problem.got)}, but the lines around it use {problem.inner} "
        f"or {problem.outer}",
        Span(line=problem.line, col=1, end_line=problem.line, end_col=col, path=source.path),
        hint=f"indent it by {spaces(problem.inner)} to stay in the block above, or by {spaces(problem.outer)} to "
             "end that block",
        code="E103",
    )
