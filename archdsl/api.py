"""The whole pipeline, one stage per line.

text/YAML --parse--> AST --load imports--> Program --elaborate (+ shapes)--> typed IR --validate-->
IR + warnings --> backends: Python source | torch module | Graphviz | summary / compare
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ArchError, ElaborationError, LimitError
from .frontend import syntax
from .ir import library
from .ir.elaborate import Elaborator
from .ir.limits import Limits, paused_gc
from .ir.lint import validate
from .ir.nodes import Graph
from .ir.program import Program, load_program
from .ir.suggest import suggest
from .ir.values import NetworkInfo
from .source import Source, read_source

if TYPE_CHECKING:
    from .backends.summary import Comparison, Summary


@dataclass
class Checked:
    """A checked spec: its typed IR, its warnings, and the sources it was read from."""

    graph: Graph
    warnings: list[ArchError] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    origin: str = "<spec>"
    fixed_params: set[str] = field(default_factory=set)
    request: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.graph.name

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.graph.input_shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.graph.output_shape

    @property
    def output_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every output's shape by name, the main one first (`{"output": shape}` for a single one)."""
        return self.graph.output_shapes

    @property
    def total_params(self) -> int:
        return self.graph.total_params


@lru_cache(maxsize=64)
def parse_file(source: Source) -> syntax.SpecFile:
    """The front end for one file, chosen by extension (.yaml/.yml or .arch). Cached by (text, path):
    the AST is frozen, and an unchanged file is parsed once (an editor's imports on every keystroke,
    `emit`'s re-checks)."""
    if source.is_yaml:
        from .frontend.yaml_loader import load_yaml

        return load_yaml(source)
    from .frontend.parser import parse

    return parse(source)


def load(spec: str | Path | Source) -> Program:
    """Read and parse a spec (a path, spec text, or a `Source`) and everything it imports."""
    source = spec if isinstance(spec, Source) else read_source(spec)
    return load_program(source, parse_file)


def check(
    spec: str | Path | Source,
    params: dict[str, Any] | None = None,
    *,
    input_shape: tuple[int, ...] | None = None,
    network: str | None = None,
    limits: Limits | None = None,
) -> Checked:
    """Parse, elaborate and shape-check a spec. Raises an ArchError subclass on the first problem.

    `params` overrides network parameters, by name: Python values, or `syntax` expressions (what
    `--set name=value` parses to). Network parameters go only through `params`, here and in every other
    API function, so none can collide with an option. `input_shape` replaces the spec's `input` line;
    `network` picks one of several networks in the file. A `Source` checks text under a path of its own
    (an editor's unsaved buffer: imports resolve next to it).
    """
    overrides = dict(params or {})
    sources: dict[str, Source] = {}
    source = spec if isinstance(spec, Source) else read_source(spec)
    try:
        with paused_gc():  # see paused_gc: everything made here lives until the check returns
            program = load_program(source, parse_file, sources)
            try:
                info = pick_network(program, network)
            except ElaborationError as error:
                raise (
                    library.no_network(error, program, limits) if error.code == "E210" and not network else error
                ) from None
            elaborator = Elaborator(program, limits)
            values = {
                k: elaborator.evaluator.eval(v, program.main_env)
                if isinstance(v, syntax.Node)
                else elaborator.evaluator.check_size(_from_python(v), info.defn)
                for k, v in overrides.items()
            }
            try:
                graph = elaborator.network(info, values, tuple(input_shape) if input_shape else None)
            except ArchError as error:  # with the mistakes in blocks the network never opened
                raise library.with_unrun_blocks(error, elaborator, program) from None
            library.raise_unrun_block_errors(elaborator, program)
            report = validate(graph)
            report.warnings += library.unused_warnings(program)
            fixed = set(graph.params) - elaborator.exposable()
    except ArchError as error:
        raise error.attach(sources) from None
    except RecursionError:  # a last resort: the parser and the limits catch the usual ways to get here
        raise LimitError(
            f"{source.path} nests too deeply to process",
            None,
            code="E603",
            hint="split deeply nested expressions or blocks into named parts",
        ).attach(sources) from None
    for warning in report.warnings:
        warning.attach(sources)
    request = {"spec": spec, "params": overrides, "input_shape": input_shape, "network": network, "limits": limits}
    return Checked(graph, report.warnings, sources, source.path, fixed, request)


def emit(
    spec: str | Path | Checked,
    params: dict[str, Any] | None = None,
    *,
    input_shape: tuple[int, ...] | None = None,
    network: str | None = None,
) -> str:
    """The standalone Python module for a spec (imports only torch). `params`, `input_shape` and
    `network` are those of `check`."""
    from .backends.pysource import emit_source

    checked = _checked(spec, params, input_shape, network)
    return emit_source(checked.graph, checked.origin, factory_params(checked))


def factory_params(checked: Checked) -> frozenset[str]:
    """Network parameters the generated factory can take as keyword arguments.

    A parameter qualifies when the spec never computes with it (`Checked.fixed_params` says which it
    does) and re-elaborating with another value changes nothing but the places it is used verbatim.
    """
    from .ir.factory_params import only_param_differs, probe_value

    confirmed = set()
    for name, value in checked.graph.params.items():
        if name in checked.fixed_params:
            continue
        request = dict(checked.request)
        request["params"] = {**request.get("params", {}), name: probe_value(value)}
        spec = request.pop("spec")
        try:
            other = check(spec, request.pop("params"), **request)  # the options `check` was given
        except ArchError:
            continue
        if only_param_differs(checked.graph, other.graph, name):
            confirmed.add(name)
    return frozenset(confirmed)


def build(
    spec: str | Path | Checked,
    params: dict[str, Any] | None = None,
    *,
    device: Any = None,
    dtype: Any = None,
    input_shape: tuple[int, ...] | None = None,
    network: str | None = None,
):
    """An ordinary `torch.nn.Module` for a spec, built by executing the same source `emit` writes.

    `device="meta"` builds the module without allocating weight memory. On the CPU, a network whose
    weights would not fit in available memory is refused with E606 before anything is allocated.
    `params`, `input_shape` and `network` are those of `check`.
    """
    from .backends.pysource import emit_source
    from .backends.torch_module import instantiate

    checked = _checked(spec, params, input_shape, network)
    if device is None or str(device) == "cpu":  # "meta" allocates nothing; a GPU's memory is not MemAvailable
        from .memory import refuse_if_too_large

        refuse_if_too_large(checked, forward=False)
    # The factory is called with no arguments here, so which parameters it could take does not matter:
    # skipping that probe (one more elaboration per parameter) keeps `build` as fast as torchvision's
    # constructors. The classes, and so the module, are exactly those of the emitted file.
    return instantiate(emit_source(checked.graph, checked.origin), checked.graph.name, device=device, dtype=dtype)


def summary(
    spec: str | Path | Checked,
    params: dict[str, Any] | None = None,
    *,
    depth: int = 2,
    input_shape: tuple[int, ...] | None = None,
    network: str | None = None,
) -> Summary:
    """Exact static figures for a spec, without torch: per-module rows to `depth` levels (0 = none),
    parameters, MACs, FLOPs (2 x MACs), other arithmetic, weight and activation memory at batch 1 in
    float32, and depth. Conventions: docs/analysis.md. `.render("table"|"markdown"|"csv"|"json")`
    formats it. `params`, `input_shape` and `network` are those of `check`.
    """
    from .backends.summary import summarize

    checked = _checked(spec, params, input_shape, network)
    return summarize(checked.graph, depth)


def compare(
    specs: list[str | Path | Checked],
    params: dict[str, Any] | None = None,
    *,
    bench: bool = False,
    runs: int = 20,
    warmup: int = 3,
    threads: int | None = 1,
    on_run: Callable[[str], None] | None = None,
    input_shape: tuple[int, ...] | None = None,
    network: str | None = None,
) -> Comparison:
    """One row per spec (name, input, params, MACs, depth, activation memory), all static; a run folder
    of `archdsl train` in `specs` adds its best validation accuracy, epochs and training time. With
    `bench=True` each model is also built with torch and timed on the CPU at batch 1 (median of `runs`
    forward passes after a warm-up, with their interquartile range, on `threads` torch threads: one by
    default, steadier on a shared machine; None for torch's choice); `on_run(name)` is called
    after each timed pass (progress bars).
    `params`, `input_shape` and `network` apply to every spec, as in `check`.
    """
    from .backends.summary import CompareRow, Comparison, summarize
    from .training.results import is_run_folder, run_checked, run_figures  # run folders (archdsl train); no torch

    from_runs = [is_run_folder(s) for s in specs]
    checked = [run_checked(s) if run else _checked(s, params, input_shape, network) for s, run in zip(specs, from_runs)]
    rows = []
    for item, spec, run in zip(checked, specs, from_runs):
        totals = summarize(item.graph, 0).totals
        rows.append(
            CompareRow(
                name=item.name,
                spec=str(item.origin),
                input=item.input_shape,
                params=totals.params,
                macs=totals.macs,
                depth=totals.depth,
                activation_bytes=totals.activation_bytes,
                training=run_figures(spec) if run else None,
            )
        )
    if not bench:
        return Comparison(rows=tuple(rows))
    from .analysis.latency import cpu_latency, torch_threads

    timed = []
    with torch_threads(threads) as used:
        for item, row in zip(checked, rows):
            tick = (lambda name=item.name: on_run(name)) if on_run else None
            latency = cpu_latency(build(item), item.input_shape, runs, warmup, tick)
            timed.append(row.model_copy(update={"latency_ms": latency.median_ms, "latency_iqr_ms": latency.iqr_ms}))
    return Comparison(rows=tuple(timed), threads=used)


def draw(
    spec: str | Path | Checked,
    params: dict[str, Any] | None = None,
    *,
    depth: int | str = "auto",
    expand: tuple[str, ...] | list[str] = (),
    rankdir: str = "TB",
    fold: bool = True,
    input_shape: tuple[int, ...] | None = None,
    network: str | None = None,
):
    """A block diagram of a spec (never imports torch). Returns a `Drawing`: `.source` (DOT),
    `.save("net.svg" | ".png" | ".pdf" | ".dot")`, and inline display in Jupyter.

    `depth`: "auto" (blocks and stages closed), an int (levels opened; 1 = top level only) or "all"
    (every op). `expand`: block names, module paths or glob patterns to open. `fold=False` draws every
    copy of a repeated block instead of one with a count. `params`, `input_shape` and `network` are
    those of `check`.
    """
    from .backends.diagram import build_diagram
    from .backends.dot import to_dot
    from .backends.render import Drawing

    checked = _checked(spec, params, input_shape, network)
    diagram = build_diagram(checked.graph, depth, tuple(expand), fold)
    return Drawing(to_dot(diagram, rankdir), diagram, checked, depth, tuple(expand))


def pick_network(program: Program, name: str | None) -> NetworkInfo:
    """The network a spec file builds: `name` if given, else the one named like the file, else the last."""
    networks = program.networks()
    if name is not None:
        for info in networks:
            if info.name == name:
                return info
        raise ElaborationError(
            f"no network `{name}` in {program.main}", None, suggest(name, [n.name for n in networks]), "E210"
        )
    if not networks:
        blocks = [n for n, v in program.exports[program.main].items() if not isinstance(v, NetworkInfo)]
        defines = (
            f"it defines {', '.join(f'`{b}`' for b in blocks[:5])}{' ...' if len(blocks) > 5 else ''}; "
            if blocks
            else ""
        )
        raise ElaborationError(
            f"{program.main} defines no network",
            None,
            f"{defines}add `network name(...):` with an `input` line, or import a network and "
            "alias it: `network mine = ResNet(...)`",
            "E210",
        )
    stem = Path(program.main).stem
    for info in networks:
        if info.name == stem:
            return info
    return networks[-1]


def _checked(
    spec: str | Path | Checked, params: dict[str, Any] | None, input_shape: tuple[int, ...] | None, network: str | None
) -> Checked:
    """`spec` itself when it is already checked (the other arguments must then be left out), else
    `check(spec, ...)`."""
    if not isinstance(spec, Checked):
        return check(spec, params, input_shape=input_shape, network=network)
    if params or input_shape is not None or network is not None:
        raise TypeError("a Checked spec is already bound: pass params, input_shape and network to check()")
    return spec


def _from_python(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_from_python(v) for v in value)
    return value
