"""Memory before allocation: will a checked network fit in this machine's available memory?

`check` warns (W606) and `compile`/`build` refuse (E606) before torch allocates anything, so a spec
that asks for more memory than the machine has gets a diagnostic instead of an out-of-memory crash.
The figures are static (`archdsl.summary`, float32): the weights and buffers, and for a forward pass
the peak of the activations alive at once at batch 1. Available memory is Linux's MemAvailable, the
kernel's own estimate of what can be allocated without swapping; elsewhere no check is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ArchError

MEMINFO = Path("/proc/meminfo")
BYTES_PER_ELEMENT = 4  # float32, as summary counts


def available_bytes(meminfo: Path = MEMINFO) -> int | None:
    """MemAvailable from /proc/meminfo in bytes, or None where it cannot be read (not Linux)."""
    try:
        text = meminfo.read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("MemAvailable:"):
            value, unit = line.split(":", 1)[1].split()[:2]
            return int(value) * (1024 if unit.lower() == "kb" else 1)
    return None


@dataclass(frozen=True)
class Need:
    """Bytes a network needs: weights and buffers, and the activations of one forward pass at batch 1."""

    weights: int
    activations: int

    def total(self, forward: bool) -> int:
        return self.weights + (self.activations if forward else 0)


def need(checked) -> Need:
    """Static memory figures of a `Checked` network (no torch)."""
    from . import api

    totals = api.summary(checked, depth=0).totals
    return Need(
        weights=(totals.params + totals.buffers) * BYTES_PER_ELEMENT,
        activations=totals.peak_activation_bytes + totals.input_bytes,
    )


def gigabytes(count: int) -> str:
    """Bytes as the message shows them: `25.6 GB`, `528 MB` (decimal, as `free -h` and the issue tracker write)."""
    return f"{count / 1e9:.1f} GB" if count >= 1e9 else f"{count / 1e6:.0f} MB"


def _largest_layer(checked):
    ops = [(path, node) for path, node in checked.graph.ops() if node.params]
    return max(ops, key=lambda item: item[1].params, default=None)


def memory_problem(
    checked, *, forward: bool, severity: str = "error", available: int | None = None
) -> ArchError | None:
    """An E606 error (or W606 warning) when the network would not fit in available memory, else None.

    `forward`: count one forward pass of activations too (what `compile` runs). `available`: bytes, read
    from /proc/meminfo when not given.
    """
    free = available_bytes() if available is None else available
    if free is None:
        return None
    needed = need(checked)
    total = needed.total(forward)
    if total <= free:
        return None
    parts = f"{gigabytes(needed.weights)} of weights" + (
        f" and {gigabytes(needed.activations)} of activations for one forward pass at batch 1" if forward else ""
    )
    largest = _largest_layer(checked)
    where = None
    if largest is not None:
        path, node = largest
        where = node.span
        parts += f"; the largest layer, `{path}`, has {node.params:,} parameters"
    warning = severity == "warning"
    message = (
        f"{checked.name} needs {gigabytes(total)} ({parts}), more than the {gigabytes(free)} of memory "
        f"available here" + ("; `compile` would refuse to build it" if warning else "")
    )
    error = ArchError(
        message,
        where,
        code="W606" if warning else "E606",
        severity=severity,
        hint="check the sizes (a layer with this many parameters is usually a typo), or run on a "
        "machine with more memory; `compile -o FILE.py` writes the module without building it",
    )
    return error.attach(checked.sources)


def refuse_if_too_large(checked, *, forward: bool) -> None:
    """Raise E606 before building a network that would not fit (used by `build` and `compile`)."""
    error = memory_problem(checked, forward=forward)
    if error is not None:
        raise error
