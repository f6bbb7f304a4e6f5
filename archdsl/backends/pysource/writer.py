"""A small code writer, after Jinja's CodeGenerator: lines go out through `writeline` under `indent()`,
and a call that does not fit in the line length is wrapped the way black wraps it."""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

LINE_LENGTH = 100
INDENT = "    "


@dataclass
class Bracketed:
    """`open item, item, ... close`, e.g. a call `nn.Conv2d(` ... `)`. Each item is (prefix, expression),
    the prefix being `name=` for a keyword argument. `explode` puts one item per line even when they
    would fit on one (nn.Sequential's layers read as a list)."""

    open: str
    items: list[tuple[str, Expr]] = field(default_factory=list)
    close: str = ")"
    explode: bool = False


Expr = str | Bracketed


def call(
    callee: str, args: list[str | Bracketed], kwargs: list[tuple[str, Expr]] = (), explode: bool = False
) -> Bracketed:
    """`callee(args..., key=value...)` as an expression."""
    items: list[tuple[str, Expr]] = [("", arg) for arg in args] + [(f"{key}=", value) for key, value in kwargs]
    return Bracketed(f"{callee}(", items, ")", explode)


def flat(expr: Expr) -> str:
    if isinstance(expr, str):
        return expr
    return expr.open + ", ".join(prefix + flat(value) for prefix, value in expr.items) + expr.close


def _exploded(expr: Expr) -> bool:
    return isinstance(expr, Bracketed) and (expr.explode or any(_exploded(value) for _, value in expr.items))


class CodeWriter:
    """Collects lines of Python source at the current indentation level."""

    def __init__(self, level: int = 0) -> None:
        self.lines: list[str] = []
        self.level = level

    def writeline(self, text: str = "") -> None:
        self.lines.append(INDENT * self.level + text if text else "")

    @contextmanager
    def indent(self) -> Iterator[None]:
        self.level += 1
        try:
            yield
        finally:
            self.level -= 1

    def fits(self, text: str) -> bool:
        return len(INDENT * self.level) + len(text) <= LINE_LENGTH

    def write(self, prefix: str, expr: Expr, suffix: str = "") -> None:
        """`prefix expr suffix` on one line if it fits; otherwise the arguments go on one indented line
        of their own, or, if that is still too long, one per line with a trailing comma."""
        text = prefix + flat(expr) + suffix
        if isinstance(expr, str) or (not _exploded(expr) and self.fits(text)) or not expr.items:
            self.writeline(text)
            return
        self.writeline(prefix + expr.open)
        with self.indent():
            inner = ", ".join(p + flat(value) for p, value in expr.items)
            if not expr.explode and not any(_exploded(value) for _, value in expr.items) and self.fits(inner):
                self.writeline(inner)
            else:
                for item_prefix, value in expr.items:
                    self.write(item_prefix, value, ",")
        self.writeline(expr.close + suffix)

    def docstring(self, text: str) -> None:
        """A docstring from already-escaped text. A paragraph with a line too long for the line length
        is re-wrapped as a whole (a paragraph ends at a blank line or where a `- ` list item starts)."""
        width = LINE_LENGTH - len(INDENT * self.level)
        for paragraph in _paragraphs(f'"""{text}"""'.split("\n")):
            if all(len(line) <= width for line in paragraph):
                for line in paragraph:
                    self.writeline(line)
                continue
            first = paragraph[0][: len(paragraph[0]) - len(paragraph[0].lstrip())]
            later = first + "  " if paragraph[0].lstrip().startswith("- ") else first
            words = " ".join(line.strip() for line in paragraph)
            for line in textwrap.wrap(
                words,
                width,
                initial_indent=first,
                subsequent_indent=later,
                break_on_hyphens=False,
                break_long_words=False,
            ):
                self.writeline(line)

    def getvalue(self) -> str:
        return "\n".join(self.lines)


def short_float(value: float) -> float:
    """The float rounded to 12 significant digits: `0.15` as the spec's author wrote it, not the
    accumulation artefact `0.15000000000000002` that `0.2 * 6 / 8` leaves. A true fraction such as
    `0.2 * 1 / 23` loses digits below 1e-12 of its value, far below any training effect."""
    if not math.isfinite(value):
        return value
    return float(f"{value:.12g}")


def float_literal(value: float) -> str:
    if not math.isfinite(value):
        return f'float("{value}")'
    return re.sub(r"e([+-])0(\d)", r"e\1\2", repr(short_float(value)))  # 1e-6 as torchvision writes it, not 1e-06


def _paragraphs(lines: list[str]) -> list[list[str]]:
    out: list[list[str]] = []
    for line in lines:
        if (
            not line.strip()
            or line.lstrip().startswith("- ")
            or not out
            or not out[-1][-1].strip()
            or (out[-1][0].lstrip().startswith("- ") and _lead(line) <= _lead(out[-1][0]))
        ):
            out.append([line])
        else:
            out[-1].append(line)
    return out


def _lead(line: str) -> int:
    return len(line) - len(line.lstrip())
