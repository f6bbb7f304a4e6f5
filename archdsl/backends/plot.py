"""Params against GMACs, one labelled point per model (matplotlib, from the optional `plot` extra)."""

from __future__ import annotations

import io

from .summary import Comparison


def image_formats() -> set[str]:
    """File extensions matplotlib can write (png, svg, pdf, ...). Raises ImportError without matplotlib."""
    from matplotlib.backend_bases import FigureCanvasBase

    return set(FigureCanvasBase.get_supported_filetypes())


# What --plot can put on an axis: label and value of a row (accuracy: rows that are run folders).
AXES = {
    "macs": ("GMACs (conv + linear multiply-accumulates, batch 1)", lambda r: r.macs / 1e9),
    "params": ("parameters (millions)", lambda r: r.params / 1e6),
    "accuracy": ("best validation accuracy (%)", lambda r: 100 * r.training["best_val_acc"]),
}


def plot_comparison(comparison: Comparison, format: str = "png", x: str = "macs", y: str = "params") -> bytes:
    """A scatter plot of the comparison as an image file's bytes (`format`: png, svg, pdf...), `y` against
    `x` (keys of AXES; "accuracy" plots only the rows that are training runs).
    Raises ImportError when matplotlib is not installed."""
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window, work without a display
    import matplotlib.pyplot as plt

    rows = comparison.rows
    if "accuracy" in (x, y):
        rows = tuple(r for r in rows if r.training and r.training.get("best_val_acc") is not None)
    gmacs = [AXES[x][1](r) for r in rows]
    params = [AXES[y][1](r) for r in rows]
    crowded = len(rows) > 12
    figure, axes = plt.subplots(figsize=(10, 7) if crowded else (7, 5), dpi=150)
    axes.scatter(gmacs, params, s=24 if crowded else 36, zorder=3)
    # Architectures span orders of magnitude (LeNet to VGG): log axes keep the small ones readable.
    for values, set_scale in ((gmacs, axes.set_xscale), (params, axes.set_yscale)):
        positive = [v for v in values if v > 0]
        if positive and max(positive) / min(positive) > 20:
            set_scale("log")
    axes.set_xlabel(AXES[x][0])
    axes.set_ylabel(AXES[y][0])
    inputs = {row.input for row in rows}
    if len(inputs) == 1:
        axes.set_title(f"input {'x'.join(map(str, inputs.pop()))}", fontsize=10)
    axes.grid(True, which="major", alpha=0.3, zorder=0)
    axes.margins(0.15)
    figure.tight_layout()
    _label_points(figure, axes, [r.name for r in rows], gmacs, params, 8 if crowded else 9)
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format=format)
    finally:
        plt.close(figure)
    return buffer.getvalue()


# Where a label may go, in points from its marker, tried in order: right, left, above, below, then
# the diagonals, then the same further out with a leader line.
_OFFSETS = [(5, 3), (-5, 3), (0, 8), (0, -14), (5, -11), (-5, -11), (6, 10), (-6, 10)]


def _label_points(figure, axes, names: list[str], xs: list[float], ys: list[float], size: int) -> None:
    """Label every marker where its text overlaps no other label or marker, if such a place exists
    (greedy, first fit). With dozens of models, labels at a fixed offset pile on each other."""
    from matplotlib.transforms import Bbox

    figure.canvas.draw()  # fixes the axis limits and scales the text positions depend on
    renderer = figure.canvas.get_renderer()
    centres = axes.transData.transform(list(zip(xs, ys)))
    # Models on the same spot (vgg16 and vgg16_bn differ by 0.006% in params) share one label.
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (x, y) in enumerate(centres):
        groups.setdefault((round(x / 3), round(y / 3)), []).append(i)
    names = list(names)
    for members in groups.values():
        names[members[0]] = " / ".join(names[i] for i in members)
        for i in members[1:]:
            names[i] = ""
    markers = [Bbox.from_extents(x - 4, y - 4, x + 4, y + 4) for x, y in centres]
    frame = axes.get_window_extent(renderer)
    placed: list = []
    for index in sorted((i for i in range(len(names)) if names[i]), key=lambda i: (-ys[i], xs[i])):
        others = [b for j, b in enumerate(markers) if j != index]
        chosen = None
        for scale in (1, 2.5, 4):
            for dx, dy in _OFFSETS:
                text = axes.annotate(
                    names[index], (xs[index], ys[index]), xytext=(dx * scale, dy * scale),
                    textcoords="offset points", fontsize=size, ha="left" if dx > 0 else "right" if dx < 0 else "center",
                    arrowprops={"arrowstyle": "-", "color": "0.45", "lw": 0.7, "shrinkA": 0, "shrinkB": 3} if scale > 1 else None)
                box = text.get_window_extent(renderer)
                inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
                if inside and not any(box.overlaps(b) for b in placed + others):
                    chosen = box
                    break
                text.remove()
            if chosen is not None:
                break
        if chosen is None:  # nowhere free: the first place, overlapping, beats no label
            text = axes.annotate(names[index], (xs[index], ys[index]), xytext=_OFFSETS[0],
                                 textcoords="offset points", fontsize=size)
            chosen = text.get_window_extent(renderer)
        placed.append(chosen)
