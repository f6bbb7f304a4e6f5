"""Which channels must be pruned together, read from the IR graph alone (no torch).

Every conv and linear creates a *channel space*: the set of its output channels. Ops that keep channels
one to one (norms, activations, pools, dropout, depthwise convs) pass their input's spaces on; `add`
and a broadcasting `mul` join the spaces of their inputs into one, because the same channel index must
go from all of them (a residual group); `concat` lays its inputs' spaces side by side, so a consumer of
the concatenation reads each input's slice. Removing channel `i` of a space removes it from every
value that carries that space, and from the input of every layer that reads it.

A space that cannot be pruned without changing what the network computes is *fixed*, with the reason:
the network's input and output, channel shuffles and splits (they move channels between positions),
grouped convs (each group must keep its size), and ops archdsl does not know the channel rule of.
This mirrors Torch-Pruning's dependency graph, but over archdsl's own graph, so the result can be
written back as a spec.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..ir.nodes import Graph, OpNode

# Ops whose output channel i is computed from input channel i alone.
CHANNELWISE = frozenset(
    {
        "batchnorm2d",
        "batchnorm1d",
        "relu",
        "relu6",
        "leaky_relu",
        "elu",
        "silu",
        "sigmoid",
        "hardsigmoid",
        "hardswish",
        "gelu",
        "tanh",
        "maxpool2d",
        "avgpool2d",
        "adaptive_avgpool",
        "adaptive_maxpool",
        "global_avgpool",
        "global_maxpool",
        "dropout",
        "dropout2d",
        "stochastic_depth",
        "identity",
    }
)
# Ops that make new channels from all of their input's channels: their weights have an output axis.
PRODUCERS = frozenset({"conv2d", "linear"})


@dataclass
class Coupling:
    """The channel spaces of a graph: `layout[value]` lists the spaces its channels come from, in order."""

    sizes: dict[int, int] = field(default_factory=dict)
    layout: dict[int, tuple[int, ...]] = field(default_factory=dict)
    fixed: dict[int, str] = field(default_factory=dict)
    producers: dict[int, list[str]] = field(default_factory=dict)  # space -> paths of convs/linears making it
    _parent: dict[int, int] = field(default_factory=dict)

    def find(self, space: int) -> int:
        root = space
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[space] != root:  # path compression
            self._parent[space], space = root, self._parent[space]
        return root

    def spaces_of(self, value: int) -> tuple[int, ...]:
        return tuple(self.find(s) for s in self.layout[value])

    def fixed_reason(self, space: int) -> str | None:
        return self.fixed.get(self.find(space))

    def groups(self) -> dict[int, list[str]]:
        """Each prunable space (its root) with the layers whose output channels it is."""
        merged: dict[int, list[str]] = {}
        for space, paths in self.producers.items():
            root = self.find(space)
            if root not in self.fixed:
                merged.setdefault(root, []).extend(paths)
        return merged

    # -- building ---------------------------------------------------------------------------------
    def new_space(self, size: int, fixed: str | None = None) -> int:
        space = len(self._parent)
        self._parent[space] = space
        self.sizes[space] = size
        if fixed:
            self.fixed[space] = fixed
        return space

    def fix(self, spaces: Iterable[int], reason: str) -> None:
        for space in spaces:
            self.fixed.setdefault(self.find(space), reason)

    def join(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a == b:
            return
        self._parent[b] = a
        if b in self.fixed:
            self.fixed.setdefault(a, self.fixed.pop(b))
        self.producers.setdefault(a, []).extend(self.producers.pop(b, []))


def channels(shape: tuple[int, ...]) -> int:
    """The channel (or feature) count of a value: dim 0 of CxHxW or of a feature vector."""
    return shape[0]


def couple(graph: Graph) -> Coupling:
    """The channel spaces of `graph`, with every coupling through add, mul and concat resolved."""
    coupling = Coupling()
    coupling.layout[0] = (coupling.new_space(channels(graph.input_shape), "the network's input"),)
    shapes = {0: graph.input_shape}
    for path, node in graph.ops():
        shapes[node.id] = node.shape
        coupling.layout[node.id] = _rule(coupling, path, node, [shapes[i] for i in node.inputs])
    for output in graph.output_ids:  # every output (aux heads too) keeps its channels
        coupling.fix(coupling.spaces_of(output), "the network's output")
    return coupling


def _rule(c: Coupling, path: str, node: OpNode, inputs: list[tuple[int, ...]]) -> tuple[int, ...]:
    layouts = [c.spaces_of(i) for i in node.inputs]
    op, out = node.op, channels(node.shape)
    if op in CHANNELWISE and len(inputs[0]) != 2:  # on LxC sequences dim 0 is not the channel axis
        return layouts[0]
    if op == "conv2d":
        groups, in_channels = node.attrs.get("groups", 1), channels(inputs[0])
        if groups == 1:
            return _produce(c, path, out)
        if groups == in_channels == out:  # depthwise: channel i in, channel i out
            return layouts[0]
        c.fix(layouts[0], f"`{path}` is a grouped conv (groups={groups}): each group must keep its size")
        return (c.new_space(out, f"`{path}` is a grouped conv (groups={groups})"),)
    if op == "linear":
        if len(inputs[0]) != 1:
            c.fix(layouts[0], f"`{path}` is a linear over the last dim of a {len(inputs[0])}-d value")
            return (c.new_space(out, f"`{path}` works on a sequence"),)
        return _produce(c, path, out)
    if op == "flatten":
        if all(size == 1 for size in inputs[0][1:]):  # Cx1x1 -> C: feature i is channel i
            return layouts[0]
        c.fix(layouts[0], f"`{path}` flattens {'x'.join(map(str, inputs[0]))}: each channel is many features")
        return (c.new_space(out, f"`{path}` flattens a spatial map"),)
    if op == "parameter":  # a held tensor (ConvNeXt's layer scale): its channels follow what it multiplies
        return (c.new_space(out),)
    if op in ("add", "mul"):
        return _join_all(c, path, node, inputs, layouts)
    if op == "concat" and node.attrs.get("dim", 1) == 1:
        return tuple(space for layout in layouts for space in layout)
    why = {
        "channel_shuffle": "moves channels between groups",
        "chunk": "splits the channels into equal parts",
        "concat": "joins along another dim",
        "softmax": "normalises across channels",
        "local_response_norm": "mixes neighbouring channels",
    }.get(op, "has no channel rule archdsl knows")
    for layout in layouts:
        c.fix(layout, f"`{path}` ({op}) {why}")
    return (c.new_space(out, f"`{path}` ({op}) {why}"),)


def _produce(c: Coupling, path: str, out: int) -> tuple[int, ...]:
    space = c.new_space(out)
    c.producers[space] = [path]
    return (space,)


def _join_all(c: Coupling, path: str, node: OpNode, inputs, layouts) -> tuple[int, ...]:
    """add and mul: inputs with the full channel count share their channels; a 1-channel input broadcasts."""
    full = [layout for shape, layout in zip(inputs, layouts) if channels(shape) == channels(node.shape)]
    first = full[0]
    for layout in full[1:]:
        if [c.sizes[s] for s in layout] != [c.sizes[s] for s in first]:
            # Concatenations split differently: no one-to-one pairing of spaces, keep them all.
            for other in full:
                c.fix(other, f"`{path}` joins values whose channels come from differently split sources")
            return first
        for a, b in zip(first, layout):
            c.join(a, b)
    return tuple(c.find(s) for s in first)
