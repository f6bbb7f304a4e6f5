"""`archdsl train` and `archdsl eval`: option parsing and error reporting only; the work is in run.py and
evaluate.py. Importing this module does not import torch (archdsl/cli.py registers these commands)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from .options import DATASETS, DEVICES, OPTIMIZERS, SCHEDULERS

DataOption = typer.Option("digits", "--data", help=f"{', '.join(DATASETS)}, or a folder in ImageFolder layout "
                          "(train/ and val/ subfolders, or --val-split).")
DataDirOption = typer.Option(None, "--data-dir", help="Where torchvision data sets live "
                             "(default: $ARCHDSL_DATA or ~/.cache/archdsl/data).")


def _choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise typer.BadParameter(f"expected one of {', '.join(allowed)}, got {value!r}", param_hint=option)
    return value


def _strip_devices(argv: list[str]) -> list[str]:
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == "--devices":
            skip = True
        elif not item.startswith("--devices="):
            out.append(item)
    return out


def train(
    spec: Path = typer.Argument(..., help="A .arch or .yaml spec."),
    data: str = DataOption,
    data_dir: Optional[Path] = DataDirOption,
    download: bool = typer.Option(False, "--download", help="Download a torchvision data set whose files are missing."),
    val_split: Optional[float] = typer.Option(None, "--val-split", min=0.01, max=0.99,
                                              help="For a folder without val/: the fraction held out (default 0.2)."),
    resize: Optional[int] = typer.Option(None, "--resize", min=1, metavar="N", help="Resize the images to NxN."),
    epochs: int = typer.Option(20, "--epochs", "-e", min=1),
    batch_size: int = typer.Option(64, "--batch-size", "-b", min=1, help="Per process (global = N x this)."),
    optimizer: str = typer.Option("adam", "--optimizer", help=", ".join(OPTIMIZERS) + " (momentum 0.9)."),
    lr: float = typer.Option(1e-3, "--lr", min=0.0, help="Learning rate."),
    weight_decay: float = typer.Option(0.0, "--weight-decay", min=0.0),
    scheduler: str = typer.Option("none", "--scheduler", help=", ".join(SCHEDULERS) + " (stepped per epoch)."),
    seed: int = typer.Option(0, "--seed"),
    shuffle: bool = typer.Option(True, "--shuffle/--no-shuffle", help="Shuffle the training set each epoch."),
    augment: Optional[bool] = typer.Option(None, "--augment/--no-augment",
                                           help="Random crop + flip (default: on for CIFAR only)."),
    device: str = typer.Option("auto", "--device", help=", ".join(DEVICES)),
    amp: bool = typer.Option(False, "--amp", help="Mixed precision: bfloat16 on CPU, float16 on CUDA."),
    channels_last: bool = typer.Option(False, "--channels-last"),
    compile: bool = typer.Option(False, "--compile", help="torch.compile the model."),
    workers: int = typer.Option(0, "--workers", min=0, help="DataLoader worker processes."),
    devices: int = typer.Option(1, "--devices", min=1, help="Processes: N > 1 relaunches under torchrun (DDP)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run folder (default runs/<spec>-<time>)."),
    resume: Optional[Path] = typer.Option(None, "--resume", metavar="RUN", help="Continue a run from its last.pt."),
    progress: str = typer.Option("auto", "--progress", help="auto, bar, lines or none."),
    set_: Optional[list[str]] = typer.Option(None, "--set", "-s", metavar="NAME=VALUE",
                                             help="Override a network parameter (repeatable)."),
    input_shape: Optional[str] = typer.Option(None, "--input", "-i", metavar="CxHxW",
                                              help="Input shape instead of the spec's (and of the data's)."),
    network: Optional[str] = typer.Option(None, "--network", "-n", help="Which network of the file to build."),
) -> None:
    """Train a spec on a data set and write a run folder (config.json, metrics.jsonl, last.pt, best.pt,
    curves.png). Defaults: the study notes' setup, 20 epochs, batch 64, Adam, lr 1e-3, on digits."""
    _choice(optimizer, OPTIMIZERS, "--optimizer")
    _choice(scheduler, SCHEDULERS, "--scheduler")
    _choice(device, DEVICES, "--device")
    _choice(progress, ("auto", "bar", "lines", "none"), "--progress")
    if devices > 1:
        from .distributed import exec_torchrun

        exec_torchrun(devices, _strip_devices(sys.argv[1:]))
    from .options import TrainOptions

    options = TrainOptions(
        spec=str(spec), data=data, data_dir=str(data_dir) if data_dir else None, download=download,
        val_split=val_split, resize=resize, input=input_shape, sets=list(set_ or []), network=network, epochs=epochs,
        batch_size=batch_size, optimizer=optimizer, lr=lr, weight_decay=weight_decay, scheduler=scheduler, seed=seed,
        shuffle=shuffle, augment=augment, device=device, amp=amp, channels_last=channels_last, compile=compile,
        workers=workers, out=str(out) if out else None, resume=str(resume) if resume else None, progress=progress)
    _reporting_errors(lambda: _train(options), set_, input_shape)


def _train(options) -> None:
    from .run import train_run

    train_run(options, print_line=None if options.progress != "none" else lambda line: None)


def _reporting_errors(work, sets, input_shape) -> None:
    """User errors as diagnostics (exit 1); an interrupted run exits 130 after saying how to resume."""
    from ..cli import explain_options, fail
    from ..errors import ArchError

    try:
        work()
    except ArchError as error:
        explain_options(error, sets, input_shape)
        fail(error)
    except Exception as error:
        if type(error).__name__ == "Interrupted":
            raise typer.Exit(130) from None
        raise


def evaluate(
    checkpoint: Path = typer.Argument(..., help="A run folder (its best.pt) or a .pt checkpoint."),
    data: Optional[str] = typer.Option(None, "--data", help="Data set (default: the run's own)."),
    data_dir: Optional[Path] = DataDirOption,
    spec: Optional[Path] = typer.Option(None, "--spec", help="Build this spec instead of the run's."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for eval.json and confusion.png "
                                       "(default: the run folder)."),
    batch_size: int = typer.Option(128, "--batch-size", "-b", min=1),
    latency_samples: int = typer.Option(50, "--latency-samples", min=1, help="Single images timed for latency."),
    format: str = typer.Option("text", "--format", "-f", help="text or json"),
) -> None:
    """Loss, top-1 and top-5 accuracy, per-class accuracy, a confusion matrix (PNG) and latency per sample."""
    _choice(format, ("text", "json"), "--format")

    def work() -> None:
        from .evaluate import evaluate_checkpoint, render_report

        report = evaluate_checkpoint(checkpoint, data=data, data_dir=str(data_dir) if data_dir else None,
                                     spec=spec, out=out, batch_size=batch_size, latency_samples=latency_samples)
        sys.stdout.write(render_report(report, format))

    _reporting_errors(work, None, None)
