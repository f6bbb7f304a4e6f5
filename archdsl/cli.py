"""The `archdsl` command line. A user error prints a diagnostic and exits 1, never a traceback; a usage
error (bad option) exits 2; a bug in archdsl itself exits 3 with a traceback. `check`, `draw`, `summary`
and `compare` (without --bench) never import torch."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from .cli_help import PlainHelpGroup

app = typer.Typer(
    cls=PlainHelpGroup,
    add_completion=False,
    no_args_is_help=True,
    help="archdsl: write a CNN as a short spec; check its shapes, compile it to PyTorch, draw and measure it.",
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        print(f"archdsl {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version, help="Print archdsl's version and exit."
    ),
) -> None:
    """archdsl: write a CNN as a short spec; check its shapes, compile it to PyTorch, draw and measure it."""


SetOption = typer.Option(None, "--set", "-s", metavar="NAME=VALUE", help="Override a network parameter (repeatable).")
InputOption = typer.Option(
    None, "--input", "-i", metavar="CxHxW", help="Input shape instead of the spec's `input` line."
)
NetworkOption = typer.Option(None, "--network", "-n", help="Which network of the file to build (default: the file's).")
# 10^9 parameters are 4 GB of float32 weights: more than any CNN in the library (VGG-19 has 1.4 x 10^8).
DEFAULT_MAX_PARAMS = 10**9
MaxParamsOption = typer.Option(
    DEFAULT_MAX_PARAMS,
    "--max-params",
    min=1,
    metavar="N",
    help="Stop with an error if the network has more than N parameters (static count).",
)
MaxLayersOption = typer.Option(
    50_000, "--max-layers", min=1, metavar="N", help="Stop with an error if the network has more than N layers."
)


class Format(str, Enum):
    text = "text"
    json = "json"


FormatOption = typer.Option(Format.text, "--format", "-f", help="text, or json for editors and tools.")


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def fail(error: Exception, code: int = 1, json_output: bool = False) -> None:
    """Print an ArchError (or several) the way compilers do and exit with `code`. With json_output the
    diagnostics go to stdout as `{"ok": false, "diagnostics": [...]}`."""
    if json_output:
        import json

        from .errors import flatten

        print(
            json.dumps(
                {
                    "ok": False,
                    "diagnostics": [e.to_json() for e in flatten(error)],
                    "truncated": getattr(error, "truncated", False),
                },
                indent=2,
            )
        )
    else:
        sys.stderr.write(str(error).rstrip("\n") + "\n")
    raise typer.Exit(code)


SET_PATH = "--set"


def parse_sets(values: list[str] | None) -> dict:
    """`--set NAME=VALUE`: VALUE is a spec expression (`10`, `0.5`, `[2, 2, 2, 2]`, `Bottleneck`).
    Positions point into the line `set_source(values)` shows, so a mistake in a value gets a caret."""
    from .errors import ParseError
    from .frontend.parser import parse_snippet

    out = {}
    for (name, text, col), item in zip(_set_items(values), values or []):
        if name is None:
            raise typer.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        try:
            out[name] = parse_snippet(text, "expr", SET_PATH, 1, col)
        except ParseError as exc:
            raise typer.BadParameter(f"cannot read the value of {name}: {exc.message}", param_hint="--set") from None
    return out


def _set_items(values: list[str] | None) -> list[tuple[str | None, str, int]]:
    """(name, value text, column of the value in the joined --set line) for each --set."""
    items, col = [], 1
    for item in values or []:
        name, sep, text = item.partition("=")
        value = text.strip()
        start = col + len(name) + 1 + (len(text) - len(text.lstrip()))
        items.append((name.strip() if sep and name.strip().isidentifier() else None, value, start))
        col += len(item) + 1
    return items


def set_source(values: list[str] | None):
    """All --set options as one line of source, for carets under a bad value."""
    from .source import Source

    return Source(text=" ".join(values or []), path=SET_PATH)


def explain_options(error, sets: list[str] | None, input_shape: str | None) -> None:
    """Mistakes found with --set or --input in effect say so, pointing at the option."""
    from .errors import Note, flatten
    from .source import Span

    line = set_source(sets)
    error.attach({SET_PATH: line})
    for item in flatten(error):
        if item.span is None and item.code == "E203" and sets:  # `--set clases=10`
            for name, _, col in _set_items(sets):
                if name and f"`{name}`" in item.message:
                    start = col - len(name) - 1
                    item.span = Span(line=1, col=start, end_line=1, end_col=start + len(name), path=SET_PATH)
        if item.span is not None and item.span.path != SET_PATH:
            if sets:
                item.notes.append(
                    Note(
                        "this run sets network parameters with --set",
                        Span(line=1, col=1, end_line=1, end_col=len(line.text) + 1, path=SET_PATH),
                    )
                )
            if input_shape:
                item.notes.append(Note(f"this run replaces the spec's input with --input {input_shape}"))


def parse_shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    parts = text.lower().replace("×", "x").split("x")
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        raise typer.BadParameter(f"expected CxHxW such as 3x224x224, got {text!r}", param_hint="--input") from None
    if len(dims) not in (1, 2, 3) or any(d < 1 for d in dims):
        raise typer.BadParameter(
            f"expected CxHxW (or C for flat input, LxC for a sequence) with positive sizes, "
            f"such as 3x224x224; got {text!r}",
            param_hint="--input",
        )
    return dims


def load_checked(
    spec: Path,
    sets: list[str] | None,
    input_shape: str | None,
    network: str | None,
    json_output: bool = False,
    max_params: int = DEFAULT_MAX_PARAMS,
    max_layers: int = 50_000,
):
    """Run the static pipeline; print warnings; on a user error print it and exit 1."""
    from . import api
    from .errors import ArchError
    from .ir.limits import Limits

    params = parse_sets(sets)
    shape = parse_shape(input_shape)
    try:
        checked = api.check(
            spec, params, input_shape=shape, network=network, limits=Limits(max_params=max_params, max_nodes=max_layers)
        )
    except ArchError as error:
        explain_options(error, sets, input_shape)
        fail(error, json_output=json_output)
    if not json_output:
        for warning in checked.warnings:
            sys.stderr.write(str(warning) + "\n")
    return checked


def write_atomic(path: Path, text: str | bytes, protect: list[Path | str]) -> None:
    """Write via a temporary file in the same folder and a rename, so a failed run never leaves a
    partial file and a reader never sees one; refuse to overwrite any of `protect` (the input spec
    and every file it imports). A path that cannot be written is a user error (exit 1)."""
    from .files import write_atomic as write_file

    target = check_output(path, protect)
    try:
        write_file(target, text)
    except OSError as exc:
        _cannot_write(f"cannot write {path}: {exc.strerror or exc}")


def check_output(path: Path, protect: list[Path | str]) -> Path:
    """Refuse (exit 1, E801) an output path that is a folder or one of the spec files being read, before
    any work is shown or done. Returns the resolved target."""
    try:
        target = path.resolve()
        for spec in protect:
            spec = Path(spec)
            if spec.exists() and target == spec.resolve():
                _cannot_write(
                    f"refusing to overwrite the input spec {spec} with the output", "choose another output path"
                )
        if target.is_dir():
            _cannot_write(f"cannot write {path}: it is a folder", "give a file name, e.g. -o model.py")
    except OSError as exc:
        _cannot_write(f"cannot write {path}: {exc.strerror or exc}")
    return target


def _cannot_write(message: str, hint: str | None = None) -> None:
    from .errors import ArchError

    fail(ArchError(message, hint=hint, code="E801"))


def protected(checked) -> list[Path | str]:
    """Every file a checked spec was read from: outputs never replace one of them."""
    return [checked.origin, *checked.sources]


@app.command()
def check(
    spec: Path = typer.Argument(..., help="A .arch or .yaml spec."),
    set_: list[str] | None = SetOption,
    input_shape: str | None = InputOption,
    network: str | None = NetworkOption,
    format: Format = FormatOption,
    max_params: int = MaxParamsOption,
    max_layers: int = MaxLayersOption,
) -> None:
    """Parse the spec and prove every shape; print name, input -> output, and the parameter count."""
    from .shapes import fmt

    json_output = format == Format.json
    checked = load_checked(spec, set_, input_shape, network, json_output, max_params, max_layers)
    from .memory import memory_problem

    too_large = memory_problem(checked, forward=True, severity="warning")
    if too_large is not None and not json_output:
        sys.stderr.write(str(too_large) + "\n")
    if json_output:
        import json

        print(
            json.dumps(
                {
                    "ok": True,
                    "name": checked.name,
                    "input": list(checked.input_shape),
                    "output": list(checked.output_shape),
                    "outputs": {name: list(shape) for name, shape in checked.output_shapes.items()},
                    "params": checked.total_params,
                    "diagnostics": [w.to_json() for w in [*checked.warnings, *([too_large] if too_large else [])]],
                },
                indent=2,
            )
        )
        return
    outputs = checked.graph.outputs_text
    print(f"{checked.name}: {fmt(checked.input_shape)} -> {outputs}, {checked.total_params:,} params")


@app.command("compile")
def compile_(
    spec: Path = typer.Argument(..., help="A .arch or .yaml spec."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write a standalone .py file here."),
    set_: list[str] | None = SetOption,
    input_shape: str | None = InputOption,
    network: str | None = NetworkOption,
    depth: int = typer.Option(2, "--depth", "-d", min=1, help="Table depth: 1 = top-level modules only."),
    max_params: int = MaxParamsOption,
    max_layers: int = MaxLayersOption,
) -> None:
    """Compile to PyTorch: print a per-layer table, then write OUT.py, or build the model and run it once."""
    from . import api
    from .analysis.module_rows import rows
    from .shapes import fmt

    if output is not None:
        check_output(output, [spec])
    checked = load_checked(spec, set_, input_shape, network, max_params=max_params, max_layers=max_layers)
    if output is not None:
        check_output(output, [spec, *protected(checked)])  # imported files too, before anything is printed
    console = _console()
    _print_layers(console, rows(checked.graph, depth), checked)
    source = api.emit(checked)
    if output is not None:
        write_atomic(output, source, [spec, *protected(checked)])
        exposed = _factory_signature(source, checked.name)
        console.print(f"wrote {output}: `{exposed}` builds {checked.name} ({checked.total_params:,} params)")
        return
    import time

    from .errors import ArchError
    from .memory import refuse_if_too_large

    try:
        refuse_if_too_large(checked, forward=True)  # before torch allocates anything
    except ArchError as error:
        fail(error)
    import torch

    started = time.perf_counter()
    model = api.build(checked)
    built = time.perf_counter() - started
    counted = sum(p.numel() for p in model.parameters())
    model.eval()
    with torch.no_grad():
        out = model(torch.zeros(1, *checked.input_shape))
    actual = tuple(out.shape[1:])
    status = "matches" if actual == checked.output_shape and counted == checked.total_params else "DOES NOT MATCH"
    console.print(
        f"built {checked.name} in {built:.2f} s: {counted:,} params; forward 1x{fmt(checked.input_shape)} -> "
        f"1x{fmt(actual)} {status} the static check. Use -o FILE.py to write the module."
    )
    if status != "matches":
        raise typer.Exit(1)


def _factory_signature(source: str, name: str) -> str:
    for line in source.splitlines():
        if line.startswith(f"def {name}("):
            return line[4:].split(" ->")[0]
    return f"{name}()"


def _print_layers(console, table_rows, checked) -> None:
    from rich.table import Table

    from .shapes import fmt

    table = Table(
        title=f"{checked.name}: {fmt(checked.input_shape)} -> {checked.graph.outputs_text}",
        title_justify="left",
        box=None,
        pad_edge=False,
    )
    table.add_column("name", no_wrap=True)
    table.add_column("op")
    table.add_column("output", justify="right")
    table.add_column("params", justify="right")
    for row in table_rows:
        indent = "  " * (row.depth - 1)
        table.add_row(
            indent + row.path.rsplit(".", 1)[-1] if row.depth > 1 else row.path,
            row.op,
            fmt(row.shape),
            f"{row.params:,}" if row.params else "",
        )
    table.add_row("total", "", "", f"{checked.total_params:,}", style="bold")
    console.print(table)


def _format(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise typer.BadParameter(f"expected one of {', '.join(allowed)}, got {value!r}", param_hint="--format")
    return value


@app.command()
def summary(
    spec: Path = typer.Argument(..., help="A .arch or .yaml spec."),
    depth: int = typer.Option(2, "--depth", "-d", min=0, help="Row depth: 1 = top-level modules, 0 = totals only."),
    format: str = typer.Option("table", "--format", "-f", help="table, json, markdown or csv"),
    other_ops: bool = typer.Option(
        False,
        "--other-ops",
        help="Add a column of the arithmetic outside MACs (bias, "
        "norm, activation, pooling, merges) to table and markdown.",
    ),
    set_: list[str] | None = SetOption,
    input_shape: str | None = InputOption,
    network: str | None = NetworkOption,
) -> None:
    """Exact params, MACs, FLOPs, memory and depth per module, computed from the spec without torch."""
    from . import api
    from .backends.report import FORMATS

    _format(format, FORMATS)
    checked = load_checked(spec, set_, input_shape, network, json_output=format == "json")
    sys.stdout.write(api.summary(checked, depth=depth).render(format, other_ops=other_ops))


@app.command()
def compare(
    specs: list[Path] = typer.Argument(
        ..., help="Specs (.arch or .yaml) or run folders of `archdsl train`, one row each."
    ),
    format: str = typer.Option("table", "--format", "-f", help="table, markdown, csv or json"),
    sort: str | None = typer.Option(
        None, "--sort", metavar="COLUMN", help="Order rows by name, params, macs, depth, activations or latency."
    ),
    desc: bool = typer.Option(False, "--desc", help="With --sort: largest first."),
    bench: bool = typer.Option(
        False,
        "--bench",
        help="Also build each model with torch and time it on the CPU "
        "(ms per image at batch 1, after a warm-up: median and IQR of --runs).",
    ),
    runs: int = typer.Option(20, "--runs", min=1, help="Timed forward passes per model with --bench."),
    threads: int = typer.Option(
        1,
        "--threads",
        min=1,
        help="torch CPU threads with --bench (default 1: "
        "more threads on a shared machine measure its load as much as the model).",
    ),
    plot: Path | None = typer.Option(
        None, "--plot", metavar="OUT.png", help="Draw params against GMACs (needs matplotlib, from the plot extra)."
    ),
    plot_y: str = typer.Option("params", "--plot-y", help="params, or accuracy (of run folders) for --plot."),
    plot_x: str = typer.Option("macs", "--plot-x", help="macs or params for --plot."),
    set_: list[str] | None = SetOption,
    input_shape: str | None = InputOption,
) -> None:
    """One row per spec: name, input, params, GMACs, depth, activation memory (and CPU latency with --bench)."""
    from . import api
    from .backends.report import FORMATS
    from .backends.summary import COMPARE_COLUMNS

    _format(format, FORMATS)
    if sort is not None and sort not in COMPARE_COLUMNS:
        raise typer.BadParameter(f"expected one of {', '.join(COMPARE_COLUMNS)}, got {sort!r}", param_hint="--sort")
    if sort == "latency" and not bench:
        raise typer.BadParameter("latency is only measured with --bench", param_hint="--sort")
    if plot is not None:
        _check_plot_path(plot, specs)
        for value, allowed, option in (
            (plot_x, ("macs", "params"), "--plot-x"),
            (plot_y, ("params", "accuracy"), "--plot-y"),
        ):
            if value not in allowed:
                raise typer.BadParameter(f"expected one of {', '.join(allowed)}, got {value!r}", param_hint=option)
    from .errors import ArchError
    from .training.results import is_run_folder

    checked = [
        path if is_run_folder(path) else load_checked(path, set_, input_shape, None, json_output=format == "json")
        for path in specs
    ]
    try:
        comparison = _bench(checked, runs, threads) if bench else api.compare(checked)
    except ArchError as error:  # a run folder whose spec no longer checks
        fail(error, json_output=format == "json")
    if sort is not None:
        comparison = comparison.sorted_by(sort, desc)
    sys.stdout.write(comparison.render(format))
    if plot is not None:
        from .backends.plot import plot_comparison

        write_atomic(plot, plot_comparison(comparison, plot.suffix.lstrip(".").lower(), plot_x, plot_y), specs)
        sys.stderr.write(f"wrote {plot}\n")


def _check_plot_path(plot: Path, specs: list[Path]) -> None:
    """Before any slow work: matplotlib is there, the format is one it writes, no input is overwritten."""
    import importlib.util

    from .errors import LoadError

    if importlib.util.find_spec("matplotlib") is None:
        sys.stderr.write(
            "error: --plot needs matplotlib, which is not installed\n"
            "help: pip install 'archdsl[plot]'  (or: pip install matplotlib)\n"
        )
        raise typer.Exit(1)
    from .backends.plot import image_formats

    formats = image_formats()
    if plot.suffix.lstrip(".").lower() not in formats:
        raise typer.BadParameter(
            f"cannot write a {plot.suffix or 'extensionless'} image; use one of "
            f"{', '.join('.' + f for f in sorted(formats))}",
            param_hint="--plot",
        )
    for spec in specs:  # write_atomic checks again; failing here saves the work before it
        if spec.exists() and plot.resolve() == spec.resolve():
            fail(LoadError(f"refusing to overwrite the input spec {spec}", hint="choose another output path"))


def _bench(checked: list, runs: int, threads: int):
    """api.compare with bench=True, with a progress bar on stderr (stdout stays clean for pasting)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from . import api
    from .errors import ArchError

    columns = (TextColumn("timing {task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=_console(stderr=True), transient=True) as progress:
        task = progress.add_task(checked[0].name, total=runs * len(checked))

        def tick(name: str) -> None:
            progress.update(task, advance=1, description=name)

        try:
            return api.compare(checked, bench=True, runs=runs, threads=threads, on_run=tick)
        except ArchError as error:  # E606: a model too large to build here
            fail(error)


@app.command()
def convert(
    spec: Path = typer.Argument(..., help="A .arch or .yaml spec."),
    to: str = typer.Option(..., "--to", "-t", help="yaml or arch"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
) -> None:
    """Rewrite a spec file in the other form (.arch <-> YAML). Imports are kept as imports; with -o in
    another folder their relative paths are rewritten to resolve from there."""
    from . import api
    from .errors import ArchError
    from .frontend.unparse import to_arch, to_yaml

    if to not in ("yaml", "arch"):
        raise typer.BadParameter("expected yaml or arch", param_hint="--to")
    from .source import read_source

    try:
        source = read_source(spec)
        tree = api.parse_file(source)
    except ArchError as error:
        fail(error.attach({str(spec): source}) if "source" in locals() else error)
    if output is not None:
        from .relocate import relocate_imports

        tree = relocate_imports(tree, spec, output)  # imports are relative to the file: keep them resolving
    text = to_yaml(tree) if to == "yaml" else to_arch(tree)
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text, [spec])


@app.command("fmt")
def fmt_command(
    paths: list[Path] = typer.Argument(..., help=".arch files or folders (YAML specs are left as they are)."),
    check: bool = typer.Option(False, "--check", help="Change nothing; exit 1 listing the files fmt would change."),
    diff: bool = typer.Option(False, "--diff", help="Change nothing; print what would change as a unified diff."),
) -> None:
    """Rewrite .arch specs in the canonical layout (comments kept, the spec unchanged), as black does."""
    from .fmt.files import run

    raise typer.Exit(run(paths, check, diff, write=lambda path, text: write_atomic(path, text, [])))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the YAML form (for editors: see docs/editors.md)."""
    from .schema import schema_text

    sys.stdout.write(schema_text())


@app.command()
def draw(
    spec: Path = typer.Argument(..., help="A .arch or .yaml spec."),
    output: Path = typer.Option(..., "--output", "-o", help="OUT.svg, OUT.png, OUT.pdf, OUT.dot or OUT.html."),
    depth: str = typer.Option(
        "auto",
        "--depth",
        "-d",
        metavar="N|auto|all",
        help="Levels to open: auto (blocks and stages closed), 1 = top level, all = every op.",
    ),
    expand: list[str] | None = typer.Option(
        None, "--expand", "-e", metavar="NAME", help="Open a block (by name), a module path or a glob (repeatable)."
    ),
    rankdir: str = typer.Option("TB", "--rankdir", "-r", help="TB (top to bottom) or LR (left to right)."),
    fold: bool = typer.Option(True, "--fold/--unfold", help="Draw identical consecutive blocks once, with a count."),
    set_: list[str] | None = SetOption,
    input_shape: str | None = InputOption,
    network: str | None = NetworkOption,
) -> None:
    """Draw a block diagram (SVG, PNG, PDF or DOT) with shapes on the edges; never imports torch.

    Renders with the system `dot` when it is on PATH, else in-process with pygraphviz. An .html output is
    the interactive explorer: one offline file where blocks open and close in place (docs/draw.md).
    """
    from . import api
    from .backends.diagram import DrawOptionError
    from .backends.render import RenderError, format_of, render_with

    if output.suffix.lower() in (".html", ".htm"):
        from .explorer.cli import draw_html

        draw_html(load_checked(spec, set_, input_shape, network), spec, output, depth, tuple(expand or ()))
        return
    try:
        fmt = format_of(output)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--output") from None
    if rankdir.upper() not in ("TB", "LR", "BT", "RL"):
        raise typer.BadParameter(f"expected TB or LR, got {rankdir!r}", param_hint="--rankdir")
    checked = load_checked(spec, set_, input_shape, network)
    try:
        drawing = api.draw(checked, depth=depth, expand=expand or (), rankdir=rankdir.upper(), fold=fold)
    except DrawOptionError as exc:
        raise typer.BadParameter(str(exc), param_hint=exc.option) from None
    try:
        data, used = render_with(drawing.source, fmt)
    except RenderError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(1) from None
    write_atomic(output, data, [spec])
    how = {"": "", "dot": ", rendered by dot", "pygraphviz": ", rendered in-process by pygraphviz"}[used]
    nodes = len(drawing.diagram.nodes)
    print(f"wrote {output}: {checked.name}, depth {depth}, {nodes} nodes{how}")


@app.command("export")
def export_(
    spec: Path = typer.Argument(..., help="A .arch or .yaml spec, or a run folder of `archdsl train`."),
    format_: str = typer.Option("onnx", "--format", "-f", help="onnx, or exported (a torch.export .pt2)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Default: NAME.onnx / NAME.pt2 (over 2 GB, ONNX adds FILE.data)."
    ),
    weights: Path | None = typer.Option(None, "--weights", "-w", help="A state_dict .pt (weights_only load)."),
    set_: list[str] | None = SetOption,
    input_shape: str | None = InputOption,
    network: str | None = NetworkOption,
) -> None:
    """Export to ONNX or torch.export, with a dynamic batch; the file is checked against PyTorch first."""
    from .errors import ArchError
    from .exporting import export

    if format_ not in ("onnx", "exported"):
        raise typer.BadParameter(f"expected onnx or exported, got {format_!r}", param_hint="--format")
    if output is not None:
        check_output(output, [spec])
    try:
        result = export(
            spec,
            format_,
            output,
            params=parse_sets(set_),
            input_shape=parse_shape(input_shape),
            network=network,
            weights=weights,
        )
    except ArchError as error:
        explain_options(error, set_, input_shape)
        fail(error)
    print(
        f"wrote {result.path}: {result.network}, {result.format}, input Nx{'x'.join(map(str, result.input_shape))} "
        f"(dynamic batch), {result.params:,} params, {result.nodes} nodes; max relative difference "
        f"{result.max_rel_diff:.1e} against PyTorch"
    )
    for extra in result.files[1:]:
        print(f"wrote {extra}: its weights (ONNX external data; keep it beside {result.path.name})")


@app.command("import")
def import_(
    target: str = typer.Argument(..., help="torchvision:NAME, timm:NAME, path/to/file.py:attr or package.module:attr"),
    output: Path = typer.Option(..., "--output", "-o", help="The spec to write (.arch, or .yaml with --to yaml)."),
    kwargs: str | None = typer.Option(None, "--kwargs", help="Constructor arguments as JSON: '{\"num_classes\": 10}'."),
    input_shape: str | None = InputOption,
    weights: Path | None = typer.Option(
        None, "--weights", "-w", help="A state_dict .pt; a matching .pt is written beside the spec."
    ),
    to: str = typer.Option("arch", "--to", "-t", help="arch or yaml"),
) -> None:
    """Import a PyTorch model as an editable spec, checked for identical outputs before it is written."""
    from .importer.command import run_import

    if to not in ("arch", "yaml"):
        raise typer.BadParameter("expected arch or yaml", param_hint="--to")
    check_output(output, [])
    run_import(target, output, kwargs, parse_shape(input_shape), weights, to)


@app.command()
def lsp() -> None:
    """Run the language server on stdin/stdout, for editors (docs/editors.md). Needs the `lsp` extra (pygls)."""
    from .lsp import serve

    serve()


@app.command()
def serve(
    spec: Path = typer.Argument(..., help="A .arch or .yaml spec."),
    port: int = typer.Option(8000, "--port", "-p", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port)."),
    set_: list[str] | None = SetOption,
    input_shape: str | None = InputOption,
    network: str | None = NetworkOption,
) -> None:
    """Live preview on 127.0.0.1: the interactive diagram, summary and diagnostics, updated on every save."""
    from .serve.cli import run

    run(spec, port, set_, input_shape, network)


# `archdsl train` and `archdsl eval` live in their own package (archdsl/training/); its cli module imports no torch.
from .training import cli as _train_cli  # noqa: E402

app.command("train")(_train_cli.train)
app.command("eval")(_train_cli.evaluate)

# `archdsl prune` lives in archdsl/pruning/; its cli module imports no torch either.
from .pruning import cli as _prune_cli  # noqa: E402

app.command("prune")(_prune_cli.prune)


def main() -> None:
    """Console entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except MemoryError:  # the static check (archdsl.memory) passed, but the machine still ran out
        sys.stderr.write(
            "error[E606]: out of memory while building or running the model\n"
            "help: close other programs, or pass --input with a smaller shape\n"
        )
        sys.exit(1)
    except Exception:  # a bug in archdsl, never a mistake in the spec: say so, with the traceback
        import traceback

        traceback.print_exc()
        sys.stderr.write(
            "archdsl: internal error (a bug in archdsl, not in your spec); please report it with the "
            "spec and the command\n"
        )
        sys.exit(3)


if __name__ == "__main__":
    main()
