"""Summaries and comparisons as HTML tables: what Jupyter shows for `archdsl.summary(...)` and
`archdsl.compare(...)`, and the table beside the diagram in `archdsl serve`. The cells are the ones
the text table and Markdown print (`report.py`), so every form shows the same figures."""

from __future__ import annotations

from html import escape

from ..shapes import fmt
from .report import _compare_cells, _compare_columns, _summary_cells, _summary_columns, _totals_lines
from .summary import Comparison, Summary


def _table(columns: list[tuple[str, bool]], cells: list[list[str]], caption: str | None = None) -> str:
    def cell(tag: str, text: str, right: bool) -> str:
        return (
            f'<{tag} class="num" style="text-align:right">{escape(text)}</{tag}>'
            if right
            else (f'<{tag} style="text-align:left">{escape(text)}</{tag}>')
        )

    head = "".join(cell("th", header, right) for header, right in columns)
    body = "".join(
        "<tr>" + "".join(cell("td", text, right) for text, (_, right) in zip(line, columns)) + "</tr>" for line in cells
    )
    title = f'<caption style="text-align:left">{escape(caption)}</caption>' if caption else ""
    return f'<table class="archdsl">{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def summary_html(summary: Summary, other_ops: bool = False) -> str:
    """Per-module rows, then the totals, as HTML."""
    title = f"{summary.name}: {fmt(summary.input)} → {fmt(summary.output)} (batch 1, float32)"
    rows = _summary_cells(summary, other_ops)
    table = _table(_summary_columns(other_ops), rows, title) if rows else f"<p><b>{escape(title)}</b></p>"
    totals = _table([("total", False), ("", False)], [[k, v] for k, v in _totals_lines(summary)])
    return f'<div class="archdsl-summary">{table}{totals}</div>'


def comparison_html(comparison: Comparison) -> str:
    """One row per spec, as HTML."""
    columns = _compare_columns(comparison)
    return f'<div class="archdsl-compare">{_table(columns, _compare_cells(comparison, columns))}</div>'
