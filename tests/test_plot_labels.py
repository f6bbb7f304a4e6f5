"""The library plot (`archdsl compare specs/*.arch --plot`): every label beside its own dot, overlapping
no other label and no dot, measured from matplotlib's renderer extents of the drawn figure."""

from __future__ import annotations

import math

import pytest

import archdsl
from archdsl.backends.plot import plot_layout

from conftest import ROOT


def distance(box, x: float, y: float) -> float:
    nx, ny = min(max(x, box.x0), box.x1), min(max(y, box.y0), box.y1)
    return math.hypot(nx - x, ny - y)


@pytest.mark.slow
def test_library_plot_labels_sit_by_their_own_dots_without_overlap():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    comparison = archdsl.compare(sorted((ROOT / "specs").glob("*.arch")))
    layout = plot_layout(comparison)
    try:
        figure, axes = layout.figure, layout.axes
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
        rows = comparison.rows
        # The dots from the data and the scatter's own marker size, not from the layout's bookkeeping.
        dots = axes.transData.transform([(r.macs / 1e9, r.params / 1e6) for r in rows])
        (scatter,) = axes.collections
        radius = math.sqrt(scatter.get_sizes()[0]) / 2 * figure.dpi / 72
        per_point = figure.dpi / 72
        boxes = [label.text.get_window_extent(renderer) for label in layout.labels]
        frame = axes.get_window_extent(renderer)

        shown = " / ".join(label.text.get_text() for label in layout.labels).split(" / ")
        assert sorted(shown) == sorted(r.name for r in rows)  # every model named, once
        for k, (label, box) in enumerate(zip(layout.labels, boxes)):
            name = label.text.get_text()
            assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, name
            for other, other_box in zip(layout.labels[k + 1 :], boxes[k + 1 :]):
                assert not box.overlaps(other_box), f"{name} overlaps {other.text.get_text()}"
            for row, (x, y) in zip(rows, dots):
                assert distance(box, x, y) > radius, f"{name} covers the dot of {row.name}"
            own_x, own_y = dots[label.index]
            assert distance(box, own_x, own_y) < 150 * per_point, name
            same_spot = set(name.split(" / "))
            if label.leader is None:  # read by proximity: its own dot is the nearest
                nearest = min(
                    (distance(box, x, y), row.name)
                    for row, (x, y) in zip(rows, dots)
                    if row.name not in same_spot or row.name == rows[label.index].name
                )
                assert nearest[1] == rows[label.index].name, f"{name} sits nearest to {nearest[1]}"
            else:  # read by its line: from its own dot to its box
                start, end = axes.transData.transform(list(zip(*label.leader.get_data())))
                assert math.hypot(start[0] - own_x, start[1] - own_y) < 1, name
                assert distance(box, *end) < 1, name
        assert len(layout.labels) >= 30
    finally:
        plt.close(layout.figure)
