"""The smaller network, as IR: every conv and linear keeps only the channels chosen for its space.

Given which channels of each space survive (`keep`), rewrite the graph: producers get their new `out`,
depthwise convs their new `groups`, and every shape and parameter count is recomputed with the op's own
rules from the registry, so the result is checked exactly as a spec would be. No torch here.
"""

from __future__ import annotations

from typing import Any

from ..ir.nodes import Graph, OpNode, ScopeNode
from ..ops.registry import get_op
from .coupling import Coupling


def new_channels(coupling: Coupling, keep: dict[int, list[int]], value: int) -> int:
    """How many channels `value` has once each of its spaces keeps only `keep[space]`."""
    return sum(len(keep[s]) if s in keep else coupling.sizes[s] for s in coupling.spaces_of(value))


def shrink_graph(graph: Graph, coupling: Coupling, keep: dict[int, list[int]]) -> Graph:
    """`graph` with the channels not in `keep` removed (spaces missing from `keep` stay whole)."""
    shapes: dict[int, tuple[int, ...]] = {0: graph.input_shape}

    def rewrite(scope: ScopeNode) -> ScopeNode:
        items: list[OpNode | ScopeNode] = []
        for item in scope.items:
            if isinstance(item, ScopeNode):
                items.append(rewrite(item))
                continue
            inputs = [shapes[i] for i in item.inputs]
            attrs = _new_attrs(item, coupling, keep, inputs)
            op = get_op(item.op)
            shape = tuple(op.shape(attrs, inputs))
            shapes[item.id] = shape
            items.append(item.model_copy(update={"attrs": attrs, "shape": shape, "params": op.params(attrs, inputs)}))
        return scope.model_copy(update={"items": tuple(items)})

    return graph.model_copy(update={"root": rewrite(graph.root)})


def _new_attrs(node: OpNode, coupling: Coupling, keep: dict[int, list[int]], inputs) -> dict[str, Any]:
    attrs = dict(node.attrs)
    if node.op in ("conv2d", "linear"):
        attrs["out"] = new_channels(coupling, keep, node.id)
        if node.op == "conv2d" and attrs.get("groups", 1) > 1 and attrs["groups"] == node.attrs["out"]:
            attrs["groups"] = inputs[0][0]  # depthwise stays depthwise
    if node.op == "parameter":
        attrs["shape"] = (new_channels(coupling, keep, node.id), *node.attrs["shape"][1:])
    return attrs
