"""Params against GMACs, one labelled point per model (matplotlib, from the optional `plot` extra)."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

from .summary import Comparison


def image_formats() -> set[str]:
    """File extensions matplotlib can write (png, svg, pdf, ...). Raises ImportError without matplotlib."""
    from matplotlib.backend_bases import FigureCanvasBase

    return set(FigureCanvasBase.get_supported_filetypes())


@dataclass
class Label:
    """One placed label: the dot it names (index into the rows), its text, and its leader line if any."""

    index: int
    text: Any  # matplotlib.text.Annotation
    leader: Any = None  # matplotlib.lines.Line2D from the dot to the text, when the text sits further out


@dataclass
class Layout:
    """A drawn comparison plot: the figure, every dot's centre and radius in pixels, and the labels."""

    figure: Any
    axes: Any
    centres: list[tuple[float, float]]
    marker_radius: float
    labels: list[Label] = field(default_factory=list)


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
    import matplotlib.pyplot as plt

    layout = plot_layout(comparison, x, y)
    buffer = io.BytesIO()
    try:
        layout.figure.savefig(buffer, format=format)  # the figure's dpi: the positions placed are the ones saved
    finally:
        plt.close(layout.figure)
    return buffer.getvalue()


def plot_layout(comparison: Comparison, x: str = "macs", y: str = "params") -> Layout:
    """The plot, drawn and labelled, before it is saved (tests read the label boxes from it)."""
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window, work without a display
    import matplotlib.pyplot as plt

    rows = comparison.rows
    if "accuracy" in (x, y):
        rows = tuple(r for r in rows if r.training and r.training.get("best_val_acc") is not None)
    gmacs = [AXES[x][1](r) for r in rows]
    params = [AXES[y][1](r) for r in rows]
    crowded = len(rows) > 12
    # The whole library (90+ models) needs more room than a dozen for every label to find a free place.
    figsize = (20, 14) if len(rows) > 70 else (16, 11) if len(rows) > 40 else (12, 8.5) if crowded else (7, 5)
    figure, axes = plt.subplots(figsize=figsize, dpi=150)
    marker_area = 20 if crowded else 36  # points squared
    axes.scatter(gmacs, params, s=marker_area, zorder=3)
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
    figure.canvas.draw()  # fixes the axis limits and scales the label positions depend on
    radius = math.sqrt(marker_area) / 2 * figure.dpi / 72
    centres = [tuple(c) for c in axes.transData.transform(list(zip(gmacs, params)))]
    layout = Layout(figure, axes, centres, radius)
    _label_points(layout, [r.name for r in rows], gmacs, params, 7 if crowded else 9)
    return layout


# Directions tried around a dot, best first: right, left, above, below, then the diagonals and between.
_ANGLES = [
    0,
    180,
    90,
    270,
    30,
    150,
    330,
    210,
    60,
    120,
    300,
    240,
    15,
    165,
    345,
    195,
    45,
    135,
    315,
    225,
    75,
    105,
    285,
    255,
]
# Distances from the dot's edge to the label, in points; beyond the first two a leader line is drawn.
_RADII = [2, 5, 10, 16, 24, 34, 46, 60, 80, 105, 135, 170, 210, 260, 320, 400]
_LEADER_FROM = 10


def _label_points(layout: Layout, names: list[str], xs: list[float], ys: list[float], size: int) -> None:
    """Place every label where its box overlaps no other label, no dot and no leader line, as close to its
    own dot as such a place exists, with a leader line when it is not right beside the dot. The most
    crowded dots are placed first, while the places near them are free."""
    from matplotlib.transforms import Bbox

    figure, axes = layout.figure, layout.axes
    renderer = figure.canvas.get_renderer()
    centres, radius = layout.centres, layout.marker_radius
    # Models on the same spot (vgg16 and vgg16_bn differ by 0.006% in params) share one label.
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (x, y) in enumerate(centres):
        groups.setdefault((round(x / 3), round(y / 3)), []).append(i)
    names = list(names)
    for members in groups.values():
        names[members[0]] = " / ".join(names[i] for i in members)
        for i in members[1:]:
            names[i] = ""
    pad = 1.5
    dots = [
        Bbox.from_extents(x - radius - pad, y - radius - pad, x + radius + pad, y + radius + pad) for x, y in centres
    ]
    frame = axes.get_window_extent(renderer)
    per_point = figure.dpi / 72
    boxes: list = []
    leaders: list[tuple[tuple[float, float], tuple[float, float]]] = []

    def crowding(i: int) -> int:
        return sum(1 for x, y in centres if math.hypot(x - centres[i][0], y - centres[i][1]) < 80 * per_point)

    for index in sorted((i for i in range(len(names)) if names[i]), key=lambda i: (-crowding(i), -ys[i], xs[i])):
        probe = axes.text(0, 0, names[index], fontsize=size)
        extent = probe.get_window_extent(renderer)
        probe.remove()
        width, height = extent.width, extent.height
        cx, cy = centres[index]
        shared = next(set(members) for members in groups.values() if index in members)
        touching = {j for j, (x, y) in enumerate(centres) if math.hypot(x - cx, y - cy) < 2 * (radius + pad)}
        choice = None
        # First a leader may not cross other dots; in the densest clusters (se_resnet50 among the ResNet-50
        # variants) no such place exists, so a second pass lets the thin leader pass over dots.
        for strict, distance in [(True, d) for d in _RADII] + [(False, d) for d in _RADII if d >= _LEADER_FROM]:
            for angle in _ANGLES:
                box, anchor = _box_at(cx, cy, angle, radius + distance * per_point, width, height)
                if not (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1):
                    continue
                grown = Bbox.from_extents(box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad)
                if any(grown.overlaps(b) for b in boxes) or any(grown.overlaps(d) for d in dots):
                    continue
                if any(_crosses(a, b, grown) for a, b in leaders):
                    continue
                leader = distance >= _LEADER_FROM
                if not leader and not _owned(box, index, centres, shared):
                    continue
                end = _nearest_point(box, cx, cy)
                # A leader may leave through dots touching its own (densenet201 and efficientnet_b4), no others.
                if leader and (
                    (strict and any(_crosses((cx, cy), end, d) for j, d in enumerate(dots) if j not in touching))
                    or any(_crosses((cx, cy), end, b) for b in boxes)
                ):
                    continue
                choice = (box, anchor, leader, end)
                break
            if choice is not None:
                break
        if choice is None:  # nowhere free (never so in the library): beside the dot, overlapping, beats no label
            box, anchor = _box_at(cx, cy, 0, radius + 2 * per_point, width, height)
            choice = (box, anchor, False, (box.x0, box.y0))
        box, (ha, va), leader, end = choice
        anchor_x = box.x0 if ha == "left" else box.x1 if ha == "right" else (box.x0 + box.x1) / 2
        anchor_y = box.y0 if va == "bottom" else box.y1 if va == "top" else (box.y0 + box.y1) / 2
        text = axes.annotate(
            names[index],
            (xs[index], ys[index]),
            xytext=((anchor_x - cx) / per_point, (anchor_y - cy) / per_point),
            textcoords="offset points",
            fontsize=size,
            ha=ha,
            va=va,
        )
        line = None
        if leader:
            inverse = axes.transData.inverted()
            (x0, y0), (x1, y1) = inverse.transform([(cx, cy), end])
            (line,) = axes.plot([x0, x1], [y0, y1], color="0.35", lw=0.8, zorder=2)
            leaders.append(((cx, cy), end))
        boxes.append(box)
        layout.labels.append(Label(index, text, line))


def _box_at(cx: float, cy: float, angle: float, distance: float, width: float, height: float):
    """The label box whose nearest edge is `distance` pixels from the dot in direction `angle`, and the
    alignment (ha, va) that anchors the text there."""
    from matplotlib.transforms import Bbox

    dx, dy = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    x, y = cx + dx * distance, cy + dy * distance
    ha = "left" if dx > 0.3 else "right" if dx < -0.3 else "center"
    va = "bottom" if dy > 0.3 else "top" if dy < -0.3 else "center"
    x0 = x if ha == "left" else x - width if ha == "right" else x - width / 2
    y0 = y if va == "bottom" else y - height if va == "top" else y - height / 2
    return Bbox.from_extents(x0, y0, x0 + width, y0 + height), (ha, va)


def _owned(box, index: int, centres: list[tuple[float, float]], shared: set[int]) -> bool:
    """Whether a label without a leader line reads as its own dot's: every other dot (but those on the same
    spot, which share the label) is clearly further."""
    own = _distance(box, *centres[index])
    return all(_distance(box, x, y) > 1.5 * own + 2 for j, (x, y) in enumerate(centres) if j not in shared)


def _distance(box, x: float, y: float) -> float:
    nearest = _nearest_point(box, x, y)
    return math.hypot(nearest[0] - x, nearest[1] - y)


def _nearest_point(box, x: float, y: float) -> tuple[float, float]:
    return min(max(x, box.x0), box.x1), min(max(y, box.y0), box.y1)


def _crosses(start: tuple[float, float], end: tuple[float, float], box) -> bool:
    """Whether the segment passes through the box (sampled every pixel or so: labels are many pixels wide)."""
    steps = max(int(math.hypot(end[0] - start[0], end[1] - start[1])), 1)
    for k in range(1, steps):
        t = k / steps
        x, y = start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t
        if box.x0 < x < box.x1 and box.y0 < y < box.y1:
            return True
    return False
