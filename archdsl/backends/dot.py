"""Diagram model -> Graphviz DOT source, with the `graphviz` package (which only writes text: rendering
is `backends/render.py`'s job).

Colours follow op families with the Okabe-Ito palette (safe for the common colour-vision deficiencies):
light tints fill the nodes so black text stays readable, the full colours draw their borders. Shapes
carry meaning too (merges are ellipses, closed blocks have a double border), so nothing depends on
colour alone.
"""

from __future__ import annotations

from html import escape

import graphviz

from .diagram import Cluster, Diagram, DiagramEdge, DiagramNode

FONT = "Helvetica,Arial,sans-serif"

# family -> (fill, border, legend text). Fills are the Okabe-Ito colours mixed with 70% white.
PALETTE: dict[str, tuple[str, str, str]] = {
    "conv": ("#B2D5E8", "#0072B2", "convolution"),
    "norm": ("#FAF7C6", "#B8A800", "normalisation"),
    "act": ("#F7E2B2", "#E69F00", "activation"),
    "pool": ("#B2E1D4", "#009E73", "pooling"),
    "linear": ("#EFD6E4", "#CC79A7", "linear"),
    "merge": ("#F2CEB2", "#D55E00", "merge (add, mul, concat)"),
    "reshape": ("#EEEEEE", "#888888", "reshape"),
    "regularize": ("#EEEEEE", "#888888", "dropout"),
    "other": ("#EEEEEE", "#888888", "other"),
    "block": ("#CCE8F8", "#3A8FC4", "block (closed)"),
    "io": ("#FFFFFF", "#333333", ""),
}
SKIP_COLOUR = "#D55E00"
CLUSTER_FILLS = ("#F7F7F7", "#EDEDED")  # alternate by nesting level so nested boxes stay distinct
MERGE_SYMBOLS = {"add": "+", "mul": "×"}


def to_dot(diagram: Diagram, rankdir: str = "TB") -> str:
    """The DOT source of a diagram; deterministic for a given diagram (the gallery test relies on it)."""
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"rankdir must be TB, LR, BT or RL, not {rankdir!r}")
    dot = graphviz.Digraph(
        name=diagram.name,
        graph_attr={
            "rankdir": rankdir,
            "label": _title(diagram),
            "labelloc": "t",
            "fontname": FONT,
            "fontsize": "14",
            "nodesep": "0.3",
            "ranksep": "0.35",
            "newrank": "true",
            "bgcolor": "white",
            "pad": "0.3",
            "tooltip": diagram.title,
        },
        node_attr={
            "fontname": FONT,
            "fontsize": "11",
            "shape": "box",
            "style": "rounded,filled",
            "penwidth": "1.2",
            "margin": "0.12,0.05",
            "height": "0.3",
        },
        edge_attr={
            "fontname": FONT,
            "fontsize": "9",
            "fontcolor": "#444444",
            "color": "#555555",
            "arrowsize": "0.6",
            "penwidth": "1.0",
        },
    )
    by_id = {node.id: node for node in diagram.nodes}
    _add_scope(dot, diagram.top, by_id, top=True)
    labelled: set[tuple[str, str]] = set()
    for edge in diagram.edges:
        # A value feeding several nodes is labelled once: a row of identical shapes only adds noise.
        # Skip connections keep their label, since they run a long way from their source.
        show_shape = edge.skip or (edge.source, edge.shape) not in labelled
        labelled.add((edge.source, edge.shape))
        _add_edge(dot, edge, show_shape)
    return dot.source


def _title(diagram: Diagram) -> str:
    """The title, the figures, and the legend (part of the label, so it never disturbs the layout)."""
    head = (
        f'<TR><TD><FONT POINT-SIZE="16"><B>{escape(diagram.title)}</B></FONT></TD></TR>'
        f'<TR><TD><FONT POINT-SIZE="11">{escape(diagram.subtitle)}</FONT></TD></TR>'
    )
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2">{head}{_legend(diagram.families)}</TABLE>>'


def _add_scope(dot: graphviz.Digraph, cluster: Cluster, by_id: dict[str, DiagramNode], top: bool = False) -> None:
    if not top:
        dot.attr(
            label=_cluster_label(cluster),
            labeljust="l",
            style="rounded,filled",
            fillcolor=CLUSTER_FILLS[(cluster.level - 1) % 2],
            color="#9A9A9A",
            penwidth="1.0",
            fontsize="10",
            fontname=FONT,
            margin="10",
            tooltip=cluster.tooltip or cluster.label,
        )
    for node_id in cluster.nodes:
        _add_node(dot, by_id[node_id])
    for child in cluster.clusters:
        with dot.subgraph(name=child.id) as sub:
            _add_scope(sub, child, by_id)


def _cluster_label(cluster: Cluster) -> str:
    return f'<<FONT COLOR="#333333">{escape(cluster.label)}</FONT>>'


def _add_node(dot: graphviz.Digraph, node: DiagramNode) -> None:
    fill, border, _ = PALETTE.get(node.family, PALETTE["other"])
    attrs = {"fillcolor": fill, "color": border, "tooltip": node.tooltip}
    if node.kind == "merge":
        symbol = MERGE_SYMBOLS.get(node.title)
        if symbol:
            attrs.update(
                shape="circle", label=symbol, fontsize="14", width="0.3", height="0.3", fixedsize="true", margin="0"
            )
        else:
            attrs.update(shape="ellipse", label=escape(node.title), margin="0.05,0.02")
    elif node.kind in ("input", "output"):
        attrs.update(shape="box", style="rounded", label=escape(node.title), penwidth="1.4")
    else:
        attrs["label"] = _node_label(node)
        if node.kind in ("block", "stage"):
            attrs["peripheries"] = "2"
    dot.node(node.id, **attrs)


def _node_label(node: DiagramNode) -> str:
    lines = []
    if node.name:
        lines.append(f'<FONT POINT-SIZE="9" COLOR="#555555">{escape(node.name)}</FONT>')
    bold = node.kind in ("block", "stage")
    lines.append(f"<B>{escape(node.title)}</B>" if bold else escape(node.title))
    for line in (node.detail or "").splitlines():
        lines.append(f'<FONT POINT-SIZE="9" COLOR="#333333">{escape(line)}</FONT>')
    return "<" + "<BR/>".join(lines) + ">"


def _add_edge(dot: graphviz.Digraph, edge: DiagramEdge, show_shape: bool = True) -> None:
    attrs = {"label": edge.shape if show_shape else "", "tooltip": f"{edge.source} → {edge.target}: {edge.shape}"}
    if edge.skip:
        attrs.update(color=SKIP_COLOUR, style="dashed", penwidth="1.3", fontcolor=SKIP_COLOUR)
    else:
        # Heavier than skip edges, so the main path stays a straight column and the skips bend around it.
        attrs["weight"] = "4"
    dot.edge(edge.source, edge.target, **attrs)


def _legend(families: tuple[str, ...]) -> str:
    """One row of swatches; families that share a colour (reshape, dropout, other) share an entry."""
    entries: dict[str, list[str]] = {}
    for family in families:
        fill, border, text = PALETTE[family]
        entries.setdefault(f"{fill}|{border}", []).append(text)
    if not entries:
        return ""
    cells = "".join(
        f'<TD BGCOLOR="{key.split("|")[0]}" COLOR="{key.split("|")[1]}" BORDER="1" WIDTH="14" HEIGHT="10" FIXEDSIZE="TRUE"></TD>'
        f'<TD ALIGN="LEFT"><FONT POINT-SIZE="9">{escape(", ".join(texts))}</FONT></TD><TD WIDTH="6"></TD>'
        for key, texts in entries.items()
    )
    return (
        f'<TR><TD><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="1"><TR>{cells}</TR></TABLE></TD></TR>'
    )
