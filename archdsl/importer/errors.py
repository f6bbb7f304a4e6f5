"""The import's own error: what could not be expressed, where in the user's model, and what to do."""

from __future__ import annotations

from ..errors import ArchError


class ModelImportError(ArchError):
    """A module or function of the traced model has no archdsl form (or fx cannot trace it)."""

    def __init__(self, message: str, hint: str | None = None, code: str = "E840"):
        super().__init__(message, None, hint=hint, code=code)


PLUGIN_HINT = (
    "map the module to an archdsl op with `archdsl.importer.register_module`, adding the op as a plugin "
    "if archdsl has none (docs/plugins.md); what maps to what is in docs/import.md"
)
FUNCTION_HINT = (
    "move the call into a module of its own and map that module to an archdsl op with "
    "`archdsl.importer.register_module`, adding the op as a plugin if archdsl has none (docs/plugins.md)"
)
LANGUAGE_HINT = (
    "archdsl has no general reshape, view or transpose (only `flatten`, `permute` and `chunk`), and a "
    "learnable tensor is used in the shape it is stored in (`parameter(C, 1, 1, init=...)`); a model "
    "that reshapes its tensors cannot be written as a spec"
)
ATTENTION_HINT = "archdsl describes convolutional networks; attention layers (transformers) are out of its scope"
