"""Import paths of a spec written to another folder: `convert -o elsewhere/x.yaml` keeps its imports working.

Imports are relative to the importing file (archdsl.ir.program), so a spec written elsewhere needs each
relative path re-expressed from the new folder: `families/resnet.arch` read from specs/ and written to
out/ becomes `../specs/families/resnet.arch`. Absolute paths stay as they are.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any


def relocated(path: str, source: Path, output: Path) -> str:
    """One import path, written in `source`'s folder, as the same file seen from `output`'s folder."""
    if Path(path).is_absolute():
        return path
    target = (source.resolve().parent / path).resolve()
    folder = output.resolve().parent
    try:
        shared = Path(os.path.commonpath([target, folder]))
        moved = os.path.relpath(target, folder)
    except ValueError:  # another drive (Windows): only an absolute path reaches it
        return target.as_posix()
    if shared == Path(shared.anchor):  # nothing in common but the root: `../../../..` helps no one
        return target.as_posix()
    return PurePosixPath(Path(moved)).as_posix()


def relocate_imports(tree: Any, source: Path, output: Path) -> Any:
    """A parsed spec file (`SpecFile`) whose import paths resolve from `output` as they did from `source`."""
    items = tuple(
        item.model_copy(update={"path": relocated(item.path, source, output)}) if item.kind == "import" else item
        for item in tree.items
    )
    return tree.model_copy(update={"items": items})
