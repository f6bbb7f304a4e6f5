"""Export every spec of the library to ONNX (checked with onnxruntime) and torch.export, and print a
markdown table for docs/export.md.

    python scripts/export_library.py                    # every spec, at its own input size
    python scripts/export_library.py resnet18 lenet5    # some specs
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(names: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    import torch

    from archdsl.errors import ArchError
    from archdsl.exporting import export

    torch.set_num_threads(1)
    specs = [ROOT / "specs" / f"{n}.arch" for n in names] if names else sorted((ROOT / "specs").glob("*.arch"))
    print("| spec | params | ONNX (max rel. diff) | nodes | torch.export (max rel. diff) | seconds |")
    print("|---|---:|---|---:|---|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for spec in specs:
            started = time.perf_counter()
            cells = []
            for fmt, suffix in (("onnx", "onnx"), ("exported", "pt2")):
                try:
                    result = export(spec, fmt, Path(folder) / f"{spec.stem}.{suffix}")
                    cells.append((f"equal ({result.max_rel_diff:.0e})", result.nodes, result.params))
                except ArchError as error:
                    cells.append((f"{error.code}: {error.message.splitlines()[0][:80]}", "", ""))
            params = cells[0][2] or cells[1][2]
            seconds = time.perf_counter() - started
            print(
                f"| {spec.stem} | {params:,} | {cells[0][0]} | {cells[0][1]} | {cells[1][0]} | {seconds:.0f} |"
                if params
                else f"| {spec.stem} | | {cells[0][0]} | | {cells[1][0]} | {seconds:.0f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
