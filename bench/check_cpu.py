"""Before/after `check` in CPU seconds, for a machine too loaded for wall-clock ratios.

    git archive main archdsl | tar -x -C /tmp/base   # the baseline: any earlier archdsl package
    python bench/check_cpu.py --baseline /tmp/base [--rounds 3]

Each measurement is a fresh process, the baseline and this checkout alternating with `import torch`. For
`check` of the 16,000-layer specs (bench/deep_spec.py) the CPU time of the call itself is reported; for
`python -m archdsl check specs/densenet121.arch` and `import torch`, the CPU time of the whole process.
CPU time is what the work costs; on a shared machine it moves far less than wall time does.
The children run with `python -P`: without it the working directory (this checkout) comes first on
sys.path, and the baseline's package would never be imported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMED_CHECK = (
    "import sys, time; sys.path.insert(0, 'bench'); from deep_spec import deep_spec; import archdsl; "
    "text = deep_spec(16000, style='{style}'); start = time.process_time(); archdsl.check(text); "
    "print(time.process_time() - start)"
)


def child_cpu(argv: list[str], env: dict[str, str]) -> float:
    before = os.times()
    subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=True)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="a folder holding an earlier archdsl package")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    python = sys.executable
    envs = {
        "before": {**os.environ, "PYTHONPATH": str(Path(args.baseline).resolve())},
        "after": {**os.environ, "PYTHONPATH": str(ROOT)},
    }
    samples: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        samples.setdefault(("import torch", ""), []).append(child_cpu([python, "-c", "import torch"], envs["after"]))
        for name, env in envs.items():
            argv = [python, "-P", "-m", "archdsl", "check", "specs/densenet121.arch"]
            samples.setdefault(("densenet121 command", name), []).append(child_cpu(argv, env))
            for style in ("blocks", "flat"):
                code = TIMED_CHECK.format(style=style)
                out = subprocess.run(
                    [python, "-P", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
                )
                samples.setdefault((f"check 16k {style}", name), []).append(float(out.stdout.strip()))
    torch_cpu = statistics.median(samples[("import torch", "")])
    print(f"| what | before, CPU s | after, CPU s | before / after x torch import | ({args.rounds} rounds, medians)")
    print("|---|---:|---:|---|")
    print(f"| `import torch` | {torch_cpu:.2f} | | |")
    for what in ("densenet121 command", "check 16k blocks", "check 16k flat"):
        before, after = (statistics.median(samples[(what, name)]) for name in ("before", "after"))
        print(f"| {what} | {before:.2f} | {after:.2f} | {before / torch_cpu:.2f} / {after / torch_cpu:.2f} |")


if __name__ == "__main__":
    main()
