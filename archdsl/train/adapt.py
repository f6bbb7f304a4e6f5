"""The spec adapts to the data: `num_classes` from the data set when the network has that parameter,
the images' native size when the static check accepts it (else the spec's own input size), and the
channels repeated or merged to fit. Static only: nothing here builds a model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import api
from ..errors import ArchError
from .errors import FitError
from .options import TrainOptions

if TYPE_CHECKING:
    from .data import DataSet


@dataclass
class InputPlan:
    """The checked network at the input size chosen for the data, and why it was chosen."""

    checked: api.Checked
    input_shape: tuple[int, int, int]
    params: dict[str, Any]  # what `archdsl.check` was given (parsed --set values, num_classes)
    reasons: list[str] = field(default_factory=list)


def parse_sets(sets: list[str]) -> dict[str, Any]:
    """`--set NAME=VALUE` strings as `check` takes them (the CLI's own parser, so both read values alike)."""
    from ..cli import parse_sets as parse

    return parse(sets)


def shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape)


def plan_input(options: TrainOptions, data: DataSet) -> InputPlan:
    """Check the spec for `data`; raises the usual ArchError (with a --resize hint) when no size fits."""
    params = parse_sets(options.sets)
    spec_default = api.check(options.spec, params, network=options.network)
    reasons = list(data.notes)
    classes = len(data.classes)
    if "num_classes" in spec_default.graph.params and "num_classes" not in params:
        params["num_classes"] = classes
        if spec_default.graph.params["num_classes"] != classes:
            reasons.append(f"num_classes = {classes}, from the data set ({data.name})")
    own = spec_default.input_shape
    if len(own) != 3:
        raise FitError(
            f"{spec_default.name} takes a {shape_text(own)} input, not CxHxW images",
            hint="train networks whose `input` line is CxHxW; --input CxHxW replaces it",
        )
    channels, height, width = data.native_shape
    wanted = own[0]
    if options.input:
        from ..cli import parse_shape

        target = parse_shape(options.input)
        if target is None or len(target) != 3:
            raise FitError(f"--input {options.input} is not CxHxW", hint="for example --input 3x32x32")
        wanted = target[0]
    if channels != wanted and not (channels == 1 and wanted == 3) and not (channels == 3 and wanted == 1):
        raise FitError(
            f"the images have {channels} channels and {spec_default.name} takes {wanted}",
            hint="use a spec whose input has 1 or 3 channels, or --input with the images' channels",
        )
    if channels == 1 and wanted == 3:
        reasons.append("grayscale images: the one channel is repeated to the 3 the network takes")
    elif channels == 3 and wanted == 1:
        reasons.append("color images: converted to grayscale for the 1 channel the network takes")
    if options.input:
        checked = _check_forced(options, params, tuple(target), "--input")
        reasons.append(f"input {shape_text(target)} from --input")
    elif options.resize:
        target = (wanted, options.resize, options.resize)
        checked = _check_forced(options, params, target, "--resize")
        reasons.append(f"images resized from {height}x{width} to {options.resize}x{options.resize} (--resize)")
    else:
        native = (wanted, height, width)
        try:
            checked = api.check(options.spec, params, input_shape=native, network=options.network)
            target = native
            if data.same_size:
                reasons.append(f"images keep their native {height}x{width}: the static check accepts it")
            else:
                reasons.append(f"images of mixed sizes resized to {height}x{width} (the first image's size)")
        except ArchError as error:
            target = (wanted, *own[1:])
            checked = api.check(options.spec, params, input_shape=target, network=options.network)
            first = error.message.splitlines()[0]
            reasons.append(
                f"images resized from {height}x{width} to the spec's {own[1]}x{own[2]}: at "
                f"{height}x{width} {first} (--resize N forces a size)"
            )
    _check_outputs(checked, classes)
    return InputPlan(checked, tuple(target), params, reasons)


def _check_forced(options: TrainOptions, params: dict[str, Any], target: tuple[int, ...], option: str):
    try:
        return api.check(options.spec, params, input_shape=target, network=options.network)
    except ArchError as error:
        error.hint = ((error.hint + "; ") if error.hint else "") + (
            f"the network does not accept {shape_text(target)} ({option}); try another {option}, or drop it "
            "to use the images' native size or the spec's own input"
        )
        raise


def _check_outputs(checked: api.Checked, classes: int) -> None:
    out = checked.output_shape
    if len(out) != 1:
        raise FitError(
            f"{checked.name} outputs {shape_text(out)}, not one score per class",
            hint="end the network with a linear layer (or global pooling) giving num_classes scores",
        )
    if out[0] < classes:
        raise FitError(
            f"the data has {classes} classes (labels 0 to {classes - 1}) but {checked.name} outputs "
            f"{out[0]} scores: labels {out[0]} and above are beyond its num_classes",
            hint="give the network a `num_classes` parameter (set from the data), or --set it",
        )
