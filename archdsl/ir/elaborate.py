"""Elaboration: bind parameters, evaluate expressions, expand blocks, conditionals, loops and repeats,
and infer every value's shape, producing the typed IR (validated once, by `builders.assemble`).

Shapes are inferred here, op by op, because the language lets a block read its input's shape
(`in.channels`) and branch on it: the shape of a value must be known before the next statement runs.
Each op's shape rule lives in its registry entry; elaboration only calls it and turns its complaints
into located errors that name the producers of the inputs.

This module runs networks and statements; `steps.py` applies chains and layers, `blocks.py` opens
block instances and groups; `builders.py` holds what they build.
"""

from __future__ import annotations

from typing import Any

from ..errors import ArchError, Collector, ElaborationError, ErrorGroup, LimitError, Note
from ..frontend import syntax
from ..shapes import Shape, fmt, numel
from ..source import Span
from . import diagnose, naming
from .blocks import BlockScopes
from .builders import OpItem, ScopeItem, assemble
from .evaluator import Evaluator, integer
from .flow import moves_flow
from .initialisers import init_rules
from .limits import Limits, paused_gc
from .nodes import Graph
from .param_tags import ParamValue, tag_param
from .program import Program
from .steps import ChainSteps, Const, Frame, err
from .suggest import suggest
from .unpacking import bind
from .values import POISON, NetworkInfo, Poisoned, SkipStatement, TensorRef, show, type_name

__all__ = ["Elaborator", "Limits", "paused_gc"]


class Elaborator(ChainSteps, BlockScopes):
    """Runs one network's statements (see the module docstring). Chains and layers are applied by
    `ChainSteps` (steps.py), blocks and groups opened by `BlockScopes` (blocks.py)."""

    def __init__(self, program: Program, limits: Limits | None = None, *, explain_collapse: bool = True):
        self.program = program
        self.limits = limits or Limits()
        self.evaluator = Evaluator(self.limits.max_steps)
        self.next_id = 1
        # Open block instances and groups: (block name, call site, "in layer2 = BasicBlock(...)" note).
        self.blocks_open: list[tuple[str, Span | None, str | None]] = []
        self.opened_blocks: set[int] = set()  # ids of the block definitions run (see library.py)
        self.repeat_groups = 0
        self.tagged: set[str] = set()
        self.errors = Collector(self.limits.max_errors)
        self.total_params = 0
        self.outputs: dict[str, TensorRef] | None = None  # a network's `return`, once it has run
        self.explain_collapse = explain_collapse
        # "in resnet34 = ResNet(...)" notes, innermost alias first: the chain from a network defined in
        # another file down to the statement in the file the user checks (see `_alias_notes`).
        self.alias_notes: list[Note] = []

    # ------------------------------------------------------------------------------------------
    # networks and parameters
    # ------------------------------------------------------------------------------------------

    def network(self, info: NetworkInfo, overrides: dict[str, Any], input_shape: Shape | None) -> Graph:
        """The typed IR of one network, or every independent error found (see `run_body`)."""
        with paused_gc():
            return self._network(info, overrides, input_shape)

    def _network(self, info: NetworkInfo, overrides: dict[str, Any], input_shape: Shape | None) -> Graph:
        if info.name in naming.GENERATED_GLOBALS:
            raise err(
                f"a network called `{info.name}` would hide `{info.name}` in the generated Python module",
                info.defn,
                hint=f"rename it, e.g. `{info.name}_net`",
                code="E304",
            )
        base, layers = self._resolve_alias(info)
        self.alias_notes = self._alias_notes(layers)
        try:
            params = self._network_params(base, layers, overrides)
        except ArchError as error:
            self._add_context(error)
            raise
        self.tagged = {k for k, v in params.items() if isinstance(v, ParamValue)}
        env = base.env.child(params)
        env["in"] = None
        self.outputs = None
        root = ScopeItem(label=None, block=None, args={}, input=0, span=base.defn.span, is_root=True)
        frame = Frame(env, root, None)
        try:
            if input_shape is not None:
                self._start(frame, tuple(input_shape), base.defn.span)
            self.run_body(base.defn.body, frame, input_fixed=input_shape is not None)
        except LimitError as error:  # a limit stops everything, after what was found before it
            self.errors.add(error)
        if self.errors:
            self._explain_collapse(info, overrides)
            self.errors.raise_if_any()
        if frame.current is None:
            error = err(
                f"network `{base.name}` has no `input`",
                base.defn,
                hint="start its body with the input shape, e.g. `input 3x224x224`",
                code="E204",
            )
            self._add_context(error)
            raise error
        outputs = self.outputs or {}
        root.output = next(iter(outputs.values())).id if outputs else frame.current.id
        doc = self.program.main_file.doc if info.env is self.program.main_env else None
        graph = assemble(
            root,
            name=info.name,
            class_name=naming.camel(base.name),
            doc=doc or base.defn.doc,
            params=params,
            input_shape=self._input_shape,
            span=info.defn.span,
            outputs={name: ref.id for name, ref in outputs.items()},
        )
        found, table, _ = frame.env.lookup("init")  # the network's own `init = [...]`, else its file's
        if not found or table is None:
            return graph
        module_paths = {path: node.op for path, node in graph.ops() if node.name is not None}
        rules = init_rules(table, self._init_span(base), module_paths)
        return graph.model_copy(update={"init": rules})  # before any cached property is computed

    def _init_span(self, base: NetworkInfo) -> Span | None:
        """Where the `init` table a network reads is written (its body's, else a file's), for messages."""
        for stmt in base.defn.body:
            if stmt.kind == "assign" and stmt.target == "init":
                return stmt.span
        for path, env in self.program.envs.items():
            if env is base.env:
                for item in self.program.files[path].items:
                    if item.kind == "const" and item.name == "init":
                        return item.span
        return base.defn.span

    def _resolve_alias(self, info: NetworkInfo) -> tuple[NetworkInfo, list[NetworkInfo]]:
        layers: list[NetworkInfo] = []
        seen: set[int] = set()
        while isinstance(info.defn, syntax.NetworkAlias):
            if id(info.defn) in seen:
                raise err(f"network `{info.name}` is defined in terms of itself", info.defn, code="E209")
            seen.add(id(info.defn))
            layers.append(info)
            found, target, _ = info.env.lookup(info.defn.base)
            if not found or not isinstance(target, NetworkInfo):
                candidates = [n for n in info.env.names() if isinstance(info.env.lookup(n)[1], NetworkInfo)]
                raise err(
                    f"unknown network `{info.defn.base}`",
                    info.defn,
                    hint=suggest(info.defn.base, candidates),
                    code="E202",
                )
            info = target
        return info, layers

    def _alias_notes(self, layers: list[NetworkInfo]) -> list[Note]:
        """One note per alias between the network that runs and the one the user named, like a C++
        compiler's "required from here": the fault stays where it is, and the notes lead to the user's line."""
        notes = []
        for alias in reversed(layers):
            defn = alias.defn
            assert isinstance(defn, syntax.NetworkAlias)
            shown: list[str] = []
            for arg in (*defn.args, *defn.kwargs):
                text = self._text(arg.span)
                if text is None or sum(map(len, shown)) + len(text) > 50:
                    shown.append("...")
                    break
                shown.append(text)
            notes.append(Note(f"in {alias.name} = {defn.base}({', '.join(shown)})", defn.span))
        return notes

    def _text(self, span: Span | None) -> str | None:
        """The source text of a one-line span, as written."""
        source = self.program.sources.get(span.path) if span is not None else None
        if source is None or span.line != span.end_line:
            return None
        return source.line(span.line)[span.col - 1 : span.end_col - 1]

    def _network_params(
        self, base: NetworkInfo, layers: list[NetworkInfo], overrides: dict[str, Any]
    ) -> dict[str, Any]:
        names = [p.name for p in base.defn.params]
        given: dict[str, Any] = {}
        for alias in reversed(layers):  # the alias the user named is applied last, so it wins
            defn = alias.defn
            assert isinstance(defn, syntax.NetworkAlias)
            if len(defn.args) > len(names):
                raise err(
                    f"network `{base.name}` takes {len(names)} parameters, got {len(defn.args)}", defn, code="E205"
                )
            for name, node in zip(names, defn.args):
                given[name] = self.evaluator.eval(node, alias.env)
            for kw in defn.kwargs:
                if kw.name not in names:
                    raise err(
                        f"network `{base.name}` has no parameter `{kw.name}`",
                        kw,
                        hint=suggest(kw.name, names) or f"its parameters are {', '.join(names)}",
                        code="E203",
                    )
                given[kw.name] = self.evaluator.eval(kw.value, alias.env)
        for name, value in overrides.items():
            if name not in names:
                raise ElaborationError(
                    f"network `{base.name}` has no parameter `{name}`",
                    None,
                    suggest(name, names)
                    or (f"its parameters are {', '.join(names)}" if names else "it takes no parameters"),
                    code="E203",
                )
            given[name] = value
        bound: dict[str, Any] = {}
        for param in base.defn.params:
            if param.name in given:
                value = given[param.name]
            elif param.default is not None:
                value = self.evaluator.eval(param.default, base.env.child(bound))
            else:  # reported, and the body still checked: what does not depend on it is found in this run
                self.errors.add(
                    err(
                        f"network `{base.name}` needs parameter `{param.name}`",
                        param,
                        hint=f"give it a default, or set it: --set {param.name}=...",
                        code="E204",
                    )
                )
                bound[param.name] = POISON
                continue
            bound[param.name] = tag_param(param.name, value)
        return bound

    def exposable(self) -> set[str]:
        """Network parameters that only ever reach layer arguments untouched (e.g. num_classes): the
        generated factory can take them as keyword arguments. See `ParamValue`."""
        return self.tagged - self.evaluator.derived

    def _explain_collapse(self, info: NetworkInfo, overrides: dict[str, Any]) -> None:
        """Tell a spatial collapse (E404) the smallest input the network accepts, found by elaborating
        again with larger square inputs (only on this error path, so `check` stays fast)."""
        collapses = [e for e in self.errors.errors if e.code == "E404"]
        shape = getattr(self, "_input_shape", None)
        if not collapses or not self.explain_collapse or shape is None or len(shape) != 3:
            return

        def still_collapses(size: int) -> bool:
            probe = Elaborator(self.program, self.limits, explain_collapse=False)
            try:
                probe.network(info, overrides, (shape[0], size, size))
            except ErrorGroup as group:
                return any(e.code == "E404" for e in group.errors)
            except ArchError as error:
                return error.code == "E404"
            return False

        size = diagnose.smallest_input(still_collapses, max(shape[1], shape[2]))
        for error in collapses:
            if size is not None:
                error.message += f"; this network needs inputs of at least {size}x{size}"
                error.hint = (
                    f"use a larger input (--input {shape[0]}x{size}x{size} or more), or downsample less"
                    f" (it is given {fmt(shape)})"
                )
            else:
                error.message += "; no input up to 4096x4096 is large enough"

    def _start(self, frame: Frame, dims: Shape, span: Span | None) -> None:
        if numel(dims) > self.limits.max_numel:
            raise LimitError(
                f"an input of {fmt(dims)} holds {numel(dims):,} numbers per sample, more than the limit "
                f"of {self.limits.max_numel:,}",
                span,
                code="E605",
                hint="check the sizes: an RGB image of 224x224 pixels is `input 3x224x224`",
            )
        self._input_shape = dims
        tensor = TensorRef(0, dims, "input", span)
        frame.current = tensor
        frame.env["in"] = tensor
        frame.scope.owned.add(0)

    # ------------------------------------------------------------------------------------------
    # statements
    # ------------------------------------------------------------------------------------------

    def run_body(self, body: tuple, frame: Frame, input_fixed: bool = False) -> None:
        """Run statements in order. A statement that fails is recorded and poisoned (see diagnose):
        the rest of the body still runs, so independent mistakes are all reported in one go."""
        for index, stmt in enumerate(body):
            try:
                self.statement(stmt, frame, input_fixed)
            except SkipStatement:
                diagnose.poison(stmt, frame)
            except ErrorGroup:
                raise  # the error limit was reached
            except LimitError as error:
                self._add_context(error)
                raise
            except ArchError as error:
                self._record(error, frame, body, index)
                diagnose.poison(stmt, frame)

    def _record(self, error: ArchError, frame: Frame, body: tuple, index: int) -> None:
        if error.code in ("E201", "E202") and error.subject is not None:
            if frame.lost_names:
                return  # it may be one of the names a failed statement would have made
            error = diagnose.forward_reference(error, body, index) or error
        self._add_context(error)
        self.errors.add(error)

    def _add_context(self, error: ArchError) -> None:
        """Say which use of a block went wrong: the same body may be fine for other arguments."""
        if getattr(error, "_context_added", False) or error.code == "E209":
            return
        error._context_added = True  # type: ignore[attr-defined]
        context = [Note(note, span) for _, span, note in reversed(self.blocks_open) if note is not None]
        if len(context) > 4:  # the innermost uses say what went wrong; the outermost says where it started
            context = [*context[:2], Note(f"... {len(context) - 3} more blocks in between"), context[-1]]
        # The aliases that chose this network's arguments, unless the fault is in one of those lines itself.
        context += [n for n in self.alias_notes if not (error.span and n.span and _within(error.span, n.span))]
        error.notes.extend(context)

    def statement(self, stmt: syntax.Node, frame: Frame, input_fixed: bool = False) -> None:
        kind = stmt.kind
        if self.outputs is not None:
            raise err(
                "nothing may follow `return`: it names the network's outputs, so it ends the network",
                stmt,
                hint="move this statement above the `return`",
                code="E303",
            )
        if kind in ("flow", "assign"):
            result = self.chain(stmt.chain.items, frame, frame.current, piped=False)
            if kind == "assign" and not isinstance(stmt.target, str):
                self._unpack_assign(stmt, result, frame)
            elif kind == "assign":
                self._name_held_tensor(stmt, frame, result)
                frame.env[stmt.target] = (
                    result.value
                    if isinstance(result, Const)
                    else POISON
                    if isinstance(result, Poisoned)
                    else TensorRef(result.id, result.shape, stmt.target, stmt.span)
                )
                if isinstance(result, Const) and isinstance(result.value, int | float | str):
                    frame.scope.locals[stmt.target] = result.value  # named constants, for generated code
            elif isinstance(result, Const):
                raise err(
                    f"{show(result.value)} on its own does nothing",
                    stmt,
                    hint="a statement is a layer or chain; to name a value write `name = ...`",
                )
            if moves_flow(stmt):
                frame.current = result
        elif kind == "input":
            self._input(stmt, frame, input_fixed)
        elif kind == "return":
            self._return(stmt, frame)
        elif kind == "if":
            for branch in stmt.branches:
                if self.evaluator.truth(self.evaluator.eval(branch.cond, frame.env), branch.cond):
                    self.run_body(branch.body, frame)
                    break
            else:
                if stmt.orelse is not None:
                    self.run_body(stmt.orelse, frame)
        elif kind == "for":
            self._for(stmt, frame)
        elif kind == "group":
            label = self.label(stmt.label, frame.env)
            self._need_input(frame, stmt)
            result = self.group(frame, label, frame.current, stmt.span, None, lambda sub: self._group_body(stmt, sub))
            self._bind_label(frame, label, result, stmt.label)
            frame.current = result

    def _group_body(self, stmt: syntax.Group, sub: Frame) -> None:
        """A group's statements; `label as x:` first names the value flowing in `x`."""
        if stmt.input_name is not None:
            flowing = sub.current
            sub.env[stmt.input_name] = (
                flowing
                if isinstance(flowing, Poisoned)
                else TensorRef(flowing.id, flowing.shape, stmt.input_name, stmt.label.span)
            )
        self.run_body(stmt.body, sub)

    def _unpack_assign(self, stmt: syntax.Assign, result: Any, frame: Frame) -> None:
        """`w, d = pair`: numbers and lists unpack; a tensor is one value."""
        if isinstance(result, Poisoned):
            for name in syntax.bound_names(stmt.target):
                frame.env[name] = POISON
            return
        if not isinstance(result, Const):
            raise err(
                f"cannot unpack a tensor ({fmt(result.shape)}) into {len(stmt.target.names)} names",
                stmt.chain,
                code="E301",
                hint="unpacking takes a list of numbers, e.g. `w, d = stages[0]`",
            )
        for name, value in bind(stmt.target, result.value, frame.env, stmt).items():
            if isinstance(value, int | float | str):
                frame.scope.locals[name] = value

    @staticmethod
    def _name_held_tensor(stmt: syntax.Node, frame: Frame, result) -> None:
        """`scale = parameter(...)`: a tensor held by the block is an attribute, named as assigned
        (torchvision's `layer_scale`), so its state_dict key is the spec's name."""
        items = frame.scope.items
        made = items[-1] if items else None
        if (
            isinstance(made, OpItem)
            and isinstance(result, TensorRef)
            and made.id == result.id
            and made.label is None
            and made.op.extra.get("tensor")
        ):
            problem = naming.label_problem(stmt.target)
            if problem:
                raise err(problem, stmt, code="E304")
            previous = frame.scope.label_spans.get(stmt.target, False)
            if previous is not False:
                raise err(
                    f"`{stmt.target}` is already the name of a layer here",
                    stmt,
                    code="E206",
                    hint="module names must be unique within a block or group",
                )
            made.label = stmt.target
            frame.scope.label_spans[stmt.target] = stmt.span

    def _input(self, stmt: syntax.InputStmt, frame: Frame, fixed: bool) -> None:
        if not frame.scope.is_root or frame.scope.items or (frame.current is not None and not fixed):
            raise err("`input` must be the first statement of a network", stmt, code="E303")
        if fixed:
            return
        values = [self.evaluator.eval(d, frame.env) for d in stmt.dims]
        self.evaluator.mark(*values)
        dims = tuple(integer(v, d, "an input dimension", 1) for v, d in zip(values, stmt.dims))
        if len(dims) not in (1, 2, 3):
            raise err(
                f"the input must be C (flat), LxC (a sequence) or CxHxW, got {len(dims)} sizes",
                stmt,
                code="E405",
                hint="e.g. `input 3x224x224` for RGB images, `input 784` for flat vectors",
            )
        self._start(frame, dims, stmt.span)

    def _return(self, stmt: syntax.Return, frame: Frame) -> None:
        """`return logits=fc, aux=aux1`: the network's named outputs, the main one first (the one
        forward() returns in eval mode; see backends/pysource)."""
        if not frame.scope.is_root:
            raise err(
                "`return` names a network's outputs; a block or group has one output, the value that flows out of it",
                stmt,
                hint="end the block with the value it produces, and name several outputs in the network",
                code="E303",
            )
        self._need_input(frame, stmt)
        outputs: dict[str, TensorRef] = {}
        for name, expr in zip(stmt.names, stmt.values):
            if name in outputs:
                raise err(f"the output `{name}` is named twice", expr, code="E205")
            if name.startswith("_"):
                raise err(f"an output name cannot start with `_`: `{name}`", expr, code="E304")
            value = self.evaluator.eval(expr, frame.env)
            if not isinstance(value, TensorRef):
                raise err(
                    f"the output `{name}` must be a value of the network, got {show(value)}",
                    expr,
                    hint="name a value with a label or `y = ...` and return it: `return logits=fc, aux=aux1`",
                    code="E301",
                )
            outputs[name] = value
        self.outputs = outputs

    def _for(self, stmt: syntax.For, frame: Frame) -> None:
        items = self.evaluator.eval(stmt.iter, frame.env)
        self.evaluator.mark(items)
        if not isinstance(items, tuple):
            raise err(f"`for` needs a list to loop over, got {type_name(items)}", stmt.iter, code="E301")
        smallest = None  # layers made by the smallest iteration so far
        # `for a, b in ...` unpacks each item; a wrong count is reported at the list looped over.
        target = stmt.targets[0] if len(stmt.targets) == 1 else syntax.Unpack(names=stmt.targets)
        for index, item in enumerate(items):
            bind(target, item, frame.env, stmt.iter)
            made_before = self.next_id
            self.run_body(stmt.body, frame)
            # A runaway loop stops as soon as even its smallest iteration, repeated, would pass the limit.
            made = self.next_id - made_before
            smallest = made if smallest is None else min(smallest, made)
            projected = self.next_id - 1 + smallest * (len(items) - index - 1)
            if index >= 1 and projected > self.limits.max_nodes:
                raise LimitError(
                    f"this loop would make about {projected:,} layers, more than the limit of "
                    f"{self.limits.max_nodes:,}",
                    stmt.iter.span,
                    code="E602",
                    hint="check what the loop runs over (or raise the limit with --max-layers)",
                )


def _within(inner: Span, outer: Span) -> bool:
    return (
        inner.path == outer.path
        and (outer.line, outer.col) <= (inner.line, inner.col)
        and (inner.end_line, inner.end_col) <= (outer.end_line, outer.end_col)
    )
