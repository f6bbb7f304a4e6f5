"""Training and evaluation of archdsl specs (`archdsl train`, `archdsl eval`), on the compiler's public
API: `archdsl.check` fits the spec to the data, `archdsl.build` makes the model. Modules, one per concern:
options, data, adapt (spec to data), loop, progress, rundir (the run folder and checkpoints), distributed
(DDP under torchrun), run (the whole `train`), evaluate, results (compare's training columns), cli.

Importing this package does not import torch; `archdsl.train(...)` and `archdsl.load_run(...)` do.
"""

import sys
import types
from typing import Any


class _TrainPackage(types.ModuleType):
    """`archdsl.train` is both this package and the API function `archdsl.train(spec, **options)`: once the
    package is imported, Python binds the name `train` in `archdsl` to it, so the package itself is callable."""

    def __call__(self, spec: Any, **options: Any) -> list[dict[str, Any]]:
        from .run import train

        return train(spec, **options)


sys.modules[__name__].__class__ = _TrainPackage
