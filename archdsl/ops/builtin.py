"""The built-in ops. Each is one `OpDef`: arguments, shape rule, counts, torch source.

Conventions (docs/analysis.md has the full table):
- `macs` counts multiply-accumulates of weights only (conv, linear), exactly;
- `extra_ops` counts the other arithmetic per sample (norm, activation, pooling, merges);
- parameter counts equal `sum(p.numel() for p in module.parameters())` of the torch module.
"""

from __future__ import annotations

from ..shapes import OpShapeError, Shape, fmt, numel
from ..shapes.rules import broadcast, pair, same_shape, sliding, spatial
from .registry import Arg, OpDef, TorchCall, register_op

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


def _elementwise(attrs, inputs: list[Shape], output: Shape) -> int:
    return numel(output)


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

register_op(OpDef(
    name="conv2d",
    aliases=("conv",),
    family="conv",
    doc="2-d convolution; input channels come from the input shape.",
    args=(
        Arg("out", "int", doc="output channels"),
        Arg("kernel", "pair", doc="kernel size, or (h, w)"),
        Arg("stride", "pair", 1),
        Arg("padding", "padding", 0, doc='size, (h, w), "same" (stride 1) or "valid"'),
        Arg("dilation", "pair", 1),
        Arg("groups", "int", 1),
        Arg("bias", "bool", True),
    ),
    shape=_conv_shape,
    params=lambda a, i: _conv_weights(a, i) + (a["out"] if a["bias"] else 0),
    macs=lambda a, i, o: numel(o) * (i[0][0] // a["groups"]) * pair(a["kernel"])[0] * pair(a["kernel"])[1],
    torch=lambda a, i: TorchCall(
        "nn.Conv2d",
        (i[0][0], a["out"], a["kernel"]),
        (("stride", a["stride"]), ("padding", _resolve_padding(a)), ("dilation", a["dilation"]),
         ("groups", a["groups"]), ("bias", a["bias"])),
        CONV_DEFAULTS,
    ),
    weighted=True,
    label=lambda a, i, o: (
        f"{'dwconv' if a['groups'] == i[0][0] and a['groups'] > 1 else 'conv'} {_hw(a['kernel'])}, {a['out']}"
        f"{_stride_tag(a['stride'])}{', g=' + str(a['groups']) if 1 < a['groups'] < i[0][0] else ''}"
    ),
))


def _linear_shape(attrs, inputs):
    if not inputs[0]:
        raise OpShapeError("`linear` needs at least one dimension", code="E405")
    return (*inputs[0][:-1], attrs["out"])


register_op(OpDef(
    name="linear",
    family="linear",
    doc="Fully connected layer over the last dimension (use `flatten` first for CxHxW input).",
    args=(Arg("out", "int", doc="output features"), Arg("bias", "bool", True)),
    shape=_linear_shape,
    params=lambda a, i: i[0][-1] * a["out"] + (a["out"] if a["bias"] else 0),
    macs=lambda a, i, o: numel(o) * i[0][-1],
    torch=lambda a, i: TorchCall("nn.Linear", (i[0][-1], a["out"]), (("bias", a["bias"]),), (("bias", True),)),
    weighted=True,
    label=lambda a, i, o: f"linear {i[0][-1]} → {a['out']}",
))

# ----------------------------------------------------------------------------------------------
# normalisation
# ----------------------------------------------------------------------------------------------


def _bn_shape(attrs, inputs):
    spatial(inputs[0], "batchnorm")
    return inputs[0]


register_op(OpDef(
    name="batchnorm2d",
    aliases=("batchnorm", "bn"),
    family="norm",
    doc="Batch normalisation over channels of a CxHxW input.",
    args=(Arg("eps", "float", 1e-5), Arg("momentum", "float", 0.1), Arg("affine", "bool", True)),
    shape=_bn_shape,
    params=lambda a, i: 2 * i[0][0] if a["affine"] else 0,
    buffers=lambda a, i: 2 * i[0][0] + 1,
    extra_ops=lambda a, i, o: 2 * numel(o),
    torch=lambda a, i: TorchCall("nn.BatchNorm2d", (i[0][0],), _kw(a, *BN_DEFAULTS), BN_DEFAULTS),
    label=lambda a, i, o: "batchnorm",
))

register_op(OpDef(
    name="batchnorm1d",
    family="norm",
    doc="Batch normalisation over features of a flat input (MLPs).",
    args=(Arg("eps", "float", 1e-5), Arg("momentum", "float", 0.1), Arg("affine", "bool", True)),
    shape=lambda a, i: _flat(i[0], "batchnorm1d"),
    params=lambda a, i: 2 * i[0][0] if a["affine"] else 0,
    buffers=lambda a, i: 2 * i[0][0] + 1,
    extra_ops=lambda a, i, o: 2 * numel(o),
    torch=lambda a, i: TorchCall("nn.BatchNorm1d", (i[0][0],), _kw(a, *BN_DEFAULTS), BN_DEFAULTS),
    label=lambda a, i, o: "batchnorm1d",
))

register_op(OpDef(
    name="local_response_norm",
    aliases=("lrn",),
    family="norm",
    doc="Local response normalisation across channels (AlexNet, GoogLeNet v1).",
    args=(Arg("size", "int"), Arg("alpha", "float", 1e-4), Arg("beta", "float", 0.75), Arg("k", "float", 1.0)),
    shape=lambda a, i: (spatial(i[0], "local_response_norm"), i[0])[1],
    extra_ops=lambda a, i, o: numel(o) * (a["size"] + 3),
    torch=lambda a, i: TorchCall("nn.LocalResponseNorm", (a["size"],), _kw(a, *LRN_DEFAULTS), LRN_DEFAULTS),
    label=lambda a, i, o: f"lrn {a['size']}",
))

# ----------------------------------------------------------------------------------------------
# activations: shape-preserving, one torch module each
# ----------------------------------------------------------------------------------------------


def _activation(name: str, torch_name: str, args: tuple[Arg, ...] = (), kw=(), inplace: bool = True, doc: str = ""):
    register_op(OpDef(
        name=name,
        family="act",
        doc=doc or f"{torch_name} activation.",
        args=args,
        shape=lambda a, i: i[0],
        extra_ops=_elementwise,
        torch=lambda a, i: TorchCall(f"nn.{torch_name}", (), _kw(a, *kw), kw),
        extra={"inplace": inplace},
        label=lambda a, i, o: name,
    ))


_activation("relu", "ReLU")
_activation("relu6", "ReLU6")
_activation("leaky_relu", "LeakyReLU", (Arg("negative_slope", "float", 0.01),), (("negative_slope", 0.01),))
_activation("elu", "ELU", (Arg("alpha", "float", 1.0),), (("alpha", 1.0),))
_activation("silu", "SiLU", doc="SiLU / swish activation (EfficientNet).")
_activation("hardswish", "Hardswish")
_activation("hardsigmoid", "Hardsigmoid")
_activation("sigmoid", "Sigmoid", inplace=False)
_activation("tanh", "Tanh", inplace=False)
_activation("gelu", "GELU", (Arg("approximate", "choice:none,tanh", "none"),), (("approximate", "none"),), inplace=False)
_activation("softmax", "Softmax", (Arg("dim", "dim", 1),), (("dim", None),), inplace=False,
            doc="Softmax over `dim` of the batched tensor (1 = channels/features).")

# ----------------------------------------------------------------------------------------------
# pooling
# ----------------------------------------------------------------------------------------------


def _pool_stride(attrs):
    return attrs["kernel"] if attrs["stride"] is None else attrs["stride"]


def _pool_shape(name):
    def rule(attrs, inputs):
        kernel, padding = pair(attrs["kernel"]), pair(attrs["padding"])
        if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
            raise OpShapeError(f"`{name}` padding {padding} is more than half its {_hw(kernel)} window", code="E406",
                               hint="torch requires padding <= kernel // 2")
        return sliding(inputs[0], name, inputs[0][0], attrs["kernel"], _pool_stride(attrs), attrs["padding"],
                       attrs.get("dilation", 1), attrs["ceil_mode"])
    return rule


def _window_ops(attrs, inputs, output):
    kh, kw = pair(attrs["kernel"])
    return numel(output) * kh * kw


register_op(OpDef(
    name="maxpool2d",
    aliases=("maxpool",),
    family="pool",
    doc="Max pooling; stride defaults to the kernel size.",
    args=(Arg("kernel", "pair"), Arg("stride", "pair", None), Arg("padding", "pair0", 0), Arg("dilation", "pair", 1),
          Arg("ceil_mode", "bool", False)),
    shape=_pool_shape("maxpool"),
    extra_ops=_window_ops,
    torch=lambda a, i: TorchCall(
        "nn.MaxPool2d", (a["kernel"],),
        (("stride", _pool_stride(a)), ("padding", a["padding"]), ("dilation", a["dilation"]), ("ceil_mode", a["ceil_mode"])),
        (("stride", a["kernel"]), ("padding", 0), ("dilation", 1), ("ceil_mode", False)),
    ),
    label=lambda a, i, o: f"maxpool {_hw(a['kernel'])}{_stride_tag(_pool_stride(a))}",
))

register_op(OpDef(
    name="avgpool2d",
    aliases=("avgpool",),
    family="pool",
    doc="Average pooling; stride defaults to the kernel size.",
    args=(Arg("kernel", "pair"), Arg("stride", "pair", None), Arg("padding", "pair0", 0), Arg("ceil_mode", "bool", False),
          Arg("count_include_pad", "bool", True)),
    shape=_pool_shape("avgpool"),
    extra_ops=_window_ops,
    torch=lambda a, i: TorchCall(
        "nn.AvgPool2d", (a["kernel"],),
        (("stride", _pool_stride(a)), ("padding", a["padding"]), ("ceil_mode", a["ceil_mode"]),
         ("count_include_pad", a["count_include_pad"])),
        (("stride", a["kernel"]), ("padding", 0), ("ceil_mode", False), ("count_include_pad", True)),
    ),
    label=lambda a, i, o: f"avgpool {_hw(a['kernel'])}{_stride_tag(_pool_stride(a))}",
))


def _adaptive(name: str, torch_name: str, fixed: tuple[int, int] | None):
    def rule(attrs, inputs):
        channels, _, _ = spatial(inputs[0], name)
        h, w = fixed or pair(attrs["size"])
        return (channels, h, w)

    register_op(OpDef(
        name=name,
        family="pool",
        doc=f"{torch_name}" + (" to 1x1 (global pooling)." if fixed else " to a fixed output size."),
        args=() if fixed else (Arg("size", "pair"),),
        shape=rule,
        extra_ops=lambda a, i, o: numel(i[0]),
        torch=lambda a, i: TorchCall(f"nn.{torch_name}", (fixed or pair(a["size"]),)),
        label=lambda a, i, o: name.replace("_", " ") if fixed else f"{name.replace('_', ' ')} {_hw(a['size'])}",
    ))


_adaptive("adaptive_avgpool", "AdaptiveAvgPool2d", None)
_adaptive("adaptive_maxpool", "AdaptiveMaxPool2d", None)
_adaptive("global_avgpool", "AdaptiveAvgPool2d", (1, 1))
_adaptive("global_maxpool", "AdaptiveMaxPool2d", (1, 1))

# ----------------------------------------------------------------------------------------------
# reshaping, regularisation, identity
# ----------------------------------------------------------------------------------------------


def _flatten_shape(attrs, inputs):
    shape = inputs[0]
    rank = len(shape) + 1  # torch's dims count the batch
    start, end = attrs["start"], attrs["end"]
    start, end = start % rank if start < 0 else start, end % rank if end < 0 else end
    if not 1 <= start <= end < rank:
        raise OpShapeError(f"`flatten` dims ({attrs['start']}, {attrs['end']}) do not fit a {fmt(shape)} input",
                           hint="the batch is dim 0, so flatten(1) flattens each sample", code="E405")
    lo, hi = start - 1, end - 1
    return (*shape[:lo], numel(shape[lo:hi + 1]), *shape[hi + 1:])


register_op(OpDef(
    name="flatten",
    family="reshape",
    doc="Flatten each sample (dims `start`..`end` of the batched tensor).",
    args=(Arg("start", "dim", 1), Arg("end", "dim", -1)),
    shape=_flatten_shape,
    extra_ops=lambda a, i, o: 0,
    torch=lambda a, i: TorchCall("nn.Flatten", (), (("start_dim", a["start"]), ("end_dim", a["end"])),
                                 (("start_dim", 1), ("end_dim", -1))),
    functional=lambda a, xs: f"torch.flatten({xs[0]}, {a['start']})" if a["end"] == -1
    else f"torch.flatten({xs[0]}, {a['start']}, {a['end']})",
    label=lambda a, i, o: "flatten",
))

register_op(OpDef(
    name="dropout",
    family="regularize",
    doc="Dropout (identity in eval mode).",
    args=(Arg("p", "prob", 0.5),),
    shape=lambda a, i: i[0],
    extra_ops=lambda a, i, o: 0,
    torch=lambda a, i: TorchCall("nn.Dropout", (), (("p", a["p"]),), (("p", 0.5),)),
    label=lambda a, i, o: f"dropout {a['p']:g}",
))

register_op(OpDef(
    name="dropout2d",
    family="regularize",
    doc="Channel-wise dropout (identity in eval mode).",
    args=(Arg("p", "prob", 0.5),),
    shape=lambda a, i: (spatial(i[0], "dropout2d"), i[0])[1],
    extra_ops=lambda a, i, o: 0,
    torch=lambda a, i: TorchCall("nn.Dropout2d", (), (("p", a["p"]),), (("p", 0.5),)),
    label=lambda a, i, o: f"dropout2d {a['p']:g}",
))

_STOCHASTIC_DEPTH = '''
class StochasticDepth(nn.Module):
    """Drops whole residual branches per sample while training (Huang et al. 2016); identity in eval."""

    def __init__(self, p: float, mode: str = "row"):
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == "row" else [1] * x.ndim
        keep = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(1.0 - self.p)
        return x * keep.div_(1.0 - self.p)
'''

register_op(OpDef(
    name="stochastic_depth",
    aliases=("drop_path",),
    family="regularize",
    doc="Stochastic depth on a residual branch (torchvision's StochasticDepth); identity in eval mode.",
    args=(Arg("p", "prob"), Arg("mode", "choice:row,batch", "row")),
    shape=lambda a, i: i[0],
    extra_ops=lambda a, i, o: 0,
    torch=lambda a, i: TorchCall("StochasticDepth", (a["p"],), (("mode", a["mode"]),), (("mode", "row"),)),
    helpers=(_STOCHASTIC_DEPTH,),
    label=lambda a, i, o: f"drop path {a['p']:g}",
))

register_op(OpDef(
    name="identity",
    family="other",
    doc="Passes its input through unchanged.",
    args=(),
    shape=lambda a, i: i[0],
    extra_ops=lambda a, i, o: 0,
    torch=lambda a, i: TorchCall("nn.Identity"),
    label=lambda a, i, o: "identity",
))

# ----------------------------------------------------------------------------------------------
# merges: several inputs, written inline in forward()
# ----------------------------------------------------------------------------------------------

register_op(OpDef(
    name="add",
    family="merge",
    doc="Elementwise sum of two or more values of the same shape (residual connections).",
    args=(),
    shape=lambda a, i: same_shape(i, "add"),
    extra_ops=lambda a, i, o: numel(o) * (len(i) - 1),
    functional=lambda a, xs: " + ".join(xs),
    arity=(2, None),
    label=lambda a, i, o: "add",
))

register_op(OpDef(
    name="mul",
    family="merge",
    doc="Elementwise product with broadcasting (squeeze-and-excitation gates: 64x1x1 * 64x56x56).",
    args=(),
    shape=lambda a, i: broadcast(i, "mul"),
    extra_ops=lambda a, i, o: numel(o) * (len(i) - 1),
    functional=lambda a, xs: " * ".join(xs),
    arity=(2, None),
    label=lambda a, i, o: "mul",
))


def _concat_shape(attrs, inputs):
    dim = attrs["dim"]
    first = inputs[0]
    axis = dim - 1 if dim > 0 else len(first) + dim
    if not 0 <= axis < len(first):
        raise OpShapeError(f"`concat` dim={dim} does not exist in a {fmt(first)} input", code="E405")
    for other in inputs[1:]:
        if len(other) != len(first) or any(a != b for k, (a, b) in enumerate(zip(first, other)) if k != axis):
            raise OpShapeError(f"`concat` cannot join {fmt(first)} with {fmt(other)} along dim {dim}", code="E402",
                               hint="all inputs must match except in the concatenated dim")
    return (*first[:axis], sum(s[axis] for s in inputs), *first[axis + 1:])


register_op(OpDef(
    name="concat",
    aliases=("cat",),
    family="merge",
    doc="Concatenation along channels (dim=1 of the batched tensor): DenseNet, Inception.",
    args=(Arg("dim", "dim", 1),),
    shape=_concat_shape,
    extra_ops=lambda a, i, o: 0,
    functional=lambda a, xs: f"torch.cat([{', '.join(xs)}], {a['dim']})",
    arity=(2, None),
    label=lambda a, i, o: "concat",
))

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
        raise OpShapeError(f"`channel_shuffle` groups={attrs['groups']} does not divide {channels} channels", code="E403")
    return inputs[0]


register_op(OpDef(
    name="channel_shuffle",
    family="reshape",
    doc="ShuffleNet's channel shuffle across `groups`.",
    args=(Arg("groups", "int"),),
    shape=_shuffle_shape,
    extra_ops=lambda a, i, o: 0,
    torch=lambda a, i: TorchCall("ChannelShuffle", (a["groups"],)),
    functional=lambda a, xs: f"channel_shuffle({xs[0]}, {a['groups']})",
    helpers=(_CHANNEL_SHUFFLE,),
    label=lambda a, i, o: f"shuffle g={a['groups']}",
))

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


register_op(OpDef(
    name="chunk",
    family="reshape",
    doc="Take part `index` of the channels split into `chunks` equal parts (a view, no copy).",
    args=(Arg("chunks", "int"), Arg("index", "nonneg")),
    shape=_chunk_shape,
    extra_ops=lambda a, i, o: 0,
    torch=lambda a, i: TorchCall("Chunk", (a["chunks"], a["index"])),
    functional=lambda a, xs: f"{xs[0]}.chunk({a['chunks']}, dim=1)[{a['index']}]",
    helpers=(_CHUNK,),
    label=lambda a, i, o: f"chunk {a['index'] + 1}/{a['chunks']}",
))
