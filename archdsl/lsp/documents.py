"""What the server knows about one open document: its text, its last check and its last AST.

`analyze` runs the compiler exactly as `archdsl check` does, on the editor's text under the file's own
path (so imports resolve next to it). Features read the result; none of them runs the compiler again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from .. import api
from ..errors import ArchError, flatten
from ..ir.nodes import Graph, OpNode, ScopeNode
from ..source import Source, Span
from .index import FileIndex, build_index

if TYPE_CHECKING:
    from ..ir.program import Program

IRItem = tuple[str, OpNode | ScopeNode]  # a node of the IR with its dotted module path


@dataclass
class Analysis:
    """One document as last analysed. `program` (the AST) survives edits that break the syntax."""

    uri: str
    path: str  # as the compiler shows it: relative to the working directory when inside it
    text: str
    version: int | None = None
    errors: list[ArchError] = field(default_factory=list)
    checked: api.Checked | None = None
    stale: bool = False  # `checked` is from an earlier text: the current one has errors
    program: Program | None = None
    _nodes: dict[str, list[IRItem]] | None = field(default=None, repr=False)
    _indexes: dict[str, FileIndex] = field(default_factory=dict, repr=False)

    @property
    def is_yaml(self) -> bool:
        return self.path.endswith((".yaml", ".yml"))

    def index(self, path: str | None = None) -> FileIndex | None:
        """The index of this document's AST, or of a file it imports (`path` as the compiler shows it)."""
        if self.program is None:
            return None
        key = next((k for k in self.program.files if same_file(k, path or self.path)), None)
        if key is None:
            return None
        if key not in self._indexes:
            self._indexes[key] = build_index(self.program.files[key], self.program.sources[key])
        return self._indexes[key]

    def namespace(self, path: str | None = None) -> dict[str, object]:
        """The top-level names a file sees (its own and those it imports), as the compiler bound them.
        A block or network value has `.defn`, its AST definition (the only thing read from it here)."""
        if self.program is None:
            return {}
        env = next((e for k, e in self.program.envs.items() if same_file(k, path or self.path)), None)
        return dict(env.values) if env is not None else {}

    def ir_nodes(self) -> dict[str, list[IRItem]]:
        """The IR's nodes grouped by the resolved file their span points into."""
        if self._nodes is None:
            grouped: dict[str, list[IRItem]] = {}
            if self.checked is not None:
                for path, node in self.checked.graph.root.walk():
                    if node.span is not None:
                        grouped.setdefault(resolved(node.span.path), []).append((path, node))
            self._nodes = grouped
        return self._nodes


def display_path(uri: str) -> str:
    """The path the compiler will print for a document, like the CLI does for a path typed in a shell."""
    path = to_fs_path(uri) or uri
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return relative if not relative.startswith("..") else path


@lru_cache(maxsize=4096)
def resolved(path: str) -> str:
    """One spelling per file, to compare the paths of spans, notes and documents."""
    try:
        return str(Path(path).resolve())
    except OSError:
        return path


def uri_of(path: str) -> str:
    return from_fs_path(resolved(path)) or path


def word_at(text: str, position: types.Position) -> tuple[str, int, int]:
    """The identifier under the cursor and its start and end columns (0-based), or ("", col, col)."""
    lines = text.splitlines()
    line = lines[position.line] if position.line < len(lines) else ""
    start = end = min(position.character, len(line))
    while start > 0 and (line[start - 1].isalnum() or line[start - 1] == "_"):
        start -= 1
    while end < len(line) and (line[end].isalnum() or line[end] == "_"):
        end += 1
    return line[start:end], start, end


def contains(span: Span, line: int, col: int) -> bool:
    """Whether the 1-based (line, col) lies inside `span` (end exclusive)."""
    return (span.line, span.col) <= (line, col) < (span.end_line, span.end_col)


def same_file(a: str, b: str) -> bool:
    return resolved(a) == resolved(b)


def to_range(span: Span) -> types.Range:
    """A compiler span (1-based, end exclusive) as an LSP range (0-based, end exclusive)."""
    return types.Range(
        start=types.Position(line=span.line - 1, character=span.col - 1),
        end=types.Position(line=span.end_line - 1, character=max(span.end_col - 1, 0)),
    )


def library_only(error: ArchError, path: str) -> bool:
    """Errors that only say the document is a library meant to be imported (a family file): it defines
    no network, or its own network needs arguments that a variant gives. `archdsl check` reports them for
    the file alone; in an editor they would mark every family file, so the server leaves them out. (A
    variant that leaves out such an argument still gets the error: its span is in the family file.)"""
    if error.code == "E210" and "defines no network" in error.message:
        return True
    return (
        error.code == "E204"
        and error.message.startswith("network `")
        and error.span is not None
        and same_file(error.span.path, path)
    )


def analyze(uri: str, text: str, version: int | None, previous: Analysis | None) -> Analysis:
    """Check the document's text with the compiler. When it fails, the last good IR (for shapes) and the
    last AST that parsed (for navigation) are kept."""
    path = display_path(uri)
    source = Source(text=text, path=path)
    analysis = Analysis(uri=uri, path=path, text=text, version=version)
    try:
        analysis.checked = api.check(source)
        analysis.errors = list(analysis.checked.warnings)
    except ArchError as error:
        analysis.errors = [e for e in flatten(error) if not library_only(e, path)]
        if previous is not None and previous.checked is not None:  # shapes while a mistake is being fixed
            analysis.checked, analysis.stale = previous.checked, True
    try:
        analysis.program = api.load(source)
    except ArchError:
        analysis.program = previous.program if previous is not None else None
    return analysis


def graphs_for(path: str, analyses: list[Analysis]) -> list[tuple[Graph, list[IRItem]]]:
    """The first checked graph (the document's own first) with nodes in `path`, with those nodes: a
    family file opened next to a variant gets its shapes from the variant's check."""
    key = resolved(path)
    for analysis in analyses:
        nodes = analysis.ir_nodes().get(key)
        if nodes and analysis.checked is not None:
            return [(analysis.checked.graph, nodes)]
    return []
