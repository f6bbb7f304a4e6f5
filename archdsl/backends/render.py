"""DOT source -> SVG, PNG or PDF, with no system install needed.

The system `dot` is used when it is on PATH (the user's own Graphviz). Otherwise pygraphviz renders
in-process: its 2.x wheels bundle Graphviz's libraries (dot layout, cairo, pango), so a plain
`pip install archdsl` draws every format. `.dot` output needs neither.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..files import write_atomic

FORMATS = ("svg", "png", "pdf", "dot")
PNG_DPI = 144  # sharp on high-density screens; Graphviz's 96 looks blurry when zoomed
INSTALL_HINT = (
    "install pygraphviz (`pip install pygraphviz`, its wheels bundle Graphviz) or Graphviz itself "
    "(https://graphviz.org/download/), or write a .dot file"
)
# Noise from the fontconfig bundled in pygraphviz's wheel reading a newer system config: harmless.
_NOISE = ("Fontconfig warning", "Fontconfig error")


class RenderError(RuntimeError):
    """Rendering failed, or nothing can render the asked format. The message is one line."""


def renderer() -> str | None:
    """What `render` will try first: "dot" (the system binary), "pygraphviz" (in-process), or None."""
    if shutil.which("dot"):
        return "dot"
    return "pygraphviz" if _has_pygraphviz() else None


def _has_pygraphviz() -> bool:
    try:
        import pygraphviz  # noqa: F401
    except ImportError:
        return False
    return True


def format_of(path: str | Path) -> str:
    """The output format named by a file's suffix (.gv counts as .dot)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    suffix = "dot" if suffix == "gv" else suffix
    if suffix not in FORMATS:
        raise ValueError(f"cannot tell the format of {str(path)!r}: use a .svg, .png, .pdf or .dot file name")
    return suffix


def render(source: str, fmt: str) -> bytes:
    """Lay out and render DOT `source` as `fmt` (svg, png, pdf, or dot for the source itself)."""
    return render_with(source, fmt)[0]


def render_with(source: str, fmt: str) -> tuple[bytes, str]:
    """`render`, also saying what rendered it: "dot", "pygraphviz" or "" (for .dot, nothing did)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "dot":
        return source.encode("utf-8"), ""
    args = [f"-Gdpi={PNG_DPI}"] if fmt == "png" else []
    which = renderer()
    if which == "dot":
        try:
            return _render_with_dot(source, fmt, args), "dot"
        except RenderError:
            # A minimal system Graphviz may lack the cairo plugins (no PNG or PDF): try in-process.
            if not _has_pygraphviz():
                raise
            which = "pygraphviz"
    if which == "pygraphviz":
        return _render_in_process(source, fmt, args), "pygraphviz"
    raise RenderError(f"cannot render {fmt.upper()}: Graphviz is not available; {INSTALL_HINT}")


def _render_with_dot(source: str, fmt: str, args: list[str]) -> bytes:
    exe = shutil.which("dot") or "dot"
    result = subprocess.run([exe, f"-T{fmt}", *args], input=source.encode("utf-8"), capture_output=True, timeout=300)
    if result.returncode != 0 or not result.stdout:
        first = result.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise RenderError(f"`dot -T{fmt}` failed: {first[0] if first else f'exit code {result.returncode}'}")
    _forward(result.stderr.decode("utf-8", "replace"))
    return result.stdout


def _render_in_process(source: str, fmt: str, args: list[str]) -> bytes:
    import pygraphviz

    graph = pygraphviz.AGraph(string=source)
    with _captured_stderr() as captured:
        try:
            data = graph.draw(format=fmt, prog="dot", args=" ".join(args))
        except (ValueError, OSError) as error:
            raise RenderError(f"pygraphviz could not render {fmt.upper()}: {str(error).splitlines()[0]}") from None
    _forward(captured.read())
    if not data:
        raise RenderError(f"pygraphviz produced no {fmt.upper()} output; {INSTALL_HINT}")
    return bytes(data)


def _forward(messages: str) -> None:
    """Pass Graphviz's own warnings on to the user, without the bundled fontconfig's noise."""
    for line in messages.splitlines():
        if "too large for cairo-renderer bitmaps" in line:
            sys.stderr.write(
                "note: the diagram is too big for one PNG bitmap, so Graphviz scaled it down; "
                "SVG and PDF keep full resolution\n"
            )
        elif line.strip() and not line.startswith(_NOISE):
            sys.stderr.write(f"graphviz: {line}\n")


class _Captured:
    def __init__(self) -> None:
        self.text = ""

    def read(self) -> str:
        return self.text


@contextmanager
def _captured_stderr() -> Iterator[_Captured]:
    """Capture file descriptor 2 while in-process Graphviz writes to it (C code bypasses sys.stderr)."""
    captured = _Captured()
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded interpreters): let messages through
        yield captured
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.text = sink.read().decode("utf-8", "replace")


class Drawing:
    """A network's diagram: `.source` is its DOT text; `.pipe(fmt)` renders it; `.save(path)` writes
    it in the format its suffix names; in Jupyter it displays inline as SVG."""

    def __init__(self, source: str, diagram=None, checked=None, depth: int | str = "auto", expand: tuple = ()) -> None:
        self.source = source
        self.diagram = diagram  # the backends.diagram.Diagram it was drawn from
        self.checked = checked  # the api.Checked spec, for the interactive view (`_repr_html_`)
        self.options = (depth, tuple(expand))

    def pipe(self, format: str = "svg") -> bytes:
        """The diagram rendered as svg, png, pdf (bytes), or dot (the source, encoded)."""
        return render(self.source, format)

    def save(self, path: str | Path) -> Path:
        """Render to `path` (.svg, .png, .pdf or .dot), written atomically. Returns the path."""
        data = self.pipe(format_of(Path(path)))
        return write_atomic(path, data)

    render = save

    def _repr_svg_(self) -> str:
        return self.pipe("svg").decode("utf-8")

    def _repr_html_(self) -> str | None:
        """Jupyter: the interactive explorer (blocks open on click), isolated in an iframe."""
        if self.checked is None:
            return None
        from ..explorer.notebook import explorer_iframe

        return explorer_iframe(self.checked, *self.options)

    def __repr__(self) -> str:
        name = self.diagram.name if self.diagram is not None else "?"
        count = len(self.diagram.nodes) if self.diagram is not None else "?"
        return f"<Drawing of {name}: {count} nodes; .source is DOT, .save(path) renders>"
