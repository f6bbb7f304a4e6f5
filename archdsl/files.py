"""Writing output files: one atomic write for the CLI and the Python API alike."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write `data` (text as UTF-8) to `path` through a temporary file in the same folder and a rename,
    so a failed run never leaves a partial file and a reader never sees one. The file gets the
    permissions a plain `open()` would give it (0666 less the umask), not mkstemp's private 0600.
    Raises OSError when the path cannot be written; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        _publish(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@contextmanager
def staged(path: str | Path) -> Iterator[Path]:
    """For outputs written by other libraries, and for those of more than one file (an ONNX model and
    its `.data`, which onnx writes private): yields `path`'s name inside a new folder beside it. When the block ends without an
    exception, every file written in that folder is moved beside `path` (a rename each); otherwise
    none is. The folder is removed either way."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield folder / path.name
        for file in sorted(folder.iterdir()):
            _publish(file, path.parent / file.name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _publish(written: Path, path: Path) -> None:
    """Rename `written` to `path` with the permissions a plain `open()` gives (0666 less the umask)."""
    umask = os.umask(0)  # reading the umask means setting it; put it straight back
    os.umask(umask)
    os.chmod(written, 0o666 & ~umask)
    os.replace(written, path)
