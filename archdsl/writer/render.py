"""One scope of the IR -> the statements of its body, with concrete values, folded.

Every item of a scope is one statement. Its input is implicit when it is the flow (the value the
previous statement produced), else written as a source (`in -> downsample: ...`); merges (add, mul,
concat) name all their inputs. A value used later that has no label gets a name by assignment.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..frontend import syntax as ast
from ..ir.naming import label_problem
from ..ir.nodes import Graph, OpNode, ScopeNode
from ..ops.registry import get_op
from .fold import fold_statements, fold_steps, is_plain_step
from .unify import Blocks

MERGES = ("add", "mul", "concat")
LINE_LIMIT = 100  # a plain chain longer than this is written one statement per line


class WriterError(ValueError):
    """The graph has something the language cannot write (a scope with no name that is not a chain)."""


class OpName(str):
    """An op as a value (a block parameter `act=relu`), written as its bare name."""


def const(value: Any) -> Any:
    """A Python value as an AST literal."""
    if isinstance(value, OpName):
        return ast.Name(id=str(value))
    if isinstance(value, bool):
        return ast.Bool(value=value)
    if isinstance(value, int | float):
        return ast.Num(value=value)
    if isinstance(value, str):
        return ast.Str(value=value)
    if value is None:
        return ast.NoneLit()
    if isinstance(value, tuple):
        return ast.TupleExpr(items=tuple(const(v) for v in value))
    if isinstance(value, list):
        return ast.ListExpr(items=tuple(const(v) for v in value))
    raise WriterError(f"cannot write the value {value!r} in a spec")


def op_call(node: OpNode, refs: tuple[Any, ...] = ()) -> ast.Call:
    """`conv(64, 3, stride=2, bias=false)`: required arguments by position, others only when not default."""
    op = get_op(node.op)
    if op is None:
        raise WriterError(f"unknown op `{node.op}`")
    name = op.aliases[0] if op.aliases and any(c.isdigit() for c in op.name) else op.name  # conv, not conv2d
    args, kwargs = list(refs), []
    for arg in op.args:
        value = node.attrs.get(arg.name, arg.default)
        if arg.name == op.extra.get("variadic"):  # parameter(64, 1, 1, ...): one argument per dim
            args.extend(const(v) for v in value)
        elif arg.required and not arg.keyword_only:
            args.append(const(value))
        elif arg.required or value != arg.default:
            kwargs.append(ast.Kwarg(name=arg.name, value=const(value)))
    return ast.Call(func=name, args=tuple(args), kwargs=tuple(kwargs))


def label_node(name: str) -> ast.Label:
    """A module name as a label: quoted (`"block1-0"`) when it is not an identifier."""
    return ast.Label(parts=(name,), quoted=label_problem(name) is not None or not name.isidentifier())


def is_label(name: str | None) -> bool:
    return bool(name) and not name.isdigit()


class Renderer:
    """Writes scopes; block scopes that share a `block` go through `Blocks` (one definition each)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        counts: Counter[str] = Counter()
        self.instances: dict[str, list[ScopeNode]] = {}
        for _, node in graph.root.walk():
            if isinstance(node, ScopeNode) and node.block:
                counts[node.block] += 1
                self.instances.setdefault(node.block, []).append(node)
        self.blocks = Blocks(self)

    @staticmethod
    def keeps_label(item: OpNode | ScopeNode, sequential: bool) -> bool:
        """Labels archdsl would give anyway (`relu`, `relu_1` for a parameter-free op in a scope that
        branches; in a plain chain unlabelled layers are numbered instead) are left out."""
        if not is_label(item.name):
            return False
        if isinstance(item, OpNode) and item.params == 0 and not sequential:
            base = item.name.rsplit("_", 1)[0] if item.name.rsplit("_", 1)[-1].isdigit() else item.name
            return base != item.op  # archdsl names an unlabelled op after its canonical name
        return True

    def is_block(self, scope: ScopeNode) -> bool:
        """Shared structure becomes a block; so does a scope that reads its input twice (a branching
        module such as an Inception cell): a group can only continue the flow, never name its input."""
        if not scope.block:
            return False
        return len(self.instances[scope.block]) > 1 or _reads_input(self.body(scope))

    def body(self, scope: ScopeNode) -> list[Any]:
        """The statements of `scope`'s body, folded (`x n`, `for` over numbered labels)."""
        items = scope.items
        sources: list[tuple[int, ...]] = []
        flow = scope.input
        explicit: set[int] = set()
        for item in items:
            inputs = item.inputs if isinstance(item, OpNode) else (item.input,)
            merge = isinstance(item, OpNode) and (item.op in MERGES or len(inputs) > 1)
            used = inputs if merge else (() if inputs and inputs[0] == flow else inputs[:1])
            sources.append(used)
            explicit.update(used)
            if not _held(item):  # `scale = parameter(...)` is an assignment: the flow goes on past it
                flow = item.id if isinstance(item, OpNode) else item.output
        # A network with several outputs ends with `return logits=fc, aux=...`, which names each of them.
        outputs = self.graph.outputs if scope is self.graph.root else {}
        explicit.update(outputs.values())
        if flow != scope.output and not outputs:
            explicit.add(scope.output)
        names: dict[int, Any] = {scope.input: ast.InputRef()}
        temps: dict[int, str] = {}
        taken = {item.name for item in items if item.name}
        for item in items:
            out = item.id if isinstance(item, OpNode) else item.output
            if self.keeps_label(item, scope.sequential):
                names[out] = ast.Name(id=item.name)
            elif out in explicit:
                base = f"{item.op if isinstance(item, OpNode) else 'group'}_out"
                temp = base
                while temp in taken:
                    temp = f"{base}{len(temps) + 2}"
                taken.add(temp)
                temps[out] = temp
                names[out] = ast.Name(id=temp)
        statements: list[Any] = []
        for item, used in zip(items, sources):
            statements.extend(self._statement(item, used, names, temps, scope.sequential))
        if outputs:
            values = tuple(names[value] for value in outputs.values())
            statements.append(ast.Return(names=tuple(outputs), values=values))
        elif flow != scope.output:
            statements.append(ast.FlowStmt(chain=ast.Chain(items=(ast.Step(expr=names[scope.output]),))))
        return fold_statements(statements)

    def _statement(self, item: OpNode | ScopeNode, used: tuple[int, ...], names, temps, sequential: bool) -> list[Any]:
        label = item.name if self.keeps_label(item, sequential) else None
        out = item.id if isinstance(item, OpNode) else item.output
        if isinstance(item, OpNode):
            merge = item.op in MERGES or len(item.inputs) > 1
            core: Any = op_call(item, tuple(names[v] for v in used) if merge else ())
            prefix = () if merge else tuple(ast.Step(expr=names[v]) for v in used)
        else:
            prefix = tuple(ast.Step(expr=names[v]) for v in used)
            body = None if self.is_block(item) else self.body(item)
            chain = None if body is None else _as_chain(body)
            if body is None or (chain is None and label is None and item.block):
                # A one-off module that is not a plain chain, at a numbered place: a block (a group needs a name).
                core = self.blocks.call(item)
            else:
                lone_label = chain is not None and len(chain.items) == 1 and isinstance(chain.items[0], ast.Labeled)
                if (
                    chain is None
                    or (label is None and lone_label)
                    or (label and len(_text(chain, label)) > LINE_LIMIT and out not in temps)
                ):
                    if label is None and not item.name.isdigit():
                        raise WriterError(f"a scope without a name that is not a plain chain ({item.block or 'group'})")
                    # At a numbered place, a group of named layers gets its number as a quoted label (`"1":`):
                    # in a chain, `a: x -> b: y` would put b inside a.
                    label = label or item.name
                    moved = [ast.FlowStmt(chain=ast.Chain(items=prefix))] if prefix else []
                    return [*moved, ast.Group(label=label_node(label), body=tuple(body))]
                if label is None:
                    if len(chain.items) == 1 and chain.items[0].repeat is None:
                        # `(Block(..))` would be the block itself; `(Block(..) x 1)` is a group holding it.
                        chain = ast.Chain(items=(ast.Step(expr=chain.items[0].expr, repeat=ast.Num(value=1)),))
                    return [_flow(prefix, ast.Step(expr=chain), temps.get(out))]
                return [_flow(prefix, ast.Labeled(label=label_node(label), chain=chain), temps.get(out))]
        step: Any = ast.Step(expr=core)
        if label is not None and _held(item):  # named by assignment, as a spec's author writes it
            return [ast.Assign(target=label, chain=ast.Chain(items=(step,)))]
        if label is not None:
            step = ast.Labeled(label=label_node(label), chain=ast.Chain(items=(step,)))
        return [_flow(prefix, step, temps.get(out))]


def _held(item: OpNode | ScopeNode) -> bool:
    """A tensor the module holds (`parameter(...)`): made from nothing, read by name."""
    return isinstance(item, OpNode) and not item.inputs and bool(get_op(item.op).extra.get("tensor"))


def _reads_input(body: list[Any]) -> bool:
    def walk(node: Any) -> bool:
        if isinstance(node, ast.InputRef):
            return True
        if isinstance(node, ast.Node):
            return any(walk(getattr(node, f)) for f in type(node).model_fields if f != "span")
        if isinstance(node, tuple):
            return any(walk(n) for n in node)
        return False

    return any(walk(stmt) for stmt in body)


def _flow(prefix: tuple, step: Any, temp: str | None) -> Any:
    chain = ast.Chain(items=(*prefix, step))
    return ast.Assign(target=temp, chain=chain) if temp else ast.FlowStmt(chain=chain)


def _as_chain(body: list[Any]) -> ast.Chain | None:
    """A body of plain steps (no sources, no names, no control flow) as one chain, else None."""
    if not body or not all(is_plain_step(s) for s in body):
        return None
    if any(s.chain.items[0].kind == "labeled" for s in body[:-1]):
        return None  # `a: x -> b: y` would put b inside a: a label names everything to its right
    return ast.Chain(items=tuple(fold_steps([s.chain.items[0] for s in body])))


def _text(chain: ast.Chain, label: str) -> str:
    from ..frontend.unparse import chain as chain_text

    return f"    {label}: {chain_text(chain)}"
