"""The interactive diagram: a self-contained HTML page where blocks open and close in place.

`explorer_html(checked)` is the page for `archdsl draw SPEC -o net.html`; `archdsl serve` and the
notebook display use the same page."""

from .page import explorer_html

__all__ = ["explorer_html"]
