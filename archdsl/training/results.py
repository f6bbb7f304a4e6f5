"""Run folders in `archdsl compare`: the training columns of the results table (best validation accuracy,
epochs, training time, seconds per epoch), read from config.json and metrics.jsonl. No torch here, so
`compare` stays static."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .rundir import CONFIG, checked_for, read_config, read_metrics

# (header, key in the figures, format): the columns a comparison gains when it holds runs.
TRAINING_COLUMNS = (
    ("run", "run", lambda v: Path(v).name),
    ("best val acc", "best_val_acc", lambda v: f"{v:.2%}"),
    ("epochs", "epochs", str),
    ("train time", "train_seconds", lambda v: _duration(v)),
    ("s/epoch", "seconds_per_epoch", lambda v: f"{v:.1f}"),
    ("sparsity", "sparsity", lambda v: f"{v:.1%}"),  # runs written by `archdsl prune` (unstructured)
)


def is_run_folder(path: Any) -> bool:
    return isinstance(path, str | Path) and Path(path).is_dir() and (Path(path) / CONFIG).exists()


def run_figures(folder: str | Path) -> dict[str, Any]:
    """What a comparison shows of a run: best val accuracy (and its epoch), epochs, time, data."""
    folder = Path(folder)
    config, metrics = read_config(folder), read_metrics(folder)
    best = max(metrics, key=lambda row: row["val_acc"], default=None)
    seconds = sum(row["seconds"] for row in metrics)
    return {
        "run": str(folder),
        "data": config["data"]["name"],
        "best_val_acc": best["val_acc"] if best else None,
        "best_epoch": best["epoch"] if best else None,
        "epochs": len(metrics),
        "train_seconds": round(seconds, 1),
        "seconds_per_epoch": round(seconds / len(metrics), 2) if metrics else None,
        "sparsity": config.get("pruned", {}).get("sparsity") or None,
    }


def run_checked(folder: str | Path):
    """The checked network of a run, at the input size it trained at."""
    return checked_for(read_config(Path(folder)))


def training_headers() -> list[str]:
    return [header for header, _, _ in TRAINING_COLUMNS]


def training_cells(figures: dict[str, Any] | None) -> list[str]:
    """The training columns of one comparison row ('' for a spec that is not a run)."""
    if not figures:
        return ["" for _ in TRAINING_COLUMNS]
    return ["" if figures.get(key) is None else show(figures[key]) for _, key, show in TRAINING_COLUMNS]


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{seconds:.1f}s"
