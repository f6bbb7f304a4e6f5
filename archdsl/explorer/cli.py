"""`archdsl draw SPEC -o net.html`: write the explorer page."""

from __future__ import annotations

from pathlib import Path

import typer

from ..api import Checked
from ..backends.diagram import DrawOptionError
from .page import explorer_html


def draw_html(checked: Checked, spec: Path, output: Path, depth: str, expand: tuple[str, ...]) -> None:
    """Write the interactive page for `checked` to `output` (atomically; never over a spec it read)."""
    from ..cli import write_atomic

    try:
        html = explorer_html(checked, depth, expand)
    except DrawOptionError as exc:
        raise typer.BadParameter(str(exc), param_hint=exc.option) from None
    write_atomic(output, html, [spec, *checked.sources])
    size = len(html.encode("utf-8"))
    print(f"wrote {output}: {checked.name}, interactive, {size / 1e3:,.0f} kB; open it in a browser (works offline)")
