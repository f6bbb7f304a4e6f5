"""The typed IR: a hierarchy of scopes (future nn.Modules) whose leaves are ops, every value shaped.

Values are numbered: 0 is the network input, every `OpNode.id` is the value that op produces. A
`ScopeNode` (block instance, group, repeat) produces no value of its own: its `output` is the id of a
value inside it. Spans are kept for messages and drawn diagrams but left out of equality, so the IR of
a spec read from .arch equals the IR of the same spec read from YAML.

The graph is the contract between the compiler and everything else (backends, tools, other
processes): it is validated once when elaboration ends, holds plain JSON-able values only, and
`Graph.model_validate_json(graph.model_dump_json())` gives back an equal graph. Which of those values
are a network parameter used verbatim is recorded beside them, in `Graph.param_uses`.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from ..shapes import Shape, fmt_outputs
from ..source import Span

# An argument or parameter value: what a spec can write, as plain data (lists are tuples; layers
# passed as arguments are written by name, tensors by shape).
Value = TypeAliasType("Value", "bool | int | float | str | None | tuple[Value, ...]")


class IRNode(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    span: Span | None = Field(default=None, repr=False)

    def _key(self) -> tuple:
        # Where a node came from is not part of what it is: .arch and YAML forms compare equal.
        return tuple((k, getattr(self, k)) for k in type(self).model_fields if k not in ("span", "defn_span"))

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # compared by value, never used as a key


class RepeatInfo(BaseModel):
    """Set on the copies made by `step x n`: which copy this is, of how many, and of which repeat."""

    model_config = ConfigDict(frozen=True)

    index: int
    count: int
    group: int  # the same for all copies of one `x n`


class OpNode(IRNode):
    """One op applied to its inputs. `name` is its module name in the enclosing scope; None means it
    is written inline in forward() (add, concat, mul, and flatten outside nn.Sequential)."""

    kind: Literal["op"] = "op"
    id: int
    op: str
    attrs: dict[str, Value]
    inputs: tuple[int, ...]
    name: str | None
    shape: Shape
    params: int = 0
    repeat: RepeatInfo | None = None


class ScopeNode(IRNode):
    """A sub-module: a block instance, a labelled group, or the network itself."""

    kind: Literal["scope"] = "scope"
    name: str
    block: str | None = None  # the block definition it instantiates; None for groups and the network
    doc: str | None = None  # the block's docstring
    defn_span: Span | None = Field(default=None, repr=False)  # where the block is defined
    args: dict[str, Value] = Field(default_factory=dict)  # the block's arguments, for tables and diagrams
    defaulted: tuple[str, ...] = ()  # the arguments that took the block's declared default
    locals: dict[str, Value] = Field(default_factory=dict)  # the block's named constants (`hidden = ...`), last value
    input: int
    output: int
    items: tuple[Annotated[OpNode | ScopeNode, Field(discriminator="kind")], ...]
    sequential: bool  # a pure chain: compiles to nn.Sequential, unlabelled layers numbered 0, 1, ...
    repeat: RepeatInfo | None = None

    def walk(self, prefix: str = "") -> Iterator[tuple[str, OpNode | ScopeNode]]:
        """Every node below this scope with its dotted module path."""
        for item in self.items:
            # Inline ops have no module name; show them as `scope.(add)` in tables.
            path = f"{prefix}{item.name}" if item.name is not None else f"{prefix}({item.op})"
            yield path, item
            if isinstance(item, ScopeNode):
                yield from item.walk(path + ".")


class ParamUses(BaseModel):
    """Where a network parameter reaches the graph verbatim (`linear(num_classes)`), by parameter
    name. A key is a place, a colon, then the argument's name and any list indexes joined with dots:
    `attrs` keys an op's argument by op id (`"57:out"`, `"12:kernel.0"`), `args` a block argument by
    the scope's module path (`"layer1.0:planes"`), `shapes` a dimension of an op's output (`"57:0"`);
    `input` keys a dimension of the network input (`"1"`), `locals` a block's named constant as `args` do. The generated factory exposes such
    parameters as keyword arguments (see `ir/factory_params.py`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attrs: dict[str, str] = Field(default_factory=dict)
    args: dict[str, str] = Field(default_factory=dict)
    shapes: dict[str, str] = Field(default_factory=dict)
    locals: dict[str, str] = Field(default_factory=dict)  # a block's named constants, keyed as `args`
    input: dict[str, str] = Field(default_factory=dict)


class InitRule(BaseModel):
    """One row of a spec's `init` table: the `tensor` of every op of kind `target` (kind "op"), or of
    the op module at path `target` (kind "module", which wins over "op" rows), is filled by
    `torch.nn.init.<init>_(tensor, **args)` when the module is built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["op", "module"]
    target: str
    tensor: Literal["weight", "bias"]
    init: str
    args: dict[str, Value] = Field(default_factory=dict)


class Graph(IRNode):
    """A fully elaborated, shape-checked network."""

    kind: Literal["graph"] = "graph"
    name: str  # the architecture, e.g. resnet34 (also the factory's name)
    class_name: str  # the generated class, e.g. ResNet
    doc: str | None = None
    params: dict[str, Value] = Field(default_factory=dict)  # the network parameters as bound
    param_uses: ParamUses = Field(default_factory=ParamUses)
    input_shape: Shape
    root: ScopeNode
    init: tuple[InitRule, ...] = ()  # the spec's `init` table, applied in order after construction
    # A network's named outputs (`return logits=fc, aux=aux1`), the main one first, by value id; empty
    # for the usual single output, `root.output`. The main output is always `root.output`.
    outputs: dict[str, int] = Field(default_factory=dict)

    @property
    def output_shape(self) -> Shape:
        """The main output's shape."""
        return self.shape_of(self.root.output)

    @property
    def output_ids(self) -> tuple[int, ...]:
        """Every output's value id, the main one first."""
        return tuple(self.outputs.values()) or (self.root.output,)

    @property
    def output_shapes(self) -> dict[str, Shape]:
        """Every named output's shape, the main one first; `{"output": shape}` for a single unnamed one."""
        if not self.outputs:
            return {"output": self.output_shape}
        return {name: self.shape_of(value) for name, value in self.outputs.items()}

    @property
    def outputs_text(self) -> str:
        """`1000`, or `logits 1000, aux_logits 1000` for several outputs (messages, titles, headers)."""
        return fmt_outputs(self.output_shapes)

    def ops(self) -> Iterator[tuple[str, OpNode]]:
        """Every op with its module path (inline ops show as `scope.(add)`)."""
        for path, node in self.root.walk():
            if isinstance(node, OpNode):
                yield path, node

    def shape_of(self, value: int) -> Shape:
        if value == 0:
            return self.input_shape
        return self._shapes[value]

    @cached_property
    def _shapes(self) -> dict[int, Shape]:
        # Computed on first use, never copied: nothing in this codebase calls model_copy on a Graph.
        return {node.id: node.shape for _, node in self.ops()}

    @property
    def total_params(self) -> int:
        return sum(node.params for _, node in self.ops())
