"""The results table of docs/training.md: the study notes' training setup (Adam, lr 1e-3, batch 64,
20 epochs, CPU) on scikit-learn's digits, for LeNet-5, the MLP and ResNet-18 (--resize 32).

    python scripts/train_results.py [--resnet-epochs 20] [--out runs]   # writes runs/notes-<network>/

Prints the `archdsl compare --format markdown` table of the three run folders, with the machine it ran on.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import archdsl

from common import machine

RUNS = (  # (name, spec, options): the notes' setup is archdsl train's default
    ("lenet5", "specs/lenet5.arch", {}),
    ("mlp", "specs/mlp.arch", {}),
    ("resnet18", "specs/resnet18.arch", {"resize": 32}),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--resnet-epochs", type=int, default=20, help="fewer on a slow, shared machine")
    parser.add_argument("--out", type=Path, default=Path("runs"))
    args = parser.parse_args()
    folders = []
    for name, spec, options in RUNS:
        epochs = args.resnet_epochs if name == "resnet18" else args.epochs
        folder = args.out / f"notes-{name}"  # beside other runs: `archdsl compare runs/*` lists them
        started = time.perf_counter()
        archdsl.train(spec, epochs=epochs, out=str(folder), progress="none", **options)
        print(f"{name}: {epochs} epochs in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        folders.append(folder)
    print(archdsl.compare(folders).render("markdown"))
    import torch

    print(f"machine: {machine()}; torch threads: {torch.get_num_threads()}")


if __name__ == "__main__":
    main()
