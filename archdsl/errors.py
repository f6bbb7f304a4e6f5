"""Diagnostics: one error class per pipeline stage, each carrying a span, rendered with a caret.

A rendered diagnostic reads::

    specs/bad.arch:13:5: error[E401]: `add` cannot combine 64x56x56 (from `bn2`, 12:5) with 128x28x28 (from `in`)
       13 |     add(bn2, in)
          |     ^^^^^^^^^^^^
    help: add a projection shortcut so both inputs have the same shape
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .source import Source, Span

# Every code archdsl can emit, with a one-line title. docs/errors.md lists them with examples.
CODES: dict[str, str] = {
    "E100": "cannot read the spec",
    "E101": "syntax error: unexpected token",
    "E102": "syntax error: unclosed bracket",
    "E103": "syntax error: bad indentation",
    "E104": "syntax error: unexpected character",
    "E105": "syntax error: unexpected end of file",
    "E106": "syntax error: missing separator",
    "E107": "syntax error: keyword used as a name",
    "E201": "unknown name",
    "E202": "unknown op or block",
    "E203": "unknown argument",
    "E204": "missing argument",
    "E205": "too many arguments",
    "E206": "duplicate name",
    "E207": "import not found",
    "E208": "import cycle",
    "E209": "recursive block",
    "E210": "no network to build",
    "E211": "wrong kind of name",
    "E220": "plugin cannot be loaded",
    "E301": "wrong argument type",
    "E302": "size must be positive",
    "E303": "invalid expression",
    "E304": "invalid value",
    "E305": "argument written the PyTorch way",
    "E401": "shape mismatch at add or mul",
    "E402": "shape mismatch at concat",
    "E403": "groups do not divide channels",
    "E404": "spatial size collapses",
    "E405": "wrong tensor rank",
    "E406": "invalid op arguments for this input",
    "E501": "value used before it is defined (a cycle)",
    "E601": "repeat count over the limit",
    "E602": "too many layers",
    "E603": "nesting too deep",
    "E604": "too many parameters",
    "E605": "value or computation too large",
    "E606": "not enough memory for the model",
    "E701": "YAML syntax error",
    "E702": "YAML does not match the spec schema",
    "E703": "unsafe YAML",
    "E801": "cannot write the output",
    "E901": "training data missing or unreadable",
    "E902": "the data does not fit the network",
    "E903": "checkpoint or run folder unusable",
    "E904": "training diverged",
    "W501": "value is never used",
    "W502": "linear applied to a CxHxW value",
    "W503": "block is never used",
    "W504": "parameter is never used",
    "W606": "the model may not fit in memory",
}


@dataclass
class Note:
    """A secondary location shown under the main diagnostic ("`bn2` is defined here")."""

    message: str
    span: Span | None = None


@dataclass
class ArchError(Exception):
    """Base class of every user-facing archdsl error. Never shown with a traceback."""

    message: str
    span: Span | None = None
    hint: str | None = None
    code: str = "E303"
    notes: list[Note] = field(default_factory=list)
    severity: str = "error"
    sources: dict[str, Source] = field(default_factory=dict, repr=False)
    subject: str | None = field(default=None, repr=False)  # the name an "unknown name" error is about

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def attach(self, sources: Mapping[str, Source]) -> ArchError:
        """Remember the sources so the caret can be drawn; returns self for chaining."""
        for path, source in sources.items():
            self.sources.setdefault(path, source)
        return self

    def __str__(self) -> str:
        return render(self, self.sources)

    def to_json(self) -> dict:
        """A plain dict for `--format json`."""
        where = self.span
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "path": where.path if where else None,
            "line": where.line if where else None,
            "col": where.col if where else None,
            "end_line": where.end_line if where else None,
            "end_col": where.end_col if where else None,
            "hint": self.hint,
            "notes": [
                {
                    "message": n.message,
                    "path": n.span.path if n.span else None,
                    "line": n.span.line if n.span else None,
                    "col": n.span.col if n.span else None,
                }
                for n in self.notes
            ],
        }


@dataclass
class LoadError(ArchError):
    """A file could not be read or an import could not be resolved."""

    code: str = "E100"


class ParseError(ArchError):
    """The .arch or YAML text is not well formed."""


class ElaborationError(ArchError):
    """Names, arguments, types and values: anything wrong while expanding blocks and repeats."""


class ShapeError(ArchError):
    """Tensor shapes do not fit together."""


class GraphError(ArchError):
    """The value graph is malformed (cycles, dangling references)."""


class LimitError(ArchError):
    """A spec asks for more than the configured limits allow."""


MAX_ERRORS = 20  # like clang's -ferror-limit: enough to fix a batch, not a wall of text


class ErrorGroup(ArchError):
    """Several independent errors found in one run; rendered one after another, then a count."""

    def __init__(self, errors: list[ArchError], truncated: bool = False):
        first = errors[0]
        super().__init__(first.message, first.span, first.hint, first.code)
        self.errors = errors
        self.truncated = truncated

    def attach(self, sources: Mapping[str, Source]) -> ArchError:
        for error in self.errors:
            error.attach(sources)
        return super().attach(sources)

    def __str__(self) -> str:
        parts = [render(e, e.sources or self.sources) for e in self.errors]
        errors = sum(e.severity == "error" for e in self.errors)
        warnings = len(self.errors) - errors
        count = f"{errors} error{'s' if errors != 1 else ''}" + (
            f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""
        )
        if self.truncated:
            count += f"; stopped after the first {len(self.errors)}"
        return "\n\n".join(parts) + f"\n\n{count}"

    def to_json(self) -> dict:
        return {"diagnostics": [e.to_json() for e in self.errors], "truncated": self.truncated}


def flatten(error: ArchError) -> list[ArchError]:
    """The individual diagnostics of an error (one, or each of a group)."""
    return list(error.errors) if isinstance(error, ErrorGroup) else [error]


class Collector:
    """Gathers independent errors from one stage. The same mistake is reported once (by code and
    position: a faulty block used twelve times fails twelve times at the same place); after
    `limit` errors it stops the stage by raising the group."""

    def __init__(self, limit: int = MAX_ERRORS):
        self.errors: list[ArchError] = []
        self.limit = limit
        self._seen: set[tuple] = set()

    def add(self, error: ArchError) -> None:
        for item in flatten(error):
            span = item.span
            key = (item.code, span.path, span.line, span.col) if span else (item.code, item.message)
            if key in self._seen:
                continue
            self._seen.add(key)
            self.errors.append(item)
            if len(self.errors) >= self.limit:
                raise ErrorGroup(self.errors, truncated=True) if self.limit > 1 else item

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise self.errors[0] if len(self.errors) == 1 else ErrorGroup(self.errors)


def render(error: ArchError, sources: Mapping[str, Source]) -> str:
    """`path:line:col: error[CODE]: message`, the source line with the span underlined, notes, then help."""
    lines: list[str] = []
    span = error.span
    location = f"{span.path}:{span.line}:{span.col}: " if span else ""
    lines.append(f"{location}{error.severity}[{error.code}]: {error.message}")
    if span is not None:
        lines.extend(_excerpt(span, sources.get(span.path)))
    for note in error.notes:
        where = f"{note.span.path}:{note.span.line}:{note.span.col}: " if note.span else ""
        lines.append(f"note: {where}{note.message}")
        if note.span is not None:
            lines.extend(_excerpt(note.span, sources.get(note.span.path)))
    if error.hint:
        lines.append(f"help: {error.hint}")
    return "\n".join(lines)


def _excerpt(span: Span, source: Source | None) -> Iterable[str]:
    if source is None:
        return []
    text = source.line(span.line)
    if not text and span.line > len(source.lines):
        return []
    gutter = f"{span.line:>4} | "
    pad = " " * (len(gutter) - 2) + "| "
    start = max(span.col - 1, 0)
    if span.end_line == span.line and span.end_col > span.col:
        width = span.end_col - span.col
    else:
        width = max(len(text.rstrip()) - start, 1)
    # Tabs would misalign the caret; show them as single spaces in both lines.
    shown = text.replace("\t", " ")
    return [gutter + shown, pad + " " * start + "^" * max(width, 1)]
