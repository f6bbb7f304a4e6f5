"""The run folder, a contract other tools read (docs/training.md): config.json, metrics.jsonl,
last.pt / best.pt and curves.png. Checkpoints hold only tensors and plain types, so
`torch.load(path, weights_only=True)` reads them; every file is written atomically."""

from __future__ import annotations

import hashlib
import io
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CheckpointError

CONFIG, METRICS, LAST, BEST, CURVES = "config.json", "metrics.jsonl", "last.pt", "best.pt", "curves.png"
if TYPE_CHECKING:
    import torch

FORMAT = 1  # config.json's "format": raised when a field changes meaning


def default_run_dir(spec: str) -> Path:
    return Path("runs") / f"{Path(spec).stem}-{time.strftime('%Y%m%d-%H%M%S')}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_file(path: Path, data: str | bytes) -> None:
    """Atomic write (temporary file + rename), the same helper every archdsl output uses."""
    from ..cli import write_atomic

    write_atomic(path, data, [])


def write_config(folder: Path, config: dict[str, Any]) -> None:
    write_file(folder / CONFIG, json.dumps(config, indent=2) + "\n")


def read_config(folder: Path) -> dict[str, Any]:
    path = folder / CONFIG
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(
            f"{folder} is not a run folder: it has no {CONFIG}",
            hint="give a folder `archdsl train` wrote (runs/<spec>-<time>) or a .pt checkpoint",
        ) from None
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from None


def write_metrics(folder: Path, rows: list[dict[str, Any]]) -> None:
    """metrics.jsonl: one JSON object per finished epoch (rewritten whole, so a resumed run stays consistent)."""
    write_file(folder / METRICS, "".join(json.dumps(row) + "\n" for row in rows))


def read_metrics(folder: Path) -> list[dict[str, Any]]:
    path = folder / METRICS
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    import torch

    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_file(path, buffer.getvalue())


def load_checkpoint(path: Path) -> dict[str, Any]:
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"no such checkpoint: {path}") from None
    except Exception as exc:  # noqa: BLE001 (a truncated file, another format, a pickle with code in it)
        raise CheckpointError(
            f"cannot read checkpoint {path}: {str(exc).splitlines()[0]}",
            hint="give last.pt or best.pt of a run folder written by `archdsl train`",
        ) from None
    if not isinstance(state, dict) or "model" not in state or "config" not in state:
        raise CheckpointError(f"{path} is not an archdsl checkpoint (no `model` and `config` entries)")
    return state


def rng_state() -> dict[str, Any]:
    """Every random number generator a run draws from, as tensors and plain values."""
    import numpy as np
    import torch

    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": random.getstate(),
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype("int64")),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "gauss": float(gauss),
        },
    }


def set_rng_state(state: dict[str, Any]) -> None:
    import numpy as np
    import torch

    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    numpy = state["numpy"]
    np.random.set_state(
        (numpy["kind"], numpy["keys"].numpy().astype("uint32"), numpy["pos"], numpy["has_gauss"], numpy["gauss"])
    )


def plot_curves(folder: Path, metrics: list[dict[str, Any]]) -> None:
    """curves.png: loss and accuracy per epoch, training and validation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    epochs = [row["epoch"] for row in metrics]
    figure, (loss, accuracy) = plt.subplots(1, 2, figsize=(10, 4), dpi=120)
    for axes, key, label in ((loss, "loss", "loss"), (accuracy, "acc", "accuracy (%)")):
        scale = 100 if key == "acc" else 1
        axes.plot(epochs, [row[f"train_{key}"] * scale for row in metrics], marker="o", label="train")
        axes.plot(epochs, [row[f"val_{key}"] * scale for row in metrics], marker="o", label="validation")
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel(label)
        axes.grid(True, alpha=0.3)
        axes.legend()
    name = metrics[0].get("name", "") if metrics else ""
    figure.suptitle(f"{name} {folder.name}".strip(), fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    write_file(folder / CURVES, buffer.getvalue())


def load_weights(model: torch.nn.Module, weights: dict[str, torch.Tensor], model_name: str, origin: str) -> None:
    """Load a state_dict, or name the first tensor that does not fit (a checkpoint of another spec)."""
    own = model.state_dict()
    for key in [*own, *(k for k in weights if k not in own)]:
        if key not in weights:
            problem = f"{model_name} has `{key}` ({_shape(own[key])}) but the checkpoint does not"
        elif key not in own:
            problem = f"the checkpoint has `{key}` ({_shape(weights[key])}) but {model_name} does not"
        elif own[key].shape != weights[key].shape:
            problem = f"`{key}` is {_shape(weights[key])} in the checkpoint and {_shape(own[key])} in {model_name}"
        else:
            continue
        raise CheckpointError(
            f"{origin} holds weights of another network: {problem}",
            hint="evaluate a checkpoint with the spec (and --set values) it was trained with",
        )
    model.load_state_dict(weights)


def _shape(tensor: torch.Tensor) -> str:
    return "x".join(map(str, tensor.shape)) or "scalar"


@dataclass
class Run:
    """A finished (or interrupted) training run read back from its folder: the trained model on the
    CPU, config.json, the metrics per epoch, and the checkpoint the weights came from."""

    path: Path
    config: dict[str, Any]
    metrics: list[dict[str, Any]]
    checkpoint_path: Path
    model: torch.nn.Module
    checkpoint: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def best_val_acc(self) -> float | None:
        return max((row["val_acc"] for row in self.metrics), default=None)


def checkpoint_of(path: Path, prefer: str = BEST) -> Path:
    """The checkpoint a path names: a .pt file itself, or a run folder's best.pt (else last.pt)."""
    if path.is_file():
        return path
    if not path.exists():
        raise CheckpointError(f"no such run folder or checkpoint: {path}")
    for name in (prefer, LAST, BEST):
        if (path / name).exists():
            return path / name
    read_config(path)  # a folder that is not a run at all says so
    raise CheckpointError(
        f"{path} has no checkpoint yet (no {BEST} or {LAST})",
        hint="the run stopped before its first epoch finished; train it again",
    )


def load_run(path: str | Path, *, checkpoint: str = BEST, spec: str | Path | None = None) -> Run:
    """Read a run folder (or one of its .pt files) and rebuild its model with the trained weights.

    `checkpoint`: "best.pt" (default) or "last.pt". `spec` builds another spec instead of the run's (its
    weights must fit, else a CheckpointError names the first tensor that does not)."""
    from .. import api

    file = checkpoint_of(Path(path), checkpoint)
    state = load_checkpoint(file)
    config = state["config"]
    checked = checked_for(config, spec)
    model = api.build(checked)
    load_weights(model, state["model"], checked.name, str(file))
    model.eval()
    return Run(file.parent, config, read_metrics(file.parent), file, model, state)


def checked_for(config: dict[str, Any], spec: str | Path | None = None):
    """The checked network a run trained, from its config (or `spec` in its place): the spec file when
    it is unchanged, else the spec text stored in the run."""
    from .. import api
    from ..errors import ArchError
    from .adapt import parse_sets

    params = parse_sets(config["sets"])
    params.update(config.get("set_by_data", {}))
    shape = tuple(config["input_shape"])
    network = config["options"].get("network")
    if spec is not None:
        return api.check(spec, params, input_shape=shape, network=network)
    source = config["spec"]
    path = Path(source["path"])
    unchanged = all(
        Path(p).exists() and sha256(Path(p).read_text(encoding="utf-8-sig")) == digest
        for p, digest in source["sources"].items()
    )
    try:
        return api.check(path if unchanged else source["text"], params, input_shape=shape, network=network)
    except ArchError as error:
        raise CheckpointError(
            f"cannot rebuild the network of this run: {path} (or a file it imports) changed "
            f"since, and its stored text alone does not check: {error.message}",
            hint="restore the spec files the run was trained with (config.json has their hashes)",
        ) from None
