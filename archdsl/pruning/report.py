"""What pruning left: sparsity per layer and overall, non-zero parameters, the MACs that remain when
zeros are skipped, and the checkpoint's size dense and sparse. Written as prune.json and prune.md."""

from __future__ import annotations

import io
import warnings
from typing import Any

import torch

from ..ir.nodes import Graph
from ..ops.registry import get_op


def layer_macs(graph: Graph) -> dict[str, int]:
    """MACs per conv/linear module path, from the ops' own rules (docs/analysis.md)."""
    shapes = {0: graph.input_shape}
    macs = {}
    for path, node in graph.ops():
        shapes[node.id] = node.shape
        if node.op in ("conv2d", "linear"):
            macs[path] = get_op(node.op).macs(node.attrs, [shapes[i] for i in node.inputs], node.shape)
    return macs


def sparsity_rows(graph: Graph, model: torch.nn.Module) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One row per conv/linear (weights, non-zero, sparsity, MACs dense and with zeros skipped), and totals
    over them; `params_nonzero` counts every parameter of the model."""
    macs = layer_macs(graph)
    modules = dict(model.named_modules())
    rows = []
    for path, dense_macs in macs.items():
        weight = modules[path].weight.detach()
        nonzero = int(torch.count_nonzero(weight))
        # A zero weight saves its multiply-add at every output position it is used for.
        rows.append(
            {
                "layer": path,
                "weights": weight.numel(),
                "nonzero": nonzero,
                "sparsity": 1 - nonzero / weight.numel(),
                "macs": dense_macs,
                "macs_nonzero": round(dense_macs * nonzero / weight.numel()),
            }
        )
    weights = sum(r["weights"] for r in rows)
    nonzero = sum(r["nonzero"] for r in rows)
    params = sum(p.numel() for p in model.parameters())
    totals = {
        "weights": weights,
        "nonzero": nonzero,
        "sparsity": 1 - nonzero / weights if weights else 0.0,
        "params": params,
        "params_nonzero": sum(int(torch.count_nonzero(p.detach())) for p in model.parameters()),
        "macs": sum(r["macs"] for r in rows),
        "macs_nonzero": sum(r["macs_nonzero"] for r in rows),
    }
    return rows, totals


def checkpoint_sizes(state: dict[str, torch.Tensor]) -> dict[str, int]:
    """Bytes of the state_dict saved dense, and with every weight of 2+ dims stored as CSR with int32
    indices (values + column indices: 8 bytes per non-zero, plus one row pointer per row)."""
    sparse = {}
    for key, tensor in state.items():
        if tensor.dim() >= 2 and tensor.is_floating_point():
            with warnings.catch_warnings():  # "sparse CSR support is in beta": only its size is used here
                warnings.simplefilter("ignore", UserWarning)
                csr = tensor.detach().reshape(tensor.shape[0], -1).to_sparse_csr()
            sparse[key] = (csr.crow_indices().int(), csr.col_indices().int(), csr.values(), tuple(tensor.shape))
        else:
            sparse[key] = tensor
    return {"dense_bytes": _saved_bytes(state), "sparse_bytes": _saved_bytes(sparse)}


def _saved_bytes(obj: Any) -> int:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.tell()


def render_markdown(report: dict[str, Any]) -> str:
    """prune.md: the summary, the accuracy at each stage, and the per-layer table."""
    from ..backends.report import si, size  # the one number formatting

    totals = report["totals"]
    lines = [f"# Pruning {report['network']} ({report['method']})", ""]
    lines += [
        f"- amount {report['amount']:.0%}, scope {report.get('scope', '-')}, steps {report.get('steps', 1)}",
        f"- sparsity of conv/linear weights: {totals['sparsity']:.2%}",
        f"- non-zero parameters: {totals['params_nonzero']:,} of {totals['params']:,}",
        f"- MACs with zeros skipped (theoretical): {si(totals['macs_nonzero'])} of {si(totals['macs'])}",
    ]
    if "checkpoint" in report:
        sizes = report["checkpoint"]
        lines.append(f"- checkpoint: {size(sizes['dense_bytes'])} dense, {size(sizes['sparse_bytes'])} sparse (CSR)")
    if report.get("accuracy"):
        lines += ["", "| stage | val accuracy |", "|---|---:|"]
        lines += [f"| {row['stage']} | {row['val_acc']:.2%} |" for row in report["accuracy"]]
    lines += ["", "| layer | weights | non-zero | sparsity | MACs | MACs non-zero |", "|---|---:|---:|---:|---:|---:|"]
    for row in report["layers"]:
        lines.append(
            f"| {row['layer']} | {row['weights']:,} | {row['nonzero']:,} | {row['sparsity']:.1%} | "
            f"{si(row['macs'])} | {si(row['macs_nonzero'])} |"
        )
    return "\n".join(lines) + "\n"
