"""The values of the spec language while it is elaborated.

A value is a number, bool, string, None, a tuple (lists are tuples), a `TensorRef` (a tensor flowing
through the network, with its static shape), or a `LayerRef` (an op or block, possibly with some
arguments bound: `act=leaky_relu(0.2)`). `show` writes any of them the way a spec would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..frontend import syntax
from ..ops.registry import OpDef
from ..shapes import Shape, fmt
from ..source import Span

if TYPE_CHECKING:
    from .env import Env


@dataclass(frozen=True)
class TensorRef:
    """A tensor value: the id of the op that produced it, its shape, and who to blame in messages."""

    id: int
    shape: Shape
    producer: str
    span: Span | None = None

    def describe(self) -> str:
        where = f", {self.span.where}" if self.span else ""
        return f"{fmt(self.shape)} (from `{self.producer}`{where})"


@dataclass(frozen=True)
class Poisoned(TensorRef):
    """Stands for the result of a statement that failed, so elaboration can go on and report other,
    independent mistakes. Anything computed from it is skipped without a message (`SkipStatement`):
    one mistake is reported once, never as a cascade of follow-on errors."""

    def describe(self) -> str:
        return "an undefined value"


POISON = Poisoned(-1, (), "<error>")


class SkipStatement(Exception):
    """Raised when a statement reads a poisoned value; the elaborator skips the statement quietly."""


@dataclass(frozen=True)
class BlockInfo:
    """A block definition together with the namespace of the file that defines it."""

    defn: syntax.BlockDef
    env: Env

    @property
    def name(self) -> str:
        return self.defn.name


@dataclass(frozen=True)
class NetworkInfo:
    defn: syntax.NetworkDef | syntax.NetworkAlias
    env: Env

    @property
    def name(self) -> str:
        return self.defn.name


@dataclass(frozen=True)
class LayerRef:
    """An op or block used as a value, with any arguments already bound."""

    target: OpDef | BlockInfo
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        return self.target.name

    def __str__(self) -> str:
        return self.name


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, tuple):
        return "a list"
    if value is None:
        return "none"
    if isinstance(value, TensorRef):
        return "a tensor"
    if isinstance(value, LayerRef):
        return "a layer"
    return type(value).__name__


def show(value: Any, limit: int = 120) -> str:
    """A value the way the spec would write it, cut to about `limit` characters for messages."""
    text = _show(value, limit)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(value: Any, limit: int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, tuple):
        parts: list[str] = []
        for item in value:  # stop early: a list may hold 100,000 items
            parts.append(_show(item, limit))
            if sum(len(p) + 2 for p in parts) > limit:
                break
        return "[" + ", ".join(parts) + ("]" if len(parts) == len(value) else ", ...]")
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, TensorRef):
        return f"`{value.producer}` ({fmt(value.shape)})"
    if isinstance(value, LayerRef) and (value.args or value.kwargs):  # a partial application
        bound = [show(v) for v in value.args] + [f"{k}={show(v)}" for k, v in value.kwargs]
        return f"{value.name}({', '.join(bound)})"
    if isinstance(value, (LayerRef, BlockInfo)):
        return value.name
    if isinstance(value, float):
        return repr(value)
    return str(value)
