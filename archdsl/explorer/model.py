"""Checked spec -> the explorer's model: every block a reader can open or close, the labels of each
block both ways (closed as one node, open as a box), and the wiring between ops.

Nothing here decides how a diagram looks: every label, fold and edge comes from `backends/diagram.py`,
built once per depth. The page combines them for whatever blocks the reader has opened: an edge between
two ops is drawn between the outermost closed blocks around them (see `explorer.js`, `visibleEdges`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..api import Checked
from ..backends.diagram import ALL, AUTO, Cluster, Diagram, DiagramNode, build_diagram, max_depth
from ..backends.summary import count_op
from ..ir.nodes import Graph, OpNode, ScopeNode
from ..shapes import fmt
from .style import palette

Tip = list[tuple[str, str]]  # a tooltip: (label, value) rows, in order


def explorer_model(checked: Checked, depth: int | str = AUTO, expand: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON-ready model of `checked` that `explorer.js` draws (see the module docstring). The page
    opens first with the blocks that `depth` and `expand` open in the static diagram."""
    graph = checked.graph
    full = build_diagram(graph, ALL)  # every block open: the op nodes, the edges and every box
    default = build_diagram(graph, depth, expand, fuse=False)  # the explorer shows every op of an open block
    closed: dict[str, DiagramNode] = {}  # a block's node when closed, from the depth that closes it
    for level in range(1, max_depth(graph)):
        for node in build_diagram(graph, level).nodes:
            if node.kind in ("block", "stage"):
                closed.setdefault(node.id, node)
    scopes = _scopes_by_path(graph)
    ops = _ops_by_path(graph)
    units: dict[str, dict[str, Any]] = {}
    boxes = set(_box_ids(full.top))
    singles = {node.id.rpartition(".")[0] for node in full.nodes} & (set(closed) - boxes)
    _add_units(full.top, None, units, singles)
    for unit_id, unit in units.items():
        node = closed.get(unit_id)
        if node is not None:
            run = _run_of(graph, scopes, unit_id, node)
            unit["closed"] = _node_json(node, _block_tip(graph, run, node, checked))
            if len(run) > 1:  # a folded run: search finds `layer3.7.conv2` in the box of `layer3.1–35`
                unit["members"] = [scope.name for scope in run]
            if run and _opens_with_parent(run[0]):
                unit["auto"] = True
    nodes = {node.id: _node_json(node, _op_tip(graph, ops.get(node.id), node, checked)) for node in full.nodes}
    return {
        "name": full.name,
        "title": full.title,
        "subtitle": full.subtitle,
        "families": list(full.families),
        "palette": palette(),
        "nodes": nodes,
        "units": units,
        "edges": [[e.source, e.target, e.shape, int(e.skip)] for e in full.edges],
        "open": sorted(_opened(default, units)),
    }


def _box_ids(cluster: Cluster) -> list[str]:
    return [cluster.id.removeprefix("cluster_")] + [i for child in cluster.clusters for i in _box_ids(child)]


def _add_units(cluster: Cluster, parent: str | None, units: dict[str, dict[str, Any]], singles: set[str]) -> None:
    """One unit per box of the fully open diagram (the network itself is the root), and one per group
    around a single op, which the full diagram draws as that op (`single`)."""
    unit_id = "" if parent is None else cluster.id.removeprefix("cluster_")
    own_nodes = []
    for node_id in cluster.nodes:
        group = node_id.rpartition(".")[0]
        if group in singles:
            units[group] = {
                "parent": unit_id,
                "label": group,
                "tip": "",
                "level": cluster.level + 1,
                "nodes": [node_id],
                "single": True,
            }
        else:
            own_nodes.append(node_id)
    units[unit_id] = {
        "parent": parent,
        "label": cluster.label,
        "tip": cluster.tooltip,
        "level": cluster.level,
        "nodes": own_nodes,
        "single": False,
    }
    for child in cluster.clusters:
        _add_units(child, unit_id, units, singles)


def _opened(default: Diagram, units: dict[str, dict[str, Any]]) -> set[str]:
    """The blocks the static diagram opens by default: every unit around a node it draws."""
    opened = set()
    for node in default.nodes:
        parts = node.id.split(".")
        opened.update(p for p in (".".join(parts[:i]) for i in range(1, len(parts))) if p in units)
    return opened


def _opens_with_parent(scope: ScopeNode) -> bool:
    """A plain group (`downsample`, `features`) opens with the block around it, as at depth "auto";
    block instances and stages stay closed until clicked."""
    from ..ir.structure import is_stage  # the "auto" depth's own rule

    return scope.block is None and not is_stage(scope)


def _node_json(node: DiagramNode, tip: Tip) -> dict[str, Any]:
    data = {"kind": node.kind, "family": node.family, "title": node.title, "tip": tip}
    if node.name:
        data["name"] = node.name
    if node.detail:
        data["detail"] = node.detail
    return data


def _paths(graph: Graph) -> dict[str, OpNode | ScopeNode]:
    """Every op and scope by the id the diagram gives it (inline ops are `scope.(add)#7`)."""
    found: dict[str, OpNode | ScopeNode] = {}

    def visit(scope: ScopeNode, prefix: str) -> None:
        for item in scope.items:
            name = item.name if item.name is not None else f"({item.op})#{item.id}"  # type: ignore[union-attr]
            found[prefix + name] = item
            if isinstance(item, ScopeNode):
                visit(item, prefix + name + ".")

    visit(graph.root, "")
    return found


def _ops_by_path(graph: Graph) -> dict[str, OpNode]:
    return {path: item for path, item in _paths(graph).items() if isinstance(item, OpNode)}


def _scopes_by_path(graph: Graph) -> dict[str, ScopeNode]:
    return {path: item for path, item in _paths(graph).items() if isinstance(item, ScopeNode)}


def _where(span: Any, checked: Checked) -> str:
    if span is None:
        return ""
    path = Path(span.path)
    base = Path(checked.origin).parent
    try:
        shown = path.relative_to(base) if path.is_absolute() == base.is_absolute() else path
    except ValueError:
        shown = path
    return f"{shown}:{span.line}"


def _macs(graph: Graph, ops: list[OpNode]) -> str:
    counts = [count_op(graph, op).macs for op in ops]
    known = sum(c for c in counts if c is not None)
    return f"{known:,}" + (" (some ops have no MAC rule)" if None in counts else "")


def _show(value: Any) -> str:
    from ..backends.diagram import show_arg  # the diagram's own way to print an argument

    return show_arg(value)


def _op_tip(graph: Graph, op: OpNode | None, node: DiagramNode, checked: Checked) -> Tip:
    if op is None:  # the input and output nodes
        return [("", node.tooltip)]
    args = ", ".join(f"{k}={_show(v)}" for k, v in op.attrs.items())
    rows = [
        ("op", f"{op.op}({args})"),
        ("input", ", ".join(fmt(graph.shape_of(i)) for i in op.inputs)),
        ("output", fmt(op.shape)),
        ("params", f"{op.params:,}"),
        ("MACs", _macs(graph, [op])),
    ]
    where = _where(op.span, checked)
    return rows + ([("spec", where)] if where else [])


def _run_of(graph: Graph, scopes: dict[str, ScopeNode], unit_id: str, node: DiagramNode) -> list[ScopeNode]:
    """The scopes one closed node stands for: one, or a folded run of siblings (`layer1.0–2` ends at `2`)."""
    parent_path, _, first = unit_id.rpartition(".")
    parent = scopes.get(parent_path, graph.root) if parent_path else graph.root
    last = node.name or first
    for separator in ("–", " … "):
        last = last.split(separator)[-1]
    siblings = [s for s in parent.items if isinstance(s, ScopeNode)]
    names = [s.name for s in siblings]
    if first in names and last in names:
        return siblings[names.index(first) : names.index(last) + 1]
    return [scopes[unit_id]] if unit_id in scopes else []


def _block_tip(graph: Graph, run: list[ScopeNode], node: DiagramNode, checked: Checked) -> Tip:
    if not run:
        return [("", node.tooltip)]
    ops = [op for scope in run for _, op in scope.walk() if isinstance(op, OpNode)]
    first = run[0]
    rows = [("", node.tooltip)]
    if first.block:
        args = ", ".join(f"{k}={_show(v)}" for k, v in first.args.items())
        rows.append(("block", f"{first.block}({args})" + (f" x {len(run)}" if len(run) > 1 else "")))
    rows += [
        ("input", fmt(graph.shape_of(first.input))),
        ("output", fmt(graph.shape_of(run[-1].output))),
        ("params", f"{sum(op.params for op in ops):,}"),
        ("MACs", _macs(graph, ops)),
    ]
    where = _where(first.span, checked)
    if where:
        rows.append(("spec", where))
    defined = _where(first.defn_span, checked)
    if defined:
        rows.append(("defined", defined))
    return rows
