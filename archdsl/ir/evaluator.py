"""The expression evaluator. Spec expressions are evaluated here, never by Python's eval."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from ..errors import ElaborationError, LimitError
from ..frontend import syntax
from ..ops.registry import get_op, op_names
from ..shapes import fmt
from .env import Env
from .functions import BUILTINS, is_number
from .initialisers import INITIALISERS, Initialiser
from .limits import MAX_INT_BITS, MAX_LIST, MAX_NESTING, MAX_STEPS, MAX_STRING
from .param_tags import ParamValue
from .suggest import suggest, suggest_layer
from .values import BlockInfo, LayerRef, Poisoned, SkipStatement, TensorRef, show, type_name


def _error(message: str, node: syntax.Node, hint: str | None = None, code: str = "E303") -> ElaborationError:
    return ElaborationError(message, node.span, hint, code)


def _too_large(message: str, node: syntax.Node, hint: str | None = None) -> LimitError:
    return LimitError(message, node.span, hint, "E605")


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "//": lambda a, b: a // b,
    "%": lambda a, b: a % b,
    "**": lambda a, b: a**b,
}

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}

TENSOR_FIELDS = {
    "channels": "number of channels (first dim)",
    "height": "height (second dim of CxHxW)",
    "width": "width (third dim of CxHxW)",
    "features": "size of the last dim",
    "shape": "all dims as a list",
    "rank": "number of dims",
}


class Evaluator:
    """Evaluates expressions in an Env. Layer-producing contexts live in the elaborator.

    `derived` collects the network parameters the spec computes with (see ParamValue).
    """

    def __init__(self, max_steps: int = MAX_STEPS) -> None:
        self.derived: set[str] = set()
        self.steps = 0
        self.max_steps = max_steps
        # (list, expanded size, nesting) by id for every list made so far; the list itself is kept so
        # its id cannot be reused. Lists may share sublists, so sizes are counted in full, once each.
        self._sizes: dict[int, tuple[tuple, int, int]] = {}

    def mark(self, *values: Any) -> None:
        for value in values:
            if isinstance(value, ParamValue):
                self.derived.add(value.param)
            elif isinstance(value, tuple):
                self.mark(*value)

    def lookup(self, name: str, env: Env, node: syntax.Node) -> Any:
        found, value, crossed = env.lookup(name)
        if isinstance(value, Poisoned):
            raise SkipStatement(name)
        if found:
            if crossed is not None:
                raise _error(
                    f"`{name}` is a tensor from outside group `{crossed}`",
                    node,
                    hint=f"a group sees only its input `in`; move `{name}` into the group, or merge after it",
                    code="E201",
                )
            return value
        op = get_op(name)
        if op is not None:
            return LayerRef(op)
        if name in BUILTINS:
            return BUILTINS[name]
        if name in INITIALISERS:
            return INITIALISERS[name]
        candidates = (
            [n for n in env.names() if not n.startswith("_")] + op_names() + list(BUILTINS) + list(INITIALISERS)
        )
        error = _error(f"unknown name `{name}`", node, hint=suggest_layer(name, candidates), code="E201")
        error.subject = name
        raise error

    def eval(self, node: syntax.Node, env: Env) -> Any:
        self.steps += 1
        if self.steps > self.max_steps:
            raise _too_large(
                f"the spec evaluates more than {self.max_steps:,} expressions",
                node,
                "a loop or repeat runs far more often than any network needs",
            )
        method = getattr(self, f"_eval_{node.kind}", None)
        if method is None:
            raise _error(
                "this is a layer chain; it cannot be used as a value here",
                node,
                hint="assign it first (`y = a -> b`) and use the name",
                code="E303",
            )
        return self.check_size(method(node, env), node)

    def check_size(self, value: Any, node: syntax.Node) -> Any:
        """Stop numbers, strings and lists that no network needs before they eat the machine."""
        if isinstance(value, int) and not isinstance(value, bool):
            if value.bit_length() > MAX_INT_BITS:
                raise _too_large("number too large", node)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise _error(f"expression gives {value}", node, code="E304")
        elif isinstance(value, complex):
            raise _error(
                "expression gives a complex number",
                node,
                code="E304",
                hint="a negative number to a fractional power has no real value",
            )
        elif isinstance(value, str):
            if len(value) > MAX_STRING:
                raise _too_large(f"string of {len(value):,} characters is more than the limit of {MAX_STRING:,}", node)
        elif isinstance(value, tuple):
            size, depth = self._measure(value)
            if size > MAX_LIST:
                raise _too_large(f"list of {size:,} items is more than the limit of {MAX_LIST:,}", node)
            if depth > MAX_NESTING:
                raise _too_large(f"lists nest more than {MAX_NESTING} deep", node)
        return value

    def _measure(self, value: tuple) -> tuple[int, int]:
        known = self._sizes.get(id(value))
        if known is not None and known[0] is value:
            return known[1], known[2]
        size, depth = len(value), 1
        self.steps += len(value)
        for item in value:
            if isinstance(item, tuple):
                inner, inner_depth = self._measure(item)
                size, depth = size + inner, max(depth, inner_depth + 1)
                if size > MAX_LIST or depth > MAX_NESTING:
                    break
        self._sizes[id(value)] = (value, size, depth)
        return size, depth

    def _eval_num(self, node: syntax.Num, env: Env) -> Any:
        return node.value

    def _eval_str(self, node: syntax.Str, env: Env) -> Any:
        return node.value

    def _eval_bool(self, node: syntax.Bool, env: Env) -> Any:
        return node.value

    def _eval_none(self, node: syntax.NoneLit, env: Env) -> Any:
        return None

    def _eval_name(self, node: syntax.Name, env: Env) -> Any:
        value = self.lookup(node.id, env, node)
        if callable(value) and not isinstance(value, (LayerRef, BlockInfo, Initialiser)):
            raise _error(f"`{node.id}` is a function; call it, e.g. `{node.id}(...)`", node, code="E211")
        if isinstance(value, BlockInfo):
            return LayerRef(value)
        return value

    def _eval_in(self, node: syntax.InputRef, env: Env) -> Any:
        found, value, _ = env.lookup("in")
        if isinstance(value, Poisoned):
            raise SkipStatement("in")
        if not found or value is None:
            raise _error(
                "`in` is not defined here: the network has no `input` yet",
                node,
                hint="start the network body with `input CxHxW`",
                code="E201",
            )
        return value

    def _eval_attr(self, node: syntax.Attr, env: Env) -> Any:
        value = self.eval(node.value, env)
        if not isinstance(value, TensorRef):
            raise _error(f"`.{node.attr}` needs a tensor value such as `in`, got {type_name(value)}", node, code="E301")
        shape = value.shape
        if node.attr == "shape":
            return tuple(shape)
        if node.attr == "rank":
            return len(shape)
        if node.attr == "channels" or (node.attr == "features" and shape):
            return shape[0] if node.attr == "channels" else shape[-1]
        if node.attr in ("height", "width"):
            if len(shape) != 3:
                raise _error(
                    f"`.{node.attr}` needs a CxHxW tensor, `{value.producer}` is {fmt(shape)}", node, code="E405"
                )
            return shape[1] if node.attr == "height" else shape[2]
        hint = suggest(node.attr, list(TENSOR_FIELDS)) or "tensors have " + ", ".join(f"`.{f}`" for f in TENSOR_FIELDS)
        raise _error(f"tensors have no field `.{node.attr}`", node, hint=hint, code="E201")

    def _eval_index(self, node: syntax.Index, env: Env) -> Any:
        value = self.eval(node.value, env)
        index = self.eval(node.index, env)
        self.mark(index)
        if not isinstance(value, tuple):
            raise _error(f"cannot index {type_name(value)}", node, code="E301")
        if not isinstance(index, int) or isinstance(index, bool):
            raise _error(f"a list index must be an integer, got {type_name(index)}", node.index, code="E301")
        if not -len(value) <= index < len(value):
            raise _error(
                f"index {index} is out of range for a list of {len(value)}",
                node.index,
                code="E304",
                hint=f"the list is {show(value, 60)}; indexes run from 0 to {len(value) - 1}"
                if value
                else "the list is empty",
            )
        return value[index]

    def _eval_call(self, node: syntax.Call, env: Env) -> Any:
        target = self.lookup(node.func, env, node)
        args = [self.eval(a, env) for a in node.args]
        kwargs = {k.name: self.eval(k.value, env) for k in node.kwargs}
        if isinstance(target, BlockInfo):
            target = LayerRef(target)
        if isinstance(target, LayerRef):  # a layer with arguments bound, used as a value
            return LayerRef(target.target, target.args + tuple(args), target.kwargs + tuple(kwargs.items()))
        if not callable(target):
            raise _error(f"`{node.func}` is {type_name(target)}, not a function or layer", node, code="E211")
        self.mark(*args, *kwargs.values())
        try:
            return target(*args, **kwargs)
        except ZeroDivisionError:
            raise _error("division by zero", node, code="E303") from None
        except (TypeError, ValueError, OverflowError) as exc:
            shown = ", ".join([show(a, 40) for a in args] + [f"{k}={show(v, 40)}" for k, v in kwargs.items()])
            raise _error(f"`{node.func}({shown})` failed: {_plain_words(str(exc))}", node, code="E301") from None

    def _eval_binop(self, node: syntax.BinOp, env: Env) -> Any:
        left, right = self.eval(node.left, env), self.eval(node.right, env)
        self.mark(left, right)
        op = node.op
        ok = (
            (is_number(left) and is_number(right))
            or (op == "+" and type(left) is type(right) and isinstance(left, (tuple, str)))
            or (op == "*" and isinstance(left, tuple) and isinstance(right, int) and not isinstance(right, bool))
        )
        if not ok:
            hint = (
                "to repeat a layer write `x n`, e.g. `Block(64) x 3`"
                if op == "*" and isinstance(left, LayerRef)
                else None
            )
            raise _error(f"cannot use `{op}` on {type_name(left)} and {type_name(right)}", node, hint=hint, code="E301")
        if op == "**" and (abs(right) > 64 or (isinstance(right, int) and abs(left) > 2**32)):
            raise _too_large("exponent too large", node)
        if op == "*" and isinstance(left, tuple) and len(left) * max(right, 0) > MAX_LIST:
            raise _too_large(f"list of {len(left) * right:,} items is more than the limit of {MAX_LIST:,}", node)
        try:
            return _ARITH[op](left, right)
        except ZeroDivisionError:
            hint = f"`{node.right.id}` is 0 here" if node.right.kind == "name" else None
            raise _error("division by zero", node, hint=hint, code="E303") from None
        except OverflowError:
            raise _too_large("number too large", node) from None

    def _eval_unary(self, node: syntax.UnaryOp, env: Env) -> Any:
        value = self.eval(node.operand, env)
        self.mark(value)
        if node.op == "not":
            return not self.truth(value, node.operand)
        if not is_number(value):
            raise _error(f"cannot use unary `{node.op}` on {type_name(value)}", node, code="E301")
        return -value if node.op == "-" else value

    def _eval_compare(self, node: syntax.Compare, env: Env) -> Any:
        left, right = self.eval(node.left, env), self.eval(node.right, env)
        self.mark(left, right)
        if node.op not in ("==", "!=") and not (
            (is_number(left) and is_number(right)) or (type(left) is type(right) and isinstance(left, (str, tuple)))
        ):
            raise _error(
                f"cannot compare {type_name(left)} with {type_name(right)} using `{node.op}`", node, code="E301"
            )
        return _COMPARE[node.op](left, right)

    def _eval_boolop(self, node: syntax.BoolOp, env: Env) -> Any:
        left = self.eval(node.left, env)
        if node.op == "and":
            return self.eval(node.right, env) if self.truth(left, node.left) else left
        return left if self.truth(left, node.left) else self.eval(node.right, env)

    def _eval_ifexp(self, node: syntax.IfExp, env: Env) -> Any:
        return self.eval(node.then if self.truth(self.eval(node.cond, env), node.cond) else node.orelse, env)

    def _eval_list(self, node: syntax.ListExpr, env: Env) -> Any:
        return tuple(self.eval(item, env) for item in node.items)

    def _eval_tuple(self, node: syntax.TupleExpr, env: Env) -> Any:
        return tuple(self.eval(item, env) for item in node.items)

    def truth(self, value: Any, node: syntax.Node) -> bool:
        self.mark(value)
        if isinstance(value, (bool, int, float)) or value is None:
            return bool(value)
        raise _error(f"a condition must be true/false or a number, got {type_name(value)}", node, code="E301")


_PYTHON_TYPES = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "tuple": "a list",
    "list": "a list",
    "NoneType": "none",
    "bool": "a boolean",
    "TensorRef": "a tensor",
    "LayerRef": "a layer",
}


def _plain_words(message: str) -> str:
    """Python's "'int' object is not iterable" in the spec's words: "an integer is not iterable"."""
    message = re.sub(r"'(\w+)' object", lambda m: _PYTHON_TYPES.get(m.group(1), m.group(1)), message)
    message = re.sub(r"'(\w+)'", lambda m: _PYTHON_TYPES.get(m.group(1), f"'{m.group(1)}'"), message)
    return message.replace("is not iterable", "is not a list")


def integer(value: Any, node: syntax.Node, what: str, minimum: int = 0) -> int:
    """A whole number >= minimum (integral floats such as 64.0 are accepted)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _error(f"{what} must be an integer, got {type_name(value)} {show(value)}", node, code="E301")
    if value < minimum:
        raise _error(f"{what} must be at least {minimum}, got {value}", node, code="E302")
    return value
