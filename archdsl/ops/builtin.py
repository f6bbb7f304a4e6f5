"""The built-in ops. Each is one `OpDef`: arguments, shape rule, counts, torch source.

Conventions (docs/analysis.md publishes the full table; keep the two in step):
- `macs` counts multiply-accumulates of weights only (conv, linear), exactly, bias excluded;
- `extra_ops` counts the other arithmetic per sample, in inference: one per elementary operation of
  the op's formula (add, multiply, divide, compare, exp/erf/tanh/pow), as torch's kernels perform it:
  bias adds, normalisation, activations, pooling windows (taps inside the input only), merges. Ops that
  only move data (concat, flatten, shuffle, dropout in eval) say 0; an op with no rule says None;
- parameter counts equal `sum(p.numel() for p in module.parameters())` of the torch module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..shapes import OpShapeError, Shape, fmt, numel
from ..shapes.rules import broadcast, pair, same_shape, sliding, spatial
from .counts import adaptive_taps, pooled_taps, softmax_ops, window_taps
from .registry import Arg, OpDef, TorchCall, operand_count, register_op

# ----------------------------------------------------------------------------------------------
# helpers shared by several entries
# ----------------------------------------------------------------------------------------------


def _hw(value) -> str:
    h, w = pair(value)
    return f"{h}x{w}"


def _stride_tag(stride) -> str:
    h, w = pair(stride)
    return "" if (h, w) == (1, 1) else (f", /{h}" if h == w else f", /{h}x{w}")


def _resolve_padding(attrs) -> int | tuple[int, int]:
    """Turn "same"/"valid" into explicit symmetric padding, as torch would compute it."""
    padding = attrs["padding"]
    if padding == "valid":
        return 0
    if padding != "same":
        return padding
    if pair(attrs.get("stride", 1)) != (1, 1):
        raise OpShapeError(
            'padding="same" needs stride 1 (as in torch)',
            hint="write the padding explicitly, e.g. padding=kernel // 2",
            code="E406",
        )
    (kh, kw), (dh, dw) = pair(attrs["kernel"]), pair(attrs.get("dilation", 1))
    if (dh * (kh - 1)) % 2 or (dw * (kw - 1)) % 2:
        raise OpShapeError('padding="same" with an even kernel needs asymmetric padding', code="E406")
    ph, pw = dh * (kh - 1) // 2, dw * (kw - 1) // 2
    return ph if ph == pw else (ph, pw)


def _kw(attrs, *names_defaults) -> tuple[tuple[str, object], ...]:
    """The keyword arguments named in a defaults table, with this op's values."""
    return tuple((name, attrs[name]) for name, _ in names_defaults)


def _per_element(cost: int | Callable[[dict], int]):
    """An `extra_ops` rule for an elementwise op: `cost` operations per output element."""

    def rule(attrs, inputs: list[Shape], output: Shape) -> int:
        return numel(output) * (cost(attrs) if callable(cost) else cost)

    return rule


def _bias_adds(attrs, inputs: list[Shape], output: Shape) -> int:
    # One add per output element when there is a bias; the weights' products are in `macs`.
    return numel(output) if attrs["bias"] else 0


def _no_weight_products(attrs, inputs: list[Shape], output: Shape) -> int:
    # An op with parameters that multiply nothing by a weight matrix (batchnorm's per-channel scale
    # and shift): zero MACs, said explicitly, so `summary` does not report its MACs as uncounted.
    return 0


def _nothing(attrs, inputs: list[Shape], output: Shape) -> int:
    # Moves or views data, or is the identity in eval: no arithmetic.
    return 0


def _keywords(*args: Arg) -> tuple[Arg, ...]:
    """Arguments rarely positional in PyTorch code (eps, momentum, ceil_mode...), made keyword-only."""
    return tuple(replace(arg, keyword_only=True) for arg in args)


def _flat(shape: Shape, op: str) -> Shape:
    if len(shape) != 1:
        raise OpShapeError(f"`{op}` needs a flat input, got {fmt(shape)}", hint="add `flatten` before it", code="E405")
    return shape


# ----------------------------------------------------------------------------------------------
# convolution and linear
# ----------------------------------------------------------------------------------------------


def _conv_shape(attrs, inputs):
    channels, _, _ = spatial(inputs[0], "conv")
    groups, out = attrs["groups"], attrs["out"]
    if channels % groups:
        raise OpShapeError(
            f"`conv` groups={groups} does not divide its {channels} input channels",
            hint=f"use a groups value that divides {channels}, e.g. {channels} for a depthwise conv",
            code="E403",
        )
    if out % groups:
        raise OpShapeError(
            f"`conv` groups={groups} does not divide its {out} output channels",
            hint=f"make the output channels a multiple of {groups}",
            code="E403",
        )
    padding = _resolve_padding(attrs)
    return sliding(inputs[0], "conv", out, attrs["kernel"], attrs["stride"], padding, attrs["dilation"])


def _conv_weights(attrs, inputs) -> int:
    kh, kw = pair(attrs["kernel"])
    return attrs["out"] * (inputs[0][0] // attrs["groups"]) * kh * kw


CONV_DEFAULTS = (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1), ("bias", True))
BN_DEFAULTS = (("eps", 1e-5), ("momentum", 0.1), ("affine", True))
LRN_DEFAULTS = (("alpha", 1e-4), ("beta", 0.75), ("k", 1.0))

register_op(
    OpDef(
        name="conv2d",
        aliases=("conv",),
        family="conv",
        doc="2-d convolution; input channels come from the input shape.",
        args=(
            Arg("out", "int", doc="output channels"),
            Arg("kernel", "pair", doc="kernel size, or (h, w)"),
            Arg("stride", "pair", 1),
            Arg("padding", "padding", 0, doc='size, (h, w), "same" (stride 1) or "valid"'),
            Arg("dilation", "pair", 1, keyword_only=True),
            Arg("groups", "int", 1, keyword_only=True),
            Arg("bias", "bool", True, keyword_only=True),
        ),
        shape=_conv_shape,
        params=lambda a, i: _conv_weights(a, i) + (a["out"] if a["bias"] else 0),
        # Each output element is a dot product over its group's input channels times the kernel window
        # (padding taps included: torch multiplies them, by zero), so grouped and depthwise convs are exact.
        macs=lambda a, i, o: numel(o) * (i[0][0] // a["groups"]) * pair(a["kernel"])[0] * pair(a["kernel"])[1],
        extra_ops=_bias_adds,
        torch=lambda a, i: TorchCall(
            "nn.Conv2d",
            (i[0][0], a["out"], a["kernel"]),
            (
                ("stride", a["stride"]),
                ("padding", _resolve_padding(a)),
                ("dilation", a["dilation"]),
                ("groups", a["groups"]),
                ("bias", a["bias"]),
            ),
            CONV_DEFAULTS,
        ),
        weighted=True,
        label=lambda a, i, o: (
            f"{'dwconv' if a['groups'] == i[0][0] and a['groups'] > 1 else 'conv'} {_hw(a['kernel'])}, {a['out']}"
            f"{_stride_tag(a['stride'])}{', g=' + str(a['groups']) if 1 < a['groups'] < i[0][0] else ''}"
        ),
    )
)


def _linear_shape(attrs, inputs):
    if not inputs[0]:
        raise OpShapeError("`linear` needs at least one dimension", code="E405")
    return (*inputs[0][:-1], attrs["out"])


register_op(
    OpDef(
        name="linear",
        family="linear",
        doc="Fully connected layer over the last dimension (use `flatten` first for CxHxW input).",
        args=(Arg("out", "int", doc="output features"), Arg("bias", "bool", True, keyword_only=True)),
        shape=_linear_shape,
        params=lambda a, i: i[0][-1] * a["out"] + (a["out"] if a["bias"] else 0),
        # Over the last dim, so a linear on tokens (197x768) does numel(output) x in_features MACs.
        macs=lambda a, i, o: numel(o) * i[0][-1],
        extra_ops=_bias_adds,
        torch=lambda a, i: TorchCall("nn.Linear", (i[0][-1], a["out"]), (("bias", a["bias"]),), (("bias", True),)),
        weighted=True,
        label=lambda a, i, o: f"linear {i[0][-1]} → {a['out']}",
    )
)

# ----------------------------------------------------------------------------------------------
# normalisation
# ----------------------------------------------------------------------------------------------


def _bn_shape(attrs, inputs):
    spatial(inputs[0], "batchnorm")
    return inputs[0]


register_op(
    OpDef(
        name="batchnorm2d",
        aliases=("batchnorm", "bn"),
        family="norm",
        doc="Batch normalisation over channels of a CxHxW input.",
        args=_keywords(Arg("eps", "float", 1e-5), Arg("momentum", "float", 0.1), Arg("affine", "bool", True)),
        shape=_bn_shape,
        params=lambda a, i: 2 * i[0][0] if a["affine"] else 0,
        buffers=lambda a, i: 2 * i[0][0] + 1,
        # Inference folds the statistics and affine into y = x * scale + shift: 2 per element.
        macs=_no_weight_products,
        extra_ops=_per_element(2),
        torch=lambda a, i: TorchCall("nn.BatchNorm2d", (i[0][0],), _kw(a, *BN_DEFAULTS), BN_DEFAULTS),
        label=lambda a, i, o: "batchnorm",
    )
)

register_op(
    OpDef(
        name="batchnorm1d",
        family="norm",
        doc="Batch normalisation over features of a flat input (MLPs).",
        args=_keywords(Arg("eps", "float", 1e-5), Arg("momentum", "float", 0.1), Arg("affine", "bool", True)),
        shape=lambda a, i: _flat(i[0], "batchnorm1d"),
        params=lambda a, i: 2 * i[0][0] if a["affine"] else 0,
        buffers=lambda a, i: 2 * i[0][0] + 1,
        # Inference folds the statistics and affine into y = x * scale + shift: 2 per element.
        macs=_no_weight_products,
        extra_ops=_per_element(2),
        torch=lambda a, i: TorchCall("nn.BatchNorm1d", (i[0][0],), _kw(a, *BN_DEFAULTS), BN_DEFAULTS),
        label=lambda a, i, o: "batchnorm1d",
    )
)

register_op(
    OpDef(
        name="local_response_norm",
        aliases=("lrn",),
        family="norm",
        doc="Local response normalisation across channels (AlexNet, GoogLeNet v1).",
        args=(Arg("size", "int"), Arg("alpha", "float", 1e-4), Arg("beta", "float", 0.75), Arg("k", "float", 1.0)),
        shape=lambda a, i: (spatial(i[0], "local_response_norm"), i[0])[1],
        # b = a / (k + alpha/n * sum of squares over `size` channels) ** beta, as torch computes it: square
        # once per element, window sum (size - 1 adds), average (divide), scale, add k, pow, divide = size + 5.
        extra_ops=lambda a, i, o: numel(o) * (a["size"] + 5),
        torch=lambda a, i: TorchCall("nn.LocalResponseNorm", (a["size"],), _kw(a, *LRN_DEFAULTS), LRN_DEFAULTS),
        label=lambda a, i, o: f"lrn {a['size']}",
    )
)

# ----------------------------------------------------------------------------------------------
# activations: shape-preserving, one torch module each
# ----------------------------------------------------------------------------------------------


def _activation(
    name: str,
    torch_name: str,
    cost,
    args: tuple[Arg, ...] = (),
    kw=(),
    inplace: bool = True,
    doc: str = "",
    extra_ops=None,
):
    """`cost`: operations per output element of the activation's formula (docs/analysis.md)."""
    register_op(
        OpDef(
            name=name,
            family="act",
            doc=doc or f"{torch_name} activation.",
            args=args,
            shape=lambda a, i: i[0],
            extra_ops=extra_ops or _per_element(cost),
            torch=lambda a, i: TorchCall(f"nn.{torch_name}", (), _kw(a, *kw), kw),
            extra={"inplace": inplace},
            label=lambda a, i, o: name,
        )
    )


# Costs per element, from each formula: relu max(x, 0); relu6 min(max(x, 0), 6); leaky_relu max(x, s*x);
# elu select(x > 0, x, alpha * (exp(x) - 1)); sigmoid 1 / (1 + exp(-x)); silu x * sigmoid(x);
# hardsigmoid min(max(x + 3, 0), 6) / 6; hardswish x * hardsigmoid(x); gelu 0.5 * x * (1 + erf(x / sqrt 2)),
# or with approximate="tanh" 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3))).
_activation("relu", "ReLU", 1)
_activation("relu6", "ReLU6", 2)
_activation("leaky_relu", "LeakyReLU", 2, (Arg("negative_slope", "float", 0.01),), (("negative_slope", 0.01),))
_activation("elu", "ELU", 4, (Arg("alpha", "float", 1.0),), (("alpha", 1.0),))
_activation("silu", "SiLU", 4, doc="SiLU / swish activation (EfficientNet).")
_activation("hardswish", "Hardswish", 5)
_activation("hardsigmoid", "Hardsigmoid", 4)
_activation("sigmoid", "Sigmoid", 3, inplace=False)
_activation("tanh", "Tanh", 1, inplace=False)
_activation(
    "gelu",
    "GELU",
    lambda a: 9 if a["approximate"] == "tanh" else 5,
    (Arg("approximate", "choice:none,tanh", "none", keyword_only=True),),
    (("approximate", "none"),),
    inplace=False,
)
_activation(
    "softmax",
    "Softmax",
    None,
    (Arg("dim", "dim", 1),),
    (("dim", None),),
    inplace=False,
    doc="Softmax over `dim` of the batched tensor (1 = channels/features).",
    extra_ops=lambda a, i, o: softmax_ops(o, a["dim"]),
)

# ----------------------------------------------------------------------------------------------
# pooling
# ----------------------------------------------------------------------------------------------


def _pool_stride(attrs):
    return attrs["kernel"] if attrs["stride"] is None else attrs["stride"]


def _pool_shape(name):
    def rule(attrs, inputs):
        kernel, padding = pair(attrs["kernel"]), pair(attrs["padding"])
        if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
            raise OpShapeError(
                f"`{name}` padding {padding} is more than half its {_hw(kernel)} window",
                code="E406",
                hint="torch requires padding <= kernel // 2",
            )
        return sliding(
            inputs[0],
            name,
            inputs[0][0],
            attrs["kernel"],
            _pool_stride(attrs),
            attrs["padding"],
            attrs.get("dilation", 1),
            attrs["ceil_mode"],
        )

    return rule


def _max_window_ops(attrs, inputs, output):
    """Comparisons: (taps inside the input - 1) per output element; torch skips padded taps."""
    kernel, padding, dilation = pair(attrs["kernel"]), pair(attrs["padding"]), pair(attrs["dilation"])
    stride = pair(_pool_stride(attrs))
    (_, height, width), (channels, out_h, out_w) = inputs[0], output
    rows = window_taps(height, out_h, kernel[0], stride[0], padding[0], dilation[0])
    cols = window_taps(width, out_w, kernel[1], stride[1], padding[1], dilation[1])
    return channels * sum(max(r * c - 1, 0) for r in rows for c in cols)


def _avg_window_ops(attrs, inputs, output):
    """(taps - 1) adds and one divide per output element: the taps inside the input, whatever the
    divisor (count_include_pad only changes what is divided by)."""
    return pooled_taps(inputs[0], output, attrs["kernel"], _pool_stride(attrs), attrs["padding"])


register_op(
    OpDef(
        name="maxpool2d",
        aliases=("maxpool",),
        family="pool",
        doc="Max pooling; stride defaults to the kernel size.",
        args=(
            Arg("kernel", "pair"),
            Arg("stride", "pair", None),
            Arg("padding", "pair0", 0),
            *_keywords(Arg("dilation", "pair", 1), Arg("ceil_mode", "bool", False)),
        ),
        shape=_pool_shape("maxpool"),
        extra_ops=_max_window_ops,
        torch=lambda a, i: TorchCall(
            "nn.MaxPool2d",
            (a["kernel"],),
            (
                ("stride", _pool_stride(a)),
                ("padding", a["padding"]),
                ("dilation", a["dilation"]),
                ("ceil_mode", a["ceil_mode"]),
            ),
            (("stride", a["kernel"]), ("padding", 0), ("dilation", 1), ("ceil_mode", False)),
        ),
        label=lambda a, i, o: f"maxpool {_hw(a['kernel'])}{_stride_tag(_pool_stride(a))}",
    )
)

register_op(
    OpDef(
        name="avgpool2d",
        aliases=("avgpool",),
        family="pool",
        doc="Average pooling; stride defaults to the kernel size.",
        args=(
            Arg("kernel", "pair"),
            Arg("stride", "pair", None),
            Arg("padding", "pair0", 0),
            *_keywords(Arg("ceil_mode", "bool", False), Arg("count_include_pad", "bool", True)),
        ),
        shape=_pool_shape("avgpool"),
        extra_ops=_avg_window_ops,
        torch=lambda a, i: TorchCall(
            "nn.AvgPool2d",
            (a["kernel"],),
            (
                ("stride", _pool_stride(a)),
                ("padding", a["padding"]),
                ("ceil_mode", a["ceil_mode"]),
                ("count_include_pad", a["count_include_pad"]),
            ),
            (("stride", a["kernel"]), ("padding", 0), ("ceil_mode", False), ("count_include_pad", True)),
        ),
        label=lambda a, i, o: f"avgpool {_hw(a['kernel'])}{_stride_tag(_pool_stride(a))}",
    )
)


def _adaptive(name: str, torch_name: str, fixed: tuple[int, int] | None, average: bool):
    def rule(attrs, inputs):
        channels, _, _ = spatial(inputs[0], name)
        h, w = fixed or pair(attrs["size"])
        return (channels, h, w)

    register_op(
        OpDef(
            name=name,
            family="pool",
            doc=f"{torch_name}" + (" to 1x1 (global pooling)." if fixed else " to a fixed output size."),
            args=() if fixed else (Arg("size", "pair"),),
            shape=rule,
            # Average: window sum and one divide per output = taps read; max: taps - 1 comparisons.
            extra_ops=lambda a, i, o: adaptive_taps(i[0], o) - (0 if average else numel(o)),
            torch=lambda a, i: TorchCall(f"nn.{torch_name}", (fixed or pair(a["size"]),)),
            label=lambda a, i, o: name.replace("_", " ") if fixed else f"{name.replace('_', ' ')} {_hw(a['size'])}",
        )
    )


_adaptive("adaptive_avgpool", "AdaptiveAvgPool2d", None, True)
_adaptive("adaptive_maxpool", "AdaptiveMaxPool2d", None, False)
_adaptive("global_avgpool", "AdaptiveAvgPool2d", (1, 1), True)
_adaptive("global_maxpool", "AdaptiveMaxPool2d", (1, 1), False)

# ----------------------------------------------------------------------------------------------
# reshaping, regularisation, identity
# ----------------------------------------------------------------------------------------------


def _flatten_shape(attrs, inputs):
    shape = inputs[0]
    rank = len(shape) + 1  # torch's dims count the batch
    start, end = attrs["start"], attrs["end"]
    start, end = start % rank if start < 0 else start, end % rank if end < 0 else end
    if not 1 <= start <= end < rank:
        raise OpShapeError(
            f"`flatten` dims ({attrs['start']}, {attrs['end']}) do not fit a {fmt(shape)} input",
            hint="the batch is dim 0, so flatten(1) flattens each sample",
            code="E405",
        )
    lo, hi = start - 1, end - 1
    return (*shape[:lo], numel(shape[lo : hi + 1]), *shape[hi + 1 :])


register_op(
    OpDef(
        name="flatten",
        family="reshape",
        doc="Flatten each sample (dims `start`..`end` of the batched tensor).",
        args=(Arg("start", "dim", 1), Arg("end", "dim", -1)),
        shape=_flatten_shape,
        extra_ops=_nothing,
        view=True,
        torch=lambda a, i: TorchCall(
            "nn.Flatten", (), (("start_dim", a["start"]), ("end_dim", a["end"])), (("start_dim", 1), ("end_dim", -1))
        ),
        functional=lambda a, xs: (
            f"torch.flatten({xs[0]}, {a['start']})"
            if a["end"] == -1
            else f"torch.flatten({xs[0]}, {a['start']}, {a['end']})"
        ),
        label=lambda a, i, o: "flatten",
    )
)

register_op(
    OpDef(
        name="dropout",
        family="regularize",
        doc="Dropout (identity in eval mode).",
        args=(Arg("p", "prob", 0.5),),
        shape=lambda a, i: i[0],
        extra_ops=_nothing,
        view=True,
        torch=lambda a, i: TorchCall("nn.Dropout", (), (("p", a["p"]),), (("p", 0.5),)),
        label=lambda a, i, o: f"dropout {a['p']:g}",
    )
)

register_op(
    OpDef(
        name="dropout2d",
        family="regularize",
        doc="Channel-wise dropout (identity in eval mode).",
        args=(Arg("p", "prob", 0.5),),
        shape=lambda a, i: (spatial(i[0], "dropout2d"), i[0])[1],
        extra_ops=_nothing,
        view=True,
        torch=lambda a, i: TorchCall("nn.Dropout2d", (), (("p", a["p"]),), (("p", 0.5),)),
        label=lambda a, i, o: f"dropout2d {a['p']:g}",
    )
)

_STOCHASTIC_DEPTH = '''
class StochasticDepth(nn.Module):
    """Drops whole residual branches per sample in training (Huang et al., 2016); eval: identity."""

    def __init__(self, p: float, mode: str = "row"):
        super().__init__()
        self.p, self.mode = p, mode

    def extra_repr(self) -> str:  # as torchvision's, so printed models compare equal
        return f"p={self.p}, mode={self.mode}"

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == "row" else [1] * x.ndim
        keep = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(1.0 - self.p)
        return x * keep.div_(1.0 - self.p)
'''

register_op(
    OpDef(
        name="stochastic_depth",
        aliases=("drop_path",),
        family="regularize",
        doc="Stochastic depth on a residual branch (torchvision's StochasticDepth); identity in eval mode.",
        args=(Arg("p", "prob"), Arg("mode", "choice:row,batch", "row", keyword_only=True)),
        shape=lambda a, i: i[0],
        extra_ops=_nothing,
        view=True,
        torch=lambda a, i: TorchCall("StochasticDepth", (a["p"],), (("mode", a["mode"]),), (("mode", "row"),)),
        helpers=(_STOCHASTIC_DEPTH,),
        label=lambda a, i, o: f"drop path {a['p']:g}",
    )
)

register_op(
    OpDef(
        name="identity",
        family="other",
        doc="Passes its input through unchanged.",
        args=(),
        shape=lambda a, i: i[0],
        extra_ops=_nothing,
        view=True,
        torch=lambda a, i: TorchCall("nn.Identity"),
        label=lambda a, i, o: "identity",
    )
)

# ----------------------------------------------------------------------------------------------
# merges: several inputs, written inline in forward()
# ----------------------------------------------------------------------------------------------

# `add` and `mul` also take one number after their tensors: torchvision's `transform_input` rescales
# channels with `x * 0.458 + -0.030`. The number is an attribute, not an input, so a value and a number
# make two operands (`operand_count`, which the elaborator's arity check uses too).
_SCALAR = Arg("scalar", "float", None, doc="a number combined with every element, written after the tensors")


def _with_scalar(expression: str, operator: str, scalar: float | None) -> str:
    if scalar is None:
        return expression
    if operator == "+" and scalar < 0:  # `x - 0.03`, as a person writes it (the same float either way)
        return f"{expression} - {-scalar!r}"
    return f"{expression} {operator} {scalar!r}"


def _scalar_label(name: str, scalar: float | None) -> str:
    return name if scalar is None else f"{name} {scalar:.4g}"


register_op(
    OpDef(
        name="add",
        family="merge",
        doc="Elementwise sum of two or more values of the same shape (residual connections), plus an optional "
        "number last (`add(x, -0.03)`).",
        args=(_SCALAR,),
        shape=lambda a, i: same_shape(i, "add"),
        extra_ops=lambda a, i, o: numel(o) * (operand_count(a, i) - 1),
        functional=lambda a, xs: _with_scalar(" + ".join(xs), "+", a["scalar"]),
        arity=(2, None),
        label=lambda a, i, o: _scalar_label("add", a["scalar"]),
    )
)

register_op(
    OpDef(
        name="mul",
        family="merge",
        doc="Elementwise product with broadcasting (squeeze-and-excitation gates: 64x1x1 * 64x56x56), times an "
        "optional number last (`mul(x, 0.458)`).",
        args=(_SCALAR,),
        shape=lambda a, i: broadcast(i, "mul"),
        extra_ops=lambda a, i, o: numel(o) * (operand_count(a, i) - 1),
        functional=lambda a, xs: _with_scalar(" * ".join(xs), "*", a["scalar"]),
        arity=(2, None),
        label=lambda a, i, o: _scalar_label("mul", a["scalar"]),
    )
)


def _concat_shape(attrs, inputs):
    dim = attrs["dim"]
    first = inputs[0]
    axis = dim - 1 if dim > 0 else len(first) + dim
    if not 0 <= axis < len(first):
        raise OpShapeError(f"`concat` dim={dim} does not exist in a {fmt(first)} input", code="E405")
    for other in inputs[1:]:
        if len(other) != len(first) or any(a != b for k, (a, b) in enumerate(zip(first, other)) if k != axis):
            raise OpShapeError(
                f"`concat` cannot join {fmt(first)} with {fmt(other)} along dim {dim}",
                code="E402",
                hint="all inputs must match except in the concatenated dim",
            )
    return (*first[:axis], sum(s[axis] for s in inputs), *first[axis + 1 :])


register_op(
    OpDef(
        name="concat",
        aliases=("cat",),
        family="merge",
        doc="Concatenation along channels (dim=1 of the batched tensor): DenseNet, Inception.",
        args=(Arg("dim", "dim", 1),),
        shape=_concat_shape,
        extra_ops=_nothing,
        functional=lambda a, xs: f"torch.cat([{', '.join(xs)}], {a['dim']})",
        arity=(2, None),
        label=lambda a, i, o: "concat",
    )
)

_CHANNEL_SHUFFLE = '''
def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleave channels across groups (ShuffleNet): (N, g*c, H, W) -> (N, c*g, H, W)."""
    batch, channels, height, width = x.size()
    x = x.view(batch, groups, channels // groups, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batch, channels, height, width)


class ChannelShuffle(nn.Module):
    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, x: Tensor) -> Tensor:
        return channel_shuffle(x, self.groups)
'''


def _shuffle_shape(attrs, inputs):
    channels, _, _ = spatial(inputs[0], "channel_shuffle")
    if channels % attrs["groups"]:
        raise OpShapeError(
            f"`channel_shuffle` groups={attrs['groups']} does not divide {channels} channels", code="E403"
        )
    return inputs[0]


register_op(
    OpDef(
        name="channel_shuffle",
        family="reshape",
        doc="ShuffleNet's channel shuffle across `groups`.",
        args=(Arg("groups", "int"),),
        shape=_shuffle_shape,
        extra_ops=_nothing,
        torch=lambda a, i: TorchCall("ChannelShuffle", (a["groups"],)),
        functional=lambda a, xs: f"channel_shuffle({xs[0]}, {a['groups']})",
        helpers=(_CHANNEL_SHUFFLE,),
        label=lambda a, i, o: f"shuffle g={a['groups']}",
    )
)

_CHUNK = '''
class Chunk(nn.Module):
    """One of `chunks` equal slices of the channels (ShuffleNet v2's channel split)."""

    def __init__(self, chunks: int, index: int):
        super().__init__()
        self.chunks, self.index = chunks, index

    def forward(self, x: Tensor) -> Tensor:
        return x.chunk(self.chunks, dim=1)[self.index]
'''


def _chunk_shape(attrs, inputs):
    channels = inputs[0][0]
    chunks, index = attrs["chunks"], attrs["index"]
    if channels % chunks:
        raise OpShapeError(f"`chunk` cannot split {channels} channels into {chunks} equal parts", code="E403")
    if not 0 <= index < chunks:
        raise OpShapeError(f"`chunk` index {index} is out of range for {chunks} chunks", code="E304")
    return (channels // chunks, *inputs[0][1:])


register_op(
    OpDef(
        name="chunk",
        family="reshape",
        doc="Take part `index` of the channels split into `chunks` equal parts (a view, no copy).",
        args=(Arg("chunks", "int"), Arg("index", "nonneg")),
        shape=_chunk_shape,
        extra_ops=_nothing,
        view=True,
        torch=lambda a, i: TorchCall("Chunk", (a["chunks"], a["index"])),
        functional=lambda a, xs: f"{xs[0]}.chunk({a['chunks']}, dim=1)[{a['index']}]",
        helpers=(_CHUNK,),
        label=lambda a, i, o: f"chunk {a['index'] + 1}/{a['chunks']}",
    )
)
