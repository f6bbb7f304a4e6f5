"""`archdsl eval`: a trained model on a data set's validation split: loss, top-1 and top-5 accuracy,
per-class accuracy, a confusion matrix (PNG) and latency per sample (batch 1, CPU median)."""

from __future__ import annotations

import io
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from . import rundir
from .data import open_data, set_transforms
from .errors import FitError

EVAL_JSON, CONFUSION_PNG = "eval.json", "confusion.png"
LATENCY_WARMUP = 5


def evaluate_checkpoint(
    path: str | Path,
    *,
    data: str | None = None,
    data_dir: str | None = None,
    spec: str | Path | None = None,
    out: str | Path | None = None,
    batch_size: int = 128,
    latency_samples: int = 50,
) -> dict[str, Any]:
    """Evaluate a run folder's best.pt (or a checkpoint file) and write eval.json and confusion.png to `out`
    (default: the run folder). Returns what eval.json holds."""
    from sklearn.metrics import confusion_matrix

    run = rundir.load_run(path, spec=spec)
    options = run.config["options"]
    dataset = open_data(
        data or options["data"],
        data_dir or options.get("data_dir"),
        False,
        options.get("val_split"),
        options.get("seed", 0),
    )
    outputs = run.config["output_shape"][0]
    if len(dataset.classes) > outputs:
        raise FitError(
            f"{dataset.name} has {len(dataset.classes)} classes but the model outputs {outputs} scores: "
            f"labels {outputs} and above are beyond its num_classes",
            hint="evaluate on data with the classes the model was trained on",
        )
    set_transforms(dataset, tuple(run.config["input_shape"]), augment=False)
    loader = DataLoader(dataset.val, batch_size=batch_size, shuffle=False)
    model = run.model.eval()
    logits, labels = [], []
    with torch.no_grad():
        for images, target in loader:
            logits.append(model(images))
            labels.append(target)
    scores, truth = torch.cat(logits), torch.cat(labels)
    top_k = min(5, outputs)
    ranked = scores.topk(top_k, dim=1).indices
    predicted = ranked[:, 0]
    classes = list(range(len(dataset.classes)))
    matrix = confusion_matrix(truth.numpy(), predicted.numpy(), labels=classes)
    per_class = {dataset.classes[c]: (float(matrix[c, c] / row) if (row := matrix[c].sum()) else None) for c in classes}
    report = {
        "checkpoint": str(run.checkpoint_path),
        "name": run.config["spec"]["name"],
        "data": dataset.name,
        "samples": int(truth.numel()),
        "loss": torch.nn.functional.cross_entropy(scores, truth).item(),
        "top1": (predicted == truth).float().mean().item(),
        f"top{top_k}": (ranked == truth[:, None]).any(dim=1).float().mean().item(),
        "per_class": per_class,
        "confusion": matrix.tolist(),
        "latency_ms": _latency_ms(model, dataset.val, latency_samples),
        "torch_threads": torch.get_num_threads(),
    }
    folder = Path(out) if out else run.checkpoint_path.parent
    rundir.write_file(folder / EVAL_JSON, json.dumps(report, indent=2) + "\n")
    rundir.write_file(folder / CONFUSION_PNG, _confusion_png(matrix, dataset.classes, report))
    report["written"] = [str(folder / EVAL_JSON), str(folder / CONFUSION_PNG)]
    return report


def _latency_ms(model: torch.nn.Module, dataset, samples: int) -> float:
    """Median milliseconds per image at batch 1 (after a warm-up), as a deployed model would see them."""
    count = min(samples, len(dataset))
    times = []
    with torch.no_grad():
        for index in range(count + LATENCY_WARMUP):
            image = dataset[index % len(dataset)][0].unsqueeze(0)
            started = time.perf_counter()
            model(image)
            if index >= LATENCY_WARMUP:
                times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _confusion_png(matrix, classes: list[str], report: dict[str, Any]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    size = min(20, max(5, 0.45 * len(classes)))
    figure, axes = plt.subplots(figsize=(size, size), dpi=120)
    ConfusionMatrixDisplay(matrix, display_labels=classes).plot(
        ax=axes, cmap="Blues", colorbar=False, include_values=len(classes) <= 30
    )
    axes.set_title(f"{report['name']} on {report['data']}: top-1 {report['top1']:.2%} ({report['samples']} images)")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def render_report(report: dict[str, Any], format: str = "text") -> str:
    if format == "json":
        return json.dumps(report, indent=2) + "\n"
    top_k = next(k for k in report if k.startswith("top") and k != "top1")
    lines = [
        f"{report['name']} ({report['checkpoint']}) on {report['data']}, {report['samples']:,} validation images",
        (
            f"loss {report['loss']:.4f}   top-1 {report['top1']:.2%}   {top_k[:3]}-{top_k[3:]} {report[top_k]:.2%}   "
            f"latency {report['latency_ms']:.2f} ms/image (batch 1, {report['torch_threads']} torch threads)"
        ),
        "per-class accuracy:",
    ]
    width = max(len(c) for c in report["per_class"])
    for name, value in report["per_class"].items():
        lines.append(f"  {name.ljust(width)}  {'-' if value is None else f'{value:.2%}'}")
    lines += [f"wrote {path}" for path in report.get("written", [])]
    return "\n".join(lines) + "\n"
