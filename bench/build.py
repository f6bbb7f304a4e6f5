"""Build time: `archdsl.build(spec)` against the torchvision constructor, interleaved, medians.

    python bench/build.py [--repeats 7]

archdsl's time includes everything a user waits for when they call `archdsl.build` on a spec file:
parsing, elaboration, shape checks, code generation and constructing the module (weights initialised
by torch exactly as torchvision's layers are).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, interleaved, machine, median, table  # noqa: E402

MODELS = {"resnet152": "resnet152", "densenet201": "densenet201"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    import torchvision

    import archdsl

    rows = []
    for name, constructor in MODELS.items():
        spec = ROOT / "specs" / f"{name}.arch"
        times = interleaved(
            {
                "archdsl": lambda spec=spec: archdsl.build(spec),
                "torchvision": lambda constructor=constructor: getattr(torchvision.models, constructor)(),
            },
            args.repeats,
            warmup=1,
        )
        ours, ref = median(times["archdsl"]), median(times["torchvision"])
        rows.append([name, f"{ours * 1e3:.0f}", f"{ref * 1e3:.0f}", f"{ours / ref:.3f}"])
    print(f"Machine: {machine()}\n")
    print(table(["model", "archdsl.build ms", "torchvision ms", "ratio"], rows))


if __name__ == "__main__":
    main()
