"""Loading op plugins named on the command line (`--plugin myops.py`, `--plugin myops.py:register`,
`--plugin mypackage.ops`), without an installed entry point. docs/plugins.md describes the plugin API.

A plugin is loaded as an entry point of the `archdsl.ops` group is (registry.py): importing the module
registers its ops; a `:attr` suffix names what to call or register after the import (a function that
registers, an `OpDef`, or a list of them). A file is imported under its own name (`myops`), so that
the generated code can `import myops` in this process as it would with the plugin installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from ..errors import ArchError
from .registry import OpDef, op_names, register_op

# What each --plugin value already loaded: a plugin named twice (or by a server reloading) loads once.
_LOADED: dict[str, list[str]] = {}


class PluginError(ArchError):
    """A plugin that cannot be found, imported or registered: a user error, exit 1."""

    stage = "plugin"


def load_plugin(target: str) -> list[str]:
    """Load one plugin (`path.py`, `path.py:attr`, `package.module`, `package.module:attr`) and return the
    names of the ops it registered. Raises PluginError, never a traceback-worthy exception."""
    module_part, _, attr = _split(target)
    key = str(Path(module_part).resolve()) + ":" + attr if _is_file(module_part) else target
    if key in _LOADED:
        return _LOADED[key]
    before = set(op_names())
    try:
        module = _import_file(Path(module_part)) if _is_file(module_part) else _import_module(module_part)
        if attr:
            _register_attr(module, attr, target)
    except PluginError:
        raise
    except ValueError as exc:  # register_op: an op name taken, or not an identifier
        raise PluginError(f"plugin `{target}`: {exc}", None, code="E220") from None
    except Exception as exc:  # the plugin's own code failed while loading: show where, briefly
        raise PluginError(
            f"plugin `{target}` failed while loading: {type(exc).__name__}: {exc}",
            None,
            hint=_where(exc),
            code="E220",
        ) from None
    _LOADED[key] = sorted(set(op_names()) - before)
    return _LOADED[key]


def _split(target: str) -> tuple[str, str, str]:
    """`C:\\ops.py` keeps its drive letter: the attribute is what follows the last colon after the path."""
    head, sep, attr = target.rpartition(":")
    if sep and attr.isidentifier() and (head.endswith(".py") or not head.endswith(("\\", "/")) and len(head) > 1):
        return head, sep, attr
    return target, "", ""


def _is_file(module_part: str) -> bool:
    return module_part.endswith(".py") or "/" in module_part or "\\" in module_part


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise PluginError(
            f"plugin file `{path}` not found",
            None,
            hint="--plugin takes a .py file, a module name (`package.ops`), either optionally with `:attr`",
            code="E220",
        )
    name = path.stem
    if not name.isidentifier():
        raise PluginError(f"plugin file `{path}`: `{name}` is not a Python module name", None, code="E220")
    loaded = sys.modules.get(name)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() == path.resolve():
        return loaded
    if loaded is not None:
        raise PluginError(
            f"plugin file `{path}`: a module called `{name}` is already imported from elsewhere",
            None,
            hint="rename the plugin file",
            code="E220",
        )
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before running it: generated code and the plugin itself may import it
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            raise PluginError(
                f"plugin module `{name}` not found",
                None,
                hint="give a file (`--plugin ./myops.py`) or a module importable from here (on PYTHONPATH)",
                code="E220",
            ) from None
        raise


def _register_attr(module: ModuleType, attr: str, target: str) -> None:
    if not hasattr(module, attr):
        raise PluginError(f"plugin `{target}`: the module has no `{attr}`", None, code="E220")
    value = getattr(module, attr)
    if isinstance(value, OpDef):
        register_op(value)
    elif isinstance(value, list | tuple) and value and all(isinstance(v, OpDef) for v in value):
        for op in value:
            register_op(op)
    elif callable(value):
        value()
    else:
        raise PluginError(
            f"plugin `{target}`: `{attr}` is neither a function, an OpDef, nor a list of OpDefs", None, code="E220"
        )


def _where(exc: BaseException) -> str | None:
    """The innermost frame of the plugin's traceback, `file:line`, for the hint."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return None
    where = Path(last.tb_frame.f_code.co_filename)
    if where.is_relative_to(Path.cwd()):
        where = where.relative_to(Path.cwd())
    return f"raised at {where}:{last.tb_lineno}"
