"""CLI latency: whole-command wall time of `archdsl check/summary/draw` against `python -c "import torch"`.

    python bench/cli.py [--repeats 15] [--spec specs/densenet121.arch]

Each command is a fresh process, run alternately with the others; medians are reported, with each
command's time as a fraction of the torch import time (the goal for `check` is at most 0.25).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import command_times, machine, median, table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--spec", default="specs/densenet121.arch")
    args = parser.parse_args()
    python = sys.executable
    out = Path(tempfile.mkdtemp()) / "x.svg"
    commands = {
        'python -c "import torch"': [python, "-c", "import torch"],
        f"archdsl check {args.spec}": [python, "-m", "archdsl", "check", args.spec],
        f"archdsl summary {args.spec}": [python, "-m", "archdsl", "summary", args.spec],
        f"archdsl draw {args.spec} -o x.svg": [python, "-m", "archdsl", "draw", args.spec, "-o", str(out)],
        'python -c "pass"': [python, "-c", "pass"],
    }
    times = command_times(commands, args.repeats)
    torch_time = median(times['python -c "import torch"'])
    rows = [[name, f"{median(t) * 1e3:.0f}", f"{median(t) / torch_time:.2f}"] for name, t in times.items()]
    print(f"Machine: {machine()}\n")
    print(table(["command", "median ms", "x torch import"], rows))


if __name__ == "__main__":
    main()
