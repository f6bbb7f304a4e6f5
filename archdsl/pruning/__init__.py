"""Pruning (`archdsl prune`): unstructured magnitude pruning on torch.nn.utils.prune, and structured
channel pruning that couples channels through the IR graph and writes a smaller spec. docs/pruning.md.

    report = archdsl.prune("runs/lenet5-...", amount=0.8, steps=2, finetune_epochs=1)
"""

from __future__ import annotations

from typing import Any


def prune(source: str, **options: Any) -> dict[str, Any]:
    """Prune a run folder as `archdsl prune` does (options as its flags, in snake case: `amount`,
    `structured`, `scope`, `steps`, `finetune_epochs`, `exclude`, `use_bn`, `lr`, `optimizer`,
    `batch_size`, `out`) and return the report that prune.json holds."""
    from .run import PruneOptions, prune_run

    return prune_run(PruneOptions(str(source), **options), print_line=lambda line: None)
