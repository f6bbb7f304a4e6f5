"""The `archdsl serve` command's body: options in, server up, a clean stop on Ctrl-C."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import typer


def run(spec: Path, port: int, sets: list[str] | None, input_shape: str | None, network: str | None) -> None:
    from ..cli import explain_options, parse_sets, parse_shape
    from .server import serve
    from .state import Request

    if importlib.util.find_spec("watchfiles") is None:
        sys.stderr.write(
            "error: `archdsl serve` needs watchfiles, which is not installed\n"
            "help: pip install 'archdsl[serve]'  (or: pip install watchfiles)\n"
        )
        raise typer.Exit(1)
    if not spec.is_file():
        sys.stderr.write(f"error: no such spec file: {spec}\n")
        raise typer.Exit(1)
    request = Request(
        spec,
        parse_sets(sets),
        parse_shape(input_shape),
        network,
        explain=lambda error: explain_options(error, sets, input_shape),
    )
    try:
        serve(request, port, announce=lambda line: print(line, flush=True))
    except OSError as exc:  # the port is taken, most often
        sys.stderr.write(
            f"error: cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}\n"
            "help: choose another port with --port (0 picks a free one)\n"
        )
        raise typer.Exit(1) from None
