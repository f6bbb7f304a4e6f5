"""`.arch` AST + source -> canonical text (the layout rules are in layout.py)."""

from __future__ import annotations

from typing import Any

from ..frontend import syntax as ast
from ..frontend.unparse import _doc, _params, assign_target, expr, group_head, simple_statement, targets
from .layout import INDENT, Bracketed, Source, Writer, call_tables, chain_shape, value_shape


def _doc_text(doc: str, indent: str) -> str:
    """A docstring; a multi-line one closes on its own line."""
    return _doc(doc + "\n" + indent if "\n" in doc else doc)


class Printer:
    def __init__(self, spec: ast.SpecFile, text: str):
        self.spec = spec
        self.src = Source(text)
        self.w = Writer(self.src.lines, list(self.src.comments))
        self.tables: dict[int, list[str]] = {}  # aligned call arguments by statement (layout.call_tables)

    def run(self) -> str:
        top_strings = [s for s in self.src.strings if s.col == 1]
        items = sorted(self.spec.items, key=lambda i: i.span.line)
        previous = None
        if self.spec.doc:
            first = top_strings[0] if top_strings else None
            start, end = (first.line, first.end_line) if first else (1, 1)
            self.w.line(_doc_text(self.spec.doc, ""), start, end, "")
            self.w.consumed = max([end] + [s.end_line for s in top_strings if not _inside(s, items)])
        for item in items:
            definition = item.kind in ("block", "network", "alias")
            separate = definition or (previous is not None and previous.kind in ("block", "network", "alias"))
            if previous is None and self.spec.doc:
                separate = True
            self._definition(item, separate and bool(self.w.out))
            previous = item
        self.w.leading(len(self.src.lines) + 2, "")
        return self.w.text()

    # -- top level ---------------------------------------------------------------------------------
    def _definition(self, item: Any, separate: bool) -> None:
        # A top-level item's span runs on over the newlines and comments after it (the grammar's _NL).
        line, end = item.span.line, item.span.line
        if item.kind == "import":
            text = (
                f'import "{item.path}"' if item.names is None else f'from "{item.path}" import {", ".join(item.names)}'
            )
            self.w.statement(text, line, end, "", separate=separate)
        elif item.kind == "const":
            shape = value_shape(f"{item.name} = ", item.value, "")
            magic = isinstance(shape, Bracketed) and self._magic(shape)
            self.w.statement(shape, line, item.value.span.end_line, "", magic, separate)
        elif item.kind == "alias":
            close = self.src.close_line([*item.args, *item.kwargs], line, 1)
            shape = value_shape(f"network {item.name} = ", _call(item.base, item.args, item.kwargs, item.span), "")
            if isinstance(shape, Bracketed):
                shape.close_line = close
            magic = isinstance(shape, Bracketed) and self._magic(shape)
            self.w.statement(shape, line, close, "", magic, separate)
        else:
            close = self.src.close_line(item.params, line, 1)
            head = f"{item.kind} {item.name}("
            shape = (
                Bracketed(head, [(_params([p]), p) for p in item.params], "):", close) if item.params else f"{head}):"
            )
            magic = isinstance(shape, Bracketed) and self._magic(shape)
            self.w.statement(shape, line, close, "", magic, separate)
            first_body = item.body[0].span.line if item.body else item.span.end_line + 1
            if item.doc:
                token = self.src.doc_string(close, first_body)
                start, stop = (token.line, token.end_line) if token else (close, close)
                self.w.line(_doc_text(item.doc, INDENT), start, stop, INDENT)
            self._body(item.body, INDENT)

    def _magic(self, shape: Bracketed) -> bool:
        return self.src.trailing_comma(shape.items[-1][1])

    # -- statements --------------------------------------------------------------------------------
    def _body(self, stmts, indent: str) -> None:
        self.w.block_start = True
        self.tables.update(call_tables(stmts))
        for stmt in stmts:
            self._statement(stmt, indent)
        if stmts:
            self.w.closing(indent, stmts[0].span.col)

    def _statement(self, stmt: Any, indent: str) -> None:
        line, end = stmt.span.line, stmt.span.end_line
        if stmt.kind in ("flow", "assign"):
            prefix = f"{assign_target(stmt.target)} = " if stmt.kind == "assign" else ""
            shape = chain_shape(prefix, stmt.chain, end)
            if id(stmt) in self.tables and isinstance(shape, Bracketed):
                shape.items = [(cell, node) for cell, (_, node) in zip(self.tables[id(stmt)], shape.items)]
            magic = isinstance(shape, Bracketed) and self._magic(shape)
            self.w.statement(shape, line, end, indent, magic)
        elif stmt.kind in ("input", "pass", "return"):
            self.w.statement(simple_statement(stmt), line, end, indent)
        elif stmt.kind == "if":
            for index, branch in enumerate(stmt.branches):
                keyword = "if" if index == 0 else "elif"
                self.w.line(f"{keyword} {expr(branch.cond)}:", branch.span.line, branch.cond.span.end_line, indent)
                self._body(branch.body, indent + INDENT)
            if stmt.orelse is not None:
                last = _last_line(stmt.branches[-1].body)
                at = self.src.line_of(r"\s*else\s*:", last + 1, stmt.orelse[0].span.line - 1)
                self.w.line("else:", at, at, indent)
                self._body(stmt.orelse, indent + INDENT)
        elif stmt.kind == "for":
            shape = value_shape(f"for {targets(stmt.targets)} in ", stmt.iter, ":")
            magic = isinstance(shape, Bracketed) and self._magic(shape)
            self.w.statement(shape, line, stmt.iter.span.end_line, indent, magic)
            self._body(stmt.body, indent + INDENT)
        elif stmt.kind == "group":
            self.w.line(f"{group_head(stmt)}:", line, line, indent)
            self._body(stmt.body, indent + INDENT)
        else:  # a new statement kind the formatter does not know: the check in format_text catches it
            raise ValueError(f"fmt cannot print a {stmt.kind} statement")


def _call(func: str, args, kwargs, span) -> ast.Call:
    return ast.Call(func=func, args=tuple(args), kwargs=tuple(kwargs), span=span)


def _inside(token, items) -> bool:
    return any(i.span.line <= token.line <= i.span.end_line for i in items)


def _last_line(stmts) -> int:
    last = stmts[-1]
    return last.span.end_line


def format_spec(spec: ast.SpecFile, text: str) -> str:
    """The canonical text of a parsed `.arch` file, its comments kept."""
    return Printer(spec, text).run()
