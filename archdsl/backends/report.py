"""Rendering summaries and comparisons: an aligned table (rich), Markdown, CSV or JSON.

Tables and Markdown round MACs to K/M/G and bytes to KiB/MiB for reading; CSV and JSON keep every
figure exact (integers, bytes) for scripts.
"""

from __future__ import annotations

import csv
import io
import json

from ..shapes import fmt, fmt_outputs
from .summary import Comparison, Summary

FORMATS = ("table", "markdown", "csv", "json")


def si(count: int) -> str:
    """1814073344 -> "1.814 G"; blank for zero, so empty cells read as "nothing here"."""
    if not count:
        return ""
    for scale, unit, digits in ((1e9, "G", 3), (1e6, "M", 2), (1e3, "K", 1)):
        if count >= scale:
            return f"{count / scale:.{digits}f} {unit}"
    return str(count)


def gmacs(count: int) -> str:
    """GMACs to 3 decimals (1.814), or 3 significant digits below 0.1 so LeNet-5 is not 0.000."""
    value = count / 1e9
    return f"{value:.3f}" if value >= 0.1 or value == 0 else f"{value:.3g}"


def size(nbytes: int) -> str:
    """Binary units: 44.59 MiB, 392.0 KiB."""
    if not nbytes:
        return ""
    for scale, unit, digits in ((2**30, "GiB", 2), (2**20, "MiB", 2), (2**10, "KiB", 1)):
        if nbytes >= scale:
            return f"{nbytes / scale:.{digits}f} {unit}"
    return f"{nbytes} B"


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")


# -- summary -----------------------------------------------------------------------------------


def _summary_columns(other_ops: bool) -> list[tuple[str, bool]]:
    """(header, right-aligned) for the table and Markdown forms."""
    columns = [
        ("name", False),
        ("op", False),
        ("output", True),
        ("params", True),
        ("% params", True),
        ("MACs", True),
        ("FLOPs", True),
    ]
    if other_ops:
        columns.append(("other ops", True))
    columns.append(("activations", True))
    return columns


def _summary_cells(summary: Summary, other_ops: bool) -> list[list[str]]:
    cells = []
    for row in summary.rows:
        line = [
            row.name + (" *" if row.uncounted else ""),
            row.op,
            fmt(row.output),
            f"{row.params:,}" if row.params else "",
            f"{row.params_percent:.2f}%" if row.params else "",
            si(row.macs),
            si(row.flops),
        ]
        if other_ops:
            line.append(si(row.other_ops))
        line.append(size(row.activation_bytes))
        cells.append(line)
    return cells


def _other_label(op: str) -> str:
    from ..ops.registry import get_op

    definition = get_op(op)
    return f"{op} bias" if definition is not None and definition.weighted else op  # conv/linear: only bias adds


def _totals_lines(summary: Summary) -> list[tuple[str, str]]:
    t = summary.totals
    lines = [
        ("params", f"{t.params:,} total, {t.trainable_params:,} trainable"),
        ("weights", f"{size(t.weight_bytes) or '0 B'} (float32)"),
        ("buffers", f"{t.buffers:,} (running statistics: in the state_dict, not parameters)"),
        ("MACs", f"{t.macs:,} ({si(t.macs) or '0'}): conv and linear multiply-accumulates"),
        ("FLOPs", f"{t.flops:,} ({si(t.flops) or '0'}): 2 x MACs"),
        (
            "other ops",
            f"{t.other_ops:,} ({si(t.other_ops) or '0'}), not in MACs or FLOPs"
            + (
                ": " + ", ".join(f"{_other_label(op)} {si(n)}" for op, n in summary.other_ops_by_op.items())
                if summary.other_ops_by_op
                else ""
            ),
        ),
        (
            "activations",
            f"{size(t.activation_bytes) or '0 B'} written by the forward pass, "
            f"{size(t.peak_activation_bytes)} peak (batch 1, float32)",
        ),
        ("depth", f"{t.depth} (conv and linear layers on the longest input-to-output path)"),
    ]
    if summary.uncounted:
        listed = ", ".join(f"{u.name} ({u.op}: {u.what})" for u in summary.uncounted[:8])
        more = f" and {len(summary.uncounted) - 8} more" if len(summary.uncounted) > 8 else ""
        lines.append(("uncounted", f"{listed}{more}: no rule, left out of the totals (*)"))
    return lines


def _rich_text(table) -> str:
    """Render a rich table at its natural width (numbers never wrap), without trailing spaces."""
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=1000, color_system=None, highlight=False, emoji=False).print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _rich_table(title: str | None, columns: list[tuple[str, bool]], cells: list[list[str]]) -> str:
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=None, pad_edge=False, show_header=True)
    for header, right in columns:
        table.add_column(header, justify="right" if right else "left", no_wrap=True)
    for line in cells:
        table.add_row(*line)
    return _rich_text(table)


def _markdown_table(columns: list[tuple[str, bool]], cells: list[list[str]]) -> str:
    def escape(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "| " + " | ".join(h for h, _ in columns) + " |",
        "|" + "|".join("---:" if right else "---" for _, right in columns) + "|",
    ]
    lines += ["| " + " | ".join(escape(c) for c in line) + " |" for line in cells]
    return "\n".join(lines) + "\n"


def render_summary(summary: Summary, format: str = "table", *, other_ops: bool = False) -> str:
    _check_format(format)
    if format == "json":
        data = summary.model_dump(mode="json")
        data["conventions"] = {
            "batch": 1,
            "dtype": "float32",
            "flops": "2 x macs",
            "other_ops": "arithmetic outside conv/linear MACs, per docs/analysis.md",
        }
        return json.dumps(data, indent=2) + "\n"
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(
            [
                "name",
                "op",
                "level",
                "output",
                "params",
                "params_percent",
                "macs",
                "flops",
                "other_ops",
                "activation_bytes",
                "uncounted",
            ]
        )
        for r in summary.rows:
            writer.writerow(
                [
                    r.name,
                    r.op,
                    r.level,
                    fmt(r.output),
                    r.params,
                    f"{r.params_percent:.4f}",
                    r.macs,
                    r.flops,
                    r.other_ops,
                    r.activation_bytes,
                    ";".join(r.uncounted),
                ]
            )
        t = summary.totals
        writer.writerow(
            [
                "total",
                "",
                0,
                fmt(summary.output),
                t.params,
                "100.0000",
                t.macs,
                t.flops,
                t.other_ops,
                t.activation_bytes,
                ";".join(u.name for u in summary.uncounted),
            ]
        )
        return buffer.getvalue()
    output = fmt_outputs(summary.outputs) if summary.outputs else fmt(summary.output)
    title = f"{summary.name}: {fmt(summary.input)} -> {output} (batch 1, float32)"
    columns, cells = _summary_columns(other_ops), _summary_cells(summary, other_ops)
    totals = _totals_lines(summary)
    if format == "markdown":
        out = f"**{title}**\n\n"
        if cells:
            out += _markdown_table(columns, cells) + "\n"
        return out + _markdown_table([("total", False), ("", False)], [[k, v] for k, v in totals])
    body = _rich_table(title, columns, cells) + "\n" if cells else title + "\n"
    width = max(len(k) for k, _ in totals)
    return body + "".join(f"{k.ljust(width)}  {v}\n" for k, v in totals)


# -- comparison --------------------------------------------------------------------------------


def _compare_columns(comparison: Comparison) -> list[tuple[str, bool]]:
    columns = [
        ("model", False),
        ("input", True),
        ("params", True),
        ("GMACs", True),
        ("depth", True),
        ("activations", True),
    ]
    if any(r.latency_ms is not None for r in comparison.rows):
        columns += [("CPU ms/image", True), ("IQR ms", True)]
    if any(r.training for r in comparison.rows):  # run folders: the training columns of archdsl.train
        from ..training.results import training_headers

        columns += [(header, True) for header in training_headers()]
    return columns


def _compare_cells(comparison: Comparison, columns) -> list[list[str]]:
    cells = []
    for r in comparison.rows:
        line = [r.name, fmt(r.input), f"{r.params:,}", gmacs(r.macs), str(r.depth), size(r.activation_bytes)]
        if any(header == "CPU ms/image" for header, _ in columns):
            line.append(f"{r.latency_ms:.1f}" if r.latency_ms is not None else "")
            line.append(f"{r.latency_iqr_ms:.1f}" if r.latency_iqr_ms is not None else "")
        if len(line) < len(columns):
            from ..training.results import training_cells

            line += training_cells(r.training)
        cells.append(line)
    return cells


def render_comparison(comparison: Comparison, format: str = "table") -> str:
    _check_format(format)
    if format == "json":
        return json.dumps(comparison.model_dump(mode="json"), indent=2) + "\n"
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        runs = any(r.training for r in comparison.rows)
        extra = ["run", "best_val_acc", "epochs", "train_seconds"] if runs else []
        writer.writerow(
            [
                "name",
                "spec",
                "input",
                "params",
                "macs",
                "depth",
                "activation_bytes",
                "latency_ms",
                "latency_iqr_ms",
                *extra,
            ]
        )
        for r in comparison.rows:
            figures = [(r.training or {}).get(key, "") for key in extra]
            writer.writerow(
                [
                    r.name,
                    r.spec,
                    fmt(r.input),
                    r.params,
                    r.macs,
                    r.depth,
                    r.activation_bytes,
                    "" if r.latency_ms is None else f"{r.latency_ms:.3f}",
                    "" if r.latency_iqr_ms is None else f"{r.latency_iqr_ms:.3f}",
                    *figures,
                ]
            )
        return buffer.getvalue()
    columns = _compare_columns(comparison)
    cells = _compare_cells(comparison, columns)
    note = ""
    if any(header == "CPU ms/image" for header, _ in columns):
        threads = comparison.threads
        why = (
            "one thread, the default: steadier on a shared machine; --threads N for more"
            if threads == 1
            else f"{threads} torch threads"
            if threads
            else "torch's default threads"
        )
        note = (
            f"latency: batch 1, after a warm-up; median and interquartile range (IQR) of the timed runs on "
            f"this machine's CPU ({why})\n"
        )
    if format == "markdown":
        return _markdown_table(columns, cells) + (f"\n{note}" if note else "")
    return _rich_table(None, columns, cells) + note
