"""`archdsl fmt`: the canonical layout of `.arch` specs, as black and gofmt give Python and Go.

No options; comments are kept; formatting formatted text changes nothing; the AST (and so the IR) of
the formatted text equals the original's, which `format_text` verifies on every call.
"""

from __future__ import annotations

from ..source import Source

__all__ = ["FormatterBug", "format_text"]


class FormatterBug(RuntimeError):
    """The formatted text would not parse to the same spec: a bug in archdsl fmt, never the user's."""


def format_text(text: str, path: str = "<spec>") -> str:
    """The canonical layout of `.arch` text. Raises archdsl.errors.ArchError (a ParseError) when the
    text does not parse, and FormatterBug if the result would mean something else."""
    from ..frontend.parser import parse
    from .printer import format_spec

    spec = parse(Source(text=text, path=path))
    formatted = format_spec(spec, text)
    if formatted != text and parse(Source(text=formatted, path=path)) != spec:
        raise FormatterBug(f"{path}: formatting would change the spec; please report this with the file")
    return formatted
