"""`archdsl serve SPEC`: a live preview that follows edits to a spec (explorer, summary, diagnostics)."""

from .server import serve
from .state import Request

__all__ = ["Request", "serve"]
