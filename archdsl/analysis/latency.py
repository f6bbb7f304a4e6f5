"""Measured CPU latency of a built model: batch 1, after a warm-up, median and interquartile range of
repeated runs, one torch thread unless asked otherwise. Imports torch (lazily, by being imported only
when `--bench` asks for it)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# The default for `compare --bench`: one torch thread. On a machine shared with other programs (or other
# benchmarks), several threads measure the machine's load as much as the model: on a busy 2-core machine
# resnet18 timed slower than resnet50 with torch's default threads.
DEFAULT_THREADS = 1
WARMUP_SECONDS = 0.25  # warm-up runs continue at least this long (caches, allocator, CPU frequency)


@dataclass(frozen=True)
class Latency:
    """Milliseconds per image at batch 1: the median of the timed runs and their quartiles."""

    median_ms: float
    q1_ms: float
    q3_ms: float

    @property
    def iqr_ms(self) -> float:
        """The interquartile range: the spread of the middle half of the runs."""
        return self.q3_ms - self.q1_ms


def cpu_latency(
    model, input_shape: tuple[int, ...], runs: int = 20, warmup: int = 3, on_run: Callable[[], None] | None = None
) -> Latency:
    """Time `runs` forward passes at batch 1 on the CPU, after at least `warmup` untimed ones lasting at least
    WARMUP_SECONDS (the first calls pay for allocation and kernel selection)."""
    import torch

    model = model.eval()
    x = torch.randn(1, *input_shape)
    times = []
    with torch.inference_mode():
        started = time.perf_counter()
        done = 0
        while done < warmup or (time.perf_counter() - started < WARMUP_SECONDS and done < 100):
            model(x)
            done += 1
        for _ in range(runs):
            started = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - started)
            if on_run is not None:
                on_run()
    milliseconds = sorted(t * 1000.0 for t in times)
    if len(milliseconds) == 1:
        return Latency(milliseconds[0], milliseconds[0], milliseconds[0])
    q1, median, q3 = statistics.quantiles(milliseconds, n=4, method="inclusive")
    return Latency(median, q1, q3)


def cpu_latency_ms(
    model, input_shape: tuple[int, ...], runs: int = 20, warmup: int = 3, on_run: Callable[[], None] | None = None
) -> float:
    """The median of `cpu_latency`, in milliseconds."""
    return cpu_latency(model, input_shape, runs, warmup, on_run).median_ms


@contextmanager
def torch_threads(count: int | None) -> Iterator[int]:
    """Run with `count` torch CPU threads (None: torch's choice), restoring the setting after.
    Yields the number in use, which the report prints next to the latencies."""
    import torch

    before = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
