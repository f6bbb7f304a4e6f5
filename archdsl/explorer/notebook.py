"""The explorer inside a Jupyter output cell."""

from __future__ import annotations

from html import escape

from ..api import Checked
from .page import explorer_html


def explorer_iframe(
    checked: Checked, depth: int | str = "auto", expand: tuple[str, ...] = (), height: int = 640
) -> str:
    """The explorer page in an iframe's `srcdoc`: its script and styles stay out of the notebook's own
    page, and it still makes no request."""
    page = explorer_html(checked, depth, expand)
    return (
        f'<iframe srcdoc="{escape(page, quote=True)}" title="{escape(checked.name)} explorer" '
        f'style="width:100%;height:{height}px;border:1px solid #ddd" sandbox="allow-scripts allow-downloads">'
        "</iframe>"
    )
