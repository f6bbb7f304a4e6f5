"""The op registry: one `OpDef` per op, holding everything archdsl knows about it.

An op entry is data, not a class hierarchy: its argument schema, its shape rule, its parameter and
MAC counts, and how to write it as torch source. Plugins register more with `register_op`, or through
the `archdsl.ops` entry-point group (each entry point names a module or a function that registers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..shapes import Shape

REQUIRED = object()

Attrs = Mapping[str, Any]


@dataclass(frozen=True)
class Arg:
    """One argument of an op. `kind` drives validation (see `archdsl.ops.args`)."""

    name: str
    kind: str  # int | nonneg | float | prob | bool | pair | padding | str | dim | dims | size | choice:a,b
    default: Any = REQUIRED
    doc: str = ""
    # Given by name only (eps, momentum, bias...): a number written in PyTorch's order never slides into it.
    keyword_only: bool = False

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class TorchCall:
    """A constructor call written as source, e.g. nn.Conv2d(64, 128, 3, stride=2, bias=False).

    Arguments stay as Python values until rendering, so the code generator can replace any of them
    with a constructor parameter of the generated class.
    """

    callee: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    # torch's own defaults: a keyword equal to its default is left out of the source.
    defaults: tuple[tuple[str, Any], ...] = ()
    # A tensor rather than a module: `packed` leading positional arguments form one tuple (a shape), and
    # the call is wrapped, e.g. nn.Parameter(torch.full((64, 1, 1), 1e-06)).
    wrap: str | None = None
    packed: int = 0


def _zero(attrs: Attrs, inputs: list[Shape], output: Shape) -> int:
    return 0


def no_mac_rule(op: OpDef) -> bool:
    """True when an op kept the default MAC rule (zero), which is only right for ops without weights."""
    return op.macs is _zero


def _no_params(attrs: Attrs, inputs: list[Shape]) -> int:
    return 0


@dataclass(frozen=True)
class OpDef:
    """Everything about one op. Only `name`, `family`, `args` and `shape` are required."""

    name: str
    family: str  # conv | norm | act | pool | linear | merge | reshape | regularize | other
    args: tuple[Arg, ...]
    shape: Callable[[Attrs, list[Shape]], Shape]
    params: Callable[[Attrs, list[Shape]], int] = _no_params
    buffers: Callable[[Attrs, list[Shape]], int] = _no_params
    # Multiply-accumulates of the op's weights (conv, linear), per sample. The default, zero, suits ops
    # without weights; an op with parameters that keeps it is reported as uncounted by `summary`.
    macs: Callable[[Attrs, list[Shape], Shape], int] = _zero
    # Other arithmetic per sample (bias adds, norm, activation, pooling, merges), reported apart from
    # MACs (docs/analysis.md). None means archdsl has no rule for it: `summary` lists it as uncounted,
    # never as zero. An op that does no arithmetic (concat, flatten) says so with 0.
    extra_ops: Callable[[Attrs, list[Shape], Shape], int] | None = None
    torch: Callable[[Attrs, list[Shape]], TorchCall] | None = None
    # Forward expression for ops written inline in forward(), e.g. "torch.flatten({0}, 1)".
    functional: Callable[[Attrs, list[str]], str] | None = None
    arity: tuple[int, int | None] = (1, 1)  # (min, max) tensor inputs; max None = any
    aliases: tuple[str, ...] = ()
    weighted: bool = False  # counts towards depth (conv, linear)
    view: bool = False  # output shares its input's storage in eval (flatten, dropout): no activation memory
    label: Callable[[Attrs, list[Shape], Shape], str] | None = None
    helpers: tuple[str, ...] = ()  # extra source the emitted file needs (helper functions/classes)
    imports: tuple[str, ...] = ()  # extra import lines the emitted file needs (plugins)
    doc: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def merges(self) -> bool:
        return self.arity[1] is None or self.arity[1] > 1

    def describe(self, attrs: Attrs, inputs: list[Shape], output: Shape) -> str:
        """Short text for diagrams and tables: "conv 3x3, 64, /2"."""
        return self.label(attrs, inputs, output) if self.label else self.name


def operand_count(attrs: Attrs, inputs: list) -> int:
    """How many operands an op combines: its tensors, plus the number an `add` or `mul` may take as its
    `scalar` attribute (`mul(x, 0.5)` has two operands, like `mul(x, y)`)."""
    return len(inputs) + (attrs.get("scalar") is not None)


_REGISTRY: dict[str, OpDef] = {}
_ALIASES: dict[str, str] = {}
_plugins_loaded = False
_builtins_loaded = False


def register_op(op: OpDef, *, replace: bool = False) -> OpDef:
    """Add an op (or replace one, with replace=True). Returns the op so it can be used as a value."""
    _ensure_builtins()  # a user op named like a built-in clashes now, not when the built-ins load later
    names = (op.name, *op.aliases)
    if not replace:
        for name in names:
            if name in _REGISTRY or name in _ALIASES:
                raise ValueError(f"op `{name}` is already registered; pass replace=True to override it")
    if not op.name.isidentifier():
        raise ValueError(f"op name `{op.name}` must be an identifier")
    _REGISTRY[op.name] = op
    for alias in op.aliases:
        _ALIASES[alias] = op.name
    return op


def _load_plugins() -> None:
    """Import entry points in the `archdsl.ops` group once; each registers its ops when loaded."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib.metadata import entry_points

    for entry in entry_points(group="archdsl.ops"):
        loaded = entry.load()
        if callable(loaded) and not isinstance(loaded, type):
            loaded()


def _ensure_builtins() -> None:
    """Load the built-in ops, then the plugins, exactly once, before any op is looked up or registered
    (so a user's `register_op` before the first check adds to them instead of replacing them)."""
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True  # first: the imports below call register_op, which calls this
    from . import builtin, builtin_layout, builtin_params  # noqa: F401  (register on import)

    _load_plugins()


def get_op(name: str) -> OpDef | None:
    """The op called `name` (or an alias of it), or None."""
    _ensure_builtins()
    return _REGISTRY.get(name) or _REGISTRY.get(_ALIASES.get(name, ""))


def all_ops() -> dict[str, OpDef]:
    """Every registered op by canonical name."""
    _ensure_builtins()
    return dict(_REGISTRY)


def op_names() -> list[str]:
    """Canonical names and aliases, for "did you mean" suggestions."""
    _ensure_builtins()
    return sorted([*_REGISTRY, *_ALIASES])
