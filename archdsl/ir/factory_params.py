"""Which network parameters a generated factory may expose: the differential check.

The evaluator already fixes every parameter the spec computes with. As a second, independent check,
the spec is elaborated again with the parameter set to a probe value: the two IRs must be identical
except exactly where the parameter itself appears. Shape rules that combine a parameter with other
sizes (a concat after `linear(num_classes)`, say) show up there as a difference elsewhere.
"""

from __future__ import annotations

from typing import Any

from .nodes import Graph, OpNode, ScopeNode
from .param_tags import ParamValue, Retagger

_SAME_PARAM = "<param>"


def probe_value(value: Any) -> Any:
    """A different, still plausible value of the same type."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value) + 1
    if isinstance(value, float):
        raw = float(value)
        return raw / 2 + 0.25 if raw != 0.5 else 0.3
    return value


def only_param_differs(a: Graph, b: Graph, name: str) -> bool:
    """True when `a` and `b` differ only where their side tables (`Graph.param_uses`) say parameter
    `name` is used verbatim."""
    tags_a, tags_b = Retagger(a), Retagger(b)
    return _fingerprint(a.root, name, tags_a) == _fingerprint(b.root, name, tags_b) and _norm(
        tags_a.input, name
    ) == _norm(tags_b.input, name)


def _norm(value: Any, name: str) -> Any:
    if isinstance(value, ParamValue) and value.param == name:
        return _SAME_PARAM
    if isinstance(value, tuple):
        return tuple(_norm(v, name) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _norm(v, name)) for k, v in value.items()))
    return (type(value).__name__, value)


def _fingerprint(node: OpNode | ScopeNode, name: str, tags: Retagger) -> tuple:
    if isinstance(node, OpNode):
        return (
            "op",
            node.id,
            node.op,
            node.name,
            node.inputs,
            _norm(tags.attrs(node), name),
            _norm(tags.shape(node), name),
        )
    return (
        "scope",
        node.name,
        node.block,
        node.sequential,
        node.input,
        node.output,
        tuple(_fingerprint(item, name, tags) for item in node.items),
    )
