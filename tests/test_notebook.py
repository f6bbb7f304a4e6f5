"""docs/examples/tour.ipynb runs from start to end in a real kernel (nbclient + ipykernel), and shows
what the notebook display promises: the explorer and the static SVG for a drawing, HTML tables for
summary and compare."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT

NOTEBOOK = ROOT / "docs" / "examples" / "tour.ipynb"


def _outputs(notebook, starts: str) -> tuple[dict, str]:
    """The rich outputs (by MIME type) and the printed text of the code cell that starts with `starts`."""
    cell = next(c for c in notebook.cells if c.cell_type == "code" and c.source.startswith(starts))
    data, text = {}, ""
    for output in cell.outputs:
        assert output.output_type != "error", output
        data.update(output.get("data", {}))
        text += output.get("text", "")
    return data, text


@pytest.mark.slow
def test_tour_notebook_runs(monkeypatch):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel imports this checkout's archdsl, whatever is installed.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    client = NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, if any cell fails

    drawing, _ = _outputs(notebook, "drawing = archdsl.draw")
    assert "<iframe srcdoc=" in drawing["text/html"] and "archdsl-model" in drawing["text/html"]
    assert drawing["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
    summary, _ = _outputs(notebook, "archdsl.summary(")
    assert "<table" in summary["text/html"] and "25,557,032" in summary["text/html"]
    compare, _ = _outputs(notebook, "archdsl.compare(")
    assert compare["text/html"].count("<tr>") == 5 and "efficientnet_b0" in compare["text/html"]
    _, printed = _outputs(notebook, "import torch")
    assert printed.startswith("ResNet (2, 10)"), printed
