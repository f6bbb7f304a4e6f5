"""Checks of a finished graph of values: it is a DAG with no dangling inputs (errors), and lint warnings
(values never used, `linear` on feature maps). Also the topological order.

The order comes from the standard library's `graphlib`: importing networkx cost `check` 0.25-0.35 s of
its cold start on this project's machine, for one sort."""

from __future__ import annotations

from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter

from ..errors import ArchError, GraphError, Note
from ..shapes import fmt
from .nodes import Graph, OpNode


@dataclass
class GraphReport:
    """What validation found: the topological order of op ids, and warnings (unused values)."""

    order: list[int]
    warnings: list[ArchError] = field(default_factory=list)


def topological_order(graph: Graph, ops: list[tuple[str, OpNode]] | None = None) -> list[int]:
    """Every value (0 is the input, then every op id) after the values it reads; GraphError E501 on a cycle."""
    ops = list(graph.ops()) if ops is None else ops
    sorter = TopologicalSorter({0: ()} | {node.id: node.inputs for _, node in ops})
    try:
        return list(sorter.static_order())
    except CycleError as cycle:
        first = cycle.args[1][0]
        path, node = next((path, node) for path, node in ops if node.id == first)
        raise GraphError(f"the graph has a cycle through `{path}`", node.span, code="E501") from None


def validate(graph: Graph) -> GraphReport:
    """Raise GraphError on a cycle or a reference to an undefined value; warn about unused values."""
    ops = list(graph.ops())  # one walk of the scopes, shared by the checks below
    defined = {0} | {node.id for _, node in ops}
    for _, node in ops:
        missing = [i for i in node.inputs if i not in defined]
        if missing:
            raise GraphError(f"`{node.op}` reads value {missing[0]}, which nothing defines", node.span, code="E501")
    order = topological_order(graph, ops)
    return GraphReport(order=order, warnings=one_per_location(_unused(graph, ops) + _linear_on_maps(graph, ops)))


# How many other copies a deduplicated warning names before it says "..." instead.
MAX_COPIES_NAMED = 3


def one_per_location(found: list[tuple[str, ArchError]]) -> list[ArchError]:
    """One warning per code and spec location: a block used 4 times made 4 copies of its faulty line, but
    the user has one line to fix. The first copy's warning stays, with a note naming the others."""
    groups: dict[tuple, list[tuple[str, ArchError]]] = {}
    for index, (path, warning) in enumerate(found):
        key = (warning.code, warning.span) if warning.span is not None else (index,)
        groups.setdefault(key, []).append((path, warning))
    kept = []
    for copies in groups.values():
        _, first = copies[0]
        others = [f"`{path}`" for path, _ in copies[1:]]
        if others:
            named = ", ".join(others[:MAX_COPIES_NAMED]) + (", ..." if len(others) > MAX_COPIES_NAMED else "")
            copy_word = "copy" if len(others) == 1 else "copies"
            first.notes.append(Note(f"the same in {len(others)} more {copy_word} of this line: {named}"))
        kept.append(first)
    return kept


def _unused(graph: Graph, ops: list[tuple[str, OpNode]]) -> list[tuple[str, ArchError]]:
    """Values nothing reads and that are not the network's output: dead ends of the graph."""
    warnings = []
    used = set(graph.output_ids) | {source for _, node in ops for source in node.inputs}
    for path, node in ops:
        if node.id in used:
            continue
        what = (
            f"`{path}` ({node.op}, {fmt(node.shape)})"
            if path.rsplit(".", 1)[-1] != node.op
            else f"this `{node.op}` ({fmt(node.shape)})"
        )
        warnings.append(
            (
                path,
                ArchError(
                    f"the output of {what} is never used",
                    node.span,
                    hint="remove it, or merge it into the network with add/concat/mul",
                    code="W501",
                    severity="warning",
                ),
            )
        )
    return warnings


def _linear_on_maps(graph: Graph, ops: list[tuple[str, OpNode]]) -> list[tuple[str, ArchError]]:
    """`linear` right after pooling, without `flatten`: legal (it acts on the last dim, as torch's
    nn.Linear does) but almost never meant, and the output shape comes out as Cx1xN."""
    shapes = {0: graph.input_shape} | {node.id: node.shape for _, node in ops}
    producers = {node.id: node for _, node in ops}
    warnings = []
    for path, node in ops:
        if node.op != "linear" or _channels_last(node.inputs[0], producers):
            continue
        shape = shapes[node.inputs[0]]
        if len(shape) == 3:
            warnings.append(
                (
                    path,
                    ArchError(
                        f"`{path}` is applied to a {fmt(shape)} value: linear acts on the last dim only, so the output "
                        f"is {fmt(node.shape)}",
                        node.span,
                        hint="put `flatten` before it to classify from all features",
                        code="W502",
                        severity="warning",
                    ),
                )
            )
    return warnings


def _channels_last(value: int, producers: dict[int, OpNode]) -> bool:
    """True when `value` was put channels last by a `permute` (ConvNeXt's per-position MLP: permute,
    layernorm, linear, gelu, linear): a linear over the last dim is then what the spec means."""
    while value in producers:
        node = producers[value]
        if node.op == "permute":
            return True
        if node.op in ("conv2d", "flatten") or len(node.inputs) != 1:
            return False
        value = node.inputs[0]
    return False
