"""archdsl: a declarative architecture language for convolutional networks.

    import archdsl
    checked = archdsl.check("specs/resnet34.arch")      # static: shapes, params; no torch
    model = archdsl.build("specs/resnet34.arch", params={"num_classes": 10})   # nn.Module
    source = archdsl.emit("specs/resnet34.arch")        # the same model as a standalone .py file
    archdsl.transfer_weights(reference, model)           # copy weights by order when names differ
    archdsl.draw("specs/resnet34.arch").save("resnet34.svg")   # a block diagram; no torch
    print(archdsl.summary("specs/resnet34.arch").render("markdown"))   # exact params, MACs, memory, depth
    metrics = archdsl.train("specs/lenet5.arch", epochs=3, out="runs/lenet5")   # digits; a run folder
    run = archdsl.load_run("runs/lenet5")                  # .model (trained), .config, .metrics

Importing archdsl is cheap: the pipeline and torch load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "ArchError",
    "Checked",
    "build",
    "check",
    "compare",
    "draw",
    "emit",
    "load",
    "summary",
    "register_op",
    "OpDef",
    "Arg",
    "TorchCall",
    "Summary",
    "Comparison",
    "transfer_weights",
    "WeightTransferError",
    "export",
    "import_module",
    "train",
    "load_run",
    "Run",
    "prune",
]

_EXPORTS = {
    "check": ("archdsl.api", "check"),
    "build": ("archdsl.api", "build"),
    "emit": ("archdsl.api", "emit"),
    "draw": ("archdsl.api", "draw"),
    "load": ("archdsl.api", "load"),
    "summary": ("archdsl.api", "summary"),
    "compare": ("archdsl.api", "compare"),
    "Summary": ("archdsl.backends.summary", "Summary"),
    "Comparison": ("archdsl.backends.summary", "Comparison"),
    "Checked": ("archdsl.api", "Checked"),
    "ArchError": ("archdsl.errors", "ArchError"),
    "register_op": ("archdsl.ops.registry", "register_op"),
    "OpDef": ("archdsl.ops.registry", "OpDef"),
    "Arg": ("archdsl.ops.registry", "Arg"),
    "TorchCall": ("archdsl.ops.registry", "TorchCall"),
    "transfer_weights": ("archdsl.transfer", "transfer_weights"),
    "WeightTransferError": ("archdsl.transfer", "WeightTransferError"),
    "export": ("archdsl.exporting", "export"),
    "import_module": ("archdsl.importer", "import_module"),
    "train": ("archdsl.training", "train"),
    "load_run": ("archdsl.training.rundir", "load_run"),
    "Run": ("archdsl.training.rundir", "Run"),
    "prune": ("archdsl.pruning", "prune"),
}

if TYPE_CHECKING:
    from .api import Checked, build, check, compare, draw, emit, load, summary
    from .backends.summary import Comparison, Summary
    from .errors import ArchError
    from .ops.registry import Arg, OpDef, TorchCall, register_op
    from .training.run import train
    from .training.rundir import Run, load_run
    from .transfer import WeightTransferError, transfer_weights


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        module, attr = _EXPORTS[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'archdsl' has no attribute {name!r}")
