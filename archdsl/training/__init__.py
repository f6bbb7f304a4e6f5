"""Training and evaluation of archdsl specs (`archdsl train`, `archdsl eval`), on the compiler's public
API: `archdsl.check` fits the spec to the data, `archdsl.build` makes the model. Modules, one per concern:
options, data, adapt (spec to data), loop, progress, rundir (the run folder and checkpoints), distributed
(DDP under torchrun), run (the whole `train`), evaluate, results (compare's training columns), cli.

Importing this package does not import torch; `archdsl.train(...)` and `archdsl.load_run(...)` do.
"""

from __future__ import annotations

from typing import Any


def train(spec: Any, **options: Any) -> list[dict[str, Any]]:
    """Train a spec as `archdsl train` does (options as its flags, in snake case) and return its metrics,
    one dict per epoch. See `archdsl.training.run.train`."""
    from .run import train as run_train

    return run_train(spec, **options)
