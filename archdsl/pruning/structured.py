"""Structured pruning end to end: couple, rank, shrink the IR, write it as a spec, load the cut weights.

The smaller network is written as a new spec by the IR-to-spec writer (`archdsl.writer`), with the
original labels, and checked again like any spec, so what `prune` hands back is a spec that checks,
draws, compiles and trains like the others.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch

from .. import api
from ..writer import write_spec
from .channels import choose, importance, slice_weights
from .coupling import couple
from .shrink import shrink_graph


@dataclass
class StructuredResult:
    checked: api.Checked  # the pruned spec, checked
    model: torch.nn.Module  # built from it, with the surviving weights
    text: str  # the pruned spec's text
    left_alone: list[dict[str, str]] = field(default_factory=list)  # layers not pruned, and why


def prune_structured(
    checked: api.Checked,
    weights: Mapping[str, torch.Tensor],
    amount: float,
    exclude: Sequence[str] = (),
    use_bn: bool = False,
) -> StructuredResult:
    """Remove `amount` of the channels of every prunable space (coupled channels go together)."""
    graph = checked.graph
    coupling = couple(graph)
    scores = importance(graph, coupling, weights, use_bn)
    left_alone = []
    for space, paths in coupling.groups().items():
        matched = [p for p in paths if any(fnmatch.fnmatchcase(p, pattern) for pattern in exclude)]
        if matched:
            scores.pop(space)
            left_alone += [{"layer": p, "reason": f"excluded (coupled with `{matched[0]}`)"} for p in paths]
    for space, paths in coupling.producers.items():
        reason = coupling.fixed_reason(space)
        if reason:
            left_alone += [{"layer": p, "reason": reason} for p in paths]
    keep = choose(coupling, scores, amount)
    text = write_spec(shrink_graph(graph, coupling, keep))
    pruned = api.check(text)
    model = api.build(pruned)
    model.load_state_dict(slice_weights(graph, coupling, keep, weights), strict=True)
    return StructuredResult(pruned, model.eval(), text, left_alone)
