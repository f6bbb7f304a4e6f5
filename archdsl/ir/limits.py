"""Every cap that keeps a hostile or mistaken spec from eating the machine, in one place: expression
and list sizes for the evaluator, and `Limits` for elaboration (`--max-layers`, `--max-params`)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import BaseModel

from ..errors import MAX_ERRORS

MAX_INT_BITS = 256  # no spec needs bigger numbers; stops `10**9**9` from eating the machine
MAX_LIST = 100_000  # elements of a list, counting nested lists in full
MAX_NESTING = 32  # lists of lists of ...
MAX_STRING = 10_000
MAX_STEPS = 1_000_000  # expression evaluations per run: the largest library spec (EfficientNet-B7) needs ~6,000


class Limits(BaseModel):
    """Guards against runaway specs. Each is checked while elaborating, from static shapes and counts,
    so a spec that asks too much stops with a located error before any tensor is allocated."""

    max_repeat: int = 100_000  # `x n`
    # Layers (IR ops) in the whole network. The largest library spec has about 1,000; checking runs at
    # about 35 us per layer, so this bounds `check` to under 2 s whatever the spec asks (`--max-layers`).
    max_nodes: int = 50_000
    max_depth: int = 64  # blocks and groups inside each other
    max_params: int = 10**10  # parameters in the whole network (`--max-params`)
    max_numel: int = 2**31  # numbers in one value of one sample (torch indexes with int32 in places)
    max_steps: int = MAX_STEPS  # expression evaluations
    max_errors: int = MAX_ERRORS  # errors reported before stopping


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector. Everything elaboration and validation allocate lives
    until the check returns, so the collector would only re-scan it again and again: a quarter of the
    time of checking a 30,000-layer network. Reference counting still frees what dies at once."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
