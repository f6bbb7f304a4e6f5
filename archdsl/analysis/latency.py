"""Measured CPU latency of a built model: batch 1, median of repeated runs. Imports torch (lazily, by
being imported only when `--bench` asks for it)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def cpu_latency_ms(model, input_shape: tuple[int, ...], runs: int = 20, warmup: int = 3,
                   on_run: Callable[[], None] | None = None) -> float:
    """Milliseconds per image at batch 1 on the CPU: the median of `runs` timed forward passes, after
    `warmup` untimed ones (the first calls pay for allocation and kernel selection)."""
    import torch

    model = model.eval()
    x = torch.randn(1, *input_shape)
    times = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        for _ in range(runs):
            started = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - started)
            if on_run is not None:
                on_run()
    return statistics.median(times) * 1000.0


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
