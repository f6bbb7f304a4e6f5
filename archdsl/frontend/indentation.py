"""Python-style indentation: the lexer's newlines become `_NL`, `_INDENT` and `_DEDENT` tokens.

The rule lives in `Indentation`, once. Two lexers drive it: Lark's postlexer hook (`IndentingPostLex`, pure
Lark) and a subclass of lark-cython's compiled contextual lexer (`parser.py`), which has no postlexer hook.
Newlines inside brackets are dropped, so an argument list may span lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from lark import Token
from lark.lark import PostLex

OPENERS = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
CLOSERS = {closer: opener for opener, closer in OPENERS.items()}
BRACKETS = frozenset(OPENERS) | frozenset(CLOSERS)
TAB_WIDTH = 8
MAX_BRACKET_DEPTH = 200  # as Python's own parser: deeper nesting is a mistake, not a network


class IndentationProblem(Exception):
    """A line dedented to a level no enclosing block uses: between `outer` and `inner`."""

    def __init__(self, line: int, got: int, inner: int, outer: int):
        super().__init__(line)
        self.line, self.got, self.inner, self.outer = line, got, inner, outer


class BracketsTooDeep(Exception):
    """Brackets nested more than MAX_BRACKET_DEPTH deep; `token` is the first one too many."""

    def __init__(self, token: Any):
        super().__init__(token)
        self.token = token


class Indentation:
    """Indentation levels and open brackets of one parse. `make(type, value, borrow)` makes a token of the
    lexer's own token class at `borrow`'s position (Lark's and lark-cython's tokens are different classes)."""

    def __init__(self, make: Callable[[str, str, Any], Any]):
        self.make = make
        self.levels = [0]
        self.open: list[Any] = []  # brackets open now, innermost last (syntax errors name them)

    def after_newline(self, token: Any) -> list[Any]:
        """The tokens that follow a `_NL` token (which the lexer passes on first, unless brackets are open):
        an `_INDENT`, or as many `_DEDENT`s as blocks end here."""
        indent_str = token.value.rsplit("\n", 1)[1]
        indent = indent_str.count(" ") + indent_str.count("\t") * TAB_WIDTH
        levels = self.levels
        if indent == levels[-1]:
            return []
        if indent > levels[-1]:
            levels.append(indent)
            return [self.make("_INDENT", indent_str, token)]
        out = []
        inner = levels[-1]
        while indent < levels[-1]:
            inner = levels.pop()
            out.append(self.make("_DEDENT", indent_str, token))
        if indent != levels[-1]:
            raise IndentationProblem(token.end_line or token.line or 1, indent, inner, levels[-1])
        return out

    def bracket(self, token: Any) -> None:
        """Track `(`, `[`, `{` and their closers (a closer of the wrong kind closes nothing)."""
        kind = token.type
        if kind in OPENERS:
            if len(self.open) >= MAX_BRACKET_DEPTH:
                raise BracketsTooDeep(token)
            self.open.append(token)
        elif kind in CLOSERS and self.open and self.open[-1].type == CLOSERS[kind]:
            self.open.pop()

    def end(self, last: Any) -> list[Any]:
        """`_DEDENT`s that close the blocks still open at the end of the text."""
        dedents = [self.make("_DEDENT", "", last) for _ in self.levels[1:]]
        del self.levels[1:]
        return dedents


class IndentingPostLex(PostLex):
    """The pure-Lark way in: Lark's postlexer hook around its own lexer."""

    always_accept = ("_NL",)

    def __init__(self) -> None:
        self.state = Indentation(_lark_token)

    def process(self, stream: Iterator[Any]) -> Iterator[Any]:
        state = self.state = Indentation(_lark_token)
        token = None
        for token in stream:
            if token.type == "_NL":
                if not state.open:
                    yield token
                    yield from state.after_newline(token)
                continue
            state.bracket(token)
            yield token
        yield from state.end(token)


def _lark_token(kind: str, value: str, borrow: Any) -> Any:
    return Token.new_borrow_pos(kind, value, borrow) if borrow is not None else Token(kind, value)
