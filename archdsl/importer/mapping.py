"""What maps to what: PyTorch leaf modules and traced functions -> archdsl ops and their attributes.

Each entry reads what the op needs from the module (or the call's arguments); `None` from a reader
means "the same as its input" (an identity in eval: `contiguous`, a one-tensor `cat`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .errors import ATTENTION_HINT, LANGUAGE_HINT, ModelImportError

Attrs = dict[str, Any]


def _one(value: Any) -> Any:
    """torch stores sizes as pairs: (3, 3) -> 3, (1, 7) stays."""
    if isinstance(value, tuple | list) and len(value) and all(v == value[0] for v in value):
        return value[0]
    return tuple(value) if isinstance(value, list) else value


def _conv(m: nn.Conv2d) -> tuple[str, Attrs]:
    if m.padding_mode != "zeros":
        raise ModelImportError(f"padding_mode={m.padding_mode!r} has no archdsl form (only zero padding)")
    return "conv2d", {
        "out": m.out_channels,
        "kernel": _one(m.kernel_size),
        "stride": _one(m.stride),
        "padding": _one(m.padding),
        "dilation": _one(m.dilation),
        "groups": m.groups,
        "bias": m.bias is not None,
    }


def _batchnorm(op: str) -> Callable[[Any], tuple[str, Attrs]]:
    def read(m) -> tuple[str, Attrs]:
        if not m.track_running_stats or m.momentum is None:
            raise ModelImportError("batchnorm without running statistics (or with momentum=None) has no archdsl form")
        return op, {"eps": m.eps, "momentum": m.momentum, "affine": m.affine}

    return read


def _pool(m) -> tuple[str, Attrs]:
    if isinstance(m, nn.MaxPool2d):
        if m.return_indices:
            raise ModelImportError("max pooling that returns indices has no archdsl form")
        return "maxpool2d", {
            "kernel": _one(m.kernel_size),
            "stride": _one(m.stride),
            "padding": _one(m.padding),
            "dilation": _one(m.dilation),
            "ceil_mode": m.ceil_mode,
        }
    if m.divisor_override is not None:
        raise ModelImportError("average pooling with divisor_override has no archdsl form")
    return "avgpool2d", {
        "kernel": _one(m.kernel_size),
        "stride": _one(m.stride),
        "padding": _one(m.padding),
        "ceil_mode": m.ceil_mode,
        "count_include_pad": m.count_include_pad,
    }


def _adaptive(average: bool, size: Any) -> tuple[str, Attrs]:
    size = _one(size)
    kind = "avgpool" if average else "maxpool"
    if size == 1:
        return f"global_{kind}", {}
    if size is None or (isinstance(size, tuple) and None in size):
        raise ModelImportError("adaptive pooling that keeps one dimension has no archdsl form")
    return f"adaptive_{kind}", {"size": size}


def _stochastic_depth(m) -> tuple[str, Attrs]:
    return "stochastic_depth", {"p": m.p, "mode": m.mode}


def _layernorm(op: str) -> Callable[[Any], tuple[str, Attrs]]:
    """nn.LayerNorm over the last dim (`layernorm`), or torchvision's LayerNorm2d over the channels."""

    def read(m) -> tuple[str, Attrs]:
        if len(m.normalized_shape) != 1 or not m.elementwise_affine or m.bias is None:
            raise ModelImportError(
                f"a layer norm over {len(m.normalized_shape)} dims (or without its weight and bias) has no archdsl "
                "form: `layernorm` normalises the last dim, `layernorm2d` the channels",
                LANGUAGE_HINT,
                "E843",
            )
        return op, {"eps": m.eps}

    return read


def _groupnorm(m) -> tuple[str, Attrs]:
    return "groupnorm", {"groups": m.num_groups, "eps": m.eps, "affine": m.affine}


def _instancenorm(m) -> tuple[str, Attrs]:
    attrs = {"eps": m.eps, "momentum": m.momentum, "affine": m.affine}
    return "instancenorm2d", {**attrs, "track_running_stats": m.track_running_stats}


MODULES: dict[type, Callable[[Any], tuple[str, Attrs]]] = {
    nn.Conv2d: _conv,
    nn.Linear: lambda m: ("linear", {"out": m.out_features, "bias": m.bias is not None}),
    nn.BatchNorm2d: _batchnorm("batchnorm2d"),
    nn.BatchNorm1d: _batchnorm("batchnorm1d"),
    nn.ReLU: lambda m: ("relu", {}),
    nn.ReLU6: lambda m: ("relu6", {}),
    nn.SiLU: lambda m: ("silu", {}),
    nn.Hardswish: lambda m: ("hardswish", {}),
    nn.Hardsigmoid: lambda m: ("hardsigmoid", {}),
    nn.Sigmoid: lambda m: ("sigmoid", {}),
    nn.Tanh: lambda m: ("tanh", {}),
    nn.GELU: lambda m: ("gelu", {"approximate": m.approximate}),
    nn.LeakyReLU: lambda m: ("leaky_relu", {"negative_slope": m.negative_slope}),
    nn.ELU: lambda m: ("elu", {"alpha": m.alpha}),
    nn.Softmax: lambda m: ("softmax", {"dim": m.dim}),
    nn.MaxPool2d: _pool,
    nn.AvgPool2d: _pool,
    nn.AdaptiveAvgPool2d: lambda m: _adaptive(True, m.output_size),
    nn.AdaptiveMaxPool2d: lambda m: _adaptive(False, m.output_size),
    nn.Flatten: lambda m: ("flatten", {"start": m.start_dim, "end": m.end_dim}),
    nn.Dropout: lambda m: ("dropout", {"p": m.p}),
    nn.Dropout2d: lambda m: ("dropout2d", {"p": m.p}),
    nn.Identity: lambda m: ("identity", {}),
    nn.LayerNorm: _layernorm("layernorm"),
    nn.GroupNorm: _groupnorm,
    nn.InstanceNorm2d: _instancenorm,
    nn.LocalResponseNorm: lambda m: (
        "local_response_norm",
        {"size": m.size, "alpha": m.alpha, "beta": m.beta, "k": m.k},
    ),
}


def _extra_modules() -> None:
    """Library op modules that fx would otherwise trace through (their forward has a training branch, or
    permutes around a layer norm that archdsl writes as one op)."""
    try:
        from torchvision.models.convnext import LayerNorm2d
        from torchvision.ops import Permute, StochasticDepth
    except ImportError:
        return
    MODULES[StochasticDepth] = _stochastic_depth
    MODULES[LayerNorm2d] = _layernorm("layernorm2d")
    MODULES[Permute] = lambda m: ("permute", {"dims": tuple(m.dims)})
    try:
        from timm.layers.norm import LayerNorm as TimmLayerNorm  # nn.LayerNorm, with an optional fused kernel
        from timm.layers.norm import LayerNorm2d as TimmLayerNorm2d
    except ImportError:
        return
    from timm.layers.activations import GELU as TimmGELU  # F.gelu in a module of timm's own
    from timm.layers.activations import GELUTanh as TimmGELUTanh

    MODULES[TimmGELU] = lambda m: ("gelu", {"approximate": "none"})
    MODULES[TimmGELUTanh] = lambda m: ("gelu", {"approximate": "tanh"})
    MODULES[TimmLayerNorm] = _layernorm("layernorm")
    MODULES[TimmLayerNorm2d] = _layernorm("layernorm2d")
    try:
        from timm.layers.linear import Linear as TimmLinear  # nn.Linear, with a cast for TorchScript only
    except ImportError:
        return
    MODULES[TimmLinear] = MODULES[nn.Linear]


_extra_modules()

ATTENTION = (nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.TransformerDecoderLayer, nn.Transformer)
NEEDS_LANGUAGE = (nn.Embedding,)


# The helper modules archdsl's own generated code defines (importing a built spec again).
GENERATED = {
    "ChannelShuffle": lambda m: ("channel_shuffle", {"groups": m.groups}),
    "Chunk": lambda m: ("chunk", {"chunks": m.chunks, "index": m.index}),
    "StochasticDepth": _stochastic_depth,
    "LayerNorm2d": _layernorm("layernorm2d"),
    "Permute": lambda m: ("permute", {"dims": tuple(m.dims)}),
}


def generated_reader(module: nn.Module) -> Callable[[Any], tuple[str, Attrs]] | None:
    if type(module).__module__.startswith("archdsl_generated"):
        return GENERATED.get(type(module).__name__)
    return None


def is_norm_act(module: nn.Module) -> bool:
    """timm's BatchNormAct2d: a BatchNorm2d subclass that applies its children `drop` and `act` after
    normalising. Its own weights sit at the batchnorm's names (`bn1.weight`), its children have none."""
    return (
        isinstance(module, nn.BatchNorm2d)
        and type(module) not in MODULES
        and isinstance(getattr(module, "act", None), nn.Module)
        and {name for name, _ in module.named_children()} <= {"drop", "act"}
    )


def norm_act_ops(module: nn.Module, path: str) -> list[tuple[str, Attrs]]:
    """A norm + act module as archdsl ops: the batchnorm (the module's own name and weights), then its
    `drop` and `act` children (parameter-free: their names need not be kept), identities left out."""
    ops = [_batchnorm("batchnorm2d")(module)]
    for name in ("drop", "act"):
        child = getattr(module, name, None)
        if child is not None and not isinstance(child, nn.Identity):
            if any(True for _ in child.parameters()):
                kind = f"{type(child).__module__}.{type(child).__qualname__}"
                raise ModelImportError(
                    f"`{path}.{name}` ({kind}) has weights inside a batchnorm; archdsl cannot keep its names"
                )
            ops.append(module_op(child, f"{path}.{name}"))
    return ops


def register_module(cls: type, reader: Callable[[Any], tuple[str, Attrs]]) -> None:
    """Import every module of class `cls` as one archdsl op: `reader(module) -> (op name, attributes)`.
    The class becomes a leaf of the trace; its op may be a plugin's (`archdsl.register_op`,
    docs/plugins.md). Its parameters must be the op's, under the same names."""
    MODULES[cls] = reader


def module_op(module: nn.Module, path: str, where: str = "") -> tuple[str, Attrs]:
    """The archdsl op for a leaf module, or a ModelImportError naming it (`where`: ` (at file.py:12)`)."""
    reader = MODULES.get(type(module)) or generated_reader(module)
    kind = f"{type(module).__module__}.{type(module).__qualname__}"
    if reader is None:
        if isinstance(module, ATTENTION):
            raise ModelImportError(f"`{path}` ({kind}){where} is an attention layer", ATTENTION_HINT, "E842")
        if isinstance(module, NEEDS_LANGUAGE):
            raise ModelImportError(f"`{path}` ({kind}){where} has no archdsl op yet", LANGUAGE_HINT, "E843")
        from .errors import PLUGIN_HINT

        raise ModelImportError(f"`{path}` ({kind}){where} has no archdsl op", PLUGIN_HINT, "E841")
    try:
        return reader(module)
    except ModelImportError as error:
        error.message = f"`{path}` ({kind}){where}: {error.message}"
        raise


def _arg(args: tuple, kwargs: dict, index: int, name: str, default: Any = None) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _activation(op: str) -> Callable[[tuple, dict], tuple[str, Attrs]]:
    return lambda args, kwargs: (op, {})


def _flatten(args, kwargs) -> tuple[str, Attrs]:
    return "flatten", {"start": _arg(args, kwargs, 1, "start_dim", 0), "end": _arg(args, kwargs, 2, "end_dim", -1)}


def _max_pool(args, kwargs) -> tuple[str, Attrs]:
    kernel = _arg(args, kwargs, 1, "kernel_size")
    return "maxpool2d", {
        "kernel": _one(kernel),
        "stride": _one(_arg(args, kwargs, 2, "stride") or kernel),
        "padding": _one(_arg(args, kwargs, 3, "padding", 0)),
        "dilation": _one(_arg(args, kwargs, 4, "dilation", 1)),
        "ceil_mode": _arg(args, kwargs, 5, "ceil_mode", False),
    }


def _avg_pool(args, kwargs) -> tuple[str, Attrs]:
    kernel = _arg(args, kwargs, 1, "kernel_size")
    if _arg(args, kwargs, 6, "divisor_override") is not None:
        raise ModelImportError("average pooling with divisor_override has no archdsl form")
    return "avgpool2d", {
        "kernel": _one(kernel),
        "stride": _one(_arg(args, kwargs, 2, "stride") or kernel),
        "padding": _one(_arg(args, kwargs, 3, "padding", 0)),
        "ceil_mode": _arg(args, kwargs, 4, "ceil_mode", False),
        "count_include_pad": _arg(args, kwargs, 5, "count_include_pad", True),
    }


# Functions and tensor methods (call_function / call_method targets). Merges take every tensor input.
FUNCTIONS: dict[Any, Callable[[tuple, dict], tuple[str, Attrs]]] = {
    operator.add: lambda a, k: ("add", {}),
    operator.iadd: lambda a, k: ("add", {}),
    torch.add: lambda a, k: ("add", {}),
    "add": lambda a, k: ("add", {}),
    operator.mul: lambda a, k: ("mul", {}),
    operator.imul: lambda a, k: ("mul", {}),
    torch.mul: lambda a, k: ("mul", {}),
    "mul": lambda a, k: ("mul", {}),
    torch.cat: lambda a, k: ("concat", {"dim": _arg(a, k, 1, "dim", 0)}),
    torch.concat: lambda a, k: ("concat", {"dim": _arg(a, k, 1, "dim", 0)}),
    torch.flatten: _flatten,
    "flatten": _flatten,
    F.relu: _activation("relu"),
    torch.relu: _activation("relu"),
    "relu": _activation("relu"),
    F.relu6: _activation("relu6"),
    F.silu: _activation("silu"),
    F.hardswish: _activation("hardswish"),
    F.hardsigmoid: _activation("hardsigmoid"),
    torch.sigmoid: _activation("sigmoid"),
    "sigmoid": _activation("sigmoid"),
    torch.tanh: _activation("tanh"),
    F.gelu: lambda a, k: ("gelu", {"approximate": k.get("approximate", "none")}),
    F.adaptive_avg_pool2d: lambda a, k: _adaptive(True, _arg(a, k, 1, "output_size")),
    F.adaptive_max_pool2d: lambda a, k: _adaptive(False, _arg(a, k, 1, "output_size")),
    F.max_pool2d: _max_pool,
    F.avg_pool2d: _avg_pool,
    F.dropout: lambda a, k: ("dropout", {"p": _arg(a, k, 1, "p", 0.5)}),
    "contiguous": lambda a, k: None,
    torch.permute: lambda a, k: ("permute", {"dims": tuple(_arg(a, k, 1, "dims"))}),
    "permute": lambda a, k: ("permute", {"dims": tuple(a[1] if isinstance(a[1], list | tuple) else a[1:])}),
}


def channel_shuffle_op(args, kwargs) -> tuple[str, Attrs]:
    return "channel_shuffle", {"groups": _arg(args, kwargs, 1, "groups")}


def wrapped_functions() -> tuple[Callable, ...]:
    """Library functions kept whole in the trace (their bodies use reshapes archdsl writes as one op)."""
    found = []
    try:
        from torchvision.models import shufflenetv2

        FUNCTIONS[shufflenetv2.channel_shuffle] = channel_shuffle_op
        found.append(shufflenetv2.channel_shuffle)
    except ImportError:
        pass
    return tuple(found)


def function_op(target: Any) -> Callable[[tuple, dict], tuple[str, Attrs] | None] | None:
    return FUNCTIONS.get(target)
