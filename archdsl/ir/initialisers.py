"""Initialisers a spec can name (`kaiming_normal(mode="fan_out")`, `zeros`...) and the `init` table that
says which op's tensors get which one.

An initialiser is a small frozen value named after its `torch.nn.init` function (`kaiming_normal` is
`nn.init.kaiming_normal_`); calling it binds arguments, as `kaiming_normal(mode="fan_out")`. A network
reads the table named `init` (a constant in its body or in the file that defines it) whose rows are
`[op or "module.path", "weight" | "bias", initialiser]`; `init_rules` checks it and turns it into plain
`InitRule`s for the IR graph. Nothing here imports torch.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from ..errors import ElaborationError
from ..source import Span
from .functions import is_number
from .nodes import InitRule
from .values import LayerRef, show, type_name

_NONLINEARITIES = ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu")
_MODES = ("fan_in", "fan_out")

# name -> its torch.nn.init parameters after the tensor, with torch's defaults.
_SIGNATURES: dict[str, dict[str, Any]] = {
    "kaiming_normal": {"a": 0, "mode": "fan_in", "nonlinearity": "leaky_relu"},
    "kaiming_uniform": {"a": 0, "mode": "fan_in", "nonlinearity": "leaky_relu"},
    "xavier_normal": {"gain": 1.0},
    "xavier_uniform": {"gain": 1.0},
    "normal": {"mean": 0.0, "std": 1.0},
    "trunc_normal": {"mean": 0.0, "std": 1.0, "a": -2.0, "b": 2.0},
    "uniform": {"a": 0.0, "b": 1.0},
    # U(-1/sqrt(fan_out), 1/sqrt(fan_out)), fan_out read from the tensor when the module is built (for a
    # linear, its output features): torchvision's EfficientNet classifier. Not an nn.init function.
    "uniform_fan_out": {},
    "constant": {"val": inspect.Parameter.empty},
    "zeros": {},
    "ones": {},
}

TENSORS = ("weight", "bias")
_WEIGHTLESS = ("act", "pool", "merge", "reshape", "regularize")


@dataclass(frozen=True)
class Initialiser:
    """`nn.init.<name>_` with the arguments the spec gave (torch's defaults are left out)."""

    name: str
    kwargs: tuple[tuple[str, Any], ...] = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Initialiser:
        params = [
            inspect.Parameter(key, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)
            for key, default in _SIGNATURES[self.name].items()
        ]
        bound = inspect.Signature(params).bind_partial(*args, **kwargs)  # TypeError on a wrong name
        given = {**dict(self.kwargs), **bound.arguments}
        missing = [key for key, default in _SIGNATURES[self.name].items() if default is inspect.Parameter.empty]
        for key in missing:
            if key not in given:
                raise TypeError(f"{self.name}() needs `{key}`")
        for key, value in given.items():
            _check_argument(self.name, key, value)
        return Initialiser(self.name, tuple(given.items()))

    def __str__(self) -> str:
        if not self.kwargs:
            return self.name
        return f"{self.name}({', '.join(f'{k}={show(v)}' for k, v in self.kwargs)})"


def _check_argument(name: str, key: str, value: Any) -> None:
    if key == "mode":
        if value not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(_MODES)}")
    elif key == "nonlinearity":
        if value not in _NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {', '.join(_NONLINEARITIES)}")
    elif not is_number(value):
        raise TypeError(f"{name}()'s `{key}` must be a number, got {type_name(value)}")


INITIALISERS: dict[str, Initialiser] = {name: Initialiser(name) for name in _SIGNATURES}


def init_rules(table: Any, span: Span | None, module_paths: dict[str, str]) -> tuple[InitRule, ...]:
    """The rows of a spec's `init` table as IR rules. `module_paths` maps each op module's path to its op,
    so a row naming a module (`"classifier.1"`) is checked to exist."""

    def fail(message: str, hint: str | None = None) -> ElaborationError:
        return ElaborationError(f"init table: {message}", span, hint, "E301")

    row_hint = 'each row is [op, "weight" or "bias", initialiser], e.g. [conv, "weight", kaiming_normal()]'
    if not isinstance(table, tuple):
        raise fail(f"`init` must be a list of rows, got {type_name(table)}", row_hint)
    rules: list[InitRule] = []
    for index, row in enumerate(table):
        if not isinstance(row, tuple) or len(row) != 3:
            raise fail(f"row {index} is {show(row, 60)}", row_hint)
        target, tensor, initialiser = row
        if isinstance(target, LayerRef) and not target.args and not target.kwargs and hasattr(target.target, "family"):
            kind, name = "op", target.name
            if target.target.family in _WEIGHTLESS:
                raise fail(f"row {index}: `{name}` has no weights to initialise", row_hint)
        elif isinstance(target, str):
            if target not in module_paths:
                raise fail(f"row {index}: no op module `{target}` in this network", "name it by its module path")
            kind, name = "module", target
        else:
            raise fail(f"row {index}: {show(target, 40)} is not an op or a module path", row_hint)
        if tensor not in TENSORS:
            raise fail(f'row {index}: tensor {show(tensor, 40)} is not "weight" or "bias"', row_hint)
        if not isinstance(initialiser, Initialiser):
            raise fail(
                f"row {index}: {show(initialiser, 40)} is {type_name(initialiser)}, not an initialiser",
                "initialisers: " + ", ".join(INITIALISERS),
            )
        rules.append(
            InitRule(kind=kind, target=name, tensor=tensor, init=initialiser.name, args=dict(initialiser.kwargs))
        )
    return tuple(rules)
