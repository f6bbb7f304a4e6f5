"""Regenerate the model table of docs/import.md: every torchvision classification model, and the timm
models the issue names, imported with `archdsl import` and checked at strict parity.

    python scripts/import_table.py --jobs 8      # import every model (slow: minutes), rewrite the table
    python scripts/import_table.py --check       # exit 1 if the table lists other models than torchvision's
    python scripts/import_table.py --only torchvision:convnext_tiny --update   # rerun rows, keep the others

Each row: the imported spec's line count, the parity result (strict state_dict load, eval mode,
randomised batchnorm statistics, max |difference| relative to the output scale), whether importing the
module built from the spec gives the same text again (round trip), or the import's error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "import.md"
BEGIN, END = "<!-- import-table:begin -->", "<!-- import-table:end -->"
TIMM = ["timm:resnet50", "timm:efficientnet_b0", "timm:mobilenetv3_large_100", "timm:convnext_tiny"]
# Auxiliary classifiers are only called in training: a spec has no unused modules.
KWARGS = {"torchvision:googlenet": {"aux_logits": False}, "torchvision:inception_v3": {"aux_logits": False}}


def targets() -> list[str]:
    import torchvision

    return [f"torchvision:{name}" for name in torchvision.models.list_models(module=torchvision.models)] + TIMM


def run_one(target: str) -> dict:
    import torch

    sys.path.insert(0, str(ROOT))
    torch.set_num_threads(1)
    from archdsl.errors import ArchError
    from archdsl.importer import import_module
    from archdsl.importer.command import import_target
    from archdsl.importer.targets import DEFAULT_INPUT, load_target

    started = time.perf_counter()
    kwargs = KWARGS.get(target, {})
    row = {"target": target, "kwargs": kwargs}
    try:
        text, _, diff, lines = import_target(target, kwargs, None, None, "model")
        import archdsl

        _, _, declared = load_target(target, kwargs)
        shape = tuple(declared or DEFAULT_INPUT)
        again = import_module(archdsl.build(text).eval(), shape, name="model", doc=archdsl.check(text).graph.doc)
        row.update(lines=lines, diff=diff, round_trip=again == text)
    except ArchError as error:
        message = re.sub(r"/\S*/site-packages/", "", error.message.splitlines()[0])  # the library's own path
        row.update(error=f"{error.code}: {message[:240]}")
    except Exception as error:  # noqa: BLE001 - a bug in the importer: the table shows it, the run goes on
        row.update(error=f"internal: {type(error).__name__}: {str(error).splitlines()[0][:160]}")
    row["seconds"] = round(time.perf_counter() - started, 1)
    return row


def render(rows: list[dict]) -> str:
    lines = ["| model | lines | parity (max rel. diff) | round trip | note |", "|---|---:|---|---|---|"]
    for row in rows:
        name = row["target"] + (f" `{json.dumps(row['kwargs'])}`" if row["kwargs"] else "")
        if "error" in row:
            error = re.sub(r"/\S*/site-packages/", "", row["error"]).replace("|", "/")
            lines.append(f"| {name} | | not imported | | {error} |")
        else:
            parity = f"equal ({row['diff']:.0e})" if row["diff"] <= 1e-5 else f"DIFFERS ({row['diff']:.1e})"
            lines.append(
                f"| {name} | {row['lines']} | {parity} | {'same text' if row['round_trip'] else 'differs'} | |"
            )
    done = sum("error" not in r for r in rows)
    lines.append("")
    lines.append(f"{done} of {len(rows)} models import at strict parity.")
    return "\n".join(lines)


def table_rows(text: str) -> dict[str, int | None]:
    """target -> line count (None when not imported), read back from the table in docs/import.md."""
    body = text.split(BEGIN)[1].split(END)[0]
    rows = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) >= 2 and cells[0].split(" ")[0].startswith(("torchvision:", "timm:")):
            rows[cells[0].split(" ")[0]] = int(cells[1]) if cells[1] else None
    return rows


def _replace_rows(text: str, rows: list[dict]) -> str:
    """The doc with the table rows of `rows` re-rendered, the others as they were, the total recounted."""
    fresh = {row["target"]: render([row]).splitlines()[2] for row in rows}
    lines = []
    for line in text.splitlines():
        target = line.strip("|").split("|")[0].strip().split(" ")[0] if line.startswith("| ") else None
        lines.append(fresh.get(target, line))
    text = "\n".join(lines) + "\n"
    body = [line for line in text.split(BEGIN)[1].split(END)[0].splitlines() if line.startswith(("| torch", "| timm"))]
    done = sum("not imported" not in line for line in body)
    return re.sub(r"\d+ of \d+ models import", f"{done} of {len(body)} models import", text)


def _report(row: dict, results: Path | None) -> dict:
    print(json.dumps(row), flush=True)
    if results is not None:
        with results.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
    return row


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--results", type=Path, help="append each row as a JSON line here as it finishes")
    parser.add_argument("--render", type=Path, help="only rewrite the table from a --results file")
    parser.add_argument("--update", action="store_true", help="with --only: replace those rows, keep the rest")
    options = parser.parse_args()
    text = DOC.read_text()
    if options.render:
        done = {r["target"]: r for r in map(json.loads, options.render.read_text().splitlines())}
        rows = [done.get(t, {"target": t, "kwargs": KWARGS.get(t, {}), "error": "not measured yet"}) for t in targets()]
        head, rest = text.split(BEGIN)
        DOC.write_text(f"{head}{BEGIN}\n{render(rows)}\n{END}{rest.split(END)[1]}")
        return 0
    if options.check:
        listed = set(table_rows(text))
        expected = set(targets())
        if listed != expected:
            print(
                f"docs/import.md is out of date: missing {sorted(expected - listed)}, extra {sorted(listed - expected)}"
            )
            return 1
        return 0
    wanted = options.only or targets()
    if options.jobs > 1:
        from multiprocessing import get_context

        with get_context("spawn").Pool(options.jobs) as pool:
            rows = [_report(row, options.results) for row in pool.imap_unordered(run_one, wanted, chunksize=1)]
    else:
        rows = [_report(run_one(t), options.results) for t in wanted]
    order = {t: i for i, t in enumerate(wanted)}
    rows.sort(key=lambda r: order[r["target"]])
    if options.only and options.update:
        DOC.write_text(_replace_rows(text, rows))
        return 0
    if options.only:
        return 0
    head, rest = text.split(BEGIN)
    DOC.write_text(f"{head}{BEGIN}\n{render(rows)}\n{END}{rest.split(END)[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
