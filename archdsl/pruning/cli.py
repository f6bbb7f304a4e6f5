"""`archdsl prune`: option parsing and error reporting only; the work is in run.py. Importing this module
does not import torch (archdsl/cli.py registers the command)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def prune(
    source: Annotated[Path, typer.Argument(help="A run folder from `archdsl train` (or one of its .pt files).")],
    amount: Annotated[float, typer.Option("--amount", "-a", help="Fraction to remove, in [0, 1).")] = 0.5,
    structured: Annotated[
        bool, typer.Option("--structured", help="Remove whole channels and write a smaller spec (pruned.arch).")
    ] = False,
    scope: Annotated[
        str, typer.Option("--scope", help="global: one threshold over all layers; layer: the same fraction of each.")
    ] = "global",
    steps: Annotated[int, typer.Option("--steps", min=1, help="Reach --amount in this many steps.")] = 1,
    finetune_epochs: Annotated[
        int, typer.Option("--finetune-epochs", min=0, help="Epochs of retraining after each step.")
    ] = 0,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", "-x", help="Module-path glob left unpruned, e.g. conv1 or fc (repeatable)."),
    ] = None,
    use_bn: Annotated[bool, typer.Option("--bn", help="Structured: rank channels by BatchNorm scale too.")] = False,
    lr: Annotated[float | None, typer.Option("--lr", help="Retraining learning rate (default: the run's).")] = None,
    optimizer: Annotated[
        str | None, typer.Option("--optimizer", help="Retraining optimizer (default: the run's).")
    ] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", "-b", min=1)] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output run folder (default: <run>-pruned<amount>).")
    ] = None,
) -> None:
    """Prune a trained run: the smallest weights (FPNet-style), or whole channels into a smaller spec."""
    from ..cli import fail
    from ..errors import ArchError

    try:
        from .run import PruneOptions, prune_run

        prune_run(
            PruneOptions(
                str(source),
                amount=amount,
                structured=structured,
                scope=scope,
                steps=steps,
                finetune_epochs=finetune_epochs,
                exclude=list(exclude or []),
                use_bn=use_bn,
                lr=lr,
                optimizer=optimizer,
                batch_size=batch_size,
                out=str(out) if out else None,
            ),
            print_line=lambda line: print(line, flush=True),
        )
    except ArchError as error:
        fail(error)
