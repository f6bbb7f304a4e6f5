"""Shared helpers for the benchmarks: machine details, interleaved timing, tables.

These machines are noisy, so every comparison is measured side by side in one process: the two
candidates run alternately, many times, and we report the ratio of medians.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    """One line describing where the numbers were taken."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    details = [f"{cpu}", f"{os.cpu_count()} cores", f"Python {platform.python_version()}", platform.system()]
    try:
        import torch  # noqa: PLC0415 - only benchmarks that already use torch get its version

        if "torch" in sys.modules:
            details.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    except ImportError:
        pass
    return ", ".join(details)


def interleaved(candidates: dict[str, Callable[[], object]], repeats: int, warmup: int = 2) -> dict[str, list[float]]:
    """Run each candidate `repeats` times, alternating A, B, A, B...; returns seconds per run."""
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def command_times(commands: dict[str, list[str]], repeats: int) -> dict[str, list[float]]:
    """Wall time of whole commands (process start to exit), interleaved."""

    def runner(argv: list[str]) -> Callable[[], None]:
        def run() -> None:
            subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

        return run

    return interleaved({name: runner(argv) for name, argv in commands.items()}, repeats, warmup=1)


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A plain Markdown table (pastes into docs/performance.md as is)."""
    text = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) if text else len(h) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.rjust(w) if c[:1].isdigit() else c.ljust(w) for c, w in zip(r, widths)) + " |" for r in text
    ]
    return "\n".join([line, rule, *body])
