"""Block instances and groups: each opens a scope (a future sub-module) with its own names (a mixin
of `Elaborator`; see elaborate.py)."""

from __future__ import annotations

from typing import Any

from ..errors import ElaborationError, LimitError, Note
from ..frontend import syntax
from ..shapes import fmt
from ..source import Span
from .builders import ScopeItem
from .nodes import RepeatInfo
from .steps import Const, Frame, err
from .suggest import suggest
from .values import POISON, BlockInfo, LayerRef, Poisoned, TensorRef, show


class BlockScopes:
    """Opening block instances and groups."""

    # ------------------------------------------------------------------------------------------
    # blocks and groups
    # ------------------------------------------------------------------------------------------

    def instantiate(
        self,
        block: BlockInfo,
        args: list,
        kwargs: dict,
        node: syntax.Node,
        frame: Frame,
        current,
        label: str | None,
        repeat: RepeatInfo | None,
    ) -> TensorRef:
        self._need_input(frame, node, current)
        if any(name == block.name for name, _, _ in self.blocks_open):
            trail = " -> ".join(name for name, _, _ in self.blocks_open if name != "(group)") + f" -> {block.name}"
            raise err(
                f"block `{block.name}` uses itself ({trail})",
                node,
                code="E209",
                hint="a block cannot contain itself; repeat it with `x n` instead",
                notes=[Note(f"`{block.name}` is defined here", block.defn.span)],
            )
        if len(self.blocks_open) >= self.limits.max_depth:
            raise LimitError(
                f"blocks nest more than {self.limits.max_depth} deep",
                node.span,
                code="E603",
                hint="no network nests blocks this deep; look for blocks that call each other in a long chain",
            )
        params = self.bind_params(block, args, kwargs, node, current)
        self.opened_blocks.add(id(block.defn))
        poisoned = isinstance(current, Poisoned)
        env = block.env.child(params)
        # messages say `in`, as written; a poisoned input stays poisoned, so what reads it is skipped quietly
        env["in"] = current if poisoned else TensorRef(current.id, current.shape, "in", current.span)
        scope = ScopeItem(label, block.name, params, current.id, node.span, repeat, owned={current.id}, defn=block.defn)
        scope.defaulted = tuple(p.name for p in block.defn.params[len(args) :] if p.name not in kwargs)
        sub = Frame(env, scope, current)
        shown = ", ".join(f"{k}={show(v)}" for k, v in params.items() if not isinstance(v, (LayerRef, BlockInfo)))
        copy = f", copy {repeat.index + 1} of {repeat.count}" if repeat else ""
        given = "its input unknown (an earlier statement failed)" if poisoned else f"input {fmt(current.shape)}"
        context = f"in {label + ' = ' if label else ''}{block.name}({shown}){copy}, {given}"
        self.blocks_open.append((block.name, node.span, context))
        try:
            # Even when its input failed earlier, the body still runs: mistakes in it that do not depend on
            # the input (names, arguments) are independent of that failure and are reported in the same run.
            self.run_body(block.defn.body, sub)
        finally:
            self.blocks_open.pop()
        if poisoned:
            return POISON
        return self._close(frame, scope, sub.current, label or block.name, node.span)

    def bind_params(self, block: BlockInfo, args: list, kwargs: dict, node: syntax.Node, current: TensorRef) -> dict:
        params = block.defn.params
        names = [p.name for p in params]
        if any(isinstance(a, TensorRef) for a in args) or any(isinstance(v, TensorRef) for v in kwargs.values()):
            raise err(f"block `{block.name}` takes its input from the chain, not as an argument", node, code="E301")
        if len(args) > len(params):
            raise err(
                f"block `{block.name}` takes {len(params)} argument{'s' if len(params) != 1 else ''}, got {len(args)}",
                node,
                hint=f"its parameters are ({', '.join(names)})",
                code="E205",
            )
        given = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise ElaborationError(
                    f"block `{block.name}` has no parameter `{key}`",
                    self._arg_span(node, key, 0),
                    suggest(key, names) or f"its parameters are ({', '.join(names)})",
                    "E203",
                )
            if key in given:
                raise err(f"block `{block.name}` got `{key}` twice", node, code="E205")
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
                raise err(
                    f"block `{block.name}` needs argument `{param.name}`",
                    node,
                    hint=f"write `{block.name}({', '.join(p.name for p in params if p.default is None)})`",
                    code="E204",
                    notes=[Note(f"`{block.name}` is defined here", block.defn.span)],
                )
        return bound

    def group(
        self, frame: Frame, label: str | None, current: TensorRef, span: Span | None, repeat: RepeatInfo | None, body
    ) -> TensorRef:
        if len(self.blocks_open) >= self.limits.max_depth:
            raise LimitError(f"groups nest more than {self.limits.max_depth} deep", span, code="E603")
        scope = ScopeItem(label, None, {}, current.id, span, repeat, owned={current.id})
        sub = Frame(frame.env.child(), scope, current)  # names made inside a group stay inside
        self.blocks_open.append(("(group)", span, None))
        try:
            body(sub)  # run even on a poisoned input, as a block's body is (see `instantiate`)
        finally:
            self.blocks_open.pop()
        if isinstance(current, Poisoned):
            return POISON
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
            raise err(f"{show(result.value)} is not a layer", result.node, code="E301")
        frame.current = result
