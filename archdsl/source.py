"""Source text and positions: every AST node, IR node and diagnostic points back here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict


class Span(BaseModel):
    """A 1-based, end-inclusive-start / end-exclusive range in one source file."""

    # The schema is built on first validation (YAML, the IR boundary): the parser makes spans unvalidated.
    model_config = ConfigDict(frozen=True, defer_build=True)

    line: int
    col: int
    end_line: int
    end_col: int
    path: str = "<spec>"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"

    @property
    def where(self) -> str:
        """Short `line:col` form used inside messages ("from `bn2`, 13:9")."""
        return f"{self.line}:{self.col}"

    def shifted(self, line: int, col: int) -> Span:
        """This span of a snippet, as a span of the file the snippet starts in at line:col (columns move
        on the snippet's first line only)."""
        if (line, col) == (1, 1):
            return self
        return Span(
            line=self.line + line - 1,
            col=self.col + (col - 1 if self.line == 1 else 0),
            end_line=self.end_line + line - 1,
            end_col=self.end_col + (col - 1 if self.end_line == 1 else 0),
            path=self.path,
        )


@dataclass(frozen=True)
class Source:
    """A spec's text together with the path it was read from (or a pseudo path)."""

    text: str
    path: str = "<spec>"
    lines: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.text.splitlines()))

    def line(self, number: int) -> str:
        """The text of a 1-based line, or '' when out of range."""
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else ""

    @property
    def is_yaml(self) -> bool:
        return self.path.endswith((".yaml", ".yml"))


def read_source(spec: str | Path) -> Source:
    """Accept a path to a spec file, or spec text itself, and return a Source.

    A string counts as text when it contains a newline; otherwise it is a path.
    """
    if isinstance(spec, Path) or _looks_like_path(spec):
        path = Path(spec)
        from .errors import LoadError  # local: errors imports this module

        try:
            return read_spec_file(path, str(path))
        except FileNotFoundError:
            raise LoadError(f"no such spec file: {path}", hint="check the path, or pass the spec text itself") from None
        except OSError as exc:
            raise LoadError(f"cannot read {path}: {exc.strerror or exc}") from None
    return Source(text=spec, path="<spec>")


def read_spec_file(path: Path, shown: str) -> Source:
    """A spec file's text as a Source whose path reads `shown`: UTF-8, a byte-order mark dropped. Raises
    OSError as `open` does (callers word it for their context), or LoadError at the first byte that is
    not UTF-8."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: a byte-order mark is not part of the spec
    except UnicodeDecodeError as exc:
        raise not_utf8(Path(shown), exc) from None
    return Source(text=text, path=shown)


def not_utf8(path: Path, exc: UnicodeDecodeError):
    """A located error for a file that is not UTF-8 text: the line and column of the first bad byte."""
    from .errors import LoadError

    before = exc.object[: exc.start]
    line = before.count(b"\n") + 1
    col = len(before.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")) + 1
    span = Span(line=line, col=col, end_line=line, end_col=col + 1, path=str(path))
    error = LoadError(
        f"{path} is not UTF-8 text: byte 0x{exc.object[exc.start]:02x} cannot start a character",
        span,
        hint="save the file as UTF-8, or remove the stray byte",
    )
    shown = Source(text=exc.object.decode("utf-8", "replace"), path=str(path))  # for the caret
    return error.attach({str(path): shown})


def _looks_like_path(spec: str) -> bool:
    if "\n" in spec:
        return False
    if spec.endswith((".arch", ".yaml", ".yml")):
        return True
    try:
        return Path(spec).is_file()
    except (OSError, ValueError):  # name too long, NUL byte: it is text, not a path
        return False
