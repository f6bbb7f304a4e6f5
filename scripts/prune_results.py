"""The worked example of docs/pruning.md: accuracy against sparsity on scikit-learn's digits, for LeNet-5 and
ResNet-18 (--resize 32), unstructured (FPNet, global magnitude) and structured (channels), at 0, 50, 80 and
90%, each retrained for `--finetune-epochs` after pruning.

    python scripts/prune_results.py [--epochs 10] [--resnet-epochs 3] [--out runs/prune-study]

Writes the run folders under --out, docs/images/pruning.png (the plot) and prints the markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import archdsl

from common import machine

NETWORKS = (("lenet5", "specs/lenet5.arch", {}), ("resnet18", "specs/resnet18.arch", {"resize": 32}))
AMOUNTS = (0.0, 0.5, 0.8, 0.9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="training epochs of LeNet-5")
    parser.add_argument("--resnet-epochs", type=int, default=3, help="training epochs of ResNet-18")
    parser.add_argument("--finetune-epochs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("runs/prune-study"))
    args = parser.parse_args()
    rows = []
    for name, spec, options in NETWORKS:
        run = args.out / name
        if not (run / "best.pt").exists():
            epochs = args.resnet_epochs if name == "resnet18" else args.epochs
            archdsl.train(spec, epochs=epochs, out=str(run), progress="none", **options)
        for structured in (False, True):
            for amount in AMOUNTS:
                folder = args.out / f"{name}-{'structured' if structured else 'unstructured'}-{round(amount * 100)}"
                started = time.perf_counter()
                if not (folder / "prune.json").exists():
                    archdsl.prune(
                        str(run),
                        amount=amount,
                        structured=structured,
                        finetune_epochs=args.finetune_epochs,
                        out=str(folder),
                    )
                report = json.loads((folder / "prune.json").read_text())
                accuracy = {row["stage"].split(":")[-1].strip(): row["val_acc"] for row in report["accuracy"]}
                rows.append(
                    {
                        "network": name,
                        "method": "structured" if structured else "unstructured",
                        "amount": amount,
                        "params": report["params_after"],
                        "nonzero": report["totals"]["params_nonzero"],
                        "trained": report["accuracy"][0]["val_acc"],
                        "pruned": accuracy["pruned"],
                        "retrained": report["accuracy"][-1]["val_acc"],
                        "seconds": round(time.perf_counter() - started, 1),
                    }
                )
    print(f"Measured on {machine()}.\n")
    print("| network | method | amount | parameters | non-zero | trained | pruned | retrained 1 epoch |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['network']} | {r['method']} | {r['amount']:.0%} | {r['params']:,} | {r['nonzero']:,} | "
            f"{r['trained']:.2%} | {r['pruned']:.2%} | {r['retrained']:.2%} |"
        )
    plot(rows, ROOT / "docs" / "images" / "pruning.png")


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=120, sharey=True)
    for ax, network in zip(axes, ("lenet5", "resnet18")):
        for method, style in (("unstructured", "o-"), ("structured", "s--")):
            mine = [r for r in rows if r["network"] == network and r["method"] == method]
            xs = [100 * r["amount"] for r in mine]
            ax.plot(xs, [100 * r["pruned"] for r in mine], style, alpha=0.45, label=f"{method}, pruned")
            ax.plot(xs, [100 * r["retrained"] for r in mine], style, label=f"{method}, retrained")
        ax.set_title(f"{network} on digits")
        ax.set_xlabel("amount pruned (%)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("validation accuracy (%)")
    axes[1].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)


if __name__ == "__main__":
    main()
