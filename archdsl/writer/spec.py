"""Graph -> SpecFile (AST) -> text: blocks first (in the order they are needed), then the network."""

from __future__ import annotations

from typing import Any

from ..frontend import syntax as ast
from ..frontend.unparse import to_arch
from ..ir.nodes import Graph
from .render import Renderer


def graph_to_spec(graph: Graph, *, name: str | None = None, doc: str | None = None) -> ast.SpecFile:
    """The spec AST of `graph`: one block per shared structure, and `network NAME():` with its input."""
    renderer = Renderer(graph)
    body = renderer.body(graph.root)
    dims = tuple(ast.Num(value=d) for d in graph.input_shape)
    network = ast.NetworkDef(name=name or graph.name, doc=None, body=(ast.InputStmt(dims=dims), *body))
    spec = ast.SpecFile(doc=doc if doc is not None else graph.doc, items=(*renderer.blocks.definitions(), network))
    return _bare_calls(spec)


def _bare_calls(node: Any) -> Any:
    """`relu()` -> `relu`: a layer without arguments is written without parentheses."""
    if isinstance(node, ast.Step) and node.expr.kind == "call" and not node.expr.args and not node.expr.kwargs:
        return ast.Step(expr=ast.Name(id=node.expr.func), repeat=node.repeat)
    if isinstance(node, ast.Node):
        return type(node)(**{f: _bare_calls(getattr(node, f)) for f in type(node).model_fields if f != "span"})
    if isinstance(node, tuple):
        return tuple(_bare_calls(n) for n in node)
    return node


def write_spec(graph: Graph, *, name: str | None = None, doc: str | None = None) -> str:
    """`.arch` text for `graph` (see the package docstring for what is folded and how)."""
    return to_arch(graph_to_spec(graph, name=name, doc=doc))
