"""Unstructured magnitude pruning (the notes' "FPNet"), on torch.nn.utils.prune.

The smallest weights of convs and linears are masked out: with one threshold over all of them
(`scope="global"`) or the same fraction of each layer (`scope="layer"`). Masks stay attached while the
model is retrained, so pruned weights stay zero; `make_permanent` bakes them into the weights at the end.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

import torch
from torch.nn.utils import prune

from .errors import PruneError

PRUNABLE = (torch.nn.Conv2d, torch.nn.Linear)


def prunable_layers(model: torch.nn.Module, exclude: Sequence[str] = ()) -> list[tuple[str, torch.nn.Module]]:
    """The convs and linears of `model` by module path, minus those matching an `exclude` glob pattern
    (`conv1`, `fc`, `features.0.*`). A pattern that matches no layer is an error: it is a typo."""
    layers = [(name, module) for name, module in model.named_modules() if isinstance(module, PRUNABLE)]
    for pattern in exclude:
        if not any(fnmatch.fnmatchcase(name, pattern) for name, _ in layers):
            raise PruneError(
                f"--exclude `{pattern}` matches no conv or linear layer",
                hint="layers are named by module path, e.g. " + ", ".join(f"`{n}`" for n, _ in layers[:3]),
            )
    return [(n, m) for n, m in layers if not any(fnmatch.fnmatchcase(n, p) for p in exclude)]


def schedule(amount: float, steps: int) -> list[float]:
    """The sparsity to reach after each of `steps` steps: each step removes the same fraction of the
    weights still left (1 - (1 - amount) ** (k / steps)), so early steps remove the most."""
    return [1 - (1 - amount) ** (k / steps) for k in range(1, steps + 1)]


def prune_to(layers: list[tuple[str, torch.nn.Module]], sparsity: float, scope: str) -> None:
    """Mask weights until `sparsity` of the layers' weights are zero (counting those masked before)."""
    if scope == "global":
        total = sum(module.weight.numel() for _, module in layers)
        already = sum(_pruned(module) for _, module in layers)
        more = max(0, round(sparsity * total) - already)
        prune.global_unstructured([(m, "weight") for _, m in layers], prune.L1Unstructured, amount=more)
        return
    for _, module in layers:
        more = max(0, round(sparsity * module.weight.numel()) - _pruned(module))
        prune.l1_unstructured(module, "weight", amount=more)


def make_permanent(layers: list[tuple[str, torch.nn.Module]]) -> None:
    """Fold the masks into the weights and drop them: the model is an ordinary one again."""
    for _, module in layers:
        if prune.is_pruned(module):
            prune.remove(module, "weight")


def _pruned(module: torch.nn.Module) -> int:
    mask = getattr(module, "weight_mask", None)
    return 0 if mask is None else int((mask == 0).sum())
