"""Export specs of the library to ONNX (checked with onnxruntime) and torch.export, and print a markdown
table for docs/export.md; `--update` writes the rows it measured into that table, keeping the others.

    python scripts/export_library.py                           # every spec, at its own input size
    python scripts/export_library.py resnet18 lenet5           # some specs
    python scripts/export_library.py vgg11 vgg13 --update      # and write their rows into docs/export.md
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "export.md"
HEADER = "| spec | params | ONNX (max rel. diff) | nodes | torch.export (max rel. diff) | seconds |"
ROW = re.compile(r"^\| (\w+) \|")


def measure(spec: Path) -> str:
    """Both exports of one spec, written in a folder of their own and removed after (the biggest is 5 GB)."""
    from archdsl.errors import ArchError
    from archdsl.exporting import export

    started = time.perf_counter()
    cells = []
    with tempfile.TemporaryDirectory() as folder:
        for fmt, suffix in (("onnx", "onnx"), ("exported", "pt2")):
            try:
                result = export(spec, fmt, Path(folder) / f"{spec.stem}.{suffix}")
                cells.append((f"equal ({result.max_rel_diff:.0e})", result.nodes, result.params))
            except ArchError as error:
                cells.append((f"{error.code}: {error.message.splitlines()[0][:80]}", "", ""))
    params = cells[0][2] or cells[1][2]
    seconds = time.perf_counter() - started
    if not params:
        return f"| {spec.stem} | | {cells[0][0]} | | {cells[1][0]} | {seconds:.0f} |"
    return f"| {spec.stem} | {params:,} | {cells[0][0]} | {cells[0][1]} | {cells[1][0]} | {seconds:.0f} |"


def update_doc(rows: list[str]) -> None:
    """Replace (or add) these rows in docs/export.md's table, sorted by spec name."""
    lines = DOC.read_text().splitlines()
    start = lines.index(HEADER) + 2  # past the header and its rule
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    table = {ROW.match(line).group(1): line for line in lines[start:end]}
    table.update({ROW.match(row).group(1): row for row in rows})
    lines[start:end] = [table[name] for name in sorted(table)]
    DOC.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("specs", nargs="*", help="spec names in specs/ (default: every .arch spec)")
    parser.add_argument("--update", action="store_true", help="write the measured rows into docs/export.md")
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import torch

    torch.set_num_threads(1)
    names = options.specs or sorted(p.stem for p in (ROOT / "specs").glob("*.arch"))
    print(HEADER)
    print("|---|---:|---|---:|---|---:|")
    rows = []
    for name in names:
        rows.append(measure(ROOT / "specs" / f"{name}.arch"))
        print(rows[-1], flush=True)
    if options.update:
        update_doc(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
