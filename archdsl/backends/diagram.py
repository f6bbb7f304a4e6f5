"""Typed IR -> a diagram model: which scopes are drawn as one node, which open as clusters, which
repeated blocks fold together, and the edges between what is visible, each carrying its tensor shape.

The model knows nothing of Graphviz, so its choices (depth, folding, dense-concat compaction) are
plain data that tests can read; `backends/dot.py` turns it into DOT.

Depth: level 1 is the network's direct children. `depth=N` opens every scope above level N, so
`depth=1` shows only the top level and `depth="all"` shows every op. The default, `"auto"`, opens
plain groups (`features`, `classifier`) but keeps block instances and stages (groups made of one kind
of block, like ResNet's `layer3`) closed, and draws a conv or linear layer's norm and activation in
its node (`conv 3x3, 64 + batchnorm + relu`): the figure a paper would print (VGG-19-BN in 30 nodes,
not 64).
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

from ..ir.nodes import Graph, OpNode, ScopeNode
from ..ir.structure import holds_one_block, is_stage
from ..ir.values import show
from ..ops.registry import get_op
from ..shapes import fmt
from .report import si

AUTO = "auto"
ALL = "all"
# Module paths are identifiers joined by dots, so these ids can never clash with a module's.
INPUT_ID = "(input)"
OUTPUT_ID = "(output)"


class DrawOptionError(ValueError):
    """A drawing option that cannot apply to this network (an unknown --expand name, a bad depth)."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option  # the command-line option it came from: --depth or --expand


@dataclass(frozen=True)
class DiagramNode:
    id: str
    kind: str  # op | merge | block | stage | input | output
    family: str  # the op's family (conv, norm, ...), "block" for a closed scope, "io" for input/output
    title: str  # the main text: "conv 3x3, 64, /2", "Bottleneck x 36"
    name: str | None = None  # the module path, when it tells the reader something
    detail: str | None = None  # small print, one or more lines: a block's arguments and parameter count
    tooltip: str = ""


@dataclass(frozen=True)
class DiagramEdge:
    source: str
    target: str
    shape: str  # the tensor shape on the wire, "64x56x56"
    skip: bool = False  # a residual / dense / gating connection from a block's input into a merge


@dataclass(frozen=True)
class Cluster:
    """An open scope: a box labelled with its name, holding nodes and nested clusters."""

    id: str
    label: str
    nodes: tuple[str, ...]
    clusters: tuple[Cluster, ...] = ()
    level: int = 1
    tooltip: str = ""


@dataclass(frozen=True)
class Diagram:
    name: str
    title: str  # "resnet152"
    subtitle: str  # "60,192,808 params · 11.56 GMACs · 3x224x224 → 1000"
    nodes: tuple[DiagramNode, ...]
    edges: tuple[DiagramEdge, ...]
    top: Cluster  # the network: its nodes and clusters (its own label is not drawn)
    families: tuple[str, ...]  # the families that appear, in legend order

    def node(self, node_id: str) -> DiagramNode:
        return next(n for n in self.nodes if n.id == node_id)


FAMILY_ORDER = ("conv", "norm", "act", "pool", "linear", "merge", "reshape", "regularize", "other", "block")


def build_diagram(
    graph: Graph,
    depth: int | str | None = AUTO,
    expand: tuple[str, ...] | list[str] = (),
    fold: bool = True,
    fuse: bool = True,
) -> Diagram:
    """The diagram of `graph`: `depth` (int >= 1, "auto" or "all"), `expand` (module paths, block
    names or glob patterns to open), `fold` (draw identical consecutive blocks once, with a count),
    `fuse` (at the default depth, draw a conv or linear layer's norm and activation in its node)."""
    return _Builder(graph, _parse_depth(depth), tuple(expand), fold, fuse).run()


def total_macs(graph: Graph) -> int:
    """Multiply-accumulates of one forward pass (conv and linear weights), as `archdsl summary` counts them."""
    from .summary import summarize

    return summarize(graph, 0).totals.macs


def max_depth(graph: Graph) -> int:
    """The depth that shows every op: one more than the deepest nesting of scopes."""

    def deepest(scope: ScopeNode) -> int:
        return 1 + max((deepest(item) for item in scope.items if isinstance(item, ScopeNode)), default=0)

    return deepest(graph.root)


def _parse_depth(depth: int | str | None) -> int | str:
    if depth is None or depth == AUTO:
        return AUTO
    if depth == ALL:
        return ALL
    if isinstance(depth, str) and depth.isdigit():
        depth = int(depth)
    if isinstance(depth, int) and not isinstance(depth, bool) and depth >= 1:
        return depth
    raise DrawOptionError(f"depth must be a whole number >= 1, `auto` or `all`, not {depth!r}", "--depth")


def _item_name(item: OpNode | ScopeNode) -> str:
    return item.name if item.name is not None else f"({item.op})#{item.id}"  # type: ignore[union-attr]


def _signature(scope: ScopeNode, graph: Graph) -> tuple:
    """What makes two sibling scopes draw the same: block and every op with its attributes, shapes and
    wiring (value ids renumbered locally, so copies compare equal). Block arguments are left out (they
    matter only through the ops they make), and so are dropout rates: EfficientNet's blocks differ
    only in their stochastic depth probability, and still fold."""
    local: dict[int, Any] = {}

    def ref(value: int) -> Any:
        if value not in local:
            local[value] = ("ext", sum(1 for v in local.values() if isinstance(v, tuple)))
        return local[value]

    def sig(node: OpNode | ScopeNode) -> tuple:
        if isinstance(node, OpNode):
            inputs = tuple(ref(i) for i in node.inputs)
            local[node.id] = len(local)
            opdef = get_op(node.op)
            attrs = None if opdef is not None and opdef.family == "regularize" else node.attrs
            return ("op", node.name, node.op, attrs, node.shape, inputs)
        return ("scope", node.name, node.block, node.sequential, tuple(sig(i) for i in node.items), ref(node.output))

    ref(scope.input)
    return (
        scope.block,
        scope.sequential,
        graph.shape_of(scope.input),
        tuple(sig(i) for i in scope.items),
        ref(scope.output),
    )


def _macs_text(macs: int) -> str:
    return f"{si(macs)}MACs" if macs >= 1000 else f"{macs:,} MACs"  # report.si: "4.089 GMACs"


def _scope_params(scope: ScopeNode) -> int:
    return sum(item.params if isinstance(item, OpNode) else _scope_params(item) for item in scope.items)


@dataclass
class _Consumer:
    """A visible node and the values it reads from outside itself."""

    node: str
    inputs: list[int]
    op: OpNode | None = None
    scope_input: int | None = None  # for a merge: the input of its enclosing block (its skip source)


@dataclass
class _Builder:
    graph: Graph
    depth: int | str
    expand: tuple[str, ...]
    fold: bool
    fuse: bool = True  # norm and activation drawn in the layer before, at the default depth
    readers: Counter = field(default_factory=Counter)  # value id -> how many ops read it
    rep: dict[int, str] = field(default_factory=dict)  # value id -> the visible node that shows it
    nodes: list[DiagramNode] = field(default_factory=list)
    consumers: list[_Consumer] = field(default_factory=list)
    forced: set[str] = field(default_factory=set)  # scope paths opened by --expand (and their ancestors)
    chosen: set[str] = field(default_factory=set)  # scope paths an --expand pattern named itself
    varying: dict[str, list[str]] = field(default_factory=dict)  # block -> argument names that differ

    def run(self) -> Diagram:
        self._resolve_expand()
        self._find_varying_args()
        graph_reads = [v for _, node in self.graph.root.walk() if isinstance(node, OpNode) for v in node.inputs]
        self.readers = Counter([*graph_reads, *self.graph.output_ids])
        self.rep[0] = INPUT_ID
        graph = self.graph
        self.nodes.append(
            DiagramNode(
                INPUT_ID,
                "input",
                "io",
                f"input {fmt(graph.input_shape)}",
                tooltip=f"input: {fmt(graph.input_shape)} per sample",
            )
        )
        nodes, clusters = self._place(graph.root, "", 1)
        # One node per output: `output 1000`, or `logits 1000`, `aux_logits 1000` when the network names several.
        output_ids = []
        for index, (name, value) in enumerate(zip(graph.output_shapes, graph.output_ids)):
            node_id = OUTPUT_ID if index == 0 else f"(output {name})"
            shape = fmt(graph.shape_of(value))
            title = f"output {shape}" if len(graph.output_ids) == 1 else f"{name} {shape}"
            self.nodes.append(DiagramNode(node_id, "output", "io", title, tooltip=f"{name}: {shape} per sample"))
            self.consumers.append(_Consumer(node_id, [value]))
            output_ids.append(node_id)
        top = Cluster("network", graph.name, (INPUT_ID, *nodes, *output_ids), tuple(clusters), 0)
        subtitle = (
            f"{graph.total_params:,} params · {_macs_text(total_macs(graph))} · "
            f"{fmt(graph.input_shape)} → {graph.outputs_text}"
        )
        used = {n.family for n in self.nodes if n.family != "io"}
        return Diagram(
            name=graph.name,
            title=graph.name,
            subtitle=subtitle,
            nodes=tuple(self.nodes),
            edges=tuple(self._edges()),
            top=top,
            families=tuple(f for f in FAMILY_ORDER if f in used),
        )

    # -- which scopes open ------------------------------------------------------------------------

    def _resolve_expand(self) -> None:
        matched = {pattern: False for pattern in self.expand}
        paths: list[str] = []
        blocks: set[str] = set()

        def visit(scope: ScopeNode, prefix: str, ancestors: tuple[str, ...]) -> None:
            for item in scope.items:
                if not isinstance(item, ScopeNode):
                    # Naming an op opens the scopes around it, so that op is drawn.
                    if item.name is not None:
                        for pattern in self.expand:
                            if _path_matches(prefix + item.name, pattern):
                                matched[pattern] = True
                                self.forced.update(ancestors)
                    continue
                path = prefix + item.name
                paths.append(path)
                if item.block:
                    blocks.add(item.block)
                for pattern in self.expand:
                    if item.block == pattern or _path_matches(path, pattern):
                        matched[pattern] = True
                        self.chosen.add(path)
                        self.forced.update((*ancestors, path))
                visit(item, path + ".", (*ancestors, path))

        visit(self.graph.root, "", ())
        missing = [pattern for pattern, hit in matched.items() if not hit]
        if missing:
            close = get_close_matches(missing[0], paths + sorted(blocks), n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else f"; blocks here: {', '.join(sorted(blocks)) or 'none'}"
            raise DrawOptionError(
                f"`{missing[0]}` matches no block or module path of {self.graph.name}{hint}", "--expand"
            )

    def _opens(self, scope: ScopeNode, path: str, level: int) -> bool:
        # --expand opens what it names, everything inside it, and the scopes around it.
        if path in self.forced or any(path.startswith(chosen + ".") for chosen in self.chosen):
            return True
        if self.depth == ALL:
            return True
        if self.depth == AUTO:
            return scope.block is None and not is_stage(scope)
        return level < self.depth  # type: ignore[operator]

    def _find_varying_args(self) -> None:
        seen: dict[str, dict[str, set[str]]] = {}
        for _, node in self.graph.root.walk():
            if isinstance(node, ScopeNode) and node.block:
                for key, value in node.args.items():
                    seen.setdefault(node.block, {}).setdefault(key, set()).add(show(value))
        self.varying = {block: [k for k, values in args.items() if len(values) > 1] for block, args in seen.items()}

    # -- placing nodes and clusters ---------------------------------------------------------------

    def _runs(self, scope: ScopeNode, prefix: str, level: int) -> list[list[OpNode | ScopeNode]]:
        """The scope's items, with identical consecutive sibling scopes grouped (when folding)."""
        runs: list[list[OpNode | ScopeNode]] = []
        last_key: tuple | None = None
        for item in scope.items:
            key = None
            if self.fold and isinstance(item, ScopeNode):
                path = prefix + item.name
                # A scope --expand named by its own path is shown on its own, never folded into a count.
                if path not in self.chosen or item.block in self.expand:
                    key = (self._opens(item, path, level), _signature(item, self.graph))
            if key is not None and key == last_key:
                runs[-1].append(item)
            else:
                runs.append([item])
            last_key = key
        return runs

    def _place(self, scope: ScopeNode, prefix: str, level: int) -> tuple[list[str], list[Cluster]]:
        nodes: list[str] = []
        clusters: list[Cluster] = []
        runs = self._runs(scope, prefix, level)
        fused: set[int] = set()
        for index, run in enumerate(runs):
            first = run[0]
            if id(first) in fused:
                continue
            path = prefix + _item_name(first)
            if isinstance(first, OpNode):
                tail = self._fused_tail(runs, index, scope, prefix)
                fused.update(id(op) for op in tail)
                nodes.append(self._op_node(first, path, scope, tail=tail))
            elif (
                len(run) == 1
                and len(first.items) == 1
                and isinstance(first.items[0], OpNode)
                and self._opens(first, path, level)
            ):
                # A group around a single op (`head: linear(10)` in a chain) is drawn as that op, named
                # after the group: a box around one node only adds nesting.
                only = first.items[0]
                nodes.append(self._op_node(only, f"{path}.{_item_name(only)}", first, shown_name=first.name))
            elif self._opens(first, path, level):
                clusters.append(self._cluster(run, prefix, level))
            else:
                nodes.append(self._closed_node(run, prefix))
        return nodes, clusters

    def _fused_tail(self, runs: list[list[Any]], start: int, scope: ScopeNode, prefix: str) -> list[OpNode]:
        """At the default depth, the norm and activation layers right after a conv or linear layer, drawn
        in its node ("conv 3x3, 64 + batchnorm + relu") as papers draw them: each reads only the layer
        before it, which nothing else reads. Other depths, and what --expand opens, draw every op."""
        head = runs[start][0]
        opened = any(prefix == f"{chosen}." or prefix.startswith(f"{chosen}.") for chosen in self.chosen)
        if not self.fuse or self.depth != AUTO or opened or self._describe(head)[1] not in ("conv", "linear"):
            return []
        tail: list[OpNode] = []
        previous = head
        for run in runs[start + 1 :]:
            op = run[0]
            if not isinstance(op, OpNode) or self._describe(op)[1] not in ("norm", "act"):
                break
            if tuple(op.inputs) != (previous.id,) or self.readers[previous.id] != 1 or previous.id == scope.output:
                break
            tail.append(op)
            previous = op
        return tail

    def _op_node(
        self, op: OpNode, path: str, scope: ScopeNode, shown_name: str | None = None, tail: list[OpNode] = ()
    ) -> str:
        title, family = self._describe(op)
        title += "".join(f" + {self._describe(after)[0]}" for after in tail)
        last = tail[-1] if tail else op
        opdef = get_op(op.op)
        aliases = opdef.aliases if opdef else ()
        # Show the module name when it adds something: not `0`, `relu` for a relu, or an inline op.
        name = shown_name or op.name
        name = name if name and not name.isdigit() and name not in (op.op, title, *aliases) else None
        tooltip = f"{path if op.name else op.op}: {' + '.join(o.op for o in (op, *tail))} → {fmt(last.shape)}" + (
            f", {sum(o.params for o in (op, *tail)):,} params" if op.params else ""
        )
        self.nodes.append(
            DiagramNode(path, "merge" if family == "merge" else "op", family, title, name, tooltip=tooltip)
        )
        for shown in (op, *tail):
            self.rep[shown.id] = path
        scope_input = scope.input if family == "merge" and scope.input in op.inputs else None
        self.consumers.append(_Consumer(path, list(op.inputs), op, scope_input))
        return path

    def _closed_node(self, run: list[ScopeNode], prefix: str) -> str:
        first, last = run[0], run[-1]
        path = prefix + first.name
        count = len(run)
        # The enclosing cluster names the scope, so the node shows only its own name.
        name = first.name if count == 1 else _range_name("", first.name, last.name)
        params = sum(_scope_params(s) for s in run)
        if first.block:
            title = first.block + (f" x {count}" if count > 1 else "")
            if holds_one_block(first):
                # A block that is itself a stage (EfficientNet's `Stage`) says what it repeats.
                title += f" ({self._summarize(first)})"
            args = self._args_text(run)
            kind = "block"
        else:
            title = self._summarize(first) + (f", x {count}" if count > 1 else "")
            args = ""
            kind = "stage"
        small = [part for part in (*_wrap(args), f"{si(params)} params" if params else "") if part]
        full_name = path if count == 1 else _range_name(prefix, first.name, last.name)
        tooltip = f"{full_name}: {title}" + (f" ({args})" if args else "") + f", {params:,} params"
        self.nodes.append(DiagramNode(path, kind, "block", title, name, "\n".join(small) or None, tooltip))
        inside: set[int] = set()
        reads: list[int] = []
        for scope in run:
            for _, node in scope.walk():
                if isinstance(node, OpNode):
                    inside.add(node.id)
                    self.rep[node.id] = path
                    reads.extend(node.inputs)
        external = list(dict.fromkeys(v for v in reads if v not in inside))
        self.consumers.append(_Consumer(path, external))
        return path

    def _args_text(self, run: list[ScopeNode]) -> str:
        """The arguments that tell this block's instances apart ("planes=256, stride=2"); over a folded
        run, one that changes along it shows its range ("drop=0.1…0.15")."""
        parts = []
        for key in self.varying.get(run[0].block or "", []):
            values = [show_arg(scope.args[key]) for scope in run]
            parts.append(f"{key}={values[0]}" if len(set(values)) == 1 else f"{key}={values[0]}…{values[-1]}")
        return ", ".join(parts)

    def _describe(self, op: OpNode) -> tuple[str, str]:
        """An op's label ("conv 3x3, 64, /2") and family, from its registry entry."""
        opdef = get_op(op.op)
        if opdef is None:
            return op.op, "other"
        return opdef.describe(op.attrs, [self.graph.shape_of(i) for i in op.inputs], op.shape), opdef.family

    def _summarize(self, scope: ScopeNode) -> str:
        """What a closed group holds: "Bottleneck x 36", "conv 1x1, 256, /2 → batchnorm", "ConvBNAct → MBConv x 3"."""
        runs: list[list[Any]] = []
        for item in scope.items:
            if isinstance(item, ScopeNode):
                kind = item.block or "group"
            else:
                kind = self._describe(item)[0]
            if runs and runs[-1][0] == kind:
                runs[-1][1] += 1
            else:
                runs.append([kind, 1])
        if len(runs) > 3:
            return f"{len(scope.items)} layers"
        return " → ".join(f"{kind} x {n}" if n > 1 else str(kind) for kind, n in runs)

    def _cluster(self, run: list[ScopeNode], prefix: str, level: int) -> Cluster:
        first, last = run[0], run[-1]
        path = prefix + first.name
        nodes, clusters = self._place(first, path + ".", level + 1)
        for copy in run[1:]:
            # Later copies are drawn by the first: their values are shown by its nodes.
            for (_, mine), (_, theirs) in zip(copy.walk(), first.walk()):
                if isinstance(mine, OpNode) and isinstance(theirs, OpNode):
                    self.rep[mine.id] = self.rep[theirs.id]
        full_name = path if len(run) == 1 else _range_name(prefix, first.name, last.name)
        # A box's label is kept short, since edges entering the box cross it: nested boxes show only their
        # own name (the boxes around them give the rest of the path) and the block without its
        # arguments (the ops inside show them). The tooltip has it all.
        name = full_name if level == 1 else (first.name if len(run) == 1 else _range_name("", first.name, last.name))
        label = " · ".join(part for part in (name, first.block) if part) + (f" x {len(run)}" if len(run) > 1 else "")
        args = self._args_text(run) if first.block else ""
        tooltip = (
            full_name
            + (f": {first.block}({args})" if first.block else "")
            + (f"; {len(run)} identical copies, the first drawn" if len(run) > 1 else "")
        )
        return Cluster(f"cluster_{path}", label, tuple(nodes), tuple(clusters), level, tooltip)

    # -- edges ------------------------------------------------------------------------------------

    def _edges(self) -> list[DiagramEdge]:
        concat_by_inputs: dict[tuple[tuple[int, ...], Any], int] = {}
        edges: dict[tuple[str, str, str], DiagramEdge] = {}
        for consumer in self.consumers:
            inputs = consumer.inputs
            op = consumer.op
            if op is not None and op.op == "concat":
                inputs = self._compact_concat(op, concat_by_inputs)
            for value in inputs:
                source = self.rep[value]
                if source == consumer.node:
                    continue
                shape = fmt(self.graph.shape_of(value))
                skip = consumer.scope_input == value and len(set(op.inputs)) > 1 if op is not None else False
                edges.setdefault((source, consumer.node, shape), DiagramEdge(source, consumer.node, shape, skip))
        return list(edges.values())

    def _compact_concat(self, op: OpNode, seen: dict[tuple[tuple[int, ...], Any], int]) -> list[int]:
        """Dense connectivity as a chain: when concat(a, b, c, d) extends an earlier concat(a, b, c),
        draw it as concat(previous, d), so a dense block has one edge per layer, not O(n^2)."""
        dim = op.attrs.get("dim")
        inputs = list(op.inputs)
        seen[(tuple(inputs), dim)] = op.id
        for cut in range(len(inputs) - 1, 1, -1):
            earlier = seen.get((tuple(inputs[:cut]), dim))
            if earlier is not None and earlier != op.id:
                return [earlier, *inputs[cut:]]
        return inputs


def show_arg(value: Any) -> str:
    """An argument as the spec writes it, floats to 3 significant digits (0.0364, not 0.036363636...)."""
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:.3g}"
    if isinstance(value, tuple):
        return "[" + ", ".join(show_arg(v) for v in value) + "]"
    return show(value)


def _path_matches(path: str, pattern: str) -> bool:
    """A module path matches a pattern written in full (`features.denseblock1`), or by its last
    parts (`denseblock1`, as a node shows it), with glob wildcards allowed."""
    return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, f"*.{pattern}")


def _range_name(prefix: str, first: str, last: str) -> str:
    if first.isdigit() and last.isdigit():
        return f"{prefix}{first}–{last}"
    return f"{prefix}{first} … {last}"


def _wrap(text: str, width: int = 40) -> list[str]:
    """Split a long argument list into lines at its commas, so wide blocks do not stretch the figure."""
    lines: list[str] = []
    for part in text.split(", ") if text else []:
        if lines and len(lines[-1]) + len(part) + 2 <= width:
            lines[-1] += ", " + part
        else:
            lines.append(part)
    return lines
