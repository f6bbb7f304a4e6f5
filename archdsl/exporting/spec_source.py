"""What `archdsl export SPEC` reads: a spec file, or a run folder written by `archdsl train`.

A run folder holds `config.json` (the spec text and the parameters it was trained with) and
checkpoints `best.pt` / `last.pt`, dicts whose `model` entry is the state_dict. Checkpoints and
`--weights` files are loaded with `weights_only=True`: never unpickle code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import LoadError

CHECKPOINTS = ("best.pt", "last.pt")


@dataclass
class SpecRequest:
    """A spec to build, with what the run folder (if any) says about it."""

    spec: str | Path
    params: dict[str, Any] = field(default_factory=dict)
    input_shape: tuple[int, ...] | None = None
    network: str | None = None
    weights: Path | None = None


def resolve(spec: str | Path) -> SpecRequest:
    """A spec path or text as is; a run folder through its config.json and newest best checkpoint."""
    path = Path(spec) if not (isinstance(spec, str) and "\n" in spec) else None
    if path is None or not path.is_dir():
        return SpecRequest(spec)
    config_path = path / "config.json"
    if not config_path.is_file():
        raise LoadError(
            f"{path} is a folder but not a run folder: it has no config.json",
            None,
            hint="give a .arch/.yaml spec, or a folder written by `archdsl train`",
            code="E120",
        )
    try:
        config = json.loads(config_path.read_text())
    except (OSError, ValueError) as exc:
        raise LoadError(f"cannot read {config_path}: {exc}", None, code="E120") from None
    text = config.get("spec_text") or config.get("spec")
    if not isinstance(text, str) or not text.strip():
        raise LoadError(f"{config_path} holds no spec text (`spec_text`)", None, code="E120")
    spec_value: str | Path = text if "\n" in text or not Path(text).is_file() else Path(text)
    shape = config.get("input_shape")
    weights = next((path / name for name in CHECKPOINTS if (path / name).is_file()), None)
    return SpecRequest(
        spec_value, dict(config.get("params") or {}), tuple(shape) if shape else None, config.get("network"), weights
    )


def load_state_dict(path: Path) -> dict[str, Any]:
    """A state_dict from a `.pt` file: a plain state_dict, or a checkpoint dict with a `model` entry."""
    import torch

    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise LoadError(f"cannot read weights {path}: no such file", None, code="E121") from None
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a file that is not a state_dict
        raise LoadError(
            f"cannot read weights {path}: {str(exc).splitlines()[0]}",
            None,
            hint="weights are loaded with weights_only=True: save a state_dict, not a module",
            code="E121",
        ) from None
    if isinstance(data, dict) and isinstance(data.get("model"), dict):
        data = data["model"]
    if not isinstance(data, dict) or not all(hasattr(v, "shape") for v in data.values()):
        raise LoadError(f"{path} is not a state_dict (or a checkpoint with a `model` state_dict)", None, code="E121")
    return data
