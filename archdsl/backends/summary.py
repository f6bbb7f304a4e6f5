"""Exact static analysis of a typed IR: parameters, MACs, other arithmetic, memory and depth.

Everything is computed from shapes and the op registry, per sample (batch 1), without torch. The
conventions, one rule per op, are published in docs/analysis.md; `ops/builtin.py` implements them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..analysis.module_rows import rows as table_rows
from ..ir.lint import topological_order
from ..ir.nodes import Graph, OpNode, ScopeNode
from ..ops.registry import OpDef, get_op, no_mac_rule
from ..shapes import Shape, numel

BYTES_PER_ELEMENT = 4  # float32, the dtype every figure assumes


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Uncounted(_Model):
    """An op archdsl has no rule for: its `what` ("MACs" or "other ops") is left out of every total."""

    name: str
    op: str
    what: Literal["MACs", "other ops"]


class OpCount(_Model):
    """One op's figures, per sample."""

    macs: int | None  # None: the op has weights but no MAC rule
    other_ops: int | None  # None: no rule (a plugin op that did not say)
    activation_bytes: int  # its output, unless it is a view of its input


class ModuleRow(_Model):
    """One module at the chosen depth: an op, or a block/group with its contents summed."""

    name: str  # dotted module path; inline ops show as `scope.(add)`
    op: str  # the op, the block, or Sequential/group
    level: int  # 1 = a direct child of the network
    output: Shape
    params: int
    params_percent: float
    macs: int
    flops: int  # 2 x macs
    other_ops: int
    activation_bytes: int  # the tensors this module's ops create, batch 1, float32
    uncounted: tuple[str, ...] = ()  # ops inside with no rule (their figures are not in this row)


class Totals(_Model):
    params: int
    trainable_params: int
    buffers: int  # running statistics (not parameters, but in the state_dict)
    macs: int
    flops: int  # 2 x macs
    other_ops: int  # bias adds, norms, activations, pooling, merges: never part of macs or flops
    weight_bytes: int  # parameters in float32
    activation_bytes: int  # every tensor the forward pass creates, batch 1, float32
    peak_activation_bytes: int  # most bytes alive at once, freeing each tensor after its last use
    input_bytes: int
    depth: int  # conv/linear layers on the longest input-to-output path


class Summary(_Model):
    """What `archdsl summary` prints: per-module rows at a depth, totals, and anything uncounted."""

    name: str
    input: Shape
    output: Shape  # the main output
    row_depth: int
    rows: tuple[ModuleRow, ...]
    totals: Totals
    other_ops_by_op: dict[str, int] = {}  # the other-ops total split by op, largest first
    uncounted: tuple[Uncounted, ...] = ()
    outputs: dict[str, Shape] = {}  # every output by name, the main one first, when a network names several

    def render(self, format: str = "table", *, other_ops: bool = False) -> str:
        """The summary as text: "table" (aligned columns), "markdown", "csv" or "json".
        `other_ops` adds the column of non-MAC arithmetic to table and markdown (json and csv always have it)."""
        from .report import render_summary

        return render_summary(self, format, other_ops=other_ops)

    def _repr_html_(self) -> str:  # Jupyter
        from .html_table import summary_html

        return summary_html(self)


class CompareRow(_Model):
    """One architecture in a comparison: the totals of its summary, and its latency if measured."""

    name: str
    spec: str
    input: Shape
    params: int
    macs: int
    depth: int
    activation_bytes: int
    latency_ms: float | None = None  # CPU, batch 1, median (only with bench)
    latency_iqr_ms: float | None = None  # interquartile range of the same runs: their spread
    training: dict | None = None  # a run folder's figures (archdsl.training.results.run_figures), else None


class Comparison(_Model):
    """What `archdsl compare` prints: one row per spec."""

    rows: tuple[CompareRow, ...]
    threads: int | None = None  # torch CPU threads used for latency, when measured

    def render(self, format: str = "table") -> str:
        """The comparison as text: "table", "markdown", "csv" or "json"."""
        from .report import render_comparison

        return render_comparison(self, format)

    def _repr_html_(self) -> str:  # Jupyter
        from .html_table import comparison_html

        return comparison_html(self)

    def sorted_by(self, column: str, descending: bool = False) -> Comparison:
        """The same rows ordered by a column (one of `COMPARE_COLUMNS`); rows without it go last."""
        key = COMPARE_COLUMNS[column]
        present = [r for r in self.rows if getattr(r, key) is not None]
        missing = [r for r in self.rows if getattr(r, key) is None]
        ordered = sorted(present, key=lambda r: getattr(r, key), reverse=descending)
        return self.model_copy(update={"rows": tuple(ordered + missing)})


# Sortable columns of a comparison, as the user writes them -> CompareRow fields.
COMPARE_COLUMNS = {
    "name": "name",
    "params": "params",
    "macs": "macs",
    "gmacs": "macs",
    "depth": "depth",
    "activations": "activation_bytes",
    "memory": "activation_bytes",
    "latency": "latency_ms",
}


def count_op(graph: Graph, node: OpNode, op: OpDef | None = None) -> OpCount:
    """MACs, other arithmetic and activation bytes of one op (per sample)."""
    op = op or get_op(node.op)
    inputs = [graph.shape_of(i) for i in node.inputs]
    if op is None:  # a plugin op no longer registered: say nothing rather than guess
        return OpCount(macs=None, other_ops=None, activation_bytes=numel(node.shape) * BYTES_PER_ELEMENT)
    has_weights = node.params > 0 or op.weighted
    macs = None if has_weights and no_mac_rule(op) else op.macs(node.attrs, inputs, node.shape)
    other = op.extra_ops(node.attrs, inputs, node.shape) if op.extra_ops is not None else None
    # A view shares its input's storage; a tensor the module holds (`parameter`) is a weight, not an activation.
    memory = 0 if op.view or op.arity == (0, 0) else numel(node.shape) * BYTES_PER_ELEMENT
    return OpCount(macs=macs, other_ops=other, activation_bytes=memory)


def network_depth(graph: Graph) -> int:
    """The largest number of weighted layers (conv, linear) on any path from the input to the output.

    Longest path in the value DAG, each op weighing 1 if `OpDef.weighted`, else 0: ResNet-18 is 18,
    DenseNet-121 is 121 (its concats chain every layer), GoogLeNet is 22 (the deepest inception branch).
    """
    ops = list(graph.ops())
    weight = {node.id: int(bool(getattr(get_op(node.op), "weighted", False))) for _, node in ops}
    inputs = {node.id: node.inputs for _, node in ops}
    longest: dict[int, int] = {0: 0}
    for value in topological_order(graph, ops):
        if value == 0:
            continue
        sources = [longest[s] for s in inputs[value] if s in longest]
        if sources:  # every op descends from the input; anything else is not on an input path
            longest[value] = max(sources) + weight.get(value, 0)
    return longest.get(graph.root.output, 0)


def peak_activation_bytes(graph: Graph, counts: dict[int, OpCount]) -> int:
    """Most activation bytes alive at once when the ops run in forward() order and each tensor is freed
    right after its last reader (a view keeps its base alive). The input counts (the caller holds it
    throughout); weights do not. An estimate for inference: see docs/analysis.md for how PyTorch differs."""
    base: dict[int, int] = {0: 0}
    size: dict[int, int] = {0: numel(graph.input_shape) * BYTES_PER_ELEMENT}
    # The ops in the order the generated forward() runs them: scope by scope, item by item.
    order = [node.id for _, node in graph.ops()]
    nodes = {node.id: node for _, node in graph.ops()}
    for value in order:
        op = get_op(nodes[value].op)
        if op is not None and op.view:
            base[value] = base[nodes[value].inputs[0]]
        else:
            base[value] = value
            size[value] = counts[value].activation_bytes
    last_use: dict[int, int] = {}
    for step, value in enumerate(order):
        for source in nodes[value].inputs:
            last_use[base[source]] = step
    last_use[0] = len(order)  # the caller holds the input for the whole forward pass
    for output in graph.output_ids:
        last_use[base[output]] = len(order)  # and receives the outputs
    live = peak = size[0]
    for step, value in enumerate(order):
        if base[value] == value:
            live += size[value]
            peak = max(peak, live)
            if value not in last_use:  # nothing reads it (an unused branch): freed at once
                live -= size[value]
        for storage in {base[s] for s in nodes[value].inputs}:
            if last_use.get(storage) == step:
                live -= size[storage]
    return peak


def _ops_in(node: OpNode | ScopeNode) -> Iterable[tuple[str, OpNode]]:
    if isinstance(node, OpNode):
        yield "", node
    else:
        for path, item in node.walk():
            if isinstance(item, OpNode):
                yield path, item


def summarize(graph: Graph, depth: int = 2) -> Summary:
    """Rows to `depth` levels (0 = totals only), totals, and the ops without a rule."""
    counts = {node.id: count_op(graph, node) for _, node in graph.ops()}
    uncounted = []
    for path, node in graph.ops():
        if counts[node.id].macs is None:
            uncounted.append(Uncounted(name=path, op=node.op, what="MACs"))
        if counts[node.id].other_ops is None:
            uncounted.append(Uncounted(name=path, op=node.op, what="other ops"))
    total_params = graph.total_params
    rows = []
    for row in table_rows(graph, depth) if depth > 0 else []:
        inner = [(f"{row.path}.{sub}" if sub else row.path, op) for sub, op in _ops_in(row.node)]
        macs = sum(counts[op.id].macs or 0 for _, op in inner)
        rows.append(
            ModuleRow(
                name=row.path,
                op=row.op,
                level=row.depth,
                output=row.shape,
                params=row.params,
                params_percent=100.0 * row.params / total_params if total_params else 0.0,
                macs=macs,
                flops=2 * macs,
                other_ops=sum(counts[op.id].other_ops or 0 for _, op in inner),
                activation_bytes=sum(counts[op.id].activation_bytes for _, op in inner),
                uncounted=tuple(
                    path for path, op in inner if counts[op.id].macs is None or counts[op.id].other_ops is None
                ),
            )
        )
    macs = sum(c.macs or 0 for c in counts.values())
    buffers = 0
    for _, node in graph.ops():
        op = get_op(node.op)
        if op is not None:
            buffers += op.buffers(node.attrs, [graph.shape_of(i) for i in node.inputs])
    totals = Totals(
        params=total_params,
        trainable_params=total_params,  # the language has no frozen layers: every parameter trains
        buffers=buffers,
        macs=macs,
        flops=2 * macs,
        other_ops=sum(c.other_ops or 0 for c in counts.values()),
        weight_bytes=total_params * BYTES_PER_ELEMENT,
        activation_bytes=sum(c.activation_bytes for c in counts.values()),
        peak_activation_bytes=peak_activation_bytes(graph, counts),
        input_bytes=numel(graph.input_shape) * BYTES_PER_ELEMENT,
        depth=network_depth(graph),
    )
    by_op: dict[str, int] = {}
    for _, node in graph.ops():
        if counts[node.id].other_ops:
            by_op[node.op] = by_op.get(node.op, 0) + counts[node.id].other_ops
    by_op = dict(sorted(by_op.items(), key=lambda kv: -kv[1]))
    return Summary(
        name=graph.name,
        input=graph.input_shape,
        output=graph.output_shape,
        outputs=graph.output_shapes if len(graph.outputs) > 1 else {},
        row_depth=depth,
        rows=tuple(rows),
        totals=totals,
        other_ops_by_op=by_op,
        uncounted=tuple(uncounted),
    )
