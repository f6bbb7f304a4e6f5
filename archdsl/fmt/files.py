"""`archdsl fmt PATHS`: format files in place, or report (`--check`) or show (`--diff`) what would change."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from ..errors import ArchError
from ..source import Source
from . import format_text

YAML_SUFFIXES = (".yaml", ".yml")


def spec_files(paths: list[Path]) -> list[Path]:
    """The `.arch` and YAML files named or inside the named folders, sorted per folder."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in (".arch", *YAML_SUFFIXES) and p.is_file())
        else:
            found.append(path)
    return found


def run(
    paths: list[Path],
    check: bool,
    diff: bool,
    write: Callable[[Path, str], None],
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Format every file; exit status 1 when a file does not parse, or (with check/diff) would change."""
    out, err = out or sys.stdout, err or sys.stderr  # looked up now: tests and tools swap them
    changed = unchanged = failed = 0
    for path in spec_files(paths):
        if path.suffix in YAML_SUFFIXES:
            err.write(f"{path}: left as it is (fmt formats .arch files; `archdsl schema` checks YAML specs)\n")
            continue
        try:
            text = path.read_text(encoding="utf-8")
            formatted = format_text(text, str(path))
        except OSError as exc:
            err.write(f"{path}: error: cannot read: {exc.strerror or exc}\n")
            failed += 1
            continue
        except ArchError as error:
            err.write(str(error.attach({str(path): Source(text=text, path=str(path))})).rstrip("\n") + "\n")
            failed += 1
            continue
        if formatted == text:
            unchanged += 1
            continue
        changed += 1
        if diff:
            out.writelines(
                difflib.unified_diff(
                    text.splitlines(keepends=True),
                    formatted.splitlines(keepends=True),
                    f"{path}",
                    f"{path} (formatted)",
                )
            )
        if check:
            err.write(f"would reformat {path}\n")
        elif not diff:
            write(path, formatted)
            err.write(f"reformatted {path}\n")
    verb = "would be reformatted" if check or diff else "reformatted"
    err.write(
        f"{changed} file{'s' * (changed != 1)} {verb}, {unchanged} unchanged"
        + (f", {failed} failed" if failed else "")
        + "\n"
    )
    return 1 if failed or (check and changed) else 0
