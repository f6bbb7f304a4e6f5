"""Exact arithmetic counts that several ops share: pooling windows, softmax rows.

Pure integer formulas over static shapes, written to follow what torch's CPU kernels actually do, so
a count is exact for that implementation (docs/analysis.md states each convention).
"""

from __future__ import annotations

from ..shapes import Shape, numel
from ..shapes.rules import pair


def window_taps(size: int, out: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> list[int]:
    """For each output index along one axis, how many window taps fall inside the input.

    torch's pooling kernels skip taps that land in the padding (max pooling pads with -inf, average
    pooling clamps its window), so only these taps are read, compared or added.
    """
    taps = []
    for index in range(out):
        start = index * stride - padding
        taps.append(sum(1 for t in range(kernel) if 0 <= start + t * dilation < size))
    return taps


def pooled_taps(input_shape: Shape, output_shape: Shape, kernel, stride, padding, dilation=1) -> int:
    """Total input elements read by a 2-d pooling window over all outputs of all channels.

    Windows are separable (a rectangle of rows x columns), so the total is a product of per-axis sums.
    """
    channels, height, width = input_shape
    _, out_h, out_w = output_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = pair(kernel), pair(stride), pair(padding), pair(dilation)
    rows = sum(window_taps(height, out_h, kh, sh, ph, dh))
    cols = sum(window_taps(width, out_w, kw, sw, pw, dw))
    return channels * rows * cols


def adaptive_windows(size: int, out: int) -> list[int]:
    """Window lengths of adaptive pooling along one axis: torch's [floor(i*n/m), ceil((i+1)*n/m))."""
    return [-(-(i + 1) * size // out) - (i * size // out) for i in range(out)]


def adaptive_taps(input_shape: Shape, output_shape: Shape) -> int:
    """Total input elements read by adaptive pooling (windows may overlap when sizes do not divide)."""
    channels, height, width = input_shape
    _, out_h, out_w = output_shape
    return channels * sum(adaptive_windows(height, out_h)) * sum(adaptive_windows(width, out_w))


def softmax_ops(shape: Shape, dim: int) -> int:
    """Numerically stable softmax over `dim` of the batched tensor (batch 1), per row of length L:
    L-1 comparisons (max), L subtractions, L exps, L-1 additions (sum), L divisions = 5L - 2."""
    rank = len(shape) + 1
    axis = dim % rank
    length = 1 if axis == 0 else shape[axis - 1]  # dim 0 is the batch: rows of length 1 at batch 1
    rows = numel(shape) // length
    return rows * (5 * length - 2)
