"""Built-in ops for learnable tensors held by a block (`parameter`, as ConvNeXt's `layer_scale`) and the
group and instance norms. The conventions of `builtin.py` apply (docs/analysis.md publishes the table)."""

from __future__ import annotations

from ..shapes import OpShapeError, Shape, numel
from ..shapes.rules import spatial
from .registry import Arg, OpDef, TorchCall, register_op


def _parameter_shape(attrs, inputs: list[Shape]) -> Shape:
    shape, view = tuple(attrs["shape"]), attrs.get("view")
    if view is None:
        return shape
    kept = [d for d in view if d != 1]
    if len(kept) > 1 or kept != [d for d in shape if d != 1]:
        raise OpShapeError(
            f"`parameter` view {list(view)} is not its shape {list(shape)} with size-1 dims added or removed"
            " (around at most one dim larger than 1)",
            hint="a view may only add or drop dims of size 1, as timm's `gamma.reshape(1, -1, 1, 1)`: "
            f"view=[{', '.join(map(str, shape))}, 1, 1]",
            code="E405",
        )
    return tuple(view)


register_op(
    OpDef(
        name="parameter",
        family="other",
        doc="A learnable tensor held by its block, filled with `init`: `scale = parameter(in.channels, 1, 1, "
        "init=1e-6)` becomes `self.scale = nn.Parameter(torch.full((C, 1, 1), 1e-6))`; use it in mul/add.",
        args=(
            Arg("shape", "sizes", doc="its dimensions, as stored in the state_dict"),
            Arg("init", "float", keyword_only=True),
            Arg("view", "sizes", None, keyword_only=True, doc="the shape it is used in (size-1 dims added)"),
        ),
        shape=_parameter_shape,
        params=lambda a, i: numel(tuple(a["shape"])),
        macs=lambda a, i, o: 0,  # read, never multiplied by itself: the mul or add that uses it counts
        extra_ops=lambda a, i, o: 0,
        # Its value is the attribute itself: no module is called in forward(), the tensor is read.
        torch=lambda a, i: TorchCall(
            "torch.full", (*a["shape"], a["init"]), wrap="nn.Parameter", packed=len(a["shape"])
        ),
        arity=(0, 0),
        label=lambda a, i, o: "parameter " + "x".join(str(d) for d in a["shape"]),
        extra={"variadic": "shape", "tensor": True},
    )
)


def _channels_of(shape: Shape, op: str) -> int:
    spatial(shape, op)
    return shape[0]


def _groupnorm_shape(attrs, inputs: list[Shape]) -> Shape:
    channels = _channels_of(inputs[0], "groupnorm")
    groups = attrs["groups"]
    if channels % groups:
        raise OpShapeError(
            f"`groupnorm` cannot split {channels} channels into {groups} groups",
            hint="the channels must be a multiple of the number of groups",
            code="E403",
        )
    return inputs[0]


def _norm_ops(attrs, inputs: list[Shape], output: Shape) -> int:
    # mean, subtract, variance, normalise, affine: 5 per element, as the layer norms count.
    return 5 * numel(output)


def _no_weight_products(attrs, inputs: list[Shape], output: Shape) -> int:
    return 0  # per-element scale and shift, no weight matrix


GN_DEFAULTS = (("eps", 1e-5), ("affine", True))

register_op(
    OpDef(
        name="groupnorm",
        family="norm",
        doc="Group normalisation over groups of channels of a CxHxW value (nn.GroupNorm(groups, C)).",
        args=(
            Arg("groups", "int", doc="number of channel groups"),
            Arg("eps", "float", 1e-5, keyword_only=True),
            Arg("affine", "bool", True, keyword_only=True),
        ),
        shape=_groupnorm_shape,
        params=lambda a, i: 2 * i[0][0] if a["affine"] else 0,
        macs=_no_weight_products,
        extra_ops=_norm_ops,
        torch=lambda a, i: TorchCall(
            "nn.GroupNorm", (a["groups"], i[0][0]), (("eps", a["eps"]), ("affine", a["affine"])), GN_DEFAULTS
        ),
        label=lambda a, i, o: f"groupnorm /{a['groups']}",
    )
)

IN_DEFAULTS = (("eps", 1e-5), ("momentum", 0.1), ("affine", False), ("track_running_stats", False))

register_op(
    OpDef(
        name="instancenorm2d",
        aliases=("instancenorm",),
        family="norm",
        doc="Instance normalisation of each channel of a CxHxW value (nn.InstanceNorm2d, torch's defaults: "
        "no affine, no running statistics).",
        args=(
            Arg("eps", "float", 1e-5, keyword_only=True),
            Arg("momentum", "float", 0.1, keyword_only=True),
            Arg("affine", "bool", False, keyword_only=True),
            Arg("track_running_stats", "bool", False, keyword_only=True),
        ),
        shape=lambda a, i: (_channels_of(i[0], "instancenorm2d"), i[0])[1],
        params=lambda a, i: 2 * i[0][0] if a["affine"] else 0,
        buffers=lambda a, i: 2 * i[0][0] + 1 if a["track_running_stats"] else 0,
        macs=_no_weight_products,
        extra_ops=_norm_ops,
        torch=lambda a, i: TorchCall(
            "nn.InstanceNorm2d", (i[0][0],), tuple((name, a[name]) for name, _ in IN_DEFAULTS), IN_DEFAULTS
        ),
        label=lambda a, i, o: "instancenorm",
    )
)
