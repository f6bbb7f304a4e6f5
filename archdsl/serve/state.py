"""One check of the spec, as the message the live page receives: the explorer model and the summary
table when the spec is good; the CLI's diagnostics when it is not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import api
from ..errors import ArchError


@dataclass
class Request:
    """What to check: the spec and the options `archdsl serve` was given (as `check` takes them)."""

    spec: Path
    params: dict[str, Any] = field(default_factory=dict)
    input_shape: tuple[int, ...] | None = None
    network: str | None = None
    explain: Callable[[ArchError], None] | None = None  # adds the CLI's notes about --set / --input


@dataclass
class Snapshot:
    message: dict[str, Any]  # sent to the page as JSON
    files: set[Path]  # the spec and everything it imports (resolved): a save to any of them re-checks


def take(request: Request, version: int, last_files: set[Path]) -> Snapshot:
    """Check the spec now. On an error the watched files stay those of the last good check (plus the
    spec), since a broken spec may not say what it imports."""
    from ..backends.html_table import summary_html
    from ..explorer.model import explorer_model

    spec_file = request.spec.resolve()
    base = {"version": version, "spec": request.spec.name}
    try:
        checked = api.check(request.spec, request.params, input_shape=request.input_shape, network=request.network)
    except ArchError as error:
        if request.explain is not None:
            request.explain(error)
        text = str(error).rstrip("\n")
        return Snapshot({**base, "ok": False, "diagnostics": text}, last_files | {spec_file})
    files = {Path(path).resolve() for path in checked.sources if Path(path).exists()} | {spec_file}
    warnings = "\n".join(str(w).rstrip("\n") for w in checked.warnings)
    message = {
        **base,
        "ok": True,
        "model": explorer_model(checked),
        "diagnostics": warnings,
        "summary": summary_html(api.summary(checked, depth=1)),
    }
    return Snapshot(message, files)
