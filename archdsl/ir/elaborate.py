"""Elaboration: bind parameters, evaluate expressions, expand blocks, conditionals, loops and repeats,
and infer every value's shape, producing the typed IR.

Shapes are inferred here, op by op, because the language lets a block read its input's shape
(`in.channels`) and branch on it: the shape of a value must be known before the next statement runs.
Each op's shape rule lives in its registry entry; this module only calls it and turns its complaints
into located errors that name the producers of the inputs.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..errors import MAX_ERRORS, ArchError, Collector, ElaborationError, ErrorGroup, LimitError, Note
from ..frontend import syntax
from ..ops.args import ArgError, bind
from ..ops.registry import OpDef, get_op, op_names
from ..shapes import OpShapeError, Shape, fmt, numel
from ..source import Span
from . import diagnose, naming
from .builders import OpItem, ScopeItem, assemble
from .flow import moves_flow
from .nodes import Graph, RepeatInfo
from .program import Program
from .values import (
    BUILTINS, MAX_STEPS, POISON, BlockInfo, Env, Evaluator, LayerRef, NetworkInfo, ParamValue, Poisoned, SkipStatement, TensorRef,
    integer, show, suggest, suggest_layer, tag_param, type_name,
)


class Limits(BaseModel):
    """Guards against runaway specs. Each is checked while elaborating, from static shapes and counts,
    so a spec that asks too much stops with a located error before any tensor is allocated."""

    max_repeat: int = 100_000  # `x n`
    # Layers (IR ops) in the whole network. The largest library spec has about 1,000; checking runs at
    # about 35 us per layer, so this bounds `check` to under 2 s whatever the spec asks (`--max-layers`).
    max_nodes: int = 50_000
    max_depth: int = 64  # blocks and groups inside each other
    max_params: int = 10**10  # parameters in the whole network (`--max-params`)
    max_numel: int = 2**31  # numbers in one value of one sample (torch indexes with int32 in places)
    max_steps: int = MAX_STEPS  # expression evaluations
    max_errors: int = MAX_ERRORS  # errors reported before stopping


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector. Everything elaboration and validation allocate lives
    until the check returns, so the collector would only re-scan it again and again: a quarter of the
    time of checking a 30,000-layer network. Reference counting still frees what dies at once."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class Const:
    """A non-tensor result of a chain step (a number, a list...), only valid in `name = expr`."""

    value: Any
    node: syntax.Node


@dataclass
class Frame:
    env: Env
    scope: ScopeItem
    current: TensorRef | None
    lost_names: bool = False  # a failed statement would have defined a name built at run time


def _err(message: str, node: syntax.Node | None, hint: str | None = None, code: str = "E303", notes=None):
    return ElaborationError(message, node.span if node is not None else None, hint, code, notes or [])


class Elaborator:
    def __init__(self, program: Program, limits: Limits | None = None, *, explain_collapse: bool = True):
        self.program = program
        self.limits = limits or Limits()
        self.evaluator = Evaluator(self.limits.max_steps)
        self.next_id = 1
        # Open block instances and groups: (block name, call site, "in layer2 = BasicBlock(...)" note).
        self.blocks_open: list[tuple[str, Span | None, str | None]] = []
        self.repeat_groups = 0
        self.tagged: set[str] = set()
        self.errors = Collector(self.limits.max_errors)
        self.total_params = 0
        self.explain_collapse = explain_collapse

    # ------------------------------------------------------------------------------------------
    # networks and parameters
    # ------------------------------------------------------------------------------------------

    def network(self, info: NetworkInfo, overrides: dict[str, Any], input_shape: Shape | None) -> Graph:
        """The typed IR of one network, or every independent error found (see `run_body`)."""
        with paused_gc():
            return self._network(info, overrides, input_shape)

    def _network(self, info: NetworkInfo, overrides: dict[str, Any], input_shape: Shape | None) -> Graph:
        if info.name in naming.GENERATED_GLOBALS:
            raise _err(f"a network called `{info.name}` would hide `{info.name}` in the generated Python module",
                       info.defn, hint=f"rename it, e.g. `{info.name}_net`", code="E304")
        base, layers = self._resolve_alias(info)
        params = self._network_params(base, layers, overrides)
        self.tagged = {k for k, v in params.items() if isinstance(v, ParamValue)}
        env = base.env.child(params)
        env["in"] = None
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
            raise _err(f"network `{base.name}` has no `input`", base.defn,
                       hint="start its body with the input shape, e.g. `input 3x224x224`", code="E204")
        root.output = frame.current.id
        doc = self.program.main_file.doc if info.env is self.program.main_env else None
        return assemble(root, name=info.name, class_name=naming.camel(base.name), doc=doc or base.defn.doc,
                        params=params, input_shape=self._input_shape, span=info.defn.span)

    def _resolve_alias(self, info: NetworkInfo) -> tuple[NetworkInfo, list[NetworkInfo]]:
        layers: list[NetworkInfo] = []
        seen: set[int] = set()
        while isinstance(info.defn, syntax.NetworkAlias):
            if id(info.defn) in seen:
                raise _err(f"network `{info.name}` is defined in terms of itself", info.defn, code="E209")
            seen.add(id(info.defn))
            layers.append(info)
            found, target, _ = info.env.lookup(info.defn.base)
            if not found or not isinstance(target, NetworkInfo):
                candidates = [n for n in info.env.names() if isinstance(info.env.lookup(n)[1], NetworkInfo)]
                raise _err(f"unknown network `{info.defn.base}`", info.defn, hint=suggest(info.defn.base, candidates), code="E202")
            info = target
        return info, layers

    def _network_params(self, base: NetworkInfo, layers: list[NetworkInfo], overrides: dict[str, Any]) -> dict[str, Any]:
        names = [p.name for p in base.defn.params]
        given: dict[str, Any] = {}
        for alias in reversed(layers):  # the alias the user named is applied last, so it wins
            defn = alias.defn
            assert isinstance(defn, syntax.NetworkAlias)
            if len(defn.args) > len(names):
                raise _err(f"network `{base.name}` takes {len(names)} parameters, got {len(defn.args)}", defn, code="E205")
            for name, node in zip(names, defn.args):
                given[name] = self.evaluator.eval(node, alias.env)
            for kw in defn.kwargs:
                if kw.name not in names:
                    raise _err(f"network `{base.name}` has no parameter `{kw.name}`", kw,
                               hint=suggest(kw.name, names) or f"its parameters are {', '.join(names)}", code="E203")
                given[kw.name] = self.evaluator.eval(kw.value, alias.env)
        for name, value in overrides.items():
            if name not in names:
                raise ElaborationError(
                    f"network `{base.name}` has no parameter `{name}`", None,
                    suggest(name, names) or (f"its parameters are {', '.join(names)}" if names else "it takes no parameters"),
                    code="E203",
                )
            given[name] = value
        bound: dict[str, Any] = {}
        for param in base.defn.params:
            if param.name in given:
                value = given[param.name]
            elif param.default is not None:
                value = self.evaluator.eval(param.default, base.env.child(bound))
            else:
                raise _err(f"network `{base.name}` needs parameter `{param.name}`", param,
                           hint=f"give it a default, or set it: --set {param.name}=...", code="E204")
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
                error.hint = (f"use a larger input (--input {shape[0]}x{size}x{size} or more), or downsample less"
                              f" (it is given {fmt(shape)})")
            else:
                error.message += "; no input up to 4096x4096 is large enough"

    def _start(self, frame: Frame, dims: Shape, span: Span | None) -> None:
        if numel(dims) > self.limits.max_numel:
            raise LimitError(f"an input of {fmt(dims)} holds {numel(dims):,} numbers per sample, more than the limit "
                             f"of {self.limits.max_numel:,}", span, code="E605",
                             hint="check the sizes: an RGB image of 224x224 pixels is `input 3x224x224`")
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
        error.notes.extend(context)

    def statement(self, stmt: syntax.Node, frame: Frame, input_fixed: bool = False) -> None:
        kind = stmt.kind
        if kind in ("flow", "assign"):
            result = self.chain(stmt.chain.items, frame, frame.current, piped=False)
            if kind == "assign":
                frame.env[stmt.target] = result.value if isinstance(result, Const) else \
                    POISON if isinstance(result, Poisoned) else TensorRef(result.id, result.shape, stmt.target, stmt.span)
            elif isinstance(result, Const):
                raise _err(f"{show(result.value)} on its own does nothing", stmt,
                           hint="a statement is a layer or chain; to name a value write `name = ...`")
            if moves_flow(stmt):
                frame.current = result
        elif kind == "input":
            self._input(stmt, frame, input_fixed)
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
            result = self.group(frame, label, frame.current, stmt.span, None,
                                lambda sub: self.run_body(stmt.body, sub))
            self._bind_label(frame, label, result, stmt.label)
            frame.current = result

    def _input(self, stmt: syntax.InputStmt, frame: Frame, fixed: bool) -> None:
        if not frame.scope.is_root or frame.scope.items or (frame.current is not None and not fixed):
            raise _err("`input` must be the first statement of a network", stmt, code="E303")
        if fixed:
            return
        values = [self.evaluator.eval(d, frame.env) for d in stmt.dims]
        self.evaluator.mark(*values)
        dims = tuple(integer(v, d, "an input dimension", 1) for v, d in zip(values, stmt.dims))
        if len(dims) not in (1, 2, 3):
            raise _err(f"the input must be C (flat), LxC (a sequence) or CxHxW, got {len(dims)} sizes", stmt, code="E405",
                       hint="e.g. `input 3x224x224` for RGB images, `input 784` for flat vectors")
        self._start(frame, dims, stmt.span)

    def _for(self, stmt: syntax.For, frame: Frame) -> None:
        items = self.evaluator.eval(stmt.iter, frame.env)
        self.evaluator.mark(items)
        if not isinstance(items, tuple):
            raise _err(f"`for` needs a list to loop over, got {type_name(items)}", stmt.iter, code="E301")
        smallest = None  # layers made by the smallest iteration so far
        for index, item in enumerate(items):
            if len(stmt.targets) == 1:
                frame.env[stmt.targets[0]] = item
            else:
                if not isinstance(item, tuple) or len(item) != len(stmt.targets):
                    raise _err(f"cannot unpack {show(item)} into {len(stmt.targets)} names ({', '.join(stmt.targets)})",
                               stmt.iter, code="E301")
                for name, value in zip(stmt.targets, item):
                    frame.env[name] = value
            made_before = self.next_id
            self.run_body(stmt.body, frame)
            # A runaway loop stops as soon as even its smallest iteration, repeated, would pass the limit.
            made = self.next_id - made_before
            smallest = made if smallest is None else min(smallest, made)
            projected = self.next_id - 1 + smallest * (len(items) - index - 1)
            if index >= 1 and projected > self.limits.max_nodes:
                raise LimitError(f"this loop would make about {projected:,} layers, more than the limit of "
                                 f"{self.limits.max_nodes:,}", stmt.iter.span, code="E602",
                                 hint="check what the loop runs over (or raise the limit with --max-layers)")

    # ------------------------------------------------------------------------------------------
    # chains, steps, labels
    # ------------------------------------------------------------------------------------------

    def chain(self, items: tuple, frame: Frame, current: TensorRef | Const | None, piped: bool):
        for index, item in enumerate(items):
            step_piped = piped or index > 0
            if isinstance(current, Const) and step_piped:
                raise _err(f"{show(current.value)} is {type_name(current.value)}; only tensors flow through `->`",
                           current.node, code="E301")
            if item.kind == "labeled":
                current = self.labeled(item, frame, current, step_piped)
            else:
                current = self.step(item, frame, current, step_piped)
        return current

    def labeled(self, item: syntax.Labeled, frame: Frame, current, piped: bool) -> TensorRef:
        label = self.label(item.label, frame.env)
        inner = item.chain.items
        # `label: v -> rest` means `v -> label: rest`: the group starts from v.
        first = inner[0]
        if first.kind == "step" and first.repeat is None and not piped:
            start = self._tensor_reference(first.expr, frame.env)
            if start is not None:
                if len(inner) == 1:
                    raise _err(f"a label names a layer, but `{label}` would name an existing value", item,
                               hint=f"to give a value another name write `{label} = ...`", code="E303")
                current, inner, piped = start, inner[1:], True
        if len(inner) == 1 and inner[0].kind == "step" and inner[0].repeat is None and self._is_single_layer(inner[0].expr, frame.env):
            result = self.apply(inner[0].expr, frame, current, piped, label, None)
        else:
            self._need_input(frame, item, current)
            result = self.group(frame, label, current, item.span, None,
                                lambda sub: self._set_current(sub, self.chain(inner, sub, sub.current, piped)))
        if isinstance(result, Const):
            raise _err(f"`{label}` labels {show(result.value)}, which is not a layer", item, code="E301")
        self._bind_label(frame, label, result, item.label)
        return result

    def step(self, step: syntax.Step, frame: Frame, current, piped: bool):
        if step.repeat is None:
            return self.apply(step.expr, frame, current, piped, None, None)
        count_value = self.evaluator.eval(step.repeat, frame.env)
        self.evaluator.mark(count_value)
        count = integer(count_value, step.repeat, "a repeat count", 0)
        if count > self.limits.max_repeat:
            raise LimitError(f"repeat count {count:,} is more than the limit of {self.limits.max_repeat:,}",
                             step.repeat.span, code="E601", hint="no network repeats a layer this often; check the count")
        if not self._is_layer(step.expr, frame.env):
            raise _err("only layers can be repeated with `x n`", step.expr, code="E301")
        self.repeat_groups += 1
        group = self.repeat_groups
        for index in range(count):
            made_before = self.next_id
            current = self.apply(step.expr, frame, current, piped or index > 0, None, RepeatInfo(index=index, count=count, group=group))
            if isinstance(current, Poisoned):
                break  # the copy failed; the next copies would only repeat it
            if index == 1:  # copies after the first are alike: stop a runaway repeat now, not 50,000 layers later
                projected = self.next_id + (self.next_id - made_before) * (count - 2)
                if projected > self.limits.max_nodes + 1:
                    raise LimitError(f"`x {count:,}` would make about {projected - 1:,} layers, more than the limit of "
                                     f"{self.limits.max_nodes:,}", step.repeat.span, code="E602",
                                     hint="check the repeat count (or raise the limit with --max-layers)")
        return current

    def apply(self, expr: syntax.Node, frame: Frame, current, piped: bool, label: str | None, repeat: RepeatInfo | None):
        """One application of a step expression: a layer call, a parenthesised chain, or a value."""
        if expr.kind == "chain":
            self._need_input(frame, expr, current)
            return self.group(frame, label, current, expr.span, repeat,
                              lambda sub: self._set_current(sub, self.chain(expr.items, sub, sub.current, piped)))
        if expr.kind in ("call", "name"):
            target = self.layer_named(expr.func if expr.kind == "call" else expr.id, frame.env)
            if target is None and expr.kind == "call" and not frame.env.lookup(expr.func)[0] \
                    and expr.func not in BUILTIN_NAMES:
                raise self._unknown_layer(expr, frame.env)
            if target is not None:
                args = [self.evaluator.eval(a, frame.env) for a in getattr(expr, "args", ())]
                kwargs = [(k.name, self.evaluator.eval(k.value, frame.env)) for k in getattr(expr, "kwargs", ())]
                return self.layer(target, args, kwargs, expr, frame, current, piped, label, repeat)
        value = self.evaluator.eval(expr, frame.env)
        if isinstance(value, LayerRef):
            return self.layer(value, [], [], expr, frame, current, piped, label, repeat)
        if isinstance(value, TensorRef):
            if piped:
                raise _err(f"`{value.producer}` is a value, not a layer, so it cannot follow `->`", expr,
                           hint="start a new chain from it on its own line, or use add/concat/mul to merge it", code="E301")
            return value
        return Const(value, expr)

    def _unknown_layer(self, expr: syntax.Call, env: Env) -> ElaborationError:
        """`convv(64, 3)`: suggest among ops, blocks and builtins, nothing else."""
        blocks = [n for n in env.names() if isinstance(env.lookup(n)[1], (BlockInfo, LayerRef))]
        hint = suggest_layer(expr.func, op_names() + blocks + sorted(BUILTIN_NAMES))
        if hint is None:
            hint = "see the op table in docs/language.md, or define it with `block " + expr.func + "(...):`"
        error = ElaborationError(f"unknown op or block `{expr.func}`", _name_span(expr), hint, "E202")
        error.subject = expr.func
        return error

    def layer(self, ref: LayerRef, args: list, kwargs: list, node: syntax.Node, frame: Frame, current, piped: bool,
              label: str | None, repeat: RepeatInfo | None) -> TensorRef:
        all_args = list(ref.args) + args
        all_kwargs: dict[str, Any] = {}
        for key, value in list(ref.kwargs) + kwargs:
            if key in all_kwargs:
                raise _err(f"`{ref.name}` got argument `{key}` twice", node, code="E205")
            all_kwargs[key] = value
        if isinstance(ref.target, BlockInfo):
            return self.instantiate(ref.target, all_args, all_kwargs, node, frame, current, label, repeat)
        op = ref.target
        tensors = [a for a in all_args if isinstance(a, TensorRef)]
        attr_args = [a for a in all_args if not isinstance(a, TensorRef)]
        if op.merges:
            if attr_args and tensors and all_args.index(attr_args[0]) < all_args.index(tensors[-1]):
                raise _err(f"`{op.name}` takes tensors first, then keyword options", node, code="E301")
            inputs = ([current] if piped and current is not None else []) + tensors
            self._check_owned(inputs, frame.scope, node)  # a tensor from outside a group is the real mistake
        else:
            if tensors:
                raise _err(f"`{op.name}` takes its input from the chain, not as an argument", node,
                           hint=f"write `{tensors[0].producer} -> {op.name}(...)`", code="E301")
            self._need_input(frame, node, current)
            inputs = [current]
        low, high = op.arity
        if len(inputs) < low or (high is not None and len(inputs) > high):
            need = f"at least {low}" if high is None else str(low)
            name = _written_name(node, op.name)
            hint = f"write `{name}(a, b)` or `a -> {name}(b)`"
            if op.merges and not piped and current is not None and len(inputs) < low:
                given = ", ".join(f"{t.producer}" for t in tensors) or "b"
                hint = (f"a merge takes its inputs as arguments, not from the line above: name that value "
                        f"(`y = ...`) and write `{name}(y, {given})`, or end its line with `-> {name}({given})`")
            raise _err(f"`{name}` needs {need} inputs, got {len(inputs)}", node, hint=hint, code="E204")
        try:
            attrs = bind(op, attr_args, all_kwargs, _written_name(node, op.name))
        except ArgError as exc:
            raise ElaborationError(exc.message, self._arg_span(node, exc.index, len(tensors)), exc.hint, exc.code) from None
        return self.make_op(op, attrs, inputs, frame, node, label, repeat)

    def make_op(self, op: OpDef, attrs: dict, inputs: list[TensorRef], frame: Frame, node: syntax.Node,
                label: str | None, repeat: RepeatInfo | None) -> TensorRef:
        scope = frame.scope
        if any(isinstance(t, Poisoned) for t in inputs):
            return POISON  # its input failed earlier; the arguments were still checked
        self._check_owned(inputs, scope, node)
        shapes = [t.shape for t in inputs]
        try:
            shape = op.shape(attrs, shapes)
            params = op.params(attrs, shapes)
        except OpShapeError as exc:
            raise diagnose.shape_error(op, exc, inputs, attrs, node, repeat) from None
        if self.next_id > self.limits.max_nodes:
            raise LimitError(f"the network has more than {self.limits.max_nodes:,} layers", node.span, code="E602",
                             hint="this limit guards against runaway repeats and loops; check their counts")
        if numel(shape) > self.limits.max_numel:
            raise LimitError(f"`{_written_name(node, op.name)}` makes a {fmt(shape)} value: {numel(shape):,} numbers per "
                             "sample, more than "
                             f"the limit of {self.limits.max_numel:,}", node.span, code="E605",
                             hint="check the sizes; no network holds values this large")
        self.total_params += params
        if self.total_params > self.limits.max_params:
            raise LimitError(f"the network has more than {self.limits.max_params:,} parameters (reached at this "
                             f"`{_written_name(node, op.name)}`, which adds {params:,})", node.span, code="E604",
                             hint="check the channel counts; raise the limit with --max-params if this is intended")
        item = OpItem(self.next_id, op, attrs, [t.id for t in inputs], shape, params, label, node.span, repeat)
        self.next_id += 1
        scope.items.append(item)
        scope.owned.add(item.id)
        return TensorRef(item.id, shape, label or _written_name(node, op.name), node.span)

    @staticmethod
    def _check_owned(inputs: list[TensorRef], scope: ScopeItem, node: syntax.Node) -> None:
        for tensor in inputs:
            if not isinstance(tensor, Poisoned) and tensor.id not in scope.owned:
                raise _err(f"`{tensor.producer}` comes from outside {scope.describe()}", node,
                           hint="a group has one input: the value before it; make this a block, or merge after the group",
                           code="E201")

    # ------------------------------------------------------------------------------------------
    # blocks and groups
    # ------------------------------------------------------------------------------------------

    def instantiate(self, block: BlockInfo, args: list, kwargs: dict, node: syntax.Node, frame: Frame, current,
                    label: str | None, repeat: RepeatInfo | None) -> TensorRef:
        self._need_input(frame, node, current)
        if any(name == block.name for name, _, _ in self.blocks_open):
            trail = " -> ".join(name for name, _, _ in self.blocks_open if name != "(group)") + f" -> {block.name}"
            raise _err(f"block `{block.name}` uses itself ({trail})", node, code="E209",
                       hint="a block cannot contain itself; repeat it with `x n` instead",
                       notes=[Note(f"`{block.name}` is defined here", block.defn.span)])
        if len(self.blocks_open) >= self.limits.max_depth:
            raise LimitError(f"blocks nest more than {self.limits.max_depth} deep", node.span, code="E603",
                             hint="no network nests blocks this deep; look for blocks that call each other in a long chain")
        params = self.bind_params(block, args, kwargs, node, current)
        if isinstance(current, Poisoned):
            return POISON  # its input failed earlier; the arguments were still checked
        env = block.env.child(params)
        env["in"] = TensorRef(current.id, current.shape, "in", current.span)  # messages say `in`, as written
        scope = ScopeItem(label, block.name, params, current.id, node.span, repeat, owned={current.id}, defn=block.defn)
        sub = Frame(env, scope, current)
        shown = ", ".join(f"{k}={show(v)}" for k, v in params.items() if not isinstance(v, (LayerRef, BlockInfo)))
        copy = f", copy {repeat.index + 1} of {repeat.count}" if repeat else ""
        context = f"in {label + ' = ' if label else ''}{block.name}({shown}){copy}, input {fmt(current.shape)}"
        self.blocks_open.append((block.name, node.span, context))
        try:
            self.run_body(block.defn.body, sub)
        finally:
            self.blocks_open.pop()
        return self._close(frame, scope, sub.current, label or block.name, node.span)

    def bind_params(self, block: BlockInfo, args: list, kwargs: dict, node: syntax.Node, current: TensorRef) -> dict:
        params = block.defn.params
        names = [p.name for p in params]
        if any(isinstance(a, TensorRef) for a in args) or any(isinstance(v, TensorRef) for v in kwargs.values()):
            raise _err(f"block `{block.name}` takes its input from the chain, not as an argument", node, code="E301")
        if len(args) > len(params):
            raise _err(f"block `{block.name}` takes {len(params)} argument{'s' if len(params) != 1 else ''}, got {len(args)}",
                       node, hint=f"its parameters are ({', '.join(names)})", code="E205")
        given = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise ElaborationError(f"block `{block.name}` has no parameter `{key}`", self._arg_span(node, key, 0),
                                       suggest(key, names) or f"its parameters are ({', '.join(names)})", "E203")
            if key in given:
                raise _err(f"block `{block.name}` got `{key}` twice", node, code="E205")
            given[key] = value
        bound: dict[str, Any] = {}
        for param in params:
            if param.name in given:
                bound[param.name] = given[param.name]
            elif param.default is not None:
                env = block.env.child(bound)
                env["in"] = current
                bound[param.name] = self.evaluator.eval(param.default, env)
            else:
                raise _err(f"block `{block.name}` needs argument `{param.name}`", node,
                           hint=f"write `{block.name}({', '.join(p.name for p in params if p.default is None)})`",
                           code="E204", notes=[Note(f"`{block.name}` is defined here", block.defn.span)])
        return bound

    def group(self, frame: Frame, label: str | None, current: TensorRef, span: Span | None,
              repeat: RepeatInfo | None, body) -> TensorRef:
        if len(self.blocks_open) >= self.limits.max_depth:
            raise LimitError(f"groups nest more than {self.limits.max_depth} deep", span, code="E603")
        if isinstance(current, Poisoned):
            return POISON
        scope = ScopeItem(label, None, {}, current.id, span, repeat, owned={current.id})
        sub = Frame(frame.env.child(), scope, current)  # names made inside a group stay inside
        self.blocks_open.append(("(group)", span, None))
        try:
            body(sub)
        finally:
            self.blocks_open.pop()
        return self._close(frame, scope, sub.current, label or "group", span)

    def _close(self, frame: Frame, scope: ScopeItem, out: TensorRef, producer: str, span) -> TensorRef:
        if isinstance(out, Poisoned):
            return POISON
        scope.output = out.id
        frame.scope.items.append(scope)
        frame.scope.owned.add(out.id)
        return TensorRef(out.id, out.shape, producer, span)

    @staticmethod
    def _set_current(frame: Frame, result) -> None:
        if isinstance(result, Const):
            raise _err(f"{show(result.value)} is not a layer", result.node, code="E301")
        frame.current = result

    # ------------------------------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------------------------------

    def label(self, label: syntax.Label, env: Env) -> str:
        text = "".join(p if isinstance(p, str) else str(self._label_part(p, env)) for p in label.parts)
        problem = naming.label_problem(text)
        if problem:
            raise _err(problem, label, code="E304")
        return text

    def _label_part(self, expr: syntax.Node, env: Env) -> Any:
        value = self.evaluator.eval(expr, env)
        self.evaluator.mark(value)
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise _err(f"a name part must be an integer or a string, got {type_name(value)}", expr, code="E301")
        return value

    def _bind_label(self, frame: Frame, label: str, result: TensorRef, node: syntax.Label) -> None:
        previous = frame.scope.label_spans.get(label, False)
        if previous is not False:
            raise _err(f"`{label}` is already the name of a layer here", node, code="E206",
                       notes=[Note("first used here", previous)], hint="module names must be unique within a block or group")
        frame.scope.label_spans[label] = node.span
        frame.env[label] = POISON if isinstance(result, Poisoned) else TensorRef(result.id, result.shape, label, node.span)

    def _need_input(self, frame: Frame, node: syntax.Node, current=None) -> None:
        value = current if current is not None else frame.current
        if value is None:
            raise _err("this layer has no input: the network has no `input` yet", node,
                       hint="start the network body with `input CxHxW`", code="E204")

    def layer_named(self, name: str, env: Env) -> LayerRef | None:
        """The layer a name means in a chain. A label may reuse an op's name (`relu: relu`, as
        torchvision does), and so may a parameter (`dropout=0.5`, as torchvision's constructors name
        it): in a chain the name still means the op; in arguments it means the value."""
        found, value, _ = env.lookup(name)
        if found and isinstance(value, LayerRef):
            return value
        if found and isinstance(value, BlockInfo):
            return LayerRef(value)
        op = get_op(name)
        return LayerRef(op) if op is not None else None

    def _tensor_reference(self, expr: syntax.Node, env: Env) -> TensorRef | None:
        if expr.kind == "in":
            return self.evaluator.eval(expr, env)
        if expr.kind == "name" and self.layer_named(expr.id, env) is None:
            found, value, _ = env.lookup(expr.id)
            if found and isinstance(value, TensorRef):
                return value
        return None

    def _is_layer(self, expr: syntax.Node, env: Env) -> bool:
        if expr.kind == "chain":
            return True
        if expr.kind == "call":
            return self.layer_named(expr.func, env) is not None
        return expr.kind == "name" and self.layer_named(expr.id, env) is not None

    def _is_single_layer(self, expr: syntax.Node, env: Env) -> bool:
        return expr.kind != "chain" and self._is_layer(expr, env)

    def _arg_span(self, node: syntax.Node, index, tensor_count: int) -> Span | None:
        if isinstance(node, syntax.Call):
            if isinstance(index, str):
                for kw in node.kwargs:
                    if kw.name == index:
                        return kw.span
            elif isinstance(index, int):
                position = index + tensor_count
                if position < len(node.args):
                    return node.args[position].span
        return node.span


BUILTIN_NAMES = frozenset(BUILTINS)


def _name_span(call: syntax.Call) -> Span | None:
    """Just the callee's name in `name(...)`."""
    span = call.span
    if span is None:
        return None
    return Span(line=span.line, col=span.col, end_line=span.line, end_col=span.col + len(call.func), path=span.path)


def _written_name(node: syntax.Node, default: str) -> str:
    return node.func if isinstance(node, syntax.Call) else node.id if isinstance(node, syntax.Name) else default
