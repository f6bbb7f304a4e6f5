"""Diagnostics: the compiler's errors and warnings as LSP diagnostics, one for each the CLI prints.

Same code, message, range and hint as `archdsl check`; notes become related information. An error
inside an imported file is shown on the import line (the note "in the file imported here" points
there), with the real location as related information.
"""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types

from ..errors import ArchError
from ..source import Span
from .documents import Analysis, same_file, to_range, uri_of

SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}
SUGGESTION = re.compile(r"""did you mean (?:`([^`]+)`|"([^"]+)")\?""")
NOWHERE = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))


def diagnostics(analysis: Analysis) -> list[types.Diagnostic]:
    """The document's diagnostics from its last check."""
    index = analysis.index()
    imports = index.imports if index is not None else []
    return [
        to_diagnostic(error, analysis.path, import_lines(error, analysis.path, imports)) for error in analysis.errors
    ]


def import_lines(error: ArchError, path: str, imports: list[tuple[str, Span]]) -> list[Span]:
    """This document's import statements, the one importing the error's file first."""
    spans = [span for _, span in imports if same_file(span.path, path)]
    if error.span is None:
        return spans
    direct = [span for written, span in imports if same_file(str(Path(path).parent / written), error.span.path)]
    return direct + spans


def to_diagnostic(error: ArchError, path: str, imports: list[Span] = ()) -> types.Diagnostic:
    span = error.span
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri_of(n.span.path), range=to_range(n.span)), message=n.message
        )
        for n in error.notes
        if n.span is not None
    ]
    message = error.message
    where = NOWHERE
    local = span is not None and same_file(span.path, path)
    if local:
        where = to_range(span)
    elif span is not None:
        # Inside an imported file: shown on the import line ("imported here" names it when the file
        # failed to load; an error inside an imported block is found later, while elaborating).
        here = [n.span for n in error.notes if n.span is not None and same_file(n.span.path, path)]
        chosen = (
            next(
                (
                    n.span
                    for n in error.notes
                    if n.span is not None and "imported here" in n.message and same_file(n.span.path, path)
                ),
                None,
            )
            or next(iter(imports), None)
            or next(iter(here), None)
        )
        if chosen is not None:
            where = to_range(chosen)
        message = f"{span.path}:{span.line}:{span.col}: {message}"
        related.insert(
            0,
            types.DiagnosticRelatedInformation(
                location=types.Location(uri=uri_of(span.path), range=to_range(span)), message=error.message
            ),
        )
    if error.hint:
        message += f"\nhelp: {error.hint}"
    return types.Diagnostic(
        range=where,
        message=message,
        severity=SEVERITY.get(error.severity),
        code=error.code,
        source="archdsl",
        related_information=related or None,
        data=quick_fix_data(error) if local else None,
    )


def quick_fix_data(error: ArchError) -> dict | None:
    """What a "did you mean" hint proposes, kept on the diagnostic for the code action."""
    match = SUGGESTION.search(error.hint or "")
    if match is None:
        return None
    return {"replace": error.subject, "with": match.group(1) or match.group(2)}
