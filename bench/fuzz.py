"""Fuzz archdsl at scale: mutate every spec N times and check that each result is a model or an archdsl
diagnostic, never a crash, and that no case takes longer than 2 s.

    python bench/fuzz.py 20000                 # the run recorded in docs/errors.md
    python bench/fuzz.py 2000 --seed 7 --emit  # also compile valid models to Python source

The mutations are those of the test suite (tests/fuzzing.py): delete, duplicate or swap a token,
replace a number with 0, -1 or 10**9, truncate, insert random bytes or characters. Exit status 1 when
a case crashes, hangs (--timeout) or is slower than --slow seconds.
"""

from __future__ import annotations

import argparse
import collections
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzzing import KINDS, Mutation, Outcome, Workspace, run_case  # noqa: E402


def random_mutation(rng: random.Random, files: list[str]) -> Mutation:
    kind = rng.choice(KINDS)
    if rng.random() < 0.5:
        payload = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    else:
        alphabet = "()[]{}:,=->x*+#\"' \n\t_0123456789abcXYZ×é\u200b"
        payload = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))).encode("utf-8")
    return Mutation(rng.choice(files), kind, rng.randrange(100_000), rng.randrange(100_000), payload)


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=int, nargs="?", default=1000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--emit", action="store_true", help="also emit and compile() the source of valid models")
    parser.add_argument("--slow", type=float, default=2.0, help="a case slower than this (seconds) fails the run")
    parser.add_argument("--timeout", type=int, default=60, help="a case running this long counts as a hang")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    workspace = Workspace(Path(tempfile.mkdtemp(prefix="archdsl-fuzz-")))
    for target in {t[0] for t in workspace.targets.values()}:  # warm caches (grammar, ops) outside the timings
        run_case(workspace.root / target)
    signal.signal(signal.SIGALRM, _alarm)

    counts: collections.Counter[str] = collections.Counter()
    by_kind: collections.Counter[tuple[str, str]] = collections.Counter()
    codes: collections.Counter[str] = collections.Counter()
    failures: list[tuple[Mutation, Outcome]] = []
    slowest: list[tuple[float, Mutation, str, float]] = []
    slowest_cpu = 0.0
    slowest_by_outcome: dict[str, tuple[float, Mutation, str]] = {}
    started = time.perf_counter()
    for index in range(args.cases):
        mutation = random_mutation(rng, workspace.files)
        signal.alarm(args.timeout)
        try:
            path = workspace.root / mutation.file
            path.write_bytes(mutation.apply(workspace.originals[mutation.file]))
            outcome = run_case(workspace.root / workspace.targets[mutation.file][0], emit=args.emit)
        except Hang:
            outcome = Outcome("crash", float(args.timeout), f"hang: no answer after {args.timeout} s")
        finally:
            signal.alarm(0)
            (workspace.root / mutation.file).write_bytes(workspace.originals[mutation.file])
        counts[outcome.kind] += 1
        by_kind[(mutation.kind, outcome.kind)] += 1
        if outcome.kind == "diagnostic":
            code = outcome.detail.split("[", 1)[-1].split("]", 1)[0] if "[" in outcome.detail else "?"
            codes[code] += 1
        if outcome.kind == "crash" or outcome.seconds > args.slow:
            failures.append((mutation, outcome))
        slowest = sorted([*slowest, (outcome.seconds, mutation, outcome.detail, outcome.cpu)], key=lambda s: -s[0])[:5]
        slowest_cpu = max(slowest_cpu, outcome.cpu)
        if outcome.seconds > slowest_by_outcome.get(outcome.kind, (0.0,))[0]:
            slowest_by_outcome[outcome.kind] = (outcome.seconds, mutation, outcome.detail)
        if (index + 1) % 1000 == 0:
            print(
                f"  {index + 1:,} cases, {counts['crash']} crashes, {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    total = time.perf_counter() - started

    print(
        f"archdsl fuzz: {args.cases:,} cases over {len(workspace.files)} spec files, seed {args.seed}"
        f"{', emitting source' if args.emit else ''}"
    )
    print(f"  models {counts['model']:,}, diagnostics {counts['diagnostic']:,}, crashes {counts['crash']:,}")
    print(
        f"  total {total:.1f} s, mean {1000 * total / max(args.cases, 1):.1f} ms per case; "
        f"slowest case {slowest[0][0] if slowest else 0:.2f} s wall, most CPU for one case {slowest_cpu:.2f} s"
    )
    print("  slowest cases (wall / CPU):")
    for seconds, mutation, detail, cpu in slowest:
        print(f"    {seconds:.3f} s / {cpu:.3f} s  {mutation.kind:9} {mutation.file}  -> {detail[:80]}")
    for kind, (seconds, mutation, detail) in sorted(slowest_by_outcome.items()):
        print(f"  slowest {kind}: {seconds:.3f} s  {mutation.kind} {mutation.file} -> {detail[:80]}")
    print("  outcomes by mutation: " + ", ".join(f"{k}/{o} {n}" for (k, o), n in sorted(by_kind.items())))
    print("  diagnostics by code: " + ", ".join(f"{c} {n}" for c, n in codes.most_common()))
    for mutation, outcome in failures[:20]:
        print(f"\nFAILED ({outcome.kind}, {outcome.seconds:.2f} s): {mutation}\n{outcome.detail}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
