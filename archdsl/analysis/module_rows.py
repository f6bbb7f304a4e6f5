"""Per-module rows of a typed IR at a chosen depth (what `compile` and `summary` print)."""

from __future__ import annotations

from dataclasses import dataclass

from ..ir.nodes import Graph, OpNode, ScopeNode
from ..shapes import Shape


@dataclass(frozen=True)
class Row:
    path: str
    op: str  # the op, the block name, or "Sequential"/"group"
    shape: Shape
    params: int
    depth: int
    node: OpNode | ScopeNode


def scope_params(scope: ScopeNode) -> int:
    return sum(item.params if isinstance(item, OpNode) else scope_params(item) for item in scope.items)


def kind_of(node: OpNode | ScopeNode) -> str:
    if isinstance(node, OpNode):
        return node.op
    return node.block or ("Sequential" if node.sequential else "group")


def rows(graph: Graph, depth: int = 2) -> list[Row]:
    """One row per module down to `depth` levels (1 = the network's direct children); inline ops
    (add, concat, flatten...) appear as `scope.(add)`."""
    out: list[Row] = []

    def visit(scope: ScopeNode, prefix: str, level: int) -> None:
        for item in scope.items:
            name = item.name if item.name is not None else f"({item.op})"
            path = prefix + name
            if isinstance(item, OpNode):
                out.append(Row(path, item.op, item.shape, item.params, level, item))
            else:
                out.append(Row(path, kind_of(item), graph.shape_of(item.output), scope_params(item), level, item))
                if level < depth:
                    visit(item, path + ".", level + 1)

    visit(graph.root, "", 1)
    return out
