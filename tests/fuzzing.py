"""Spec mutations for fuzzing, shared by tests/test_fuzz.py (Hypothesis, bounded) and bench/fuzz.py (at scale).

A mutation damages one spec file the way a typing accident or a bad edit would: delete, duplicate or
swap tokens, replace a number with 0, -1 or 10**9, truncate, or insert random bytes. `run_case`
then checks the spec that uses the file. The only acceptable outcomes are a checked model or an
archdsl diagnostic (an ArchError that renders); anything else is a crash.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"

KINDS = ("delete", "duplicate", "swap", "number", "truncate", "insert")
NUMBERS = ("0", "-1", "1000000000")
_TOKEN = re.compile(r'\s+|"""[\s\S]*?"""|"[^"\n]*"|\'[^\'\n]*\'|#[^\n]*|->|\*\*|//|[=!<>]=|\w+|.', re.S)


@dataclass(frozen=True)
class Mutation:
    """Which file, what to do, and where: `position` and `other` pick tokens (or characters, or bytes)
    modulo what the file has, so any integers make a valid mutation (Hypothesis shrinks them freely)."""

    file: str  # relative to specs/
    kind: str
    position: int
    other: int = 0
    payload: bytes = b""

    def apply(self, data: bytes) -> bytes:
        if self.kind == "truncate":
            return data[: self.position % (len(data) + 1)]
        if self.kind == "insert":
            at = self.position % (len(data) + 1)
            return data[:at] + self.payload + data[at:]
        text = data.decode("utf-8")
        tokens = _TOKEN.findall(text)
        words = [i for i, t in enumerate(tokens) if not t.isspace()]
        if not words:
            return data
        if self.kind == "number":
            numbers = [i for i, t in enumerate(tokens) if re.fullmatch(r"\d+(\.\d*)?", t)]
            if not numbers:
                return data
            tokens[numbers[self.position % len(numbers)]] = NUMBERS[self.other % len(NUMBERS)]
        else:
            i = words[self.position % len(words)]
            if self.kind == "delete":
                tokens[i] = ""
            elif self.kind == "duplicate":
                tokens[i] = tokens[i] * 2 if self.other % 2 else tokens[i] + " " + tokens[i]
            elif self.kind == "swap":
                j = words[self.other % len(words)]
                tokens[i], tokens[j] = tokens[j], tokens[i]
        return "".join(tokens).encode("utf-8")


def spec_files(root: Path = SPECS) -> list[str]:
    """Every spec file, families included, relative to `root`."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.suffix in (".arch", ".yaml", ".yml"))


def targets_for(file: str, root: Path = SPECS) -> list[str]:
    """The top-level specs to check after changing `file`: itself, or the specs that import it."""
    path = root / file
    if path.parent == root:
        return [file]
    users = []
    for spec in sorted(root.glob("*")):
        if spec.suffix in (".arch", ".yaml", ".yml") and Path(file).name in spec.read_text(encoding="utf-8"):
            users.append(spec.name)
    return users[:1] or [file]


class Workspace:
    """A private copy of specs/ in which one file at a time is mutated and then restored."""

    def __init__(self, folder: Path):
        self.root = folder / "specs"
        if self.root.exists():
            shutil.rmtree(self.root)
        shutil.copytree(SPECS, self.root)
        self.files = spec_files(self.root)
        self.originals = {f: (self.root / f).read_bytes() for f in self.files}
        self.targets = {f: targets_for(f, self.root) for f in self.files}

    def run(self, mutation: Mutation) -> Outcome:
        path = self.root / mutation.file
        path.write_bytes(mutation.apply(self.originals[mutation.file]))
        try:
            return run_case(self.root / self.targets[mutation.file][0])
        finally:
            path.write_bytes(self.originals[mutation.file])


@dataclass
class Outcome:
    kind: str  # "model", "diagnostic" or "crash"
    seconds: float  # wall clock
    detail: str = ""
    cpu: float = 0.0  # CPU time of this process: what the case costs when the machine is shared


def run_case(spec: Path, emit: bool = False) -> Outcome:
    """Check one spec. A model or a rendered diagnostic is fine; any other exception is a crash.
    With `emit`, a valid model is also compiled to Python source, which must be valid Python."""
    import archdsl
    from archdsl.errors import ArchError

    started, cpu = time.perf_counter(), time.process_time()
    try:
        try:
            checked = archdsl.check(spec)
            if emit:
                compile(archdsl.emit(checked), str(spec), "exec")  # syntax only: nothing is executed
            kind, detail = "model", checked.name
        except ArchError as error:
            rendered = str(error)
            error.to_json()
            if not rendered.strip():
                raise AssertionError("an empty diagnostic") from None
            kind, detail = "diagnostic", rendered.splitlines()[0]
    except Exception as exc:  # noqa: BLE001 - exactly what the fuzzer looks for
        import traceback

        return Outcome(
            "crash", time.perf_counter() - started, "".join(traceback.format_exception(exc)), time.process_time() - cpu
        )
    return Outcome(kind, time.perf_counter() - started, detail, time.process_time() - cpu)
