"""Helpers that let elaboration report several mistakes at once, and report each one well.

Recovery works per statement. When a statement fails, its error is recorded and every name the
statement would have defined (and the flowing value) is bound to `POISON`. A later statement that
reads a poisoned value is skipped without a message, so one mistake never turns into a cascade of
follow-on errors, while mistakes that do not depend on it are still found. This is sound: a
statement is either checked with the real values of everything it reads, or not reported at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..errors import ElaborationError, Note
from ..frontend import ast
from ..source import Span
from .values import POISON

_VALUE_KINDS = {"name", "in", "attr", "index", "num", "str", "bool", "none", "list", "tuple", "binop", "unary",
                "compare", "boolop", "ifexp"}


def defined_names(stmt: ast.Node) -> Iterator[tuple[str | None, Span | None]]:
    """The names a statement binds in its scope, with where; None for a label built at run time
    (`stage{i}`), whose name cannot be known once the statement has failed."""
    kind = stmt.kind
    if kind in ("flow", "assign"):
        if kind == "assign":
            yield stmt.target, stmt.span
        for item in stmt.chain.items:
            if item.kind == "labeled":  # only the outermost labels land in this scope
                yield item.label.static, item.label.span
    elif kind == "group":
        yield stmt.label.static, stmt.label.span
    elif kind == "input":
        yield "in", stmt.span
    elif kind == "if":
        for branch in stmt.branches:
            for inner in branch.body:
                yield from defined_names(inner)
        for inner in stmt.orelse or ():
            yield from defined_names(inner)
    elif kind == "for":
        for target in stmt.targets:
            yield target, stmt.span
        for inner in stmt.body:
            yield from defined_names(inner)


def moves_flow(stmt: ast.Node) -> bool:
    """Whether a statement could move the flowing value. `shortcut = in` does not; any statement that
    may apply a layer does."""
    if stmt.kind == "pass":
        return False
    if stmt.kind == "assign":
        items = stmt.chain.items
        return not (len(items) == 1 and items[0].kind == "step" and items[0].repeat is None
                    and items[0].expr.kind in _VALUE_KINDS)
    return True


def poison(stmt: ast.Node, frame) -> None:
    """After `stmt` failed: make everything it would have defined unusable, quietly."""
    for name, _ in defined_names(stmt):
        if name is None:
            frame.lost_names = True
        else:
            frame.env[name] = POISON
    if moves_flow(stmt):
        frame.current = POISON


def forward_reference(error: ElaborationError, body: tuple, index: int) -> ElaborationError | None:
    """An "unknown name" that the same body defines further down (or in the failing statement
    itself) is a use before definition: the one way a spec could ask for a cycle."""
    name = error.subject
    if name is None:
        return None
    for position in range(index, len(body)):
        stmt = body[position]
        for defined, span in defined_names(stmt):
            if defined != name or span is None or error.span is None:
                continue
            if position == index and stmt.kind != "assign":
                continue  # `y: conv(y)` labels; only `y = ... y ...` refers to itself
            itself = position == index
            message = (f"`{name}` is used in its own definition" if itself
                       else f"`{name}` is used before it is defined (at {span.where})")
            return ElaborationError(
                message, error.span,
                hint="a value can only use values defined above it, which keeps the network a DAG (no cycles); "
                     + ("use the value it should be computed from instead" if itself
                        else "move this statement below the definition, or use a value defined earlier"),
                code="E501", notes=[] if itself else [Note(f"`{name}` is defined here", span)],
            )
    return None


def smallest_input(collapses: Callable[[int], bool], start: int, limit: int = 4096) -> int | None:
    """The smallest square input size (height = width) at which the network no longer collapses a
    spatial size to zero, or None when even `limit` is too small. Every window's output size grows
    with its input size, so a doubling search then a bisection finds it in ~2 log2(size) tries."""
    low, high = 0, max(start, 1)
    while collapses(high):
        low, high = high, high * 2
        if high > limit:
            return None
    while high - low > 1:  # collapses(low) or low == 0; not collapses(high)
        middle = (low + high) // 2
        if collapses(middle):
            low = middle
        else:
            high = middle
    return high
