"""Time `archdsl draw` for every spec, at every depth, in every format; the goal is under 10 s each.

    python bench/draw_all.py                 # every spec in specs/
    python bench/draw_all.py specs/resnet152.arch other.arch --unfold

Each case's time is what `archdsl draw SPEC -o OUT.FMT --depth D` spends after start-up: the static
check, the diagram and its DOT, then the layout and rendering (the system `dot` if on PATH, else
pygraphviz in-process). The check is run once per spec and its time added to every case of that spec.
Prints one line per spec (its slowest case) and the slowest case overall; exits 1 if any case takes
longer than the goal.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 10.0
FORMATS = ("svg", "png", "pdf", "dot")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", type=Path, help="spec files (default: specs/*.arch and specs/*.yaml)")
    parser.add_argument("--unfold", action="store_true", help="draw every copy of repeated blocks")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import archdsl
    from archdsl.backends.diagram import build_diagram, max_depth
    from archdsl.backends.dot import to_dot
    from archdsl.backends.render import render, renderer

    specs = args.specs or sorted([*(ROOT / "specs").glob("*.arch"), *(ROOT / "specs").glob("*.yaml")])
    print(f"renderer: {renderer()}; goal: {GOAL_S:.0f} s per case; fold: {not args.unfold}")
    worst: tuple[float, str] = (0.0, "")
    failures = 0
    for spec in specs:
        started = time.perf_counter()
        checked = archdsl.check(spec)
        check_s = time.perf_counter() - started
        spec_worst: tuple[float, str] = (0.0, "")
        depths = [*range(1, max_depth(checked.graph) + 1), "auto", "all"]
        for depth in depths:
            started = time.perf_counter()
            diagram = build_diagram(checked.graph, depth, fold=not args.unfold)
            source = to_dot(diagram)
            build_s = time.perf_counter() - started
            for fmt in FORMATS:
                started = time.perf_counter()
                data = render(source, fmt)
                total = check_s + build_s + time.perf_counter() - started
                assert data, f"{spec} depth {depth} {fmt}: empty output"
                case = f"{spec.name} --depth {depth} -o .{fmt} ({len(diagram.nodes)} nodes)"
                spec_worst = max(spec_worst, (total, case))
                if total > GOAL_S:
                    failures += 1
                    print(f"  SLOW {total:.2f} s: {case}")
        print(f"{spec.name:28} check {check_s:5.2f} s; slowest {spec_worst[0]:5.2f} s: {spec_worst[1]}")
        worst = max(worst, spec_worst)
    print(f"slowest case: {worst[0]:.2f} s, {worst[1]}; {failures} case(s) over {GOAL_S:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
