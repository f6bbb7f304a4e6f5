"""Network parameters traced through elaboration: which layer arguments are a parameter verbatim.

While a spec is elaborated, an int or float network parameter is a `ParamInt`/`ParamFloat`: it
behaves as the plain number everywhere, and remembers its parameter's name. When it reaches a layer
argument untouched (as `num_classes` reaches `linear(num_classes)`), the generated factory can expose
the parameter as a keyword argument. Any arithmetic or test on it records it in `Evaluator.derived`:
such a parameter shapes the architecture itself and is fixed at compile time.

The tags never leave elaboration: `untag` turns a value plain and writes where the tag was into the
graph's side table (`nodes.ParamUses`), and `Retagger` puts the tags back for the code generator.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Self

from ..shapes import Shape
from .nodes import Graph, OpNode, ParamUses, ScopeNode


class ParamValue:
    """A network parameter's value, tagged with the parameter's name (see the module docstring)."""

    param: str

    @property
    def raw(self) -> int | float:
        return int(self) if isinstance(self, int) else float(self)  # type: ignore[arg-type]


class ParamInt(int, ParamValue):
    def __new__(cls, value: int, param: str) -> Self:
        obj = super().__new__(cls, value)
        obj.param = param
        return obj

    def __repr__(self) -> str:
        return repr(int(self))


class ParamFloat(float, ParamValue):
    def __new__(cls, value: float, param: str) -> Self:
        obj = super().__new__(cls, value)
        obj.param = param
        return obj

    def __repr__(self) -> str:
        return repr(float(self))


def tag_param(name: str, value: Any) -> Any:
    """Wrap an int or float network parameter so its uses can be traced; other values pass through."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or isinstance(value, ParamValue):
        return value
    return ParamInt(value, name) if isinstance(value, int) else ParamFloat(value, name)


_PLAIN = (int, float, str, bool, type(None))  # exact types: ParamInt is a subclass of int


def untag(value: Any, key: str, uses: dict[str, str]) -> Any:
    """`value` without parameter tags; each tag found is recorded in `uses` under `key` (list items
    get `.index` appended)."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, ParamValue):
        uses[key] = value.param
        return value.raw
    if isinstance(value, tuple):
        return tuple(untag(item, f"{key}.{index}", uses) for index, item in enumerate(value))
    return value


def untag_shape(shape: Shape, key: str, uses: dict[str, str]) -> Shape:
    """A shape without tags (a layer's size can be a parameter: `linear(num_classes)` makes `(1000,)`);
    dimension `i` that was a parameter is recorded under `key + str(i)`."""
    if all(type(dim) is int for dim in shape):
        return shape
    for index, dim in enumerate(shape):
        if isinstance(dim, ParamValue):
            uses[f"{key}{index}"] = dim.param
    return tuple(int(dim) for dim in shape)


class Retagger:
    """The graph's values with their parameter tags put back, for the code generator: it decides
    which constructor arguments the factory exposes from them."""

    def __init__(self, graph: Graph):
        uses: ParamUses = graph.param_uses
        self.attrs_at = _by_place(uses.attrs)
        self.shapes_at = _by_place(uses.shapes)
        self.input = _retag_shape(graph.input_shape, [([key], param) for key, param in uses.input.items()])
        args_at = _by_place(uses.args)
        self.scope_paths: dict[int, str] = {id(graph.root): ""}  # by object: scopes are not hashable
        if args_at:
            self.scope_paths.update((id(node), path) for path, node in graph.root.walk() if isinstance(node, ScopeNode))
        self.args_at = args_at
        self.locals_at = _by_place(uses.locals)
        if self.locals_at and not args_at:
            self.scope_paths.update((id(node), path) for path, node in graph.root.walk() if isinstance(node, ScopeNode))

    def attrs(self, node: OpNode) -> dict[str, Any]:
        found = self.attrs_at.get(str(node.id))
        if not found:
            return node.attrs
        attrs = dict(node.attrs)
        for (name, *indexes), param in found:
            attrs[name] = _retag(attrs[name], [int(i) for i in indexes], param)
        return attrs

    def args(self, scope: ScopeNode) -> dict[str, Any]:
        found = self.args_at.get(self.scope_paths.get(id(scope), ""))
        if not found:
            return scope.args
        args = dict(scope.args)
        for (name, *indexes), param in found:
            args[name] = _retag(args[name], [int(i) for i in indexes], param)
        return args

    def locals(self, scope: ScopeNode) -> dict[str, Any]:
        found = self.locals_at.get(self.scope_paths.get(id(scope), ""))
        if not found:
            return scope.locals
        values = dict(scope.locals)
        for (name, *indexes), param in found:
            values[name] = _retag(values[name], [int(i) for i in indexes], param)
        return values

    def shape(self, node: OpNode) -> Shape:
        found = self.shapes_at.get(str(node.id))
        return _retag_shape(node.shape, found) if found else node.shape


def _by_place(table: dict[str, str]) -> dict[str, list[tuple[list[str], str]]]:
    grouped: dict[str, list[tuple[list[str], str]]] = defaultdict(list)
    for key, param in table.items():
        place, _, path = key.partition(":")
        grouped[place].append((path.split("."), param))
    return grouped


def _retag_shape(shape: Shape, found: list[tuple[list[str], str]]) -> Shape:
    dims = list(shape)
    for (index, *_), param in found:
        dims[int(index)] = tag_param(param, dims[int(index)])
    return tuple(dims)


def _retag(value: Any, indexes: list[int], param: str) -> Any:
    if not indexes:
        return tag_param(param, value)
    first, rest = indexes[0], indexes[1:]
    return tuple(_retag(item, rest, param) if i == first else item for i, item in enumerate(value))
