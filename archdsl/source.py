"""Source text and positions: every AST node, IR node and diagnostic points back here."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class Span(BaseModel):
    """A 1-based, end-inclusive-start / end-exclusive range in one source file."""

    model_config = ConfigDict(frozen=True)

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


class Source(BaseModel):
    """A spec's text together with the path it was read from (or a pseudo path)."""

    model_config = ConfigDict(frozen=True)

    text: str
    path: str = "<spec>"
    lines: tuple[str, ...] = Field(default=(), repr=False)

    def model_post_init(self, _context: object) -> None:
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
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise LoadError(f"no such spec file: {path}", hint="check the path, or pass the spec text itself") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise LoadError(f"cannot read {path}: {exc}") from None
        return Source(text=text, path=str(path))
    return Source(text=spec, path="<spec>")


def _looks_like_path(spec: str) -> bool:
    if "\n" in spec:
        return False
    if spec.endswith((".arch", ".yaml", ".yml")):
        return True
    try:
        return Path(spec).is_file()
    except (OSError, ValueError):  # name too long, NUL byte: it is text, not a path
        return False
