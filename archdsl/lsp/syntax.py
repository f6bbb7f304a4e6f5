"""The AST module, imported in this one place (it is being renamed from `frontend.ast` to `frontend.syntax`)."""

from __future__ import annotations

try:
    from ..frontend import syntax as ast
except ImportError:  # before the rename
    from ..frontend import ast  # type: ignore[no-redef]

__all__ = ["ast"]
