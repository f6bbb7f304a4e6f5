"""PyTorch habits: arguments written as the torch.nn constructor takes them, recognised and named.

archdsl infers what PyTorch makes the user repeat (input channels, features), so `batchnorm(64)` or
`linear(64, 10)` written from habit would otherwise bind 64 to another argument (eps, the output size)
and give a silently wrong model. Each built-in op lists its torch constructor's signature here; `bind`
asks this module before its generic messages, and a habit error says what archdsl does instead and
shows the archdsl form. docs/errors.md (E305) lists the habits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .registry import OpDef

HABIT = "E305"
INPLACE = "decides in-place itself (the compiled module uses inplace=True where that is safe)"


@dataclass(frozen=True)
class TorchForm:
    """An op's torch.nn constructor: its positional signature and how each name maps onto archdsl."""

    callee: str
    signature: tuple[str, ...]
    # torch arguments archdsl does not take, and why: "takes its channels from its input".
    dropped: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)  # torch keyword -> archdsl keyword


def _conv_kernel_is_channels(args: list[Any]) -> bool:
    """`conv(3, 64, 3)` or `conv(1, 6, 5)`: nn.Conv2d's (in, out, kernel), so the kernel slot holds a channel
    count. A kernel over 11 written positionally is one (no CNN in the library uses one; a large kernel
    can still be written kernel=31), and so is an even kernel followed by an odd stride of 3 or more."""
    if len(args) < 2 or not all(isinstance(a, int) and not isinstance(a, bool) for a in args[:3]):
        return False
    kernel = args[1]
    odd_stride = len(args) >= 3 and args[2] >= 3 and args[2] % 2 == 1
    return 11 < kernel <= 8192 or (kernel >= 4 and kernel % 2 == 0 and odd_stride)  # 10^9 is no channel count


_INPLACE = {"inplace": INPLACE}
_CONV = TorchForm(
    "nn.Conv2d",
    ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"),
    {
        "in_channels": "takes its input channels from its input",
        "padding_mode": "pads with zeros only (padding_mode='zeros')",
    },
    {"out_channels": "out", "kernel_size": "kernel"},
)
_BN = ("num_features", "eps", "momentum", "affine", "track_running_stats")
_BN_DROPPED = {"track_running_stats": "always tracks running statistics (track_running_stats=True)"}
_POOL_DROPPED = {"return_indices": "returns the pooled values only (return_indices=False)"}

FORMS: dict[str, TorchForm] = {
    "conv2d": _CONV,
    "linear": TorchForm(
        "nn.Linear",
        ("in_features", "out_features", "bias"),
        {"in_features": "takes its input features from its input"},
        {"out_features": "out"},
    ),
    "batchnorm2d": TorchForm(
        "nn.BatchNorm2d", _BN, {"num_features": "takes its channels from its input", **_BN_DROPPED}
    ),
    "batchnorm1d": TorchForm(
        "nn.BatchNorm1d", _BN, {"num_features": "takes its features from its input", **_BN_DROPPED}
    ),
    "local_response_norm": TorchForm("nn.LocalResponseNorm", ("size", "alpha", "beta", "k")),
    "relu": TorchForm("nn.ReLU", ("inplace",), _INPLACE),
    "relu6": TorchForm("nn.ReLU6", ("inplace",), _INPLACE),
    "leaky_relu": TorchForm("nn.LeakyReLU", ("negative_slope", "inplace"), _INPLACE),
    "elu": TorchForm("nn.ELU", ("alpha", "inplace"), _INPLACE),
    "silu": TorchForm("nn.SiLU", ("inplace",), _INPLACE),
    "hardswish": TorchForm("nn.Hardswish", ("inplace",), _INPLACE),
    "hardsigmoid": TorchForm("nn.Hardsigmoid", ("inplace",), _INPLACE),
    "sigmoid": TorchForm("nn.Sigmoid", ()),
    "tanh": TorchForm("nn.Tanh", ()),
    "gelu": TorchForm("nn.GELU", ("approximate",)),
    "softmax": TorchForm("nn.Softmax", ("dim",)),
    "maxpool2d": TorchForm(
        "nn.MaxPool2d",
        ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
        _POOL_DROPPED,
        {"kernel_size": "kernel"},
    ),
    "avgpool2d": TorchForm(
        "nn.AvgPool2d",
        ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
        {"divisor_override": "divides by the window size (divisor_override=None)"},
        {"kernel_size": "kernel"},
    ),
    "adaptive_avgpool": TorchForm("nn.AdaptiveAvgPool2d", ("output_size",), {}, {"output_size": "size"}),
    "adaptive_maxpool": TorchForm(
        "nn.AdaptiveMaxPool2d", ("output_size", "return_indices"), _POOL_DROPPED, {"output_size": "size"}
    ),
    "global_avgpool": TorchForm(
        "nn.AdaptiveAvgPool2d",
        ("output_size",),
        {"output_size": "always pools to 1x1 (adaptive_avgpool(size) pools to another size)"},
    ),
    "global_maxpool": TorchForm(
        "nn.AdaptiveMaxPool2d",
        ("output_size",),
        {"output_size": "always pools to 1x1 (adaptive_maxpool(size) pools to another size)"},
    ),
    "flatten": TorchForm("nn.Flatten", ("start_dim", "end_dim"), {}, {"start_dim": "start", "end_dim": "end"}),
    "dropout": TorchForm("nn.Dropout", ("p", "inplace"), _INPLACE),
    "dropout2d": TorchForm("nn.Dropout2d", ("p", "inplace"), _INPLACE),
    "identity": TorchForm("nn.Identity", ()),
    "channel_shuffle": TorchForm("nn.ChannelShuffle", ("groups",)),
    "concat": TorchForm("torch.cat", ("tensors", "dim")),
    "stochastic_depth": TorchForm("StochasticDepth", ("p", "mode")),
}

# Keywords torch takes on every module that archdsl decides for the whole network.
_EVERYWHERE = {"device": "places the model with `build(..., device=...)`", "dtype": "builds in float32"}


@dataclass
class Habit(Exception):
    """A habit found: the message, which argument (position or keyword) to point at, the archdsl form."""

    message: str
    index: int | str | None
    hint: str


# torch's flags archdsl does not take, with torch's default: passing the default changes nothing there.
_FLAG_DEFAULTS = {"inplace": False, "return_indices": False, "track_running_stats": True}


def _plausible(op: OpDef, form: TorchForm, by_torch_name: dict[str, Any]) -> bool:
    """Whether every value could be what torch takes there: `linear(10, false)` is not nn.Linear(10, false),
    and `maxpool(3, 2, 1, 1, false)` (return_indices=False) means nothing new read either way."""
    kinds = {a.name: a.kind for a in op.args}
    for torch_name, value in by_torch_name.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if torch_name in _FLAG_DEFAULTS:
            ok = isinstance(value, bool) and value != _FLAG_DEFAULTS[torch_name]
        elif torch_name == "padding_mode":
            ok = isinstance(value, str)
        elif torch_name in form.dropped:  # a size archdsl infers or fixes
            ok = isinstance(value, tuple) or (number and float(value).is_integer())
        else:
            kind = kinds.get(form.renamed.get(torch_name, torch_name), "")
            ok = (
                isinstance(value, bool)
                if kind == "bool"
                else (
                    isinstance(value, str)
                    if kind == "str" or kind.startswith("choice:")
                    else number or isinstance(value, tuple) or (kind == "padding" and isinstance(value, str))
                )
            )
        if not ok:
            return False
    return True


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return f"({', '.join(_show(v) for v in value)})"
    return repr(value) if isinstance(value, float) else str(value)


def _call(name: str, args: list[Any], kwargs: dict[str, Any]) -> str:
    parts = [_show(a) for a in args] + [f"{k}={_show(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})" if parts else name


def _archdsl_form(op: OpDef, form: TorchForm, called: str, by_torch_name: dict[str, Any]) -> str:
    """The archdsl call for torch arguments given by torch name: required ones positional, the rest by name."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    known = {a.name: a for a in op.args}
    for torch_name, value in by_torch_name.items():
        name = form.renamed.get(torch_name, torch_name)
        if torch_name in form.dropped or name not in known:
            continue
        if known[name].required and not kwargs:
            args.append(value)
        else:
            kwargs[name] = value
    return _call(called, args, kwargs)


def positional_habit(op: OpDef, called: str, args: list[Any], kwargs: dict[str, Any]) -> Habit | None:
    """Positional arguments in the torch constructor's order, when they cannot be archdsl's own."""
    form = FORMS.get(op.name)
    if form is None or not args:
        return None
    positional = [a for a in op.args if not a.keyword_only]
    if op.name == "conv2d":  # conv(64, 3, 1, 1, 1, 1, false) is archdsl's own order, too long: not a habit
        if not _conv_kernel_is_channels(args):
            return None
    elif len(args) <= len(positional):
        return None
    if len(args) > len(form.signature):
        return None
    by_torch_name = dict(zip(form.signature, args))
    if not _plausible(op, form, by_torch_name):
        return None
    # Read as torch reads them, some value lands on an argument archdsl does not take: that is the habit.
    for position, torch_name in enumerate(form.signature[: len(args)]):
        reason = form.dropped.get(torch_name)
        if reason is None:
            continue
        written = _call(called, args, kwargs)
        fixed = _archdsl_form(op, form, called, {**by_torch_name, **kwargs})
        message = f"`{called}` {reason}: `{written}` reads as PyTorch's {form.callee}({', '.join(form.signature[: len(args)])})"
        hint = (
            f"write `{fixed}`, not `{written}`" if fixed != written else f"drop the argument `{_show(args[position])}`"
        )
        if torch_name == "in_channels" and len(args) >= 2:
            hint += (
                f" (archdsl's conv is conv(out, kernel, ...); for a {args[1]}x{args[1]} kernel, write kernel={args[1]})"
            )
        return Habit(message, position, hint)
    return None


def keyword_habit(
    op: OpDef, called: str, key: str, value: Any, args: list[Any], kwargs: dict[str, Any]
) -> Habit | None:
    """A keyword archdsl does not have, named as PyTorch names it (kernel_size=, num_features=, inplace=)."""
    form = FORMS.get(op.name)
    reason = _EVERYWHERE.get(key) or (form.dropped.get(key) if form else None)
    renamed = form is not None and key in form.renamed
    if form is None or not (renamed or reason):
        return None
    # The whole call rewritten: archdsl's positional values by name, every keyword renamed or dropped.
    by_name = {arg.name: value for arg, value in zip([a for a in op.args if not a.keyword_only], args)}
    fixed = _archdsl_form(op, form, called, {**by_name, **kwargs})
    written = _call(called, args, kwargs)
    if renamed:
        return Habit(
            f"`{key}` is PyTorch's name in {form.callee}; archdsl's `{called}` calls it `{form.renamed[key]}`",
            key,
            f"write `{fixed}`, not `{written}`",
        )
    return Habit(
        f"`{called}` {reason}: `{key}=` is PyTorch's {form.callee if form else 'nn.Module'} argument",
        key,
        f"write `{fixed}`, not `{written}`",
    )
