"""Helpers that let elaboration report several mistakes at once, and report each one well: recovery
after a failed statement, use-before-definition, shape errors that name both producers and a fix, and
the smallest input a network accepts.

Recovery works per statement. When a statement fails, its error is recorded and every name the
statement would have defined (and the flowing value) is bound to `POISON`. A later statement that
reads a poisoned value is skipped without a message, so one mistake never turns into a cascade of
follow-on errors, while mistakes that do not depend on it are still found. This is sound: a
statement is either checked with the real values of everything it reads, or not reported at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..errors import ElaborationError, Note, ShapeError
from ..frontend import syntax
from ..ops.registry import OpDef
from ..shapes import OpShapeError, fmt
from ..source import Span
from .flow import moves_flow
from .nodes import RepeatInfo
from .values import POISON, TensorRef


def defined_names(stmt: syntax.Node) -> Iterator[tuple[str | None, Span | None]]:
    """The names a statement binds in its scope, with where; None for a label built at run time
    (`stage{i}`), whose name cannot be known once the statement has failed."""
    kind = stmt.kind
    if kind in ("flow", "assign"):
        if kind == "assign":
            for name in syntax.bound_names(stmt.target):
                yield name, stmt.span
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
            for name in syntax.bound_names(target):
                yield name, stmt.span
        for inner in stmt.body:
            yield from defined_names(inner)


def poison(stmt: syntax.Node, frame) -> None:
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
            message = (
                f"`{name}` is used in its own definition"
                if itself
                else f"`{name}` is used before it is defined (at {span.where})"
            )
            return ElaborationError(
                message,
                error.span,
                hint="a value can only use values defined above it, which keeps the network a DAG (no cycles); "
                + (
                    "use the value it should be computed from instead"
                    if itself
                    else "move this statement below the definition, or use a value defined earlier"
                ),
                code="E501",
                notes=[] if itself else [Note(f"`{name}` is defined here", span)],
            )
    return None


def shape_error(
    op: OpDef, exc: OpShapeError, inputs: list[TensorRef], attrs: dict, node: syntax.Node, repeat: RepeatInfo | None
) -> ShapeError:
    """An op's shape complaint, located: a merge names both clashing producers (with notes at each) and
    a concrete fix; other ops point at where their input came from."""
    copy = [Note(f"this is copy {repeat.index + 1} of {repeat.count} made by `x {repeat.count}`")] if repeat else []
    if op.merges and exc.code in ("E401", "E402"):
        pair = _clashing_pair(op, attrs, inputs)
        verb = "join" if exc.code == "E402" else "combine"
        message = f"`{op.name}` cannot {verb} " + " with ".join(t.describe() for t in pair)
        notes = [
            Note(f"`{t.producer}` is {fmt(t.shape)}" + (", made here" if t.producer == "in" else ""), t.span)
            for t in pair
            if t.span is not None
        ]
        return ShapeError(message, node.span, _merge_hint(op.name, pair) or exc.hint, exc.code, notes + copy)
    notes = [
        Note(f"its input is {fmt(t.shape)}, from the copy before")
        if repeat and t.span == node.span
        else Note(f"its input is {fmt(t.shape)}, from `{t.producer}`", t.span)
        for t in inputs[:1]
    ]
    return ShapeError(exc.message, node.span, exc.hint, exc.code, notes + copy)


def _clashing_pair(op: OpDef, attrs: dict, inputs: list[TensorRef]) -> list[TensorRef]:
    """The first input that does not fit with the first one: a four-way concat names the two that clash."""
    for other in inputs[1:]:
        try:
            op.shape(attrs, [inputs[0].shape, other.shape])
        except OpShapeError:
            return [inputs[0], other]
    return inputs


def _merge_hint(op: str, pair: list[TensorRef]) -> str | None:
    """A concrete fix for the common residual and concat mistakes."""
    if len(pair) != 2 or any(len(t.shape) != 3 for t in pair):
        return None
    (_, h1, w1), (_, h2, w2) = pair[0].shape, pair[1].shape
    if op == "add":
        # The shortcut is the input that skipped the layers: the larger one when a branch downsampled,
        # otherwise the one made first (`in`). It is the one to project onto the other's shape.
        if h1 * w1 != h2 * w2:
            big, small = (pair[0], pair[1]) if h1 * w1 > h2 * w2 else (pair[1], pair[0])
        else:
            big, small = (pair[0], pair[1]) if pair[0].id < pair[1].id else (pair[1], pair[0])
        (big_channels, bh, bw), (channels, sh, sw) = big.shape, small.shape
        shrink = bh - sh
        if shrink == bw - sw and 0 < shrink <= 6 and shrink % 2 == 0 and bh // sh < 2:
            hint = (
                f"the sizes differ by {shrink}, as after a {shrink + 1}x{shrink + 1} conv without padding: "
                f"give it `padding={shrink // 2}` to keep {bh}x{bw}"
            )
            if channels != big_channels:
                hint += f"; the channels differ too ({big_channels} vs {channels})"
            return hint
        if bh % sh or bw % sw or bh // sh != bw // sw:
            return "both inputs of `add` need the same shape; make the branches downsample alike"
        stride = bh // sh
        fix = f"conv({channels}, 1{', stride=' + str(stride) if stride > 1 else ''}, bias=false) -> batchnorm"
        return (
            f"add a projection shortcut so both inputs have the same shape: pass `{big.producer}` through "
            f"`{fix}` (in a block, only when the stride or the channels change, as in specs/families/resnet.arch)"
        )
    if op == "concat" and (h1, w1) != (h2, w2):
        return (
            f"concat joins channels, so the heights and widths must match ({h1}x{w1} vs {h2}x{w2}); "
            "give every branch the same stride and padding"
        )
    if op == "mul":
        return "a gate must match the channels, or be 1 where it broadcasts (e.g. Cx1x1 over CxHxW)"
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
