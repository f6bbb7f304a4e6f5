"""What validating the IR graph once at the boundary costs, inside `check` of the 16,000-layer specs.

    python bench/validate_cost.py [--size 16000] [--repeats 3]

For each style of bench/deep_spec.py, one run reports side by side: the whole `archdsl.check`, the
part spent in the single `Graph.model_validate` call that ends elaboration (its share of the check),
and a JSON round trip of the result (`model_dump_json`, then `Graph.model_validate_json`, with the
cyclic garbage collector paused as `check` does). Medians of `--repeats` runs.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import archdsl
from archdsl.ir.nodes import Graph

from common import machine, median, table
from deep_spec import deep_spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=16000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    spent: list[float] = []
    validate = Graph.model_validate.__func__

    def timed_validate(cls, data, **kwargs):
        start = time.perf_counter()
        graph = validate(cls, data, **kwargs)
        spent.append(time.perf_counter() - start)
        return graph

    Graph.model_validate = classmethod(timed_validate)
    archdsl.check(deep_spec(50, style="blocks"))  # warm up: grammar, schemas
    rows = []
    for style in ("blocks", "flat"):
        text = deep_spec(args.size, style=style)
        checks, validations, dumps, loads = [], [], [], []
        for _ in range(args.repeats):
            spent.clear()
            start = time.perf_counter()
            checked = archdsl.check(text)
            checks.append(time.perf_counter() - start)
            validations.append(spent[0])
            gc.disable()
            try:
                start = time.perf_counter()
                data = checked.graph.model_dump_json()
                dumps.append(time.perf_counter() - start)
                start = time.perf_counter()
                back = Graph.model_validate_json(data)
                loads.append(time.perf_counter() - start)
            finally:
                gc.enable()
            assert back == checked.graph
        ops = sum(1 for _ in checked.graph.ops())
        check_s, validate_s = median(checks), median(validations)
        rows.append(
            [
                style,
                f"{ops:,}",
                f"{check_s:.2f}",
                f"{validate_s:.3f}",
                f"{validate_s / check_s:.1%}",
                f"{median(dumps):.2f}",
                f"{median(loads):.2f}",
                f"{len(data) / 1e6:.1f}",
            ]
        )
    print(machine())
    print(f"`check` of bench/deep_spec.py {args.size} and its one graph validation:\n")
    print(
        table(["style", "IR ops", "check s", "validate s", "share", "dump_json s", "validate_json s", "JSON MB"], rows)
    )


if __name__ == "__main__":
    main()
