"""Chains, steps and layers: how `a -> b`, `x n`, labels and layer calls apply ops to the flowing value
(a mixin of `Elaborator`; see elaborate.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ElaborationError, LimitError, Note
from ..frontend import syntax
from ..frontend.parser import quoted_label_parts
from ..ops.args import ArgError, bind
from ..ops.registry import OpDef, get_op, op_names, operand_count
from ..shapes import OpShapeError, fmt, numel
from ..source import Span
from . import diagnose, naming
from .builders import OpItem, ScopeItem
from .env import Env
from .evaluator import integer
from .functions import BUILTINS
from .initialisers import INITIALISERS
from .nodes import RepeatInfo
from .suggest import suggest, suggest_layer
from .values import POISON, BlockInfo, LayerRef, Poisoned, SkipStatement, TensorRef, show, type_name


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


def err(message: str, node: syntax.Node | None, hint: str | None = None, code: str = "E303", notes=None):
    return ElaborationError(message, node.span if node is not None else None, hint, code, notes or [])


class ChainSteps:
    """Applying chains, steps, labels and layers to a frame's flowing value."""

    # ------------------------------------------------------------------------------------------
    # chains, steps, labels
    # ------------------------------------------------------------------------------------------

    def chain(self, items: tuple, frame: Frame, current: TensorRef | Const | None, piped: bool):
        for index, item in enumerate(items):
            step_piped = piped or index > 0
            if isinstance(current, Const) and step_piped:
                raise err(
                    f"{show(current.value)} is {type_name(current.value)}; only tensors flow through `->`",
                    current.node,
                    code="E301",
                )
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
                    raise err(
                        f"a label names a layer, but `{label}` would name an existing value",
                        item,
                        hint=f"to give a value another name write `{label} = ...`",
                        code="E303",
                    )
                current, inner, piped = start, inner[1:], True
        if (
            len(inner) == 1
            and inner[0].kind == "step"
            and inner[0].repeat is None
            and self._is_single_layer(inner[0].expr, frame.env)
        ):
            result = self.apply(inner[0].expr, frame, current, piped, label, None)
        else:
            self._need_input(frame, item, current)
            result = self.group(
                frame,
                label,
                current,
                item.span,
                None,
                lambda sub: self._set_current(sub, self.chain(inner, sub, sub.current, piped)),
            )
        if isinstance(result, Const):
            raise err(f"`{label}` labels {show(result.value)}, which is not a layer", item, code="E301")
        self._bind_label(frame, label, result, item.label)
        return result

    def step(self, step: syntax.Step, frame: Frame, current, piped: bool):
        if step.repeat is None:
            return self.apply(step.expr, frame, current, piped, None, None)
        count_value = self.evaluator.eval(step.repeat, frame.env)
        self.evaluator.mark(count_value)
        count = integer(count_value, step.repeat, "a repeat count", 0)
        if count > self.limits.max_repeat:
            raise LimitError(
                f"repeat count {count:,} is more than the limit of {self.limits.max_repeat:,}",
                step.repeat.span,
                code="E601",
                hint="no network repeats a layer this often; check the count",
            )
        if not self._is_layer(step.expr, frame.env):
            raise err("only layers can be repeated with `x n`", step.expr, code="E301")
        self.repeat_groups += 1
        group = self.repeat_groups
        for index in range(count):
            made_before = self.next_id
            current = self.apply(
                step.expr, frame, current, piped or index > 0, None, RepeatInfo(index=index, count=count, group=group)
            )
            if isinstance(current, Poisoned):
                break  # the copy failed; the next copies would only repeat it
            if index == 1:  # copies after the first are alike: stop a runaway repeat now, not 50,000 layers later
                projected = self.next_id + (self.next_id - made_before) * (count - 2)
                if projected > self.limits.max_nodes + 1:
                    raise LimitError(
                        f"`x {count:,}` would make about {projected - 1:,} layers, more than the limit of "
                        f"{self.limits.max_nodes:,}",
                        step.repeat.span,
                        code="E602",
                        hint="check the repeat count (or raise the limit with --max-layers)",
                    )
        return current

    def apply(
        self, expr: syntax.Node, frame: Frame, current, piped: bool, label: str | None, repeat: RepeatInfo | None
    ):
        """One application of a step expression: a layer call, a parenthesised chain, or a value."""
        if expr.kind == "chain":
            self._need_input(frame, expr, current)
            return self.group(
                frame,
                label,
                current,
                expr.span,
                repeat,
                lambda sub: self._set_current(sub, self.chain(expr.items, sub, sub.current, piped)),
            )
        if expr.kind in ("call", "name"):
            target = self.layer_named(expr.func if expr.kind == "call" else expr.id, frame.env)
            if (
                target is None
                and expr.kind == "call"
                and not frame.env.lookup(expr.func)[0]
                and expr.func not in BUILTIN_NAMES
            ):
                raise self._unknown_layer(expr, frame.env)
            if target is not None:
                args, kwargs = self._arguments(target, expr, frame.env)
                return self.layer(target, args, kwargs, expr, frame, current, piped, label, repeat)
        value = self.evaluator.eval(expr, frame.env)
        if isinstance(value, LayerRef):
            return self.layer(value, [], [], expr, frame, current, piped, label, repeat)
        if isinstance(value, TensorRef):
            if piped:
                raise err(
                    f"`{value.producer}` is a value, not a layer, so it cannot follow `->`",
                    expr,
                    hint="start a new chain from it on its own line, or use add/concat/mul to merge it",
                    code="E301",
                )
            return value
        return Const(value, expr)

    def _arguments(self, target: LayerRef, expr: syntax.Node, env: Env) -> tuple[list, list]:
        """A layer call's argument values. When one reads a poisoned value (an earlier mistake, or an
        unknown in a block checked on its own; see library.py) the statement is skipped, but only after
        every argument was evaluated and every keyword's name checked: those mistakes are independent."""
        skipped: SkipStatement | None = None

        def value(node: syntax.Node) -> Any:
            nonlocal skipped
            try:
                return self.evaluator.eval(node, env)
            except SkipStatement as exc:
                skipped = skipped or exc
                return POISON

        args = [value(a) for a in getattr(expr, "args", ())]
        kwargs = [(k.name, value(k.value)) for k in getattr(expr, "kwargs", ())]
        if skipped is not None:
            self._check_keyword_names(target, expr)
            raise skipped
        return args, kwargs

    def _check_keyword_names(self, target: LayerRef, expr: syntax.Node) -> None:
        if isinstance(target.target, BlockInfo):
            callee, names = f"block `{target.target.name}`", [p.name for p in target.target.defn.params]
            what = "parameter"
        else:
            callee, names, what = (
                f"`{getattr(expr, 'func', target.name)}`",
                [a.name for a in target.target.args],
                "argument",
            )
        for kw in getattr(expr, "kwargs", ()):
            if kw.name not in names:
                hint = suggest(kw.name, names) or f"its {what}s are ({', '.join(names)})"
                raise ElaborationError(f"{callee} has no {what} `{kw.name}`", kw.span, hint, "E203")

    def _unknown_layer(self, expr: syntax.Call, env: Env) -> ElaborationError:
        """`convv(64, 3)`: suggest among ops, blocks and builtins, nothing else."""
        blocks = [n for n in env.names() if isinstance(env.lookup(n)[1], (BlockInfo, LayerRef))]
        hint = suggest_layer(expr.func, op_names() + blocks + sorted(BUILTIN_NAMES))
        if hint is None:
            hint = "see the op table in docs/language.md, or define it with `block " + expr.func + "(...):`"
        error = ElaborationError(f"unknown op or block `{expr.func}`", _name_span(expr), hint, "E202")
        error.subject = expr.func
        return error

    def layer(
        self,
        ref: LayerRef,
        args: list,
        kwargs: list,
        node: syntax.Node,
        frame: Frame,
        current,
        piped: bool,
        label: str | None,
        repeat: RepeatInfo | None,
    ) -> TensorRef:
        all_args = list(ref.args) + args
        all_kwargs: dict[str, Any] = {}
        for key, value in list(ref.kwargs) + kwargs:
            if key in all_kwargs:
                raise err(f"`{ref.name}` got argument `{key}` twice", node, code="E205")
            all_kwargs[key] = value
        if isinstance(ref.target, BlockInfo):
            return self.instantiate(ref.target, all_args, all_kwargs, node, frame, current, label, repeat)
        op = ref.target
        tensors = [a for a in all_args if isinstance(a, TensorRef)]
        attr_args = [a for a in all_args if not isinstance(a, TensorRef)]
        if op.merges:
            if attr_args and tensors and all_args.index(attr_args[0]) < all_args.index(tensors[-1]):
                raise err(f"`{op.name}` takes tensors first, then keyword options", node, code="E301")
            inputs = ([current] if piped and current is not None else []) + tensors
            self._check_owned(inputs, frame.scope, node)  # a tensor from outside a group is the real mistake
        elif op.arity == (0, 0):  # a tensor of its own (`parameter`): nothing flows into it
            if tensors or piped:
                raise err(
                    f"`{op.name}` makes a tensor of its own and takes no input",
                    node,
                    hint=f"name it on a line of its own (`scale = {op.name}(...)`) and use it in mul/add",
                    code="E301",
                )
            inputs = []
        else:
            if tensors:
                raise err(
                    f"`{op.name}` takes its input from the chain, not as an argument",
                    node,
                    hint=f"write `{tensors[0].producer} -> {op.name}(...)`",
                    code="E301",
                )
            self._need_input(frame, node, current)
            inputs = [current]
        try:
            attrs = bind(op, attr_args, all_kwargs, _written_name(node, op.name))
        except ArgError as exc:
            raise ElaborationError(
                exc.message, self._arg_span(node, exc.index, len(tensors)), exc.hint, exc.code
            ) from None
        low, high = op.arity
        operands = operand_count(attrs, inputs)
        if operands < low or (high is not None and operands > high):
            need = f"at least {low}" if high is None else str(low)
            name = _written_name(node, op.name)
            hint = f"write `{name}(a, b)` or `a -> {name}(b)`"
            if op.merges and not piped and current is not None and len(inputs) < low:
                given = ", ".join(f"{t.producer}" for t in tensors) or "b"
                hint = (
                    f"a merge takes its inputs as arguments, not from the line above: name that value "
                    f"(`y = ...`) and write `{name}(y, {given})`, or end its line with `-> {name}({given})`"
                )
            raise err(f"`{name}` needs {need} inputs, got {operands}", node, hint=hint, code="E204")
        return self.make_op(op, attrs, inputs, frame, node, label, repeat)

    def make_op(
        self,
        op: OpDef,
        attrs: dict,
        inputs: list[TensorRef],
        frame: Frame,
        node: syntax.Node,
        label: str | None,
        repeat: RepeatInfo | None,
    ) -> TensorRef:
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
            raise LimitError(
                f"the network has more than {self.limits.max_nodes:,} layers",
                node.span,
                code="E602",
                hint="this limit guards against runaway repeats and loops; check their counts",
            )
        if numel(shape) > self.limits.max_numel:
            raise LimitError(
                f"`{_written_name(node, op.name)}` makes a {fmt(shape)} value: {numel(shape):,} numbers per "
                "sample, more than "
                f"the limit of {self.limits.max_numel:,}",
                node.span,
                code="E605",
                hint="check the sizes; no network holds values this large",
            )
        self.total_params += params
        if self.total_params > self.limits.max_params:
            raise LimitError(
                f"the network has more than {self.limits.max_params:,} parameters (reached at this "
                f"`{_written_name(node, op.name)}`, which adds {params:,})",
                node.span,
                code="E604",
                hint="check the channel counts; raise the limit with --max-params if this is intended",
            )
        item = OpItem(self.next_id, op, attrs, [t.id for t in inputs], shape, params, label, node.span, repeat)
        self.next_id += 1
        scope.items.append(item)
        scope.owned.add(item.id)
        return TensorRef(item.id, shape, label or _written_name(node, op.name), node.span)

    @staticmethod
    def _check_owned(inputs: list[TensorRef], scope: ScopeItem, node: syntax.Node) -> None:
        for tensor in inputs:
            if not isinstance(tensor, Poisoned) and tensor.id not in scope.owned:
                raise err(
                    f"`{tensor.producer}` comes from outside {scope.describe()}",
                    node,
                    hint="a group has one input: the value before it; make this a block, or merge after the group",
                    code="E201",
                )

    # ------------------------------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------------------------------

    def label(self, label: syntax.Label, env: Env) -> str:
        parts = quoted_label_parts(label) if label.quoted else label.parts
        text = "".join(p if isinstance(p, str) else str(self._label_part(p, env)) for p in parts)
        problem = naming.quoted_label_problem(text) if label.quoted else naming.label_problem(text)
        if problem:
            raise err(problem, label, code="E304")
        return text

    def _label_part(self, expr: syntax.Node, env: Env) -> Any:
        value = self.evaluator.eval(expr, env)
        self.evaluator.mark(value)
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise err(f"a name part must be an integer or a string, got {type_name(value)}", expr, code="E301")
        return value

    def _bind_label(self, frame: Frame, label: str, result: TensorRef, node: syntax.Label) -> None:
        previous = frame.scope.label_spans.get(label, False)
        if previous is not False:
            raise err(
                f"`{label}` is already the name of a layer here",
                node,
                code="E206",
                notes=[Note("first used here", previous)],
                hint="module names must be unique within a block or group",
            )
        frame.scope.label_spans[label] = node.span
        frame.env[label] = (
            POISON if isinstance(result, Poisoned) else TensorRef(result.id, result.shape, label, node.span)
        )

    def _need_input(self, frame: Frame, node: syntax.Node, current=None) -> None:
        value = current if current is not None else frame.current
        if value is None:
            raise err(
                "this layer has no input: the network has no `input` yet",
                node,
                hint="start the network body with `input CxHxW`",
                code="E204",
            )

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


BUILTIN_NAMES = frozenset(BUILTINS) | frozenset(INITIALISERS)  # names a call may use as a value


def _name_span(call: syntax.Call) -> Span | None:
    """Just the callee's name in `name(...)`."""
    span = call.span
    if span is None:
        return None
    return Span(line=span.line, col=span.col, end_line=span.line, end_col=span.col + len(call.func), path=span.path)


def _written_name(node: syntax.Node, default: str) -> str:
    return node.func if isinstance(node, syntax.Call) else node.id if isinstance(node, syntax.Name) else default
