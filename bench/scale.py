"""Growth of `check` with network size, and building a big model on the meta device.

    python bench/scale.py [--sizes 1000,2000,4000,8000,16000] [--repeats 3] [--style flat|blocks]

`bench/deep_spec.py N` writes a spec with N conv layers (residual adds, concat merges). `--style flat`
writes every layer on its own line (the parser sees N lines); `--style blocks` writes one line per
residual unit of two convs, as a person would. Reported: median seconds of `archdsl.check` on the text,
in-process (the import is measured by bench/cli.py), and t(16k) / t(4k) (linear growth is 4.0).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, median, table  # noqa: E402
from deep_spec import deep_spec  # noqa: E402


def timed(fn, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,2000,4000,8000,16000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--style", default="flat", choices=["flat", "blocks"])
    args = parser.parse_args()
    import archdsl

    archdsl.check(deep_spec(50, style=args.style))  # warm up: grammar load, first-use schema builds
    rows = []
    seconds = {}
    for size in (int(s) for s in args.sizes.split(",")):
        text = deep_spec(size, style=args.style)
        checked = archdsl.check(text)
        convs = sum(1 for _, node in checked.graph.ops() if node.op == "conv2d")
        seconds[size] = timed(lambda: archdsl.check(text), args.repeats)
        rows.append([size, convs, sum(1 for _ in checked.graph.ops()), text.count("\n"), f"{seconds[size]:.2f}"])
        print(f"{size}: {seconds[size]:.2f} s", file=sys.stderr)
    print(f"Machine: {machine()}\n")
    print(f"`check` on bench/deep_spec.py output, style {args.style}:\n")
    print(table(["N", "conv layers", "IR ops", "spec lines", "check s"], rows))
    if 4000 in seconds and 16000 in seconds:
        print(f"\nt(16k) / t(4k) = {seconds[16000] / seconds[4000]:.2f} (linear: 4.00)")

    started = time.perf_counter()
    model = archdsl.build(ROOT / "specs" / "efficientnet_b7.arch", device="meta")
    built = time.perf_counter() - started
    params = sum(p.numel() for p in model.parameters())
    on_meta = all(p.is_meta for p in model.parameters())
    print(f"\narchdsl.build(efficientnet_b7, device='meta'): {built:.2f} s, {params:,} params, "
          f"all on meta (no weight memory): {on_meta}")


if __name__ == "__main__":
    main()
