"""Binding and validating an op's arguments: positional and keyword, with a kind per argument."""

from __future__ import annotations

from typing import Any

from .habits import HABIT, keyword_habit, positional_habit
from .registry import Arg, OpDef


class ArgError(Exception):
    """Raised while binding; `index` says which argument (int position or keyword name) is wrong."""

    def __init__(self, message: str, index: int | str | None = None, hint: str | None = None, code: str = "E301"):
        super().__init__(message)
        self.message, self.index, self.hint, self.code = message, index, hint, code


_FLOAT_HINT = "make it whole: `//` divides to an integer; round(), int(), or make_divisible(v, 8) for channels"


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f'the string "{value}"'
    if isinstance(value, (list, tuple)):
        return f"the list {list(value)}"
    if _is_layer(value):
        return f"the layer `{value}`"
    return f"`{value}`" if isinstance(value, (int, float)) else f"a {type(value).__name__}"


def _is_layer(value: Any) -> bool:
    """An op or block used as a value (the IR's LayerRef), e.g. `mul(x, 0.5)` written inside `add(...)`."""
    return getattr(value, "target", None) is not None and hasattr(value, "kwargs")


# Layers run in chains; one written inside another call's arguments would never run.
_LAYER_HINT = "a layer is not a value: name its output first (`half = x -> mul(0.5)`) and pass the name (`half`)"


def coerce(arg: Arg, value: Any, op: str) -> Any:
    """Check one argument value against its kind; return it normalised (ints as int, pairs as tuples)."""
    kind = arg.kind
    where = f"`{op}` argument `{arg.name}`"
    if value is None and arg.default is None:
        return None
    if kind in ("int", "nonneg", "size"):
        number = _as_int(value)
        if number is None:
            hint = _FLOAT_HINT if isinstance(value, float) else _LAYER_HINT if _is_layer(value) else None
            raise ArgError(f"{where} must be an integer, got {_describe(value)}", arg.name, hint)
        if kind in ("int", "size") and number < 1:
            raise ArgError(f"{where} must be positive, got {number}", arg.name, code="E302")
        if kind == "nonneg" and number < 0:
            raise ArgError(f"{where} must not be negative, got {number}", arg.name, code="E302")
        return number
    if kind in ("float", "prob"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            hint = _LAYER_HINT if _is_layer(value) else None
            raise ArgError(f"{where} must be a number, got {_describe(value)}", arg.name, hint)
        if kind == "prob" and not 0.0 <= value <= 1.0:
            raise ArgError(f"{where} must be between 0 and 1, got {value}", arg.name, code="E304")
        return value if isinstance(value, float) else float(value)  # keeps a tagged parameter tagged
    if kind == "bool":
        if not isinstance(value, bool):
            raise ArgError(f"{where} must be true or false, got {_describe(value)}", arg.name)
        return value
    if kind in ("pair", "pair0", "padding"):
        if kind == "padding" and isinstance(value, str):
            if value not in ("same", "valid"):
                raise ArgError(f'{where} must be a size, a pair, "same" or "valid", got "{value}"', arg.name)
            return value
        items = value if isinstance(value, (list, tuple)) else (value,)
        numbers = [_as_int(v) for v in items]
        if len(items) not in (1, 2) or any(n is None for n in numbers):
            hint = _FLOAT_HINT if any(isinstance(v, float) for v in items) else None
            raise ArgError(
                f"{where} must be an integer or a pair (h, w) of integers, got {_describe(value)}", arg.name, hint
            )
        low = 1 if kind == "pair" else 0
        if any(n < low for n in numbers):  # type: ignore[operator]
            rule = "positive" if low else "not be negative"
            raise ArgError(f"{where} must {'be ' if low else ''}{rule}, got {_describe(value)}", arg.name, code="E302")
        return numbers[0] if len(numbers) == 1 else (numbers[0], numbers[1])
    if kind == "str":
        if not isinstance(value, str):
            raise ArgError(f"{where} must be a string, got {_describe(value)}", arg.name)
        return value
    if kind.startswith("choice:"):
        choices = kind.split(":", 1)[1].split(",")
        if value not in choices:
            raise ArgError(
                f"{where} must be one of {', '.join(repr(c) for c in choices)}, got {_describe(value)}", arg.name
            )
        return value
    if kind == "dims":
        items = value if isinstance(value, (list, tuple)) else None
        numbers = [_as_int(v) for v in items] if items is not None else [None]
        if not numbers or any(n is None for n in numbers):
            raise ArgError(f"{where} must be a list of integer dimensions, got {_describe(value)}", arg.name)
        return tuple(numbers)
    if kind == "sizes":
        items = value if isinstance(value, (list, tuple)) else (value,)
        return tuple(coerce(Arg(arg.name, "size"), item, op) for item in items)
    if kind == "dim":
        number = _as_int(value)
        if number is None:
            raise ArgError(f"{where} must be an integer dimension, got {_describe(value)}", arg.name)
        return number
    raise ArgError(f"internal: unknown argument kind {kind!r}", arg.name)


def _positional_hint(name: str, params: tuple[Arg, ...], positional: list[Arg], args: list[Any]) -> str:
    if not params:
        return f"write `{name}` with no arguments"
    keywords = [a.name for a in params if a.keyword_only]
    if not keywords:
        return f"its arguments are ({', '.join(a.name for a in params)})"
    extra = args[len(positional)]
    shown = str(extra).lower() if isinstance(extra, bool) else f'"{extra}"' if isinstance(extra, str) else str(extra)
    verb = "is" if len(keywords) == 1 else "are"
    example = f"{keywords[0]}={shown}"
    return (
        f"its positional arguments are ({', '.join(a.name for a in positional)}); {', '.join(keywords)} {verb} "
        f"given by name, e.g. `{example}`"
        if positional
        else f"{', '.join(keywords)} {verb} given by name, e.g. `{name}({example})`"
    )


def bind(op: OpDef, args: list[Any], kwargs: dict[str, Any], called: str | None = None) -> dict[str, Any]:
    """Positional then keyword arguments -> a complete, validated attribute dict. `called` is the name
    the spec used (an alias such as `conv`), for messages."""
    params = op.args
    name = called or op.name
    variadic = op.extra.get("variadic")
    if variadic and len(args) == 1 and isinstance(args[0], (list, tuple)):  # `parameter([64, 1, 1])`
        args = [*args[0]]
    if variadic and args:  # `parameter(64, 1, 1)`: every positional argument is one dimension
        sizes = []
        for position, value in enumerate(args):
            try:
                sizes.append(coerce(Arg(variadic, "size"), value, name))
            except ArgError as exc:
                exc.index = position
                raise
        if variadic in kwargs:
            raise ArgError(f"`{name}` got argument `{variadic}` twice", variadic, code="E205")
        args, kwargs = [], {**kwargs, variadic: tuple(sizes)}
    habit = positional_habit(op, name, args, kwargs)
    if habit is not None:
        raise ArgError(habit.message, habit.index, habit.hint, HABIT)
    positional = [a for a in params if not a.keyword_only]
    if len(args) > len(positional):
        raise ArgError(
            (
                f"`{name}` takes at most {len(positional)} positional argument{'s' if len(positional) != 1 else ''}, "
                if positional
                else f"`{name}` takes no positional arguments, "
            )
            + f"got {len(args)}",
            len(positional),
            hint=_positional_hint(name, params, positional, args),
            code="E205",
        )
    by_name = {a.name: a for a in params}
    values: dict[str, Any] = {}
    for position, value in enumerate(args):
        values[params[position].name] = (position, value)
    for key, value in kwargs.items():
        if key not in by_name:
            from difflib import get_close_matches

            close = get_close_matches(key, list(by_name), n=1)
            hint = (
                f"did you mean `{close[0]}`?"
                if close
                else (f"`{name}` takes ({', '.join(by_name)})" if by_name else f"`{name}` takes no arguments")
            )
            habit = keyword_habit(op, name, key, value, args, kwargs)
            if habit is not None:
                raise ArgError(habit.message, habit.index, habit.hint, HABIT)
            raise ArgError(f"`{name}` has no argument `{key}`", key, hint=hint, code="E203")
        if key in values:
            raise ArgError(f"`{name}` got argument `{key}` twice", key, code="E205")
        values[key] = (key, value)
    attrs: dict[str, Any] = {}
    for arg in params:
        if arg.name in values:
            index, value = values[arg.name]
            try:
                attrs[arg.name] = coerce(arg, value, name)
            except ArgError as exc:
                exc.index = index
                raise
        elif arg.required:
            raise ArgError(
                f"`{name}` needs argument `{arg.name}`",
                None,
                hint=f"write `{name}({', '.join(a.name for a in params if a.required)}, ...)`",
                code="E204",
            )
        else:
            attrs[arg.name] = arg.default
    return attrs
