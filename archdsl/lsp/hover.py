"""Hover: a label or layer shows its output shape, parameters and MACs (every instance, from the last
check); a block, network or op name its signature and docstring; `in` the input's shape in each
instance of the enclosing block."""

from __future__ import annotations

import inspect

from lsprotocol import types

from ..analysis.module_rows import scope_params
from ..backends.summary import count_op
from ..frontend import unparse
from ..ir.nodes import Graph, OpNode, ScopeNode
from ..ops.registry import REQUIRED, OpDef, get_op
from ..shapes import fmt
from .documents import Analysis, IRItem, contains, graphs_for, same_file, word_at
from .index import Symbol
from .navigation import global_definition, local_definitions, symbol_at
from .syntax import ast

SHOWN = 8  # instances listed before "... and N more"


def hover(analysis: Analysis, others: list[Analysis], position: types.Position) -> types.Hover | None:
    word, start, end = word_at(analysis.text, position)
    index = analysis.index()
    if not word or index is None:
        return None
    line, col = position.line + 1, position.character + 1
    found = graphs_for(analysis.path, [analysis, *others])
    parts: list[str] = []
    label = symbol_at(index, line, col)
    if word == "in":
        parts.append(input_shapes(analysis, [analysis, *others], line))
    elif label is not None and label.kind == "label":
        parts.append(layers(_label_nodes(found, label)))
    elif label is not None and label.kind == "value":
        parts.append(value(analysis, [analysis, *others], found, label))
    else:
        used = next((u for u in index.uses if u.name == word and contains(u.span, line, col)), None)
        local = local_definitions(index, word, line) if used is not None else []
        if local and local[-1].kind == "label":  # a label read as a value: `add(bn2, shortcut)`
            parts.append(layers(_label_nodes(found, local[-1])))
        elif local and local[-1].kind == "value":  # every place the value may come from
            bindings = [b for b in local if b.kind == "value"]
            parts.extend(value(analysis, [analysis, *others], found, b, len(bindings) > 1) for b in bindings)
        elif not local:
            parts.append(signature(analysis, word))
            parts.append(layers(_innermost(found, line, col)))
    text = "\n\n---\n\n".join(p for p in parts if p)
    if not text:
        return None
    if analysis.stale and found and found[0][0] is analysis.checked.graph:
        text += "\n\n*(shapes from the last check without errors)*"
    where = types.Range(
        start=types.Position(line=position.line, character=start), end=types.Position(line=position.line, character=end)
    )
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=where)


def signature(analysis: Analysis, name: str) -> str:
    """`block Name(params)` with its docstring, or an op's signature with its arguments' docs."""
    found = global_definition(analysis, name)
    if found is not None:
        node = found[0].node
        if isinstance(node, ast.NetworkAlias):
            args = [unparse.expr(a) for a in node.args] + [f"{k.name}={unparse.expr(k.value)}" for k in node.kwargs]
            head = f"network {node.name} = {node.base}({', '.join(args)})"
        else:
            params = ", ".join(
                p.name + (f"={unparse.expr(p.default)}" if p.default is not None else "")
                for p in getattr(node, "params", ())
            )
            head = (
                f"{found[0].kind} {name}({params})"
                if found[0].kind != "const"
                else f"{name} = {unparse.expr(node.value)}"
            )
        where = f"defined in `{found[1]}`, line {found[0].line}"
        doc = inspect.cleandoc(node.doc) if getattr(node, "doc", None) else None
        return "\n\n".join(x for x in (f"```archdsl\n{head}\n```", doc, where) if x)
    op = get_op(name)
    return op_signature(op) if op is not None else ""


def op_signature(op: OpDef) -> str:
    variadic = op.extra.get("variadic")  # parameter(64, 1, 1, ...): one argument per dim
    args = ", ".join(
        f"{a.name}..." if a.name == variadic else a.name if a.required else f"{a.name}={show_default(a.default)}"
        for a in op.args
    )
    lines = [f"```archdsl\n{op.name}({args})\n```", f"op ({op.family})" + (f": {op.doc}" if op.doc else "")]
    lines += [f"- `{a.name}`: {a.doc}" for a in op.args if a.doc]
    return "\n\n".join(lines[:2]) + ("\n\n" + "\n".join(lines[2:]) if lines[2:] else "")


def show_default(value: object) -> str:
    """A default as the spec language writes it: true, false, none, "same", (1, 1)."""
    if value is REQUIRED:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def layers(found: list[tuple[Graph, IRItem]]) -> str:
    """What the last check computed for these IR nodes (all instances of one layer or label)."""
    if not found:
        return ""
    graph, (path, node) = found[0]
    what = node.op if isinstance(node, OpNode) else (node.block or "group")
    shape, params, macs = _figures(graph, node)
    text = f"**`{path}`** ({what}): output **{fmt(shape)}**, {params:,} params, {macs:,} MACs"
    if len(found) == 1:
        return text
    rows = [f"- `{p}`: {fmt(_figures(g, n)[0])}" for g, (p, n) in found[:SHOWN]]
    more = [f"- ... and {len(found) - SHOWN} more"] if len(found) > SHOWN else []
    return "\n".join([f"{len(found)} instances; the first: {text}", "", *rows, *more])


def _figures(graph: Graph, node: OpNode | ScopeNode) -> tuple[tuple[int, ...], int, int]:
    if isinstance(node, OpNode):
        return node.shape, node.params, count_op(graph, node).macs or 0
    macs = sum(count_op(graph, n).macs or 0 for _, n in node.walk() if isinstance(n, OpNode))
    return graph.shape_of(node.output), scope_params(node), macs


def _label_nodes(found: list[tuple[Graph, list[IRItem]]], label: Symbol) -> list[tuple[Graph, IRItem]]:
    prefix = label.name.split("{", 1)[0]
    exact = "{" not in label.name
    return [
        (g, (p, n))
        for g, items in found
        for p, n in items
        if n.span.line == label.span.line
        and n.span.col >= label.span.col
        and n.name is not None
        and (n.name == label.name if exact else n.name.startswith(prefix))
    ]


def value(
    analysis: Analysis,
    documents: list[Analysis],
    found: list[tuple[Graph, list[IRItem]]],
    binding: Symbol,
    say_where: bool = False,
) -> str:
    """A value bound by `name = chain`: the layer that ends the chain, or the input for `name = in`."""
    where = f"`{binding.name}` as bound on line {binding.line}:\n\n" if say_where else ""
    if isinstance(binding.node, ast.Group):  # `body as x:`: the value flowing into the group
        return where + group_input(found, binding)
    if isinstance(binding.node, ast.Assign) and not isinstance(binding.node.target, str):
        return ""  # `w, d = pair` binds numbers, not a layer's output
    nodes = _value_nodes(found, binding)
    if nodes:
        return where + layers(nodes)
    items = binding.node.chain.items
    first = items[0].expr if len(items) == 1 and isinstance(items[0], ast.Step) else None
    if isinstance(first, ast.InputRef):
        return where + input_shapes(analysis, documents, binding.line)
    if isinstance(first, ast.Name):  # `new = conv2`: another name for a label
        named = [s for s in local_definitions(analysis.index(), first.id, binding.line) if s.kind == "label"]
        return where + layers(_label_nodes(found, named[-1])) if named else ""
    return ""


def group_input(found: list[tuple[Graph, list[IRItem]]], binding: Symbol) -> str:
    """`x` of `body as x:`: the shape flowing into each instance of the group."""
    span = binding.node.span
    rows = [
        f"`{binding.name}`: the input of `{path}`, **{fmt(graph.shape_of(node.input))}**"
        for graph, items in found
        for path, node in items
        if isinstance(node, ScopeNode) and node.span == span
    ]
    return "\n\n".join(rows[:SHOWN])


def _value_nodes(found: list[tuple[Graph, list[IRItem]]], binding: Symbol) -> list[tuple[Graph, IRItem]]:
    """What `name = chain` binds: the outermost layer that ends the chain (none for `name = in`)."""
    span = binding.node.span
    inside = [
        (g, (p, n))
        for g, items in found
        for p, n in items
        if (span.line, span.col) <= (n.span.line, n.span.col)
        and (n.span.end_line, n.span.end_col) <= (span.end_line, span.end_col)
    ]
    if not inside:
        return []
    last = max(_ends_last(n.span) for _, (_, n) in inside)
    return [hit for hit in inside if _ends_last(hit[1][1].span) == last]


def _ends_last(span) -> tuple[int, int, int, int]:
    return span.end_line, span.end_col, -span.line, -span.col


def _innermost(found: list[tuple[Graph, list[IRItem]]], line: int, col: int) -> list[tuple[Graph, IRItem]]:
    hits = [(g, (p, n)) for g, items in found for p, n in items if contains(n.span, line, col)]
    if not hits:
        return []
    size = min(_extent(n.span) for _, (_, n) in hits)
    return [h for h in hits if _extent(h[1][1].span) == size]


def _extent(span) -> tuple[int, int]:
    return span.end_line - span.line, span.end_col - span.col


def input_shapes(analysis: Analysis, documents: list[Analysis], line: int) -> str:
    """`in` inside a block: the input shape of each instance; inside a network: the network's input."""
    scope = analysis.index().enclosing(line)
    if scope is None:
        return ""
    seen: set[str] = set()
    rows: list[str] = []
    for document in documents:
        checked = document.checked
        if checked is None or id(checked) in seen:
            continue
        seen.add(id(checked))
        graph = checked.graph
        if scope.kind == "network" and scope.name in (graph.name, graph.class_name):
            rows.append(f"- `{graph.name}`: {fmt(graph.input_shape)}")
        for path, node in graph.root.walk():
            if (
                isinstance(node, ScopeNode)
                and node.block == scope.name
                and node.defn_span is not None
                and same_file(node.defn_span.path, analysis.path)
                and node.defn_span.line == scope.line
            ):
                rows.append(f"- `{path}`: {fmt(graph.shape_of(node.input))}")
        if rows:
            break  # one check's instances: the document's own first
    if not rows:
        return f"`in`: the input of `{scope.name}` (no checked instance yet)"
    more = [f"- ... and {len(rows) - SHOWN} more"] if len(rows) > SHOWN else []
    return "\n".join([f"`in`: the input of `{scope.name}`, {len(rows)} instance(s)", "", *rows[:SHOWN], *more])
