"""`export`: build the spec, load weights, write the file, load it back and compare outputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import ArchError, LoadError
from ..files import staged
from .spec_source import load_state_dict, resolve

FORMATS = ("onnx", "exported")
SUFFIXES = {"onnx": ".onnx", "exported": ".pt2"}


class ExportError(ArchError):
    """The exporter failed, or the exported model's outputs differ from the PyTorch model's."""


@dataclass(frozen=True)
class ExportResult:
    """A written and verified export."""

    path: Path
    format: str
    network: str
    input_shape: tuple[int, ...]
    params: int
    max_rel_diff: float  # max |exported - torch| / max |torch|, on a batch of two random inputs
    nodes: int  # ONNX graph nodes, or the ExportedProgram's graph nodes
    files: tuple[Path, ...] = ()  # every file written: the model, and an ONNX model's external weights


def export(
    spec: str | Path,
    format: Literal["onnx", "exported"] = "onnx",
    output: str | Path | None = None,
    *,
    params: dict[str, Any] | None = None,
    input_shape: tuple[int, ...] | None = None,
    network: str | None = None,
    weights: str | Path | None = None,
    tolerance: float = 1e-5,
) -> ExportResult:
    """Export a spec (or a run folder of `archdsl train`) as ONNX or a `torch.export` program (.pt2).

    `weights` is a state_dict file (or a checkpoint with a `model` entry) loaded with weights_only=True;
    a run folder brings its own best checkpoint. The file is written only after it has been loaded back
    and its outputs matched the PyTorch model's within `tolerance` (relative to the output scale);
    otherwise ExportError. Default output: the network's name with .onnx / .pt2, in the current folder.
    """
    import torch

    from ..api import build, check

    if format not in FORMATS:
        raise ExportError(f"unknown export format {format!r}", None, hint="use onnx or exported", code="E830")
    request = resolve(spec)
    checked = check(
        request.spec,
        {**request.params, **(params or {})},
        input_shape=input_shape or request.input_shape,
        network=network or request.network,
    )
    model = build(checked).eval()
    weight_file = Path(weights) if weights is not None else request.weights
    if weight_file is not None:
        state = load_state_dict(weight_file)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise LoadError(
                f"{weight_file} does not fit {checked.name}: {str(exc).splitlines()[1].strip()}",
                None,
                hint="the weights must come from this spec with the same parameters",
                code="E121",
            ) from None
    target = Path(output) if output is not None else Path(checked.name + SUFFIXES[format])
    example = torch.randn(2, *checked.input_shape, generator=torch.Generator().manual_seed(0))
    if format == "onnx":
        from .to_onnx import write_onnx as write
    else:
        from .to_program import write_program as write
    with torch.no_grad():
        expected = model(example)
    # Published only once verified: never a partial or wrong file, and a big ONNX model is two files.
    with staged(target) as staging:
        diff, nodes = write(model, example, expected, staging)
        if not diff <= tolerance:
            raise ExportError(
                f"the {format} export of {checked.name} differs from the PyTorch model: max relative "
                f"difference {diff:.2e} > {tolerance:.0e}",
                None,
                code="E831",
            )
        written = sorted((file.name for file in staging.parent.iterdir()), key=lambda name: (name != target.name, name))
    files = tuple(target.parent / name for name in written)
    return ExportResult(target, format, checked.name, checked.input_shape, checked.total_params, diff, nodes, files)


def relative_difference(actual, expected) -> float:
    """max |actual - expected| / max |expected| (the output scale); 0 for two zero outputs."""
    import torch

    actual, expected = torch.as_tensor(actual, dtype=torch.float64), expected.to(torch.float64)
    scale = expected.abs().max().item() or 1.0
    return (actual - expected).abs().max().item() / scale
