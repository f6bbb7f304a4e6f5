"""`.arch` text -> AST: Lark's LALR parser, run by lark-cython's compiled driver for long texts.

Nodes are built at each reduction (`build_ast.Builder`, passed as Lark's `transformer=`), so no parse tree
is made. Short texts, texts with a mistake and installs without lark-cython go through pure Lark, whose
errors carry the parser's state: `syntax_errors.explain` turns them into plain words, and the recovery
loop below finds further mistakes.
"""

from __future__ import annotations

import functools
import re
import threading
from importlib import resources
from typing import Any

from lark import Lark
from lark.exceptions import UnexpectedInput

from ..errors import ArchError, Collector, LimitError, ParseError
from ..source import Source, Span
from . import syntax as ast
from .build_ast import Builder, token_span
from .indentation import BRACKETS, BracketsTooDeep, Indentation, IndentationProblem, IndentingPostLex
from .syntax_rules import HEADERS

START_RULES = ["start", "expr", "single", "chain", "label", "targets", "group_head"]
MAX_SYNTAX_ERRORS = 10
# Below this size pure Lark parses as fast as loading the compiled driver takes (both a few ms).
COMPILED_PARSER_MIN_CHARS = 30_000
_LOCK = threading.Lock()  # one Builder per parser: parses take turns (the language server has threads)


def _grammar() -> str:
    return resources.files("archdsl.frontend").joinpath("grammar.lark").read_text(encoding="utf-8")


def _options(builder: Builder) -> dict[str, Any]:
    return dict(
        parser="lalr", transformer=builder, keep_all_tokens=True, maybe_placeholders=True, cache=True, start=START_RULES
    )


@functools.cache
def _fast() -> tuple[Lark, Builder] | None:
    """The compiled parser (lark-cython), or None where lark-cython is not installed."""
    try:
        import lark_cython
    except ImportError:
        return None
    builder = Builder(lark_cython.Token)
    plugins = {**lark_cython.plugins, "ContextualLexer": _indenting_lexer(lark_cython)}
    return Lark(_grammar(), _plugins=plugins, **_options(builder)), builder


@functools.cache
def _pure() -> tuple[Lark, Builder, IndentingPostLex]:
    """Pure Lark: the fallback, and the parser that explains syntax errors."""
    builder = Builder()
    postlex = IndentingPostLex()
    return Lark(_grammar(), postlex=postlex, **_options(builder)), builder, postlex


def _indenting_lexer(lark_cython: Any) -> type:
    """lark-cython's contextual lexer with `Indentation` in front: lark-cython has no postlexer hook, but
    its parser asks the lexer for one token at a time, and a Python subclass may answer."""
    base = lark_cython.plugins["ContextualLexer"]
    make = lark_cython.Token.new_borrow_pos
    next_raw = base.next_token

    def make_token(kind: str, value: str, borrow: Any) -> Any:
        return make(kind, value, borrow) if borrow is not None else lark_cython.Token(kind, value, 0, 1, 1)

    class IndentingLexer(base):  # type: ignore[misc, valid-type]
        def __new__(cls, conf: Any, states: Any, always_accept: Any = ()) -> Any:
            return super().__new__(cls, conf, states, always_accept=("_NL",))  # newlines reach us in brackets too

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.text_state: Any = None
            self.pending: list[Any] = []

        def next_token(self, lexer_state: Any, parser_state: Any) -> Any:
            # Called once per token: plain tokens return after two checks.
            if lexer_state is not self.text_state:  # a new parse
                self.text_state, self.pending, self.last = lexer_state, [], None
                self.indentation = Indentation(make_token)
            elif self.pending:
                return self.pending.pop()
            indentation = self.indentation
            while True:
                try:
                    token = next_raw(self, lexer_state, parser_state)
                except EOFError:
                    self.pending = indentation.end(self.last)[::-1]
                    if self.pending:
                        return self.pending.pop()
                    raise
                self.last = token
                kind = token.type
                if kind in BRACKETS:
                    indentation.bracket(token)
                    return token
                if kind != "_NL":
                    return token
                if not indentation.open:
                    self.pending = indentation.after_newline(token)[::-1]
                    return token

    return IndentingLexer


def parse(source: Source) -> ast.SpecFile:
    """Parse `.arch` text into an AST. Raises ParseError at the first mistake, or an ErrorGroup when
    several lines are wrong: after a mistake on a line that is not inside brackets, that line is
    replaced by a neutral one (`pass`, or a header that keeps its body) and parsing starts again."""
    text = source.text if source.text.endswith("\n") else source.text + "\n"
    fast = _fast() if len(text) >= COMPILED_PARSER_MIN_CHARS else None
    if fast is not None:
        parser, builder = fast
        with _LOCK:
            builder.reset(source.path)
            try:
                return _built(parser.parse(text, start="start"), builder)
            except (UnexpectedInput, IndentationProblem, BracketsTooDeep):
                pass  # parse it again below, for errors in plain words
            except RecursionError:
                raise _too_deep(source) from None
    return _parse_pure(source)


def _parse_pure(source: Source) -> ast.SpecFile:
    parser, builder, postlex = _pure()
    lines = source.text.split("\n")
    errors = Collector(MAX_SYNTAX_ERRORS)
    replaced: set[int] = set()
    result = None
    with _LOCK:
        while True:
            text = "\n".join(lines)
            text = text if text.endswith("\n") else text + "\n"
            builder.reset(source.path)
            try:
                result = parser.parse(text, start="start")
                break
            except IndentationProblem as problem:
                errors.add(_indent_error(source, problem))
                break  # indentation errors come in runs; the first one is the one to fix
            except BracketsTooDeep as problem:
                raise _too_deep(source, problem.token) from None
            except UnexpectedInput as exc:
                from .syntax_errors import explain  # only a text with a mistake needs it

                error = explain(source, exc, list(postlex.state.open))
                errors.add(error)
                line = _recoverable_line(error, postlex.state.open, source)
                if line is None or line in replaced:
                    break
                replaced.add(line)
                lines[line - 1] = _neutral(lines[line - 1])
            except RecursionError:
                raise _too_deep(source) from None
        errors.raise_if_any()
        return _built(result, builder)


def _built(result: Any, builder: Builder) -> Any:
    if builder.error is not None:
        raise builder.error
    return result


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
    if code.endswith(":") or words[0] in HEADERS:
        return f"{indent}if true:" if indent else "block archdsl_recovered_():"
    return f"{indent}pass" if indent else ""


def _too_deep(source: Source, token: Any = None) -> ArchError:
    span = token_span(token, source.path) if token is not None else None
    return LimitError(
        f"{source.path} nests brackets or operators too deeply to read",
        span,
        code="E603",
        hint="split the expression into named parts",
    )


def parse_expression(text: str, path: str = "<value>") -> ast.Node:
    """Parse one expression, e.g. the VALUE of `--set NAME=VALUE` (`[2, 2, 2, 2]`, `0.5`, `Bottleneck`)."""
    return parse_snippet(text, "expr", path)


def parse_snippet(text: str, start: str, path: str, line: int = 1, col: int = 1) -> ast.Node:
    """Parse part of a file (a YAML string): `start` is expr, single (one statement), chain or label.
    Spans come out as positions in the enclosing file, the snippet beginning at line:col."""
    parser, builder, postlex = _pure()  # snippets are short: the pure parser's errors are the ones we explain
    source = Source(text=text, path=path)
    with _LOCK:
        builder.reset(path)
        try:
            node = _built(parser.parse(text, start=start), builder)
        except IndentationProblem as problem:
            raise _shift_error(_indent_error(source, problem), line, col) from None
        except BracketsTooDeep as problem:
            raise _shift_error(_too_deep(source, problem.token), line, col) from None
        except UnexpectedInput as exc:
            from .syntax_errors import explain

            raise _shift_error(explain(source, exc, list(postlex.state.open), (line - 1, col - 1)), line, col) from None
        except ParseError as error:
            raise _shift_error(error, line, col) from None
        except RecursionError:
            raise _too_deep(source) from None
    return shift_spans(node, line, col)


def _shift_error(error: ArchError, line: int, col: int) -> ArchError:
    if error.span is not None:
        error.span = error.span.shifted(line, col)
    return error


def shift_spans(node: Any, line: int, col: int) -> Any:
    """`node` with every span moved from snippet positions to positions in the file, the snippet
    beginning at line:col (columns move on the snippet's first line only)."""
    if (line, col) == (1, 1):
        return node
    if isinstance(node, tuple):
        return tuple(shift_spans(item, line, col) for item in node)
    if not isinstance(node, ast.Node):
        return node
    values = {key: shift_spans(value, line, col) for key, value in node.__dict__.items() if key != "span"}
    span = node.span.shifted(line, col) if node.span is not None else None
    return type(node).model_construct(**values, span=span)


def _indent_error(source: Source, problem: IndentationProblem) -> ParseError:
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


_INTERPOLATION = re.compile(r"\{([^{}]*)\}")


@functools.lru_cache(maxsize=4096)
def _interpolation_parts(text: str, path: str, line: int, col: int) -> tuple[str | ast.Node, ...]:
    parts: list[str | ast.Node] = []
    position = 0
    for match in _INTERPOLATION.finditer(text):
        if match.start() > position:
            parts.append(text[position : match.start()])
        # +1 for the opening quote, +1 for the brace: the expression's own column in the file.
        parts.append(parse_snippet(match.group(1), "expr", path, line, col + match.start(1) + 1))
        position = match.end()
    if position < len(text):
        parts.append(text[position:])
    return tuple(parts)


def quoted_label_parts(label: ast.Label) -> tuple[str | ast.Node, ...]:
    """A quoted label's text split into literal text and `{expression}` parts, as an f-string:
    `"block{s + 1}-{i}"`. Parsed when a network is elaborated (not inside another parse: the parser is
    not re-entrant), once per label."""
    span = label.span
    return _interpolation_parts(label.parts[0], span.path, span.line, span.col)
