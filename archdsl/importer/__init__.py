"""PyTorch modules in, readable archdsl specs out.

    import archdsl, torchvision
    text = archdsl.import_module(torchvision.models.resnet50(), (3, 224, 224))

The module is traced with torch.fx (archdsl/importer/trace.py), turned into archdsl's IR graph with
the module tree as scopes, and written by the shared writer (archdsl/writer). The spec builds a module
with the same state_dict keys; `verify` checks that on real weights. CLI: `archdsl import`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

__all__ = ["import_graph", "import_module", "register_module"]


def register_module(cls, reader) -> None:
    """Import modules of class `cls` as an archdsl op: `reader(module) -> (op name, attrs)` (docs/plugins.md)."""
    from .mapping import register_module as register

    register(cls, reader)


def import_graph(module: nn.Module, input_shape: tuple[int, ...], name: str = "model"):
    """The archdsl IR graph (`archdsl.ir.nodes.Graph`) of a traced module."""
    from .trace import collect, reject_attention, rewrite_concats, to_graph, trace

    reject_attention(module)
    traced = trace(module, tuple(input_shape))
    calls = collect(traced, module)
    rewrite_concats(calls)
    return to_graph(calls, module, name, tuple(input_shape))


def import_module(
    module: nn.Module, input_shape: tuple[int, ...], *, name: str = "model", doc: str | None = None
) -> str:
    """`.arch` text for `module` (a torch.nn.Module, traced in eval mode with a CxHxW input).

    Raises `archdsl.importer.errors.ModelImportError` (an ArchError) for what the language cannot
    express, naming the module path.
    """
    from ..writer import write_spec

    graph = import_graph(module, input_shape, name)
    return write_spec(graph, name=name, doc=doc)
