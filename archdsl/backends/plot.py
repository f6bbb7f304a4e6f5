"""Params against GMACs, one labelled point per model (matplotlib, from the optional `plot` extra)."""

from __future__ import annotations

import io

from .summary import Comparison


def image_formats() -> set[str]:
    """File extensions matplotlib can write (png, svg, pdf, ...). Raises ImportError without matplotlib."""
    from matplotlib.backend_bases import FigureCanvasBase

    return set(FigureCanvasBase.get_supported_filetypes())


def plot_comparison(comparison: Comparison, format: str = "png") -> bytes:
    """A scatter plot of the comparison as an image file's bytes (`format`: png, svg, pdf...).
    Raises ImportError when matplotlib is not installed."""
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window, work without a display
    import matplotlib.pyplot as plt

    rows = comparison.rows
    gmacs = [r.macs / 1e9 for r in rows]
    params = [r.params / 1e6 for r in rows]
    figure, axes = plt.subplots(figsize=(7, 5), dpi=150)
    axes.scatter(gmacs, params, s=36, zorder=3)
    for row, x, y in zip(rows, gmacs, params):
        axes.annotate(row.name, (x, y), textcoords="offset points", xytext=(5, 4), fontsize=9)
    # Architectures span orders of magnitude (LeNet to VGG): log axes keep the small ones readable.
    for values, set_scale in ((gmacs, axes.set_xscale), (params, axes.set_yscale)):
        positive = [v for v in values if v > 0]
        if positive and max(positive) / min(positive) > 20:
            set_scale("log")
    axes.set_xlabel("GMACs (conv + linear multiply-accumulates, batch 1)")
    axes.set_ylabel("parameters (millions)")
    inputs = {row.input for row in rows}
    if len(inputs) == 1:
        axes.set_title(f"input {'x'.join(map(str, inputs.pop()))}", fontsize=10)
    axes.grid(True, which="major", alpha=0.3, zorder=0)
    axes.margins(0.15)
    figure.tight_layout()
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format=format)
    finally:
        plt.close(figure)
    return buffer.getvalue()
