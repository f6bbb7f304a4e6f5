"""`archdsl import`: load the target, import, verify, then write the spec (and weights) atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ArchError
from .errors import ModelImportError

TOLERANCE = 1e-5  # max |difference| relative to the output scale, in eval mode


def run_import(
    target: str,
    output: Path,
    kwargs_json: str | None,
    input_shape: tuple[int, ...] | None,
    weights: Path | None,
    to: str,
) -> None:
    from ..cli import fail, write_atomic

    try:
        text, state, diff, lines = import_target(target, _kwargs(kwargs_json), input_shape, weights, output.stem)
    except ArchError as error:
        fail(error)
    if to == "yaml":
        from ..api import parse_file
        from ..frontend.unparse import to_yaml
        from ..source import Source

        text = to_yaml(parse_file(Source(text=text, path=str(output.with_suffix(".arch")))))
    write_atomic(output, text, [])
    extra = ""
    if state is not None:
        import io

        import torch

        buffer = io.BytesIO()
        torch.save(state, buffer)
        write_atomic(output.with_suffix(".pt"), buffer.getvalue(), [output])
        extra = f", weights in {output.with_suffix('.pt')}"
    print(
        f"wrote {output}: {target}, {lines} lines; strict state_dict load, outputs equal "
        f"(max relative difference {diff:.1e}){extra}"
    )


def _kwargs(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ModelImportError(f"--kwargs is not JSON: {exc}", code="E847") from None
    if not isinstance(value, dict):
        raise ModelImportError("--kwargs must be a JSON object, e.g. '{\"num_classes\": 10}'", code="E847")
    return value


def import_target(
    target: str,
    kwargs: dict[str, Any],
    input_shape: tuple[int, ...] | None,
    weights: Path | None,
    name: str | None = None,
) -> tuple[str, dict | None, float, int]:
    """(spec text, state_dict to save or None, max relative difference, line count). Raises ArchError."""
    from . import import_module
    from .targets import DEFAULT_INPUT, load_target, randomise_norm_statistics, verify

    model, default_name, declared = load_target(target, kwargs)
    shape = tuple(input_shape or declared or DEFAULT_INPUT)
    state = None
    if weights is not None:
        from ..exporting.spec_source import load_state_dict

        state = load_state_dict(weights)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ModelImportError(
                f"{weights} does not fit {target}: {str(exc).splitlines()[1].strip()}", code="E848"
            ) from None
    doc = f"Imported from {target}{' with ' + json.dumps(kwargs) if kwargs else ''} by `archdsl import`."
    text = import_module(model, shape, name=_identifier(name or default_name), doc=doc)
    if weights is None:
        randomise_norm_statistics(model)
    diff = verify(model, text, shape)
    if not diff <= TOLERANCE:
        raise ModelImportError(
            f"the imported spec's outputs differ from {target}'s: max relative difference {diff:.1e}",
            "please report this model: the import should be exact",
            "E849",
        )
    return text, state, diff, len(text.splitlines())


def _identifier(name: str) -> str:
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return name if name[:1].isalpha() else f"model_{name}"
