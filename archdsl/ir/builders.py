"""What the elaborator builds while it runs (plain, mutable, slotted items), and `assemble`, which
turns them into the validated `Graph` once elaboration ends: modules named, parameter tags moved to
the side table, and the whole tree checked by pydantic in one `model_validate` call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..frontend import syntax
from ..ops.registry import OpDef
from ..shapes import Shape, fmt
from ..source import Span
from . import naming
from .nodes import Graph, RepeatInfo
from .param_tags import untag, untag_shape
from .values import BlockInfo, LayerRef, TensorRef, show


@dataclass(slots=True)
class OpItem:
    """One op applied: becomes an `OpNode`."""

    id: int
    op: OpDef
    attrs: dict[str, Any]
    inputs: list[int]
    shape: Shape
    params: int
    label: str | None
    span: Span | None
    repeat: RepeatInfo | None

    @property
    def output(self) -> int:
        return self.id

    @property
    def default_name(self) -> str:
        return self.op.name

    @property
    def inline(self) -> bool:
        return self.op.functional is not None


@dataclass(slots=True)
class ScopeItem:
    """A block instance, group or the network being built: becomes a `ScopeNode`."""

    label: str | None
    block: str | None
    args: dict[str, Any]
    input: int
    span: Span | None
    repeat: RepeatInfo | None = None
    is_root: bool = False
    output: int = 0
    items: list[OpItem | ScopeItem] = field(default_factory=list)
    owned: set[int] = field(default_factory=set)
    label_spans: dict[str, Span | None] = field(default_factory=dict)
    defn: syntax.BlockDef | None = None
    defaulted: tuple[str, ...] = ()  # the arguments that took the block's declared default
    locals: dict[str, Any] = field(default_factory=dict)  # named constants (`hidden = ...`), for generated code

    @property
    def inputs(self) -> list[int]:
        return [self.input]

    @property
    def default_name(self) -> str:
        return naming.snake(self.block) if self.block else "group"

    @property
    def inline(self) -> bool:
        return False

    def describe(self) -> str:
        if self.label:
            return f"group `{self.label}`"
        return "this group" if self.block is None else f"block `{self.block}`"


def assemble(
    root: ScopeItem,
    *,
    name: str,
    class_name: str,
    doc: str | None,
    params: dict[str, Any],
    input_shape: Shape,
    span: Span | None,
    outputs: dict[str, int] | None = None,
) -> Graph:
    """The validated graph of a finished elaboration."""
    uses: dict[str, dict[str, str]] = {"attrs": {}, "args": {}, "shapes": {}, "input": {}, "locals": {}}
    data = {
        "name": name,
        "class_name": class_name,
        "doc": doc,
        "params": {key: untag(plain(value), key, {}) for key, value in params.items()},  # their own names
        "input_shape": untag_shape(input_shape, "", uses["input"]),
        "root": _scope(root, "", "", uses),
        "outputs": outputs or {},
        "span": span,
    }
    data["param_uses"] = uses
    return Graph.model_validate(data)


def _scope(scope: ScopeItem, name: str, path: str, uses: dict[str, dict[str, str]]) -> dict[str, Any]:
    sequential = not scope.is_root and naming.is_plain_chain(scope.input, scope.items, scope.output)
    names = naming.module_names(scope.items, sequential)
    items = []
    attr_uses, shape_uses = uses["attrs"], uses["shapes"]
    for item, item_name in zip(scope.items, names):
        if isinstance(item, OpItem):
            place = str(item.id)
            items.append(
                {
                    "kind": "op",
                    "id": item.id,
                    "op": item.op.name,
                    "name": item_name,
                    "inputs": tuple(item.inputs),
                    "attrs": {key: untag(value, f"{place}:{key}", attr_uses) for key, value in item.attrs.items()},
                    "shape": untag_shape(item.shape, f"{place}:", shape_uses),
                    "params": item.params,
                    "repeat": item.repeat,
                    "span": item.span,
                }
            )
        else:
            items.append(_scope(item, item_name, f"{path}.{item_name}" if path else item_name, uses))
    args_uses = uses["args"]
    return {
        "kind": "scope",
        "name": name,
        "block": scope.block,
        "doc": scope.defn.doc if scope.defn else None,
        "defn_span": scope.defn.span if scope.defn else None,
        "args": {key: untag(plain(value), f"{path}:{key}", args_uses) for key, value in scope.args.items()},
        "defaulted": scope.defaulted,
        "locals": {key: untag(plain(value), f"{path}:{key}", uses["locals"]) for key, value in scope.locals.items()},
        "input": scope.input,
        "output": scope.output,
        "items": tuple(items),
        "sequential": sequential,
        "repeat": scope.repeat,
        "span": scope.span,
    }


def plain(value: Any) -> Any:
    """A value as plain data (layers by name, tensors by shape) for the graph and for messages;
    parameter tags are kept (see `untag`)."""
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, (LayerRef, BlockInfo)):
        return show(value)  # `Bottleneck(widen=2)` keeps its bound arguments
    if isinstance(value, TensorRef):
        return fmt(value.shape)
    return value
