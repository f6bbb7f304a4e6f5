"""ONNX through the dynamo exporter (`torch.onnx.export(..., dynamo=True)`), checked with onnxruntime.

The exporter names nodes after aten ops (`node_Conv_293`); each node's `pkg.torch.onnx.name_scopes`
metadata still holds the module path it came from, so nodes are renamed `layer1.0.conv1/Conv` and the
graph reads in Netron with the spec's labels. The exporter's optimiser folds each batchnorm into the
conv before it and keeps the conv's weight name (`conv1.weight`) but the batchnorm's scopes, so a node
that reads a `PATH.weight` initializer is named after PATH.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from .run import ExportError, relative_difference

NAME_SCOPES = "pkg.torch.onnx.name_scopes"
# A protobuf message cannot pass 2 GiB, so bigger weights go to a `.data` file beside the model (ONNX's
# external data, which onnxruntime and Netron read); the margin leaves room for the graph itself.
EXTERNAL_DATA_BYTES = 1_800_000_000


def write_onnx(model, example, expected, path: Path) -> tuple[float, int]:
    """Export `model` to `path` with a dynamic batch; returns (max relative difference under onnxruntime,
    node count). Weights over EXTERNAL_DATA_BYTES go to `path.name + ".data"` beside it."""
    import onnx
    import torch

    batch = torch.export.Dim("batch", min=1)
    try:
        # The exporter reports its progress on stdout; keep the CLI's output ours.
        with contextlib.redirect_stdout(io.StringIO()):
            program = torch.onnx.export(
                model,
                (example,),
                dynamo=True,
                dynamic_shapes=({0: batch},),
                input_names=["input"],
                output_names=["output"],
                verbose=False,
            )
    except Exception as exc:  # noqa: BLE001 - the exporter raises many kinds; report its first line
        raise ExportError(
            f"torch.onnx.export failed: {str(exc).strip().splitlines()[0]}",
            None,
            hint="the ops this spec uses may have no ONNX form; try --format exported",
            code="E832",
        ) from None
    proto = program.model_proto
    label_nodes(proto.graph)
    if initializer_bytes(proto.graph) > EXTERNAL_DATA_BYTES:
        onnx.save(proto, str(path), save_as_external_data=True, location=path.name + ".data")
    else:
        onnx.save(proto, str(path))
    onnx.checker.check_model(str(path))  # from the path, so that it reads external data too
    return relative_difference(run_onnx(path, example), expected), len(proto.graph.node)


def label_nodes(graph) -> None:
    """Rename every node after its module path and op type, unique within the graph."""
    taken: dict[str, int] = {}
    weights = {i.name for i in graph.initializer if i.name.endswith(".weight")}
    for node in graph.node:
        scopes = next(
            (json.loads(p.value.replace("'", '"')) for p in node.metadata_props if p.key == NAME_SCOPES), None
        )
        path = scopes[-2] if scopes and len(scopes) > 1 else ""  # each scope is a full module path
        path = next((name.removesuffix(".weight") for name in node.input if name in weights), path)
        base = f"{path}/{node.op_type}" if path else node.op_type
        count = taken.get(base, 0)
        taken[base] = count + 1
        node.name = base if count == 0 else f"{base}_{count}"


def initializer_bytes(graph) -> int:
    """The size of the graph's weights as stored in the model file."""
    return sum(len(tensor.raw_data) for tensor in graph.initializer)


def run_onnx(path: Path, example):
    """The ONNX model's output on `example` under onnxruntime (CPU)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {session.get_inputs()[0].name: example.numpy()})
    return output
