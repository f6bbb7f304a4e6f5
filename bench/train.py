"""Benchmarks of `archdsl train` (docs/training.md), each measured side by side in one run:

1. throughput: `archdsl train` against a minimal hand-written PyTorch loop, same model (LeNet-5), data
   (digits at 32x32), batch (64) and epochs, alternated; the ratio of their samples per second.
2. data loading: samples per second with 0, 1 and 2 DataLoader workers, on an ImageFolder of PNGs (decoded
   and transformed per sample), loading alone and training.
3. DDP: 2 processes (torchrun, gloo, one thread each) against 1, samples per second.

    python bench/train.py [--rounds 3] [--epochs 3] [--skip ddp,workers]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import torch

from archdsl import api
from archdsl.training.adapt import plan_input
from archdsl.training.data import open_data, set_transforms
from archdsl.training.options import TrainOptions
from archdsl.training.run import make_optimizer, seed_everything, train_run

from common import machine

SPEC = "specs/lenet5.arch"


def archdsl_seconds(epochs: int, folder: Path) -> float:
    """Wall time of archdsl's epoch loop (progress bar, metrics, checkpoints, curves included): from the
    line printed just before the first epoch to the one printed after the last."""
    stamps = []
    train_run(
        TrainOptions(spec=SPEC, epochs=epochs, out=str(folder), progress="bar"),
        print_line=lambda line: stamps.append(time.perf_counter()),
    )
    return stamps[-1] - stamps[-2 - epochs]


def hand_seconds(epochs: int) -> float:
    """The loop a user would write: same data, model, optimizer and batch; train, then validate, each epoch."""
    options = TrainOptions(spec=SPEC)
    seed_everything(0)
    data = open_data("digits")
    plan = plan_input(options, data)
    set_transforms(data, plan.input_shape, augment=False)
    model = api.build(plan.checked)
    optimizer = make_optimizer("adam", model.parameters(), 1e-3, 0.0)
    train = torch.utils.data.DataLoader(data.train, batch_size=64, shuffle=True)
    val = torch.utils.data.DataLoader(data.val, batch_size=128)
    loss_fn = torch.nn.CrossEntropyLoss()
    started = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for images, labels in train:
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(images).argmax(1) == labels).sum().item() for images, labels in val)
    assert correct >= 0
    return time.perf_counter() - started


def throughput(rounds: int, epochs: int, scratch: Path) -> None:
    ratios, ours, theirs = [], [], []
    hand_seconds(1)  # warm-up: imports, allocator
    for index in range(rounds):
        a = archdsl_seconds(epochs, scratch / f"throughput-{index}")
        b = hand_seconds(epochs)
        ours.append(a)
        theirs.append(b)
        ratios.append(b / a)  # throughput ratio: archdsl samples/s over the hand loop's
    samples = 1437 * epochs
    print(f"throughput, LeNet-5 on digits 1x32x32, batch 64, {epochs} epochs x {rounds} rounds (alternated):")
    print(
        f"  archdsl train   {samples / statistics.median(ours):8.0f} samples/s  (median {statistics.median(ours):.2f} s)"
    )
    print(
        f"  hand-written    {samples / statistics.median(theirs):8.0f} samples/s  (median {statistics.median(theirs):.2f} s)"
    )
    print(
        f"  ratio archdsl/hand: median {statistics.median(ratios):.3f}, rounds {', '.join(f'{r:.3f}' for r in ratios)}"
    )


def workers(scratch: Path) -> None:
    from train_data import write_image_folder

    root = write_image_folder(scratch / "pngs", classes=10, per_class=150, split=True, size=32)
    print("data loading, ImageFolder of 1,500 32x32 PNGs (decode + resize + normalise per sample), batch 64:")
    for count in (0, 1, 2):
        options = TrainOptions(spec=SPEC, data=str(root), workers=count)
        data = open_data(options.data)
        plan = plan_input(options, data)
        set_transforms(data, plan.input_shape, augment=False)
        loader = torch.utils.data.DataLoader(data.train, batch_size=64, shuffle=True, num_workers=count)
        started = time.perf_counter()
        seen = sum(len(labels) for _, labels in loader)
        loading = seen / (time.perf_counter() - started)
        train_run(
            TrainOptions(
                spec=SPEC, data=str(root), workers=count, epochs=1, out=str(scratch / f"w{count}"), progress="none"
            ),
            print_line=lambda line: None,
        )
        trained = json.loads((scratch / f"w{count}" / "metrics.jsonl").read_text().splitlines()[0])["samples_per_s"]
        print(f"  workers {count}: loading alone {loading:7.0f} samples/s, training {trained:7.0f} samples/s")


def ddp(scratch: Path, epochs: int) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    print(f"DDP, MLP on digits (8x8), global batch 64, {epochs} epochs, one thread per process:")
    for processes in (1, 2):
        folder = scratch / f"ddp{processes}"
        command = [
            sys.executable,
            "-m",
            "archdsl",
            "train",
            "specs/mlp.arch",
            "--epochs",
            str(epochs),
            "--batch-size",
            str(64 // processes),
            "--devices",
            str(processes),
            "--out",
            str(folder),
            "--progress",
            "none",
        ]
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
        rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
        rate = statistics.median(row["samples_per_s"] for row in rows)
        print(
            f"  {processes} process{'es' if processes > 1 else ''}: {rate:7.0f} samples/s (median over epochs), "
            f"final val acc {rows[-1]['val_acc']:.2%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma-separated: throughput, workers, ddp")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"machine: {machine()}")
    skip = set(args.skip.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        if "throughput" not in skip:
            throughput(args.rounds, args.epochs, scratch)
        if "workers" not in skip:
            workers(scratch)
        if "ddp" not in skip:
            ddp(scratch, args.epochs)


if __name__ == "__main__":
    main()
