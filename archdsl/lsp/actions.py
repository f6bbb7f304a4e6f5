"""Code actions (each "did you mean" hint as a quick fix) and formatting (through `archdsl.fmt`)."""

from __future__ import annotations

import re
from difflib import get_close_matches

from lsprotocol import types

from .diagnostics import diagnostics
from .documents import Analysis

CANDIDATE = re.compile(r'"([^"\n]*)"|([A-Za-z_]\w*)')


def code_actions(analysis: Analysis, params: types.CodeActionParams) -> list[types.CodeAction]:
    actions = []
    # Some clients do not send a diagnostic's `data` back: find the fix by code and range instead.
    ours = {(d.code, _key(d.range)): d.data for d in diagnostics(analysis) if d.data}
    for diagnostic in params.context.diagnostics:
        fix = (
            diagnostic.data
            if isinstance(diagnostic.data, dict)
            else ours.get((diagnostic.code, _key(diagnostic.range)))
        )
        if not fix or not fix.get("with"):
            continue
        where = target_range(analysis.text, diagnostic.range, fix.get("replace"), fix["with"])
        if where is None:
            continue
        edit = types.TextEdit(range=where, new_text=fix["with"])
        actions.append(
            types.CodeAction(
                title=f"Replace with `{fix['with']}`",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                is_preferred=True,
                edit=types.WorkspaceEdit(changes={analysis.uri: [edit]}),
            )
        )
    return actions


def _key(where: types.Range) -> tuple[int, int, int, int]:
    return where.start.line, where.start.character, where.end.line, where.end.character


def target_range(text: str, where: types.Range, subject: str | None, suggestion: str) -> types.Range | None:
    """The word (or quoted path) in the diagnostic's range that the suggestion replaces: the error's
    subject when it names one, else the candidate closest to the suggestion."""
    lines = text.splitlines()
    if where.start.line >= len(lines):
        return None
    line = lines[where.start.line]
    end = where.end.character if where.end.line == where.start.line else len(line)
    found = []
    for match in CANDIDATE.finditer(line, where.start.character, max(end, where.start.character)):
        group = 1 if match.group(1) is not None else 2
        found.append((match.group(group), match.start(group), match.end(group)))
    if not found:
        return None
    names = [word for word, _, _ in found]
    wanted = subject if subject in names else (get_close_matches(suggestion, names, n=1, cutoff=0) or [None])[0]
    _, start, stop = next(f for f in found if f[0] == wanted)
    return types.Range(
        start=types.Position(line=where.start.line, character=start),
        end=types.Position(line=where.start.line, character=stop),
    )


def formatting(analysis: Analysis) -> list[types.TextEdit]:
    """One edit replacing the whole text with `archdsl fmt`'s layout; none when the formatter is not
    installed, the text does not parse, or it is already formatted."""
    try:
        from ..fmt import format_text
    except ImportError:
        return []
    from ..errors import ArchError

    try:
        formatted = format_text(analysis.text, analysis.path)
    except ArchError:
        return []
    if formatted == analysis.text:
        return []
    lines = analysis.text.splitlines()
    end = types.Position(line=len(lines), character=0)
    return [types.TextEdit(range=types.Range(start=types.Position(line=0, character=0), end=end), new_text=formatted)]
