"""Shape arithmetic shared by several ops: sliding windows, spatial checks, merges.

Each op's own rule lives beside it in `archdsl.ops`; these are the formulas they share, written once
and matching torch's documented output-size formulas exactly (ceil_mode included).
"""

from __future__ import annotations

from . import OpShapeError, Shape, fmt


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def window_out(size: int, kernel: int, stride: int, padding: int, dilation: int = 1, ceil_mode: bool = False) -> int:
    """Output length of a conv or pooling window along one axis (torch's formula)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        # torch: the last window must start inside the input or its left padding.
        if (out - 1) * stride >= size + padding:
            out -= 1
        return out
    return span // stride + 1


def spatial(shape: Shape, op: str) -> tuple[int, int, int]:
    """(C, H, W) of a 3-d shape, or a clear error for flattened input."""
    if len(shape) != 3:
        raise OpShapeError(
            f"`{op}` needs a CxHxW input, got {fmt(shape)}",
            hint="it cannot follow `flatten` or `linear`; move it before them",
            code="E405",
        )
    return shape[0], shape[1], shape[2]


def sliding(
    shape: Shape,
    op: str,
    out_channels: int,
    kernel,
    stride,
    padding,
    dilation=1,
    ceil_mode: bool = False,
) -> Shape:
    """Output shape of a conv or pool window over CxHxW, with a spatial-collapse check."""
    _, height, width = spatial(shape, op)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = pair(kernel), pair(stride), pair(padding), pair(dilation)
    out_h = window_out(height, kh, sh, ph, dh, ceil_mode)
    out_w = window_out(width, kw, sw, pw, dw, ceil_mode)
    if out_h < 1 or out_w < 1:
        raise OpShapeError(
            f"`{op}` reduces {height}x{width} to {max(out_h, 0)}x{max(out_w, 0)}",
            hint=f"the input is too small for a {kh}x{kw} window here; use a larger input (--input) or less downsampling",
            code="E404",
        )
    return (out_channels, out_h, out_w)


def same_shape(shapes: list[Shape], op: str) -> Shape:
    first = shapes[0]
    for other in shapes[1:]:
        if other != first:
            raise OpShapeError(f"`{op}` cannot combine {fmt(first)} with {fmt(other)}", code="E401")
    return first


def broadcast(shapes: list[Shape], op: str) -> Shape:
    """Numpy-style broadcasting over the per-sample dims (e.g. 64x1x1 * 64x56x56)."""
    rank = max(len(s) for s in shapes)
    out: list[int] = []
    for axis in range(rank):
        sizes = {s[axis - rank + len(s)] if axis - rank + len(s) >= 0 else 1 for s in shapes}
        sizes.discard(1)
        if len(sizes) > 1:
            pretty = " and ".join(fmt(s) for s in shapes)
            raise OpShapeError(f"`{op}` cannot broadcast {pretty}", code="E401")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)
