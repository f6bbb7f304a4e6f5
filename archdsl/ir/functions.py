"""The built-in functions a spec can call (`make_divisible`, `ceil`, `range`...): small, and each
bounded so that no call can build a value larger than the limits allow."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .limits import MAX_LIST


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round channels to a multiple of `divisor`, never more than 10% down (torchvision/timm)."""
    if min_value is None:
        min_value = divisor
    new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new_value < 0.9 * value:
        new_value += divisor
    return new_value


def _range(*args: int) -> tuple[int, ...]:
    r = range(*args)
    if len(r) > MAX_LIST:
        raise ValueError(f"range of {len(r)} items is more than the limit of {MAX_LIST}")
    return tuple(r)


def _enumerate(items: tuple, start: int = 0) -> tuple:
    return tuple((start + i, item) for i, item in enumerate(items))


def _zip(*lists: tuple) -> tuple:
    return tuple(zip(*lists))


def _minmax(fn: Callable) -> Callable:
    def run(*args: Any) -> Any:
        if len(args) == 1 and isinstance(args[0], tuple):
            args = args[0]
        if not args:
            raise ValueError(f"{fn.__name__}() of an empty list")
        return fn(args)

    return run


def _round(value: Any, digits: int | None = None) -> Any:
    # round(10**70, -10**9) would compute 10**(10**9) first
    if digits is not None and isinstance(digits, int) and abs(digits) > 64:
        raise ValueError("round() takes at most 64 digits")
    return round(value) if digits is None else round(value, digits)


def is_number(value: Any) -> bool:
    """An int or float, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sum(items: tuple, start: float = 0) -> int | float:
    # numbers only: summing lists would be quadratic
    if not isinstance(items, tuple) or not all(is_number(v) for v in (*items, start)):
        raise TypeError("sum() adds a list of numbers")
    return sum(items, start)


def _number(name: str, value: Any) -> float:
    if not is_number(value):
        raise TypeError(f"{name}() takes a number")
    return value


def _log(value: Any, base: Any = None) -> float:
    """Natural logarithm, or to `base` (`log(x, 2)`), as Python's math.log; domain errors in words."""
    if _number("log", value) <= 0:
        raise ValueError("log() is defined for positive numbers only")
    if base is None:
        return math.log(value)
    if _number("log", base) <= 0 or base == 1:
        raise ValueError("the base of log() must be positive and not 1")
    return math.log(value, base)


def _exp(value: Any) -> float:
    try:
        return math.exp(_number("exp", value))
    except OverflowError:
        raise ValueError("exp() of this is too large for a float") from None


def _sqrt(value: Any) -> float:
    if _number("sqrt", value) < 0:
        raise ValueError("sqrt() is defined for numbers >= 0 only")
    return math.sqrt(value)


BUILTINS: dict[str, Callable[..., Any]] = {
    "min": _minmax(min),
    "max": _minmax(max),
    "abs": abs,
    "round": _round,
    "ceil": math.ceil,
    "floor": math.floor,
    "log": _log,
    "exp": _exp,
    "sqrt": _sqrt,
    "int": int,
    "float": float,
    "make_divisible": make_divisible,
    "len": len,
    "sum": _sum,
    "range": _range,
    "enumerate": _enumerate,
    "zip": _zip,
}
