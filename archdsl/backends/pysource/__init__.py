"""Typed IR -> standalone Python source that imports only torch. `build()` executes this same source.

Stages: collect.py turns IR scopes into instances (constructor trees and forward lines), classes.py
groups them into generated classes and names their parameters, writer.py writes the lines, and
module.py assembles the file.
"""

from .module import emit_source

__all__ = ["emit_source"]
