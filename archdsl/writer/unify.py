"""Many instances of one block -> one `block` definition (or a few numbered variants).

The instances' bodies are aligned statement by statement (by label, else by what the statement
calls). A statement all instances have is unified node by node: where literals differ, a parameter
takes their place (one parameter per distinct column of values, named after the argument it fills).
A statement only some instances have goes under `if flag:`. An optional projection with its own
source (`in -> downsample: ...`) whose value replaces the source later becomes the library's idiom:
`shortcut = in`, `if downsample: shortcut = in -> downsample: ...`, `add(bn2, shortcut)`.
"""

from __future__ import annotations

import difflib
import keyword
from collections import Counter
from typing import TYPE_CHECKING, Any

from ..frontend import syntax as ast
from ..ops.registry import get_op

if TYPE_CHECKING:
    from ..ir.nodes import ScopeNode
    from .render import Renderer

UNUSED = object()  # a column entry for an instance that lacks the statement
ABSENT = object()  # the statement (or part of it) of an instance that lacks it
LITERALS = ("num", "bool", "str", "none", "tuple", "list")
# Parameter-free activations: instances that differ only in which one they apply get a parameter `act`
# (`act=relu`, `act=hardswish`: MobileNetV3), as a hand-written block would.
ACTIVATIONS = frozenset({"relu", "relu6", "silu", "hardswish", "hardsigmoid", "sigmoid", "tanh", "gelu"})


def _activation(node: Any) -> str | None:
    """`relu()` as a statement, or `relu` as an argument value: the activation's name."""
    if node is ABSENT:
        return None
    if node.kind == "call" and node.func in ACTIVATIONS and not node.args and not node.kwargs:
        return node.func
    return node.id if node.kind == "name" and node.id in ACTIVATIONS else None


class CannotUnify(Exception):
    """The instances differ in more than literals and optional statements."""


def _python(node: Any) -> Any:
    if node.kind in ("tuple", "list"):
        return tuple(_python(i) for i in node.items)
    return None if node.kind == "none" else node.value


def _one_item_varies(nodes: list[Any]) -> bool:
    """Tuples of one length in every instance that differ in one item only (`view=(96, 1, 1)`,
    `(192, 1, 1)`): unified item by item, so that item can share a parameter (`view=(channels, 1, 1)`)."""
    if any(n is ABSENT or n.kind not in ("tuple", "list") for n in nodes):
        return False
    if len({(n.kind, len(n.items)) for n in nodes}) != 1:
        return False
    varying = [i for i in range(len(nodes[0].items)) if len({_python(n.items[i]) for n in nodes}) > 1]
    return len(varying) == 1


def _literal(node: Any) -> bool:
    return node.kind in LITERALS and (node.kind not in ("tuple", "list") or all(_literal(i) for i in node.items))


class Params:
    """The parameters a block needs: one per distinct column of values over its instances."""

    def __init__(self, count: int, reserved: set[str]):
        self.count = count
        self.columns: list[tuple[str, tuple[Any, ...]]] = []
        self.reserved = reserved

    def hole(self, values: tuple[Any, ...], hint: str) -> ast.Name:
        """A parameter for this column of values; `UNUSED` entries (instances without the statement)
        match anything, so an optional statement's arguments share the parameters of the others."""
        for index, (name, column) in enumerate(self.columns):
            if all(a == b or a is UNUSED or b is UNUSED for a, b in zip(column, values)):
                merged = tuple(b if a is UNUSED else a for a, b in zip(column, values))
                self.columns[index] = (name, merged)
                return ast.Name(id=name)
        base = hint if hint.isidentifier() and not keyword.iskeyword(hint) and hint != "in" else "value"
        name, suffix = base, 2
        while name in self.reserved or any(name == n for n, _ in self.columns):
            name, suffix = f"{base}{suffix}", suffix + 1
        self.columns.append((name, values))
        return ast.Name(id=name)


class Unifier:
    def __init__(self, params: Params, blocks: Blocks):
        self.params = params
        self.arg_names = blocks.arg_names
        self.default = blocks.default

    def nodes(self, nodes: list[Any], hint: str) -> Any:
        """One node for `nodes` (ABSENT: an instance without it), with parameters where literals differ."""
        present = [n for n in nodes if n is not ABSENT]
        first = present[0]
        if all(n == first for n in present):
            return first
        if all(n is not None and _literal(n) for n in present) and not _one_item_varies(nodes):
            return self.params.hole(tuple(UNUSED if n is ABSENT else _python(n) for n in nodes), hint)
        if all(_activation(n) for n in present):
            from .render import OpName

            return self.params.hole(tuple(UNUSED if n is ABSENT else OpName(_activation(n)) for n in nodes), "act")
        if len(present) != len(nodes):
            return self._partial(nodes, hint)
        if any(type(n) is not type(first) for n in nodes):
            raise CannotUnify
        fields = {}
        for field in type(first).model_fields:
            if field == "span":
                continue
            values = [getattr(n, field) for n in nodes]
            if first.kind == "call" and field == "kwargs":
                fields[field] = self._kwargs(first.func, values)
            else:
                fields[field] = self._field(first, field, values, hint)
        return type(first)(**fields)

    def _partial(self, nodes: list[Any], hint: str) -> Any:
        first = next(n for n in nodes if n is not ABSENT)
        present = [n for n in nodes if n is not ABSENT]
        if any(type(n) is not type(first) for n in present):
            raise CannotUnify
        fields = {}
        for field in type(first).model_fields:
            if field == "span":
                continue
            values = [ABSENT if n is ABSENT else getattr(n, field) for n in nodes]
            shown = [v for v in values if v is not ABSENT]
            if isinstance(shown[0], ast.Node):
                fields[field] = self.nodes(values, self._hint(first, field, hint))
            elif first.kind == "call" and field == "kwargs":
                fields[field] = self._kwargs(first.func, values)
            elif isinstance(shown[0], tuple) and any(isinstance(v, ast.Node) for v in shown[0]):
                if any(len(v) != len(shown[0]) for v in shown):
                    raise CannotUnify
                names = self.arg_names(first.func) if first.kind == "call" and field == "args" else []
                names = ["channels" if n == "out" else n for n in names]
                fields[field] = tuple(
                    self.nodes([ABSENT if v is ABSENT else v[i] for v in values], names[i] if i < len(names) else hint)
                    for i in range(len(shown[0]))
                )
            elif any(v != shown[0] for v in shown):
                raise CannotUnify
            else:
                fields[field] = shown[0]
        return type(first)(**fields)

    def _kwargs(self, func: str, values: list[tuple[ast.Kwarg, ...]]) -> tuple[ast.Kwarg, ...]:
        """Keyword arguments matched by name; one an instance leaves out has its default value."""
        names = list(dict.fromkeys(k.name for kwargs in values if kwargs is not ABSENT for k in kwargs))
        order = self.arg_names(func)
        names.sort(key=lambda n: order.index(n) if n in order else len(order))
        out = []
        for name in names:
            default = self.default(func, name)
            column = [
                ABSENT if kwargs is ABSENT else next((k.value for k in kwargs if k.name == name), default)
                for kwargs in values
            ]
            if any(v is None for v in column):
                raise CannotUnify
            value = self.nodes(column, "channels" if name == "out" else name)
            if value != default:
                out.append(ast.Kwarg(name=name, value=value))
        return tuple(out)

    def _field(self, first: Any, field: str, values: list[Any], hint: str) -> Any:
        if isinstance(values[0], ast.Node):
            return self.nodes(values, self._hint(first, field, hint))
        if isinstance(values[0], tuple) and any(isinstance(v, ast.Node) for v in values[0]):
            if any(len(v) != len(values[0]) for v in values):
                raise CannotUnify
            names = self.arg_names(first.func) if first.kind == "call" and field == "args" else []
            names = ["channels" if n == "out" else n for n in names]
            return tuple(
                self.nodes([v[i] for v in values], names[i] if i < len(names) else hint) for i in range(len(values[0]))
            )
        if any(v != values[0] for v in values):
            raise CannotUnify
        return values[0]

    @staticmethod
    def _hint(node: Any, field: str, hint: str) -> str:
        if node.kind == "kwarg":
            return node.name
        if node.kind == "step" and field == "repeat":
            return "repeats"
        return hint

    def bodies(self, bodies: list[list[Any]]) -> list[Any]:
        keyed = [_keyed(body) for body in bodies]
        order = _merge([[k for k, _ in body] for body in keyed])
        maps = [dict(body) for body in keyed]
        _explicit_inputs(order, maps, [body[0][0] if body else None for body in keyed])
        _shortcuts(order, maps)
        out: list[Any] = []
        run: list[str] = []
        run_present: tuple[int, ...] | None = None
        for key in [*order, None]:
            present = tuple(i for i, m in enumerate(maps) if key in m) if key is not None else None
            if run and present != run_present:
                out.extend(self._run(run, run_present, maps))
                run = []
            run.append(key)
            run_present = present
        return out

    def _run(self, keys: list[str], present: tuple[int, ...], maps: list[dict]) -> list[Any]:
        stmts = [self.statement([m.get(k, ABSENT) for m in maps], k) for k in keys]
        if len(present) == len(maps):
            return stmts
        flag = self.params.hole(tuple(i in present for i in range(len(maps))), _flag_name(keys[0]))
        return [ast.If(branches=(ast.IfBranch(cond=flag, body=tuple(stmts)),))]

    def statement(self, stmts: list[Any], key: str) -> Any:
        """One statement for the instances that have it (ABSENT: an instance without it)."""
        if any(s is not ABSENT and s.kind == "group" for s in stmts):
            stmts = [s if s is ABSENT else _as_group(s) for s in stmts]
        present = [s for s in stmts if s is not ABSENT]
        first = present[0]
        if first.kind == "group" and all(s.kind == "group" for s in present):
            label = self.nodes([s.label for s in present], "label")
            return ast.Group(label=label, body=tuple(self.bodies([list(s.body) for s in present])))
        if first.kind == "for" and all(s.kind == "for" for s in present):
            if any(s.targets != first.targets for s in present):
                raise CannotUnify
            iterator = self.nodes([ABSENT if s is ABSENT else s.iter for s in stmts], "count")
            return ast.For(
                targets=first.targets, iter=iterator, body=tuple(self.bodies([list(s.body) for s in present]))
            )
        return self.nodes(stmts, key.split("#")[0].split(":")[-1])


def _as_group(stmt: Any) -> Any:
    """`conv: a -> b` as the group it is, so it lines up with instances that write it on several lines."""
    if stmt.kind != "flow" or len(stmt.chain.items) != 1 or stmt.chain.items[0].kind != "labeled":
        return stmt
    labeled = stmt.chain.items[0]
    body = tuple(ast.FlowStmt(chain=ast.Chain(items=(step,))) for step in labeled.chain.items)
    return ast.Group(label=labeled.label, body=body)


def _key(stmt: Any) -> str:
    if stmt.kind == "group":
        return "label:" + (stmt.label.static or "")
    if stmt.kind == "for":
        return "for"
    if stmt.kind == "if":
        return "if"
    core = stmt.chain.items[-1]
    if core.kind == "labeled":
        return "label:" + (core.label.static or "")
    expr = core.expr
    name = "act" if _activation(expr) else expr.func if expr.kind == "call" else expr.kind
    return f"{stmt.kind}:{name}"


def _keyed(body: list[Any]) -> list[tuple[str, Any]]:
    # Counted from the end: an optional layer is more often an extra first one (MobileNet's expansion).
    seen: Counter[str] = Counter()
    out = []
    for stmt in reversed(body):
        key = _key(stmt)
        out.append((f"{key}#{seen[key]}", stmt))
        seen[key] += 1
    return out[::-1]


def _merge(sequences: list[list[str]]) -> list[str]:
    """One order holding every key of every sequence, each sequence's order kept."""
    order = list(sequences[0])
    for seq in sequences[1:]:
        merged: list[str] = []
        matcher = difflib.SequenceMatcher(a=order, b=seq, autojunk=False)
        for tag, a0, a1, b0, b1 in matcher.get_opcodes():
            merged.extend(order[a0:a1])
            if tag != "equal":
                merged.extend(k for k in seq[b0:b1] if k not in merged and k not in order)
        order = merged
    return order


def _flag_name(key: str) -> str:
    name = key.split("#")[0].split(":")[-1]
    return f"use_{name}" if name.isidentifier() else "enabled"


def _reads_flow(stmt: Any) -> bool:
    """A one-label statement fed by the flow: `proj: Conv(...)` (not `in -> proj: ...`, not a merge)."""
    return (
        stmt.kind == "flow"
        and len(stmt.chain.items) == 1
        and stmt.chain.items[0].kind == "labeled"
        and stmt.chain.items[0].chain.items[0].kind == "step"
        and stmt.chain.items[0].chain.items[0].expr.kind != "in"
    )


def _explicit_inputs(order: list[str], maps: list[dict], firsts: list[str | None]) -> None:
    """`proj: ...` as a body's first statement reads `in`: written `in -> proj: ...` where that lets the
    instances line up (another instance writes the source, or the statement is optional: a projection
    that comes first in torchvision's RegNet block, `self.proj(x) + self.f(x)`)."""
    source = ast.Step(expr=ast.InputRef())
    for key in order:
        present = [m for m in maps if key in m]
        explicit = any(m[key].kind == "flow" and m[key].chain.items[0] == source for m in present)
        if not explicit and len(present) == len(maps):
            continue
        for index, m in enumerate(maps):
            if key in m and firsts[index] == key and _reads_flow(m[key]):
                m[key] = ast.FlowStmt(chain=ast.Chain(items=(source, *m[key].chain.items)))


def _shortcuts(order: list[str], maps: list[dict]) -> None:
    """Rewrite an optional `src -> L: ...` whose value stands where the others use `src` (see module doc)."""
    for position, key in enumerate(list(order)):
        present = [m for m in maps if key in m]
        absent = [m for m in maps if key not in m]
        if not absent or not key.startswith("label:"):
            continue
        stmt = present[0][key]
        items = stmt.chain.items if stmt.kind == "flow" else ()
        if len(items) != 2 or items[0].kind != "step" or any(m[key] != stmt for m in present[:0]):
            continue
        source, label = items[0].expr, items[1].label.static
        if any(m[key].kind != "flow" or m[key].chain.items[0] != items[0] for m in present):
            continue
        name = ast.Name(id="shortcut")
        old = ast.Name(id=label)
        later = order[order.index(key) + 1 :]
        for m in present:
            m[key] = ast.Assign(target="shortcut", chain=m[key].chain)
            for k in later:
                if k in m:
                    m[k] = _replace(m[k], old, name)
        for m in absent:
            reference = present[0]
            for k in later:
                if k in m and k in reference:
                    m[k] = _replace_where(reference[k], m[k], name, source)
        init = f"assign:shortcut#{position}"
        order.insert(order.index(key), init)
        for m in maps:
            m[init] = ast.Assign(target="shortcut", chain=ast.Chain(items=(ast.Step(expr=source),)))
        return


def _replace(node: Any, old: Any, new: Any) -> Any:
    if node == old:
        return new
    if isinstance(node, ast.Node):
        if node.kind == "label":
            return node
        return type(node)(**{f: _replace(getattr(node, f), old, new) for f in type(node).model_fields if f != "span"})
    if isinstance(node, tuple):
        return tuple(_replace(n, old, new) for n in node)
    return node


def _replace_where(reference: Any, node: Any, marker: Any, source: Any) -> Any:
    """`node` with `marker` wherever `reference` has `marker` and `node` has `source`."""
    if reference == marker and node == source:
        return marker
    if isinstance(node, ast.Node) and type(reference) is type(node):
        return type(node)(
            **{
                f: _replace_where(getattr(reference, f), getattr(node, f), marker, source)
                for f in type(node).model_fields
                if f != "span"
            }
        )
    if isinstance(node, tuple) and isinstance(reference, tuple) and len(node) == len(reference):
        return tuple(_replace_where(r, n, marker, source) for r, n in zip(reference, node))
    return node


class Variant:
    """One block definition and the arguments each of its instances is called with."""

    def __init__(self, name: str, body: list[Any], params: Params):
        self.name = name
        columns = []
        for column_name, column in params.columns:
            known = [v for v in column if v is not UNUSED]
            fill = Counter(known).most_common(1)[0][0]
            columns.append((column_name, tuple(fill if v is UNUSED else v for v in column)))
        self.required = [
            (n, v)
            for n, v in columns
            if Counter(v).most_common(1)[0][1] < 2 and len(v) > 1 and not isinstance(v[0], bool)
        ]
        self.defaults = {n: Counter(v).most_common(1)[0][0] for n, v in columns if (n, v) not in self.required}
        self.columns = dict(columns)
        self.definition = ast.BlockDef(
            name=name,
            params=tuple(
                [ast.Param(name=n) for n, _ in self.required]
                + [ast.Param(name=n, default=_const(d)) for n, d in self.defaults.items()]
            ),
            body=tuple(body),
        )

    def call(self, index: int) -> ast.Call:
        args = tuple(_const(v[index]) for _, v in self.required)
        kwargs = tuple(
            ast.Kwarg(name=n, value=_const(self.columns[n][index]))
            for n, d in self.defaults.items()
            if self.columns[n][index] != d
        )
        return ast.Call(func=self.name, args=args, kwargs=kwargs)

    @property
    def param_names(self) -> list[str]:
        return [p.name for p in self.definition.params]


def _const(value: Any) -> Any:
    from .render import const

    return const(value)


class Blocks:
    """Block definitions, made on first use: all instances of a `block` name are unified at once."""

    def __init__(self, renderer: Renderer):
        self.renderer = renderer
        self.variants: dict[str, list[tuple[Variant, list[int]]]] = {}
        self.order: list[Variant] = []
        self.names: set[str] = set()

    def call(self, scope: ScopeNode) -> ast.Call:
        instances = self.renderer.instances[scope.block]
        if scope.block not in self.variants:
            self._define(scope.block, instances)
        position = next(i for i, s in enumerate(instances) if s is scope)
        for variant, members in self.variants[scope.block]:
            if position in members:
                return variant.call(members.index(position))
        raise AssertionError("every instance belongs to a variant")

    def definitions(self) -> list[ast.BlockDef]:
        return [v.definition for v in self.order]

    def arg_names(self, func: str) -> list[str]:
        op = get_op(func)
        if op is not None:
            return [a.name for a in op.args]
        for variants in self.variants.values():
            for variant, _ in variants:
                if variant.name == func:
                    return variant.param_names
        return []

    def default(self, func: str, name: str) -> Any:
        """The literal a call of `func` means when it leaves keyword `name` out (None: unknown)."""
        op = get_op(func)
        if op is not None:
            arg = next((a for a in op.args if a.name == name), None)
            return None if arg is None or arg.required else _const(arg.default)
        for variants in self.variants.values():
            for variant, _ in variants:
                if variant.name == func and name in variant.defaults:
                    return _const(variant.defaults[name])
        return None

    def _define(self, block: str, instances: list[ScopeNode]) -> None:
        bodies = [self.renderer.body(s) for s in instances]
        reserved = {item.name for s in instances for _, item in s.walk() if item.name} | {"i", "shortcut"}
        groups: list[list[int]] = []
        for index in range(len(bodies)):
            for group in groups:
                if self._unify([bodies[i] for i in group + [index]], reserved) is not None:
                    group.append(index)
                    break
            else:
                groups.append([index])
        self.variants[block] = []
        for number, group in enumerate(groups):
            name = self._name(block if number == 0 else f"{block}_{number + 1}")
            unified = self._unify([bodies[i] for i in group], reserved)
            assert unified is not None, "a single instance always unifies"
            variant = Variant(name, *unified)
            self.variants[block].append((variant, group))
            self.order.append(variant)

    def _unify(self, bodies: list[list[Any]], reserved: set[str]) -> tuple[list[Any], Params] | None:
        params = Params(len(bodies), reserved)
        try:
            return Unifier(params, self).bodies(bodies), params
        except CannotUnify:
            return None

    def _name(self, wanted: str) -> str:
        name = "".join(c if c.isalnum() or c == "_" else "_" for c in wanted)
        if not name[:1].isalpha():
            name = "Block" + name
        while get_op(name) is not None or name in self.names:
            name += "_"
        self.names.add(name)
        return name
