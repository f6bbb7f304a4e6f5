"""Built-in ops of the modern CNNs (ConvNeXt): layer norms and `permute`. The conventions of
`builtin.py` apply (docs/analysis.md publishes the table)."""

from __future__ import annotations

from ..shapes import OpShapeError, Shape, fmt, numel
from ..shapes.rules import spatial
from .registry import Arg, OpDef, TorchCall, register_op

LN_DEFAULTS = (("eps", 1e-5),)


def _layernorm_ops(attrs, inputs: list[Shape], output: Shape) -> int:
    # mean, subtract, variance, normalise, affine: 5 per element, as fvcore counts an affine layer norm.
    return 5 * numel(output)


def _no_weight_products(attrs, inputs: list[Shape], output: Shape) -> int:
    # Per-element scale and shift, no weight matrix: zero MACs, said explicitly (not "uncounted").
    return 0


register_op(
    OpDef(
        name="layernorm",
        family="norm",
        doc="Layer normalisation over the last dimension (nn.LayerNorm), e.g. the channels of an HxWxC value.",
        args=(Arg("eps", "float", 1e-5, keyword_only=True),),
        shape=lambda a, i: i[0],
        params=lambda a, i: 2 * i[0][-1],
        macs=_no_weight_products,
        extra_ops=_layernorm_ops,
        torch=lambda a, i: TorchCall("nn.LayerNorm", (i[0][-1],), (("eps", a["eps"]),), LN_DEFAULTS),
        label=lambda a, i, o: "layernorm",
    )
)

_LAYER_NORM_2D = '''
class LayerNorm2d(nn.LayerNorm):
    """Layer normalisation over the channels of an NCHW tensor (torchvision's LayerNorm2d)."""

    def forward(self, x: Tensor) -> Tensor:
        x = x.permute(0, 2, 3, 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)
'''

register_op(
    OpDef(
        name="layernorm2d",
        family="norm",
        doc="Layer normalisation over the channels of a CxHxW value (torchvision's LayerNorm2d).",
        args=(Arg("eps", "float", 1e-5, keyword_only=True),),
        shape=lambda a, i: (spatial(i[0], "layernorm2d"), i[0])[1],
        params=lambda a, i: 2 * i[0][0],
        macs=_no_weight_products,
        extra_ops=_layernorm_ops,
        torch=lambda a, i: TorchCall("LayerNorm2d", (i[0][0],), (("eps", a["eps"]),), LN_DEFAULTS),
        helpers=(_LAYER_NORM_2D,),
        label=lambda a, i, o: "layernorm2d",
    )
)

_PERMUTE = '''
class Permute(nn.Module):
    """Reorders the dimensions of a tensor (torchvision.ops.Permute)."""

    def __init__(self, dims: list[int]):
        super().__init__()
        self.dims = dims

    def forward(self, x: Tensor) -> Tensor:
        return torch.permute(x, self.dims)
'''


def _permute_shape(attrs, inputs: list[Shape]) -> Shape:
    dims, shape = list(attrs["dims"]), inputs[0]
    if sorted(dims) != list(range(len(shape) + 1)) or dims[0] != 0:
        raise OpShapeError(
            f"`permute` dims {dims} are not an order of the dims of a {fmt(shape)} value with the batch first",
            hint=f"the batch is dim 0 and stays first, e.g. permute({list(range(len(shape) + 1))})",
            code="E405",
        )
    return tuple(shape[d - 1] for d in dims[1:])


register_op(
    OpDef(
        name="permute",
        family="reshape",
        doc="Reorder the dimensions, batch (dim 0) first: permute([0, 2, 3, 1]) turns CxHxW into HxWxC.",
        args=(Arg("dims", "dims"),),
        shape=_permute_shape,
        extra_ops=lambda a, i, o: 0,
        view=True,
        torch=lambda a, i: TorchCall("Permute", (list(a["dims"]),)),
        functional=lambda a, xs: f"torch.permute({xs[0]}, {list(a['dims'])})",
        helpers=(_PERMUTE,),
        label=lambda a, i, o: "permute " + ",".join(str(d) for d in a["dims"]),
    )
)
