"""What one file's AST defines and uses, with the ranges of the names themselves.

Definitions are the top-level blocks, networks and constants, and inside each the labels, values
(`name = ...`), parameters and loop variables it binds. Uses are every name read and every layer called.
Navigation, completion, the outline and semantic tokens all read this one index.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..source import Source, Span
from .syntax import ast

DEF_KINDS = {"block": "block", "network": "network", "alias": "network", "const": "const"}


@dataclass
class Symbol:
    """A defined name. `span` covers the name; `line`..`end_line` the whole definition."""

    name: str
    kind: str  # block | network | const | label | value | param | loop
    span: Span
    line: int
    end_line: int
    children: list[Symbol] = field(default_factory=list)
    node: ast.Node | None = None


@dataclass
class Use:
    """A name read (`kind` "name") or a layer called (`kind` "call") at `span`."""

    name: str
    kind: str
    span: Span


@dataclass
class FileIndex:
    path: str
    definitions: list[Symbol]
    uses: list[Use]
    imports: list[tuple[str, Span]]  # the path as written, and the span of the import statement

    def enclosing(self, line: int) -> Symbol | None:
        """The top-level definition whose lines contain `line` (1-based)."""
        return next((d for d in self.definitions if d.line <= line <= d.end_line), None)

    def top(self, name: str) -> Symbol | None:
        return next((d for d in self.definitions if d.name == name), None)


def walk(node: object) -> Iterator[ast.Node]:
    """Every AST node below `node`, in source order."""
    if isinstance(node, ast.Node):
        yield node
        for value in node.__dict__.values():
            yield from walk(value)
    elif isinstance(node, tuple):
        for item in node:
            yield from walk(item)


def name_span(name: str, span: Span, source: Source) -> Span:
    """The range of `name` itself, searched from `span`'s start on its first line."""
    line = source.line(span.line)
    found = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)").search(line, max(span.col - 1, 0))
    if found is None:
        return span
    return Span(line=span.line, col=found.start() + 1, end_line=span.line, end_col=found.end() + 1, path=span.path)


def build_index(spec: ast.SpecFile, source: Source) -> FileIndex:
    definitions: list[Symbol] = []
    imports: list[tuple[str, Span]] = []
    tops = [item for item in spec.items if item.span is not None]
    for number, item in enumerate(tops):
        if isinstance(item, ast.Import):
            imports.append((item.path, item.span))
            continue
        end = tops[number + 1].span.line - 1 if number + 1 < len(tops) else len(source.lines)
        symbol = Symbol(
            item.name,
            DEF_KINDS[item.kind],
            name_span(item.name, item.span, source),
            item.span.line,
            max(end, item.span.line),
            node=item,
        )
        for param in getattr(item, "params", ()):
            if param.span is not None:
                symbol.children.append(_local(param.name, "param", param.span, source, param))
        symbol.children.extend(_locals(getattr(item, "body", ()), source))
        definitions.append(symbol)
    uses = []
    for node in walk(spec.items):
        if node.span is None:
            continue
        if isinstance(node, ast.Name):
            uses.append(Use(node.id, "name", name_span(node.id, node.span, source)))
        elif isinstance(node, ast.Call):
            uses.append(Use(node.func, "call", name_span(node.func, node.span, source)))
        elif isinstance(node, ast.NetworkAlias):
            base = name_span(node.base, _after(name_span(node.name, node.span, source)), source)
            uses.append(Use(node.base, "call", base))
    return FileIndex(source.path, definitions, uses, imports)


def _after(span: Span) -> Span:
    return span.model_copy(update={"col": span.end_col})


def _local(name: str, kind: str, span: Span, source: Source, node: ast.Node | None = None) -> Symbol:
    return Symbol(name, kind, name_span(name, span, source), span.line, span.end_line, node=node)


def _label_text(label: ast.Label) -> str:
    return "".join(part if isinstance(part, str) else "{...}" for part in label.parts)


def _locals(body: tuple, source: Source) -> list[Symbol]:
    """Labels, values and loop variables bound in a body; a group's own labels are its children."""
    found: list[Symbol] = []
    for stmt in body:
        if stmt.span is None:
            continue
        if isinstance(stmt, ast.Group):
            group = _label_symbol(stmt.label, source, stmt)
            group.children = _locals(stmt.body, source)
            if stmt.input_name is not None:  # `stage1 as x:`, bound inside the group
                group.children.insert(0, _local(stmt.input_name, "value", stmt.label.span, source, stmt))
            found.append(group)
            continue
        if isinstance(stmt, ast.Assign):
            found.extend(_local(name, "value", stmt.span, source, stmt) for name in ast.bound_names(stmt.target))
        if isinstance(stmt, ast.For):
            names = [name for target in stmt.targets for name in ast.bound_names(target)]
            found.extend(_local(name, "loop", stmt.span, source, stmt) for name in names)
        chains = [stmt.chain] if isinstance(stmt, ast.FlowStmt | ast.Assign) else []
        for chain in chains:
            for node in walk(chain):
                if isinstance(node, ast.Labeled) and node.label.span is not None:
                    found.append(_label_symbol(node.label, source, node))
        for nested in _bodies(stmt):
            found.extend(_locals(nested, source))
    return found


def _label_symbol(label: ast.Label, source: Source, node: ast.Node) -> Symbol:
    text = _label_text(label)
    first = label.parts[0] if isinstance(label.parts[0], str) else text
    span = name_span(first, label.span, source)
    if text != first:  # `denseblock{i + 1}`: the whole label, up to its colon
        line = source.line(label.span.line)
        colon = line.find(":", span.col - 1)
        span = span.model_copy(update={"end_col": colon + 1 if colon >= 0 else span.end_col})
    return Symbol(text, "label", span, node.span.line, node.span.end_line, node=node)


def _bodies(stmt: ast.Node) -> list[tuple]:
    if isinstance(stmt, ast.If):
        return [branch.body for branch in stmt.branches] + ([stmt.orelse] if stmt.orelse else [])
    if isinstance(stmt, ast.For):
        return [stmt.body]
    return []


def flatten_symbols(symbols: list[Symbol]) -> Iterator[Symbol]:
    for symbol in symbols:
        yield symbol
        yield from flatten_symbols(symbol.children)
