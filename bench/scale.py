"""`check` speed against `import torch`, growth with network size, and a big model on the meta device.

    python bench/scale.py [--sizes 1000,2000,4000,8000,16000] [--repeats 5] [--styles blocks,flat]

`bench/deep_spec.py N` writes a spec with N conv layers (residual adds, concat merges). `blocks` writes one
line per residual unit of two convs, as a person would; `flat` writes every layer on its own line (the
parser sees N lines). The goals (issue 10) are ratios to `python -c "import torch"` measured in this same
run, alternating with it, because this machine's speed drifts: `archdsl.check` of the 16,000-layer spec
at most 0.4x (blocks) and 0.8x (flat), in-process; `python -m archdsl check specs/densenet121.arch` at
most 0.15x, a whole command. Growth: median seconds per size, and t(16k) / t(4k) (linear is 4.0).
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, median, table  # noqa: E402
from deep_spec import deep_spec  # noqa: E402

GOALS = {"blocks": 0.4, "flat": 0.8, "densenet121": 0.15}


def timed(fn, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        gc.collect()  # garbage left by the previous run is not this run's cost
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def against_torch(archdsl, styles: list[str], repeats: int) -> None:
    """Each round: `import torch` in a fresh process, then each candidate once; medians over the rounds."""
    python = sys.executable
    texts = {style: deep_spec(16000, style=style) for style in styles}
    commands = {
        "torch": [python, "-c", "import torch"],
        "densenet121": [python, "-m", "archdsl", "check", "specs/densenet121.arch"],
    }
    samples: dict[str, list[float]] = {name: [] for name in [*commands, *styles]}
    for _ in range(repeats):
        for name, argv in commands.items():
            samples[name] += timed(lambda argv=argv: subprocess.run(argv, cwd=ROOT, check=True, capture_output=True), 1)
        for style in styles:
            samples[style] += timed(lambda text=texts[style]: archdsl.check(text), 1)
    torch_s = median(samples["torch"])
    rows = [['`python -c "import torch"`', f"{torch_s:.2f}", "1.00", ""]]
    names = {
        "densenet121": "`python -m archdsl check specs/densenet121.arch`",
        **{style: f"`archdsl.check`, 16,000 layers, {style}" for style in styles},
    }
    for key in ["densenet121", *styles]:
        ratio = median(samples[key]) / torch_s
        rows.append([names[key], f"{median(samples[key]):.2f}", f"{ratio:.2f}", f"≤ {GOALS[key]}"])
    print(f"Against `import torch`, alternating, {repeats} rounds (median seconds):\n")
    print(table(["what", "s", "x torch import", "goal"], rows))


def growth(archdsl, style: str, sizes: list[int], repeats: int) -> None:
    rows = []
    seconds = {}
    for size in sizes:
        text = deep_spec(size, style=style)
        checked = archdsl.check(text)
        convs = sum(1 for _, node in checked.graph.ops() if node.op == "conv2d")
        seconds[size] = median(timed(lambda text=text: archdsl.check(text), repeats))
        rows.append([size, convs, sum(1 for _ in checked.graph.ops()), text.count("\n"), f"{seconds[size]:.2f}"])
        print(f"{style} {size}: {seconds[size]:.2f} s", file=sys.stderr)
    print(f"\n`check` on bench/deep_spec.py output, style {style}:\n")
    print(table(["N", "conv layers", "IR ops", "spec lines", "check s"], rows))
    if 4000 in seconds and 16000 in seconds:
        print(f"\nt(16k) / t(4k) = {seconds[16000] / seconds[4000]:.2f} (linear: 4.00)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,2000,4000,8000,16000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--styles", default="blocks,flat")
    parser.add_argument("--no-growth", action="store_true", help="only the ratios to the torch import")
    args = parser.parse_args()
    styles = args.styles.split(",")
    import archdsl

    for style in styles:
        archdsl.check(deep_spec(50, style=style))  # warm up: grammar load, first-use schema builds
    print(f"Machine: {machine()}\n")
    against_torch(archdsl, styles, args.repeats)
    if args.no_growth:
        return
    for style in styles:
        growth(archdsl, style, [int(s) for s in args.sizes.split(",")], max(1, args.repeats // 2))

    started = time.perf_counter()
    model = archdsl.build(ROOT / "specs" / "efficientnet_b7.arch", device="meta")
    built = time.perf_counter() - started
    params = sum(p.numel() for p in model.parameters())
    on_meta = all(p.is_meta for p in model.parameters())
    print(
        f"\narchdsl.build(efficientnet_b7, device='meta'): {built:.2f} s, {params:,} params, "
        f"all on meta (no weight memory): {on_meta}"
    )


if __name__ == "__main__":
    main()
