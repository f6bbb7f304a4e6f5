"""Go to definition and find references: blocks, networks, constants, imported names (into the file
that defines them), labels, values, parameters and import paths."""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types

from ..source import Span
from .documents import Analysis, contains, same_file, to_range, uri_of, word_at
from .index import FileIndex, Symbol, flatten_symbols

IMPORT_PATH = re.compile(r"""^\s*(?:import|from)\s+"([^"]*)\"""")


def local_definitions(index: FileIndex, name: str, line: int) -> list[Symbol]:
    """Where `name` is bound inside the definition enclosing `line`: labels, values, parameters, loops."""
    scope = index.enclosing(line)
    if scope is None:
        return []
    return [s for s in flatten_symbols(scope.children) if s.name == name]


def global_definition(analysis: Analysis, name: str, path: str | None = None) -> tuple[Symbol, str] | None:
    """A top-level name seen from a file (`path`, default the document): defined there, or imported.
    Returns the symbol and the path of the file that defines it."""
    index = analysis.index(path)
    if index is None:
        return None
    found = index.top(name)
    if found is not None:
        return found, index.path
    defn = getattr(analysis.namespace(index.path).get(name), "defn", None)
    if defn is None or defn.span is None:
        return None
    other = analysis.index(defn.span.path)
    symbol = other.top(name) if other is not None else None
    return (symbol, other.path) if symbol is not None else None


def import_target(analysis: Analysis, position: types.Position) -> Path | None:
    """The file an `import "..."` line names, when the cursor is on its path."""
    line = analysis.text.splitlines()[position.line] if position.line < len(analysis.text.splitlines()) else ""
    match = IMPORT_PATH.match(line)
    if match is None or not match.start(1) <= position.character <= match.end(1):
        return None
    return Path(analysis.path).resolve().parent / match.group(1)


def definition(analysis: Analysis, position: types.Position) -> list[types.Location]:
    target = import_target(analysis, position)
    if target is not None:
        start = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
        return [types.Location(uri=uri_of(str(target)), range=start)] if target.is_file() else []
    word, _, _ = word_at(analysis.text, position)
    index = analysis.index()
    if not word or index is None:
        return []
    local = local_definitions(index, word, position.line + 1)
    if local:
        return [_location(s.span) for s in local]
    found = global_definition(analysis, word)
    return [_location(found[0].span)] if found else []


def references(
    analysis: Analysis, others: list[Analysis], position: types.Position, include_declaration: bool
) -> list[types.Location]:
    """Uses of a label, value or parameter in its definition; uses of a block or network in every open
    document and the files they import."""
    word, _, _ = word_at(analysis.text, position)
    index = analysis.index()
    if not word or index is None:
        return []
    line = position.line + 1
    local = local_definitions(index, word, line)
    if local:
        scope = index.enclosing(line)
        spans = [u.span for u in index.uses if u.name == word and scope.line <= u.span.line <= scope.end_line]
        declared = [s.span for s in local] if include_declaration else []
        return [_location(s) for s in _unique(declared + spans)]
    found = global_definition(analysis, word)
    if found is None:
        return []
    symbol, home = found
    spans = [symbol.span] if include_declaration else []
    for document in [analysis, *others]:
        if document.program is None:
            continue
        for path in document.program.files:
            other = document.index(path)
            seen = global_definition(document, word, path)
            if other is None or seen is None or not same_file(seen[1], home) or seen[0].line != symbol.line:
                continue  # another thing of the same name
            spans.extend(u.span for u in other.uses if u.name == word and not _shadowed(other, u))
    return [_location(s) for s in _unique(spans)]


def _shadowed(index: FileIndex, use) -> bool:
    return bool(local_definitions(index, use.name, use.span.line))


def _unique(spans: list[Span]) -> list[Span]:
    seen, kept = set(), []
    for span in spans:
        key = (str(Path(span.path).resolve()), span.line, span.col)
        if key not in seen:
            seen.add(key)
            kept.append(span)
    return kept


def _location(span: Span) -> types.Location:
    return types.Location(uri=uri_of(span.path), range=to_range(span))


def symbol_at(index: FileIndex, line: int, col: int) -> Symbol | None:
    """The defined name whose own range holds the cursor (1-based)."""
    return next((s for s in flatten_symbols(index.definitions) if contains(s.span, line, col)), None)
