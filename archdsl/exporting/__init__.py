"""Specs out to deployment formats: ONNX (`torch.onnx.export`, dynamo) and `torch.export` (`.pt2`).

    from archdsl import export
    result = export("specs/resnet18.arch", "onnx", "resnet18.onnx", input_shape=(3, 64, 64))
    result.max_rel_diff   # onnxruntime (or the reloaded program) against the PyTorch model

Every export is verified before this returns: the written file is loaded back and run on a batch of
two random inputs, and its outputs must equal the PyTorch model's within `tolerance` relative to the
output scale. The batch dimension is dynamic.
"""

from __future__ import annotations

from .run import ExportResult, export

__all__ = ["ExportResult", "export"]
