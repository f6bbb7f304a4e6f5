"""archdsl's static counts against fvcore on every torchvision/timm reference, with timings.

    python bench/summary_vs_fvcore.py [NAME ...]      # from the repository root; NAME filters specs

Prints a Markdown table: our conv+linear MACs, fvcore's conv+linear and total counts on the reference
model at the spec's input, how the totals relate (our MACs + fvcore-convention batchnorm/adaptive-pool
counts), depth, and the time each side took (archdsl: parse, elaborate, count; fvcore: build the
reference without init, trace, count). Specs that do not exist yet are listed as missing.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
warnings.filterwarnings("ignore")


def main(names: list[str]) -> None:
    import os

    os.chdir(ROOT)
    import torch
    from test_reference_counts import REFERENCES, SPECS, _reference, fvcore_convention_extras, fvcore_counts

    import archdsl

    torch.set_num_threads(1)
    print(
        "| spec | input | archdsl MACs | fvcore conv+linear | diff | fvcore total | MACs + fvcore-style extras "
        "| depth | archdsl s | fvcore s |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for entry in REFERENCES:
        stems, constructor, _ = getattr(entry, "values", entry)
        if names and not any(n in stems[0] for n in names):
            continue
        path = next((f"specs/{s}{e}" for s in stems for e in (".arch", ".yaml") if (SPECS / f"{s}{e}").exists()), None)
        if path is None:
            print(f"| {stems[0]} | missing | | | | | | | | |")
            continue
        started = time.perf_counter()
        checked = archdsl.check(path)
        s = archdsl.summary(checked, depth=0)
        ours_s = time.perf_counter() - started
        started = time.perf_counter()
        total, by_op = fvcore_counts(_reference(constructor), checked.input_shape)
        theirs_s = time.perf_counter() - started
        theirs = sum(v for k, v in by_op.items() if k in ("conv", "linear", "addmm", "matmul"))
        related = s.totals.macs + fvcore_convention_extras(checked.graph)
        shape = "x".join(map(str, checked.input_shape))
        print(
            f"| {Path(path).stem} | {shape} | {s.totals.macs:,} | {theirs:,} | {s.totals.macs - theirs:+,} | {total:,} "
            f"| {related:,} | {s.totals.depth} | {ours_s:.2f} | {theirs_s:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
