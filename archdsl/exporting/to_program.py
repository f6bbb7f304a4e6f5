"""`torch.export` programs (.pt2): exported with a dynamic batch, saved, reloaded and run."""

from __future__ import annotations

from pathlib import Path

from .run import ExportError, relative_difference


def write_program(model, example, expected, path: Path) -> tuple[float, int]:
    """Export `model` to `path`; returns (max relative difference of the reloaded program, node count)."""
    import torch

    batch = torch.export.Dim("batch", min=1)
    try:
        program = torch.export.export(model, (example,), dynamic_shapes=({0: batch},))
    except Exception as exc:  # noqa: BLE001 - report the exporter's own first line
        raise ExportError(f"torch.export failed: {str(exc).strip().splitlines()[0]}", None, code="E833") from None
    torch.export.save(program, str(path))
    reloaded = torch.export.load(str(path))
    with torch.no_grad():
        actual = reloaded.module()(example)
    return relative_difference(actual, expected), len(reloaded.graph.nodes)
