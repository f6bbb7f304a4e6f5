"""`archdsl train` and `archdsl eval`: option parsing and error reporting only; the work is in run.py and
evaluate.py. Importing this module does not import torch (archdsl/cli.py registers these commands)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .options import DATASETS, DEVICES, OPTIMIZERS, SCHEDULERS

DataOption = typer.Option(
    "--data",
    help=f"{', '.join(DATASETS)}, or a folder in ImageFolder layout (train/ and val/ subfolders, or --val-split).",
)
DataDirOption = typer.Option(
    "--data-dir", help="Where torchvision data sets live (default: $ARCHDSL_DATA or ~/.cache/archdsl/data)."
)


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
    spec: Annotated[Path, typer.Argument(help="A .arch or .yaml spec.")],
    data: Annotated[str, DataOption] = "digits",
    data_dir: Annotated[Path | None, DataDirOption] = None,
    download: Annotated[
        bool, typer.Option("--download", help="Download a torchvision data set whose files are missing.")
    ] = False,
    val_split: Annotated[
        float | None,
        typer.Option(
            "--val-split", min=0.01, max=0.99, help="For a folder without val/: the fraction held out (default 0.2)."
        ),
    ] = None,
    resize: Annotated[
        int | None, typer.Option("--resize", min=1, metavar="N", help="Resize the images to NxN.")
    ] = None,
    epochs: Annotated[int, typer.Option("--epochs", "-e", min=1)] = 20,
    batch_size: Annotated[int, typer.Option("--batch-size", "-b", min=1, help="Per process (global = N x this).")] = 64,
    optimizer: Annotated[str, typer.Option("--optimizer", help=", ".join(OPTIMIZERS) + " (momentum 0.9).")] = "adam",
    lr: Annotated[float, typer.Option("--lr", min=0.0, help="Learning rate.")] = 1e-3,
    weight_decay: Annotated[float, typer.Option("--weight-decay", min=0.0)] = 0.0,
    scheduler: Annotated[
        str, typer.Option("--scheduler", help=", ".join(SCHEDULERS) + " (stepped per epoch).")
    ] = "none",
    seed: Annotated[int, typer.Option("--seed")] = 0,
    shuffle: Annotated[
        bool, typer.Option("--shuffle/--no-shuffle", help="Shuffle the training set each epoch.")
    ] = True,
    augment: Annotated[
        bool | None, typer.Option("--augment/--no-augment", help="Random crop + flip (default: on for CIFAR only).")
    ] = None,
    device: Annotated[str, typer.Option("--device", help=", ".join(DEVICES))] = "auto",
    amp: Annotated[bool, typer.Option("--amp", help="Mixed precision: bfloat16 on CPU, float16 on CUDA.")] = False,
    channels_last: Annotated[bool, typer.Option("--channels-last")] = False,
    compile: Annotated[bool, typer.Option("--compile", help="torch.compile the model.")] = False,
    workers: Annotated[int, typer.Option("--workers", min=0, help="DataLoader worker processes.")] = 0,
    devices: Annotated[
        int, typer.Option("--devices", min=1, help="Processes: N > 1 relaunches under torchrun (DDP).")
    ] = 1,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Run folder (default runs/<spec>-<time>).")] = None,
    resume: Annotated[
        Path | None, typer.Option("--resume", metavar="RUN", help="Continue a run from its last.pt.")
    ] = None,
    progress: Annotated[str, typer.Option("--progress", help="auto, bar, lines or none.")] = "auto",
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", "-s", metavar="NAME=VALUE", help="Override a network parameter (repeatable)."),
    ] = None,
    input_shape: Annotated[
        str | None,
        typer.Option("--input", "-i", metavar="CxHxW", help="Input shape instead of the spec's (and of the data's)."),
    ] = None,
    network: Annotated[str | None, typer.Option("--network", "-n", help="Which network of the file to build.")] = None,
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
        spec=str(spec),
        data=data,
        data_dir=str(data_dir) if data_dir else None,
        download=download,
        val_split=val_split,
        resize=resize,
        input=input_shape,
        sets=list(set_ or []),
        network=network,
        epochs=epochs,
        batch_size=batch_size,
        optimizer=optimizer,
        lr=lr,
        weight_decay=weight_decay,
        scheduler=scheduler,
        seed=seed,
        shuffle=shuffle,
        augment=augment,
        device=device,
        amp=amp,
        channels_last=channels_last,
        compile=compile,
        workers=workers,
        out=str(out) if out else None,
        resume=str(resume) if resume else None,
        progress=progress,
    )
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
    checkpoint: Annotated[Path, typer.Argument(help="A run folder (its best.pt) or a .pt checkpoint.")],
    data: Annotated[str | None, typer.Option("--data", help="Data set (default: the run's own).")] = None,
    data_dir: Annotated[Path | None, DataDirOption] = None,
    spec: Annotated[Path | None, typer.Option("--spec", help="Build this spec instead of the run's.")] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for eval.json and confusion.png (default: the run folder)."),
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", "-b", min=1)] = 128,
    latency_samples: Annotated[
        int, typer.Option("--latency-samples", min=1, help="Single images timed for latency.")
    ] = 50,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
) -> None:
    """Loss, top-1 and top-5 accuracy, per-class accuracy, a confusion matrix (PNG) and latency per sample."""
    _choice(format, ("text", "json"), "--format")

    def work() -> None:
        from .evaluate import evaluate_checkpoint, render_report

        report = evaluate_checkpoint(
            checkpoint,
            data=data,
            data_dir=str(data_dir) if data_dir else None,
            spec=spec,
            out=out,
            batch_size=batch_size,
            latency_samples=latency_samples,
        )
        sys.stdout.write(render_report(report, format))

    _reporting_errors(work, None, None)
