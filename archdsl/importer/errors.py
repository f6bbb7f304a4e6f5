"""The import's own error: what could not be expressed, where in the user's model, and what to do."""

from __future__ import annotations

from ..errors import ArchError


class ModelImportError(ArchError):
    """A module or function of the traced model has no archdsl form (or fx cannot trace it)."""

    def __init__(self, message: str, hint: str | None = None, code: str = "E840"):
        super().__init__(message, None, hint=hint, code=code)


PLUGIN_HINT = "archdsl ops can be added as plugins (docs/plugins.md); the mapping is in docs/import.md"
LANGUAGE_HINT = (
    "layer norm, permutes and learnable tensors outside layers arrive with the language's next "
    "version (issue 12); until then this model cannot be written as a spec"
)
ATTENTION_HINT = "archdsl describes convolutional networks; attention layers (transformers) are out of its scope"
