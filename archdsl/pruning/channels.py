"""Structured pruning on weights: rank each space's channels, keep the strongest, slice every tensor.

A channel's importance is the L1 norm of the filters that make it, summed over every conv and linear
that writes into its space (a residual group has several), each normalised by that layer's mean filter
norm so that no layer's scale dominates; `use_bn` adds the |scale| of the batch norms that normalise it.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from ..ir.nodes import Graph
from .coupling import Coupling


def importance(
    graph: Graph, coupling: Coupling, weights: Mapping[str, torch.Tensor], use_bn: bool = False
) -> dict[int, torch.Tensor]:
    """Per prunable space, one score per channel (higher is kept first)."""
    scores: dict[int, torch.Tensor] = {}
    for space, paths in coupling.groups().items():
        total = torch.zeros(coupling.sizes[space], dtype=torch.float64)
        for path in paths:
            norms = weights[f"{path}.weight"].detach().abs().flatten(1).sum(1).double()
            total += norms / norms.mean().clamp_min(1e-12)
        scores[space] = total
    if use_bn:
        for path, node in graph.ops():
            if node.op == "batchnorm2d" and node.attrs.get("affine", True):
                layout = coupling.spaces_of(node.id)
                if len(layout) == 1 and layout[0] in scores:
                    gamma = weights[f"{path}.weight"].detach().abs().double()
                    scores[layout[0]] += gamma / gamma.mean().clamp_min(1e-12)
    return scores


def choose(coupling: Coupling, scores: dict[int, torch.Tensor], amount: float) -> dict[int, list[int]]:
    """The channels each space keeps: all but the `amount` fraction with the lowest scores (at least one),
    in their original order."""
    keep = {}
    for space, score in scores.items():
        size = coupling.sizes[space]
        kept = max(1, size - int(round(amount * size)))
        order = torch.argsort(score, descending=True, stable=True)[:kept]
        keep[space] = sorted(order.tolist())
    return keep


def value_index(coupling: Coupling, keep: dict[int, list[int]], value: int) -> torch.Tensor:
    """Positions of the surviving channels of `value`, in the unpruned value's channel order."""
    index, offset = [], 0
    for space in coupling.spaces_of(value):
        size = coupling.sizes[space]
        index.extend(offset + i for i in keep.get(space, range(size)))
        offset += size
    return torch.tensor(index, dtype=torch.long)


def slice_weights(
    graph: Graph, coupling: Coupling, keep: dict[int, list[int]], weights: Mapping[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """A state_dict for the shrunk graph: every tensor cut down to the surviving channels."""
    result = dict(weights)
    for path, node in graph.ops():
        if node.name is None:
            continue
        out_index = value_index(coupling, keep, node.id)
        in_index = value_index(coupling, keep, node.inputs[0]) if node.inputs else None
        if node.op == "conv2d":
            grouped = node.attrs.get("groups", 1) > 1  # depthwise, or fixed: its input is not cut here
            weight = result[f"{path}.weight"].index_select(0, out_index)
            if not grouped:
                weight = weight.index_select(1, in_index)
            result[f"{path}.weight"] = weight
            _cut(result, f"{path}.bias", out_index)
        elif node.op == "linear":
            result[f"{path}.weight"] = result[f"{path}.weight"].index_select(0, out_index).index_select(1, in_index)
            _cut(result, f"{path}.bias", out_index)
        elif node.op == "parameter":  # the tensor itself is the state_dict entry
            _cut(result, path, out_index)
        elif node.op in ("batchnorm2d", "batchnorm1d"):
            for tensor in ("weight", "bias", "running_mean", "running_var"):
                _cut(result, f"{path}.{tensor}", out_index)
    return result


def _cut(weights: dict[str, torch.Tensor], key: str, index: torch.Tensor) -> None:
    if key in weights:
        weights[key] = weights[key].index_select(0, index)
