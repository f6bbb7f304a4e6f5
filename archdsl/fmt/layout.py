"""The canonical layout of an `.arch` file: statements printed by the unparser, comments put back.

Rules (as black's, with no options): four-space indentation; one blank line around block and network
definitions, at most one blank line elsewhere where the source had one, none at the start of a body;
a statement longer than WIDTH is split at its last bracket, first onto one indented line, then one item
per line with a trailing comma. A trailing comma after the last item keeps the items one per line (so
a table stays a table), and a table of rows of equal length gets right-aligned columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..frontend import unparse
from ..frontend.unparse import expr
from .comments import Comment, StringToken, scan

WIDTH = 120
INDENT = "    "


@dataclass
class Bracketed:
    """A statement that can be split at its last bracket: `head` item, item, ... `tail`."""

    head: str
    items: list[tuple[str, Any]]  # (text, AST node with a span)
    tail: str
    close_line: int  # the source line of the closing bracket

    def one_line(self) -> str:
        return self.head + ", ".join(text for text, _ in self.items) + self.tail


@dataclass
class Writer:
    """Collects output lines and hands out the source's comments in order."""

    source_lines: list[str]
    comments: list[Comment]
    out: list[str] = field(default_factory=list)
    notes: dict[int, list[str]] = field(default_factory=dict)  # trailing comments by output line
    consumed: int = 0  # the last source line printed
    block_start: bool = True

    # -- comments and blank lines ------------------------------------------------------------------
    def _take(self, predicate) -> list[Comment]:
        taken = [c for c in self.comments if predicate(c)]
        self.comments = [c for c in self.comments if not predicate(c)]
        return taken

    def _blank(self) -> None:
        if self.out and self.out[-1] != "" and not self.block_start:
            self.out.append("")

    def _had_blank_before(self, line: int) -> bool:
        return self.consumed < line - 1 <= len(self.source_lines) and not self.source_lines[line - 2].strip()

    def leading(self, line: int, indent: str, separate: bool = False) -> None:
        """Own-line comments before source `line`, with the blank lines the source had; `separate`
        forces one blank line before them (definitions)."""
        before = self._take(lambda c: c.line < line)
        if separate:
            self._blank()
        for comment in before:
            if self._had_blank_before(comment.line):
                self._blank()
            self.out.append(indent + comment.text)
            self.consumed = max(self.consumed, comment.line)
            self.block_start = False
        if self._had_blank_before(line):
            self._blank()

    def closing(self, indent: str, column: int) -> None:
        """Own-line comments right after a body, indented at least as deep as its statements (which
        start at source `column`): they stay in it."""
        while self.comments and self.comments[0].own_line and self.comments[0].col >= column:
            comment = self.comments[0]
            between = self.source_lines[self.consumed : comment.line - 1]
            if any(text.strip() and not text.strip().startswith("#") for text in between):
                return
            self.comments.pop(0)
            if self._had_blank_before(comment.line):
                self._blank()
            self.out.append(indent + comment.text)
            self.consumed = comment.line
            self.block_start = False

    def line(self, text: str, start: int, end: int, indent: str, separate: bool = False) -> None:
        """A printed line standing for source lines start..end; their comments go before it (own-line
        ones) or after it (trailing ones)."""
        self.leading(start, indent, separate)
        inside = self._take(lambda c: start <= c.line <= end)
        for comment in (c for c in inside if c.own_line):
            self.out.append(indent + comment.text)
        self._append(indent + text, [c.text for c in inside if not c.own_line])
        self.consumed = max(self.consumed, end)
        self.block_start = text.endswith(":")

    def statement(
        self, shape: Bracketed | str, start: int, end: int, indent: str, magic: bool = False, separate: bool = False
    ) -> None:
        """One statement, split at its last bracket when too long, when a comment sits among its items,
        or when the source had a trailing comma after its last item."""
        if isinstance(shape, str):
            return self.line(shape, start, end, indent, separate)
        text = shape.one_line()
        inner = [c for c in self.comments if start <= c.line <= end and (c.own_line or c.line < end)]
        if not shape.items or (len(indent + text) <= WIDTH and not magic and not inner):
            return self.line(text, start, end, indent, separate)
        self.leading(start, indent, separate)
        hugged = ", ".join(t for t, _ in shape.items)
        if not magic and not inner and len(indent + INDENT + hugged) <= WIDTH:
            self.out += [indent + shape.head, indent + INDENT + hugged, indent + shape.tail.lstrip()]
        else:
            self._exploded(shape, start, end, indent)
        self.consumed = max(self.consumed, end)
        self.block_start = shape.tail.endswith(":")

    def _exploded(self, shape: Bracketed, start: int, end: int, indent: str) -> None:
        first_line = min(node.span.line for _, node in shape.items)
        head_comments = self._take(lambda c: start <= c.line < first_line and not c.own_line)
        self._append(indent + shape.head, [c.text for c in head_comments])
        rows: list[tuple[str, list[str]]] = []
        texts = _table(shape.items) or [t for t, _ in shape.items]
        for (_, node), text in zip(shape.items, texts):
            for comment in self._take(lambda c, at=node.span.line: c.line < at):
                rows.append((comment.text, []))
            after = self._take(lambda c, at=node.span.end_line: c.line <= at and not c.own_line)
            rows.append((text + ",", [c.text for c in after]))
        for comment in self._take(lambda c: c.line < shape.close_line or (c.line == shape.close_line and c.own_line)):
            rows.append((comment.text, []))
        for text, notes in rows:
            self._append(indent + INDENT + text, notes)
        tail_comments = self._take(lambda c: c.line <= end and not c.own_line)
        self._append(indent + shape.tail.lstrip(), [c.text for c in tail_comments])

    def _append(self, code: str, notes: list[str]) -> None:
        if notes:
            self.notes[len(self.out)] = notes
        self.out.append(code)

    def text(self) -> str:
        """The output, trailing comments of consecutive lines at one indentation aligned (as gofmt does)."""
        lines = list(self.out)
        index = 0
        while index < len(lines):
            if index not in self.notes:
                index += 1
                continue
            run = [index]
            depth = _depth(lines[index])
            while run[-1] + 1 in self.notes and _depth(lines[run[-1] + 1]) == depth:
                run.append(run[-1] + 1)
            column = max(len(lines[i]) for i in run) + 2
            for i in run:
                lines[i] = lines[i].ljust(column) + "  ".join(self.notes[i])
            index = run[-1] + 1
        text = "\n".join(lines).strip("\n")
        return text + "\n" if text else ""


def _depth(line: str) -> int:
    return len(line) - len(line.lstrip())


def _table(items: list[tuple[str, Any]]) -> list[str] | None:
    """Rows of a table (list literals of one length, at least two) with right-aligned columns."""
    nodes = [node for _, node in items]
    if len(nodes) < 2 or any(n.kind != "list" or not n.items for n in nodes):
        return None
    if len({len(n.items) for n in nodes}) != 1:
        return None
    cells = [[expr(i) for i in n.items] for n in nodes]
    widths = [max(len(row[k]) for row in cells) for k in range(len(cells[0]))]
    return ["[" + ", ".join(cell.rjust(w) for cell, w in zip(row, widths)) + "]" for row in cells]


def call_tables(stmts) -> dict[int, list[str]]:
    """One-line statements calling one block or op with numbers only (GoogLeNet's
    `Inception(64, 96, 128, ...)` rows), with no blank line between them (other one-line statements may
    sit among them), form a table: their arguments, right-aligned per column, by id of the statement."""
    rows: list[tuple[Any, list[str]]] = []
    tables: dict[int, list[str]] = {}

    def flush() -> None:
        if len(rows) > 1:
            widths = [max(len(cells[k]) for _, cells in rows) for k in range(len(rows[0][1]))]
            for stmt, cells in rows:
                tables[id(stmt)] = [cell.rjust(width) for cell, width in zip(cells, widths)]
        rows.clear()

    previous = None
    for stmt in stmts:
        cells = _numeric_call(stmt)
        adjacent = previous is not None and stmt.span.line == previous.span.end_line + 1
        if not adjacent or (cells is None and stmt.span.line != stmt.span.end_line):
            flush()  # a table ends at a blank line or at a statement of several lines
        if cells is not None:
            if rows and (len(cells) != len(rows[-1][1]) or _call_of(stmt).func != _call_of(rows[-1][0]).func):
                flush()
            rows.append((stmt, cells))
        previous = stmt
    flush()
    return tables


def _call_of(stmt):
    return _last_step(stmt.chain).expr


def _numeric_call(stmt) -> list[str] | None:
    if stmt.kind != "flow" or _steps(stmt.chain) != 1 or stmt.span.line != stmt.span.end_line:
        return None
    step = _last_step(stmt.chain)
    call = step.expr
    if step.repeat is not None or call.kind != "call" or call.kwargs or len(call.args) < 3:
        return None
    if not all(a.kind == "num" or (a.kind == "unary" and a.operand.kind == "num") for a in call.args):
        return None
    return [expr(a) for a in call.args]


# -- from the AST to shapes ------------------------------------------------------------------------


def _items(args, kwargs) -> list[tuple[str, Any]]:
    items = [(expr(a), a) for a in args] + [(f"{k.name}={expr(k.value)}", k) for k in kwargs]
    return sorted(items, key=lambda item: (item[1].span.line, item[1].span.col))


def _last_step(chain):
    item = chain.items[-1]
    return _last_step(item.chain) if item.kind == "labeled" else item


def _steps(chain) -> int:
    return sum(_steps(i.chain) if i.kind == "labeled" else 1 for i in chain.items)


def chain_shape(prefix: str, chain, close_line: int) -> Bracketed | str:
    """A chain statement, splittable at the arguments of its last call."""
    step = _last_step(chain)
    if len(chain.items) == 1 and step is chain.items[0] and step.repeat is None:
        text = prefix + expr(step.expr)  # a lone value needs no parentheses: `x = a if c else b`
    else:
        text = prefix + unparse.chain(chain)
    if _steps(chain) > 1:
        return text  # a chain of several steps cannot be split without changing it: leave it long
    if step.expr.kind != "call" or not (step.expr.args or step.expr.kwargs):
        return text
    repeat = "" if step.repeat is None else f" x {expr(step.repeat, unparse._PREC['*'])}"
    inner = unparse._args(step.expr.args, step.expr.kwargs) + ")" + repeat
    if not text.endswith(inner):
        return text
    return Bracketed(text[: -len(inner)], _items(step.expr.args, step.expr.kwargs), ")" + repeat, close_line)


def value_shape(prefix: str, value, suffix: str) -> Bracketed | str:
    """`prefix value suffix` where value may be a list literal or a call."""
    if value.kind == "list" and value.items:
        return Bracketed(prefix + "[", [(expr(i), i) for i in value.items], "]" + suffix, value.span.end_line)
    if value.kind == "call" and (value.args or value.kwargs):
        return Bracketed(f"{prefix}{value.func}(", _items(value.args, value.kwargs), ")" + suffix, value.span.end_line)
    return prefix + expr(value) + suffix


class Source:
    """Positions in the text the AST came from."""

    def __init__(self, text: str):
        self.lines = text.split("\n")
        self.comments, self.strings = scan(text)

    def after(self, line: int, col: int) -> tuple[str, int, int]:
        """The first character after (line, col) that is not blank or in a comment, and where it is."""
        while line <= len(self.lines):
            rest = self.lines[line - 1][col - 1 :].split("#", 1)[0] if col <= len(self.lines[line - 1]) else ""
            stripped = rest.lstrip()
            if stripped:
                return stripped[0], line, col + len(rest) - len(stripped)
            line, col = line + 1, 1
        return "", line, 1

    def trailing_comma(self, node) -> bool:
        return self.after(node.span.end_line, node.span.end_col)[0] == ","

    def close_line(self, items, line: int, col: int) -> int:
        """The line of the bracket that closes a list of items (or the opening one's line when empty)."""
        if items:
            last = max(items, key=lambda n: (n.span.end_line, n.span.end_col))
            line, col = last.span.end_line, last.span.end_col
        while True:
            char, line, col = self.after(line, col)
            if char in ("", ")", "]"):
                return line
            col += 1

    def doc_string(self, after_line: int, before_line: int) -> StringToken | None:
        return next((s for s in self.strings if after_line < s.line < before_line), None)

    def line_of(self, pattern: str, start: int, stop: int) -> int:
        """The last line in start..stop matching `pattern`."""
        for number in range(stop, start - 1, -1):
            if re.match(pattern, self.lines[number - 1]):
                return number
        return stop
