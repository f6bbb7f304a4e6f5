"""Comments and string literals of `.arch` text, found by a small scan (the parser drops comments).

The formatter prints statements from the AST and puts these comments back by source line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The grammar's STRING and COMMENT tokens (archdsl/frontend/grammar.lark), longest string form first.
_TOKEN = re.compile(
    r'(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')'
    r"|(?P<comment>#[^\n]*)",
    re.DOTALL,
)


@dataclass(frozen=True)
class Comment:
    """A `#` comment: `own_line` when only whitespace precedes it on its line."""

    line: int
    col: int
    text: str
    own_line: bool


@dataclass(frozen=True)
class StringToken:
    """Where a string literal starts and ends (1-based lines; `col` of its opening quote)."""

    line: int
    col: int
    end_line: int


def scan(text: str) -> tuple[list[Comment], list[StringToken]]:
    """Every comment and string literal of `text`, in order."""
    line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
    comments: list[Comment] = []
    strings: list[StringToken] = []
    line = 1
    for match in _TOKEN.finditer(text):
        while line < len(line_starts) and line_starts[line] <= match.start():
            line += 1
        col = match.start() - line_starts[line - 1] + 1
        if match.group("comment") is not None:
            before = text[line_starts[line - 1] : match.start()]
            comments.append(Comment(line, col, match.group("comment").rstrip(), own_line=not before.strip()))
        else:
            strings.append(StringToken(line, col, line + match.group("string").count("\n")))
    return comments, strings
