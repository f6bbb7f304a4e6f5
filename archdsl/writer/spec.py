"""Graph -> SpecFile (AST) -> text: blocks first (in the order they are needed), then the network."""

from __future__ import annotations

from typing import Any

from ..frontend import syntax as ast
from ..frontend.unparse import to_arch
from ..ir.nodes import Graph, InitRule
from .render import Renderer, const


def graph_to_spec(graph: Graph, *, name: str | None = None, doc: str | None = None) -> ast.SpecFile:
    """The spec AST of `graph`: one block per shared structure, and `network NAME():` with its input."""
    renderer = Renderer(graph)
    body = renderer.body(graph.root)
    dims = tuple(ast.Num(value=d) for d in graph.input_shape)
    network = ast.NetworkDef(name=name or graph.name, doc=None, body=(ast.InputStmt(dims=dims), *body))
    init = (_init_table(graph.init),) if graph.init else ()
    spec = ast.SpecFile(
        doc=doc if doc is not None else graph.doc, items=(*init, *renderer.blocks.definitions(), network)
    )
    return _bare_calls(spec)


def _init_table(rules: tuple[InitRule, ...]) -> ast.ConstDef:
    """The graph's init rules as the spec's `init = [[op, "weight", initialiser], ...]` table."""
    rows = []
    for rule in rules:
        target = ast.Name(id=rule.target) if rule.kind == "op" else ast.Str(value=rule.target)
        kwargs = tuple(ast.Kwarg(name=key, value=const(value)) for key, value in rule.args.items())
        initialiser = ast.Call(func=rule.init, kwargs=kwargs) if kwargs else ast.Name(id=rule.init)
        rows.append(ast.ListExpr(items=(target, ast.Str(value=rule.tensor), initialiser)))
    return ast.ConstDef(name="init", value=ast.ListExpr(items=tuple(rows)))


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
