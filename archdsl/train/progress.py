"""What a run shows while it trains: a rich progress bar per epoch (running loss and accuracy) on a
terminal, one plain line per epoch otherwise. Only rank 0 shows anything."""

from __future__ import annotations

import contextlib
import sys
from typing import Any

from .loop import Tally


class Reporter:
    def __init__(self, mode: str = "auto", enabled: bool = True):
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "lines"
        self.bar = enabled and mode == "bar"

    @contextlib.contextmanager
    def epoch(self, epoch: int, epochs: int, steps: int):
        """Yields the per-step callback (None when there is no bar)."""
        if not self.bar:
            yield None
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (
            TextColumn(f"epoch {epoch}/{epochs}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("train", total=steps, status="")

            def on_step(tally: Tally) -> None:
                progress.update(task, completed=tally.steps, status=f"loss {tally.loss:.4f} acc {tally.accuracy:.2%}")

            yield on_step

    @staticmethod
    def epoch_line(row: dict[str, Any], epochs: int) -> str:
        return (
            f"epoch {row['epoch']}/{epochs}: train loss {row['train_loss']:.4f} acc {row['train_acc']:.2%} | "
            f"val loss {row['val_loss']:.4f} acc {row['val_acc']:.2%} | lr {row['lr']:.2g} | "
            f"{row['seconds']:.1f} s, {row['samples_per_s']:,.0f} samples/s"
        )
