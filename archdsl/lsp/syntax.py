"""The AST module, imported in this one place for the language server's modules."""

from __future__ import annotations

from ..frontend import syntax as ast

__all__ = ["ast"]
