"""Imports: read a spec and every file it imports, and build one namespace per file.

A block remembers the namespace of the file that defines it, so a variant that imports a family file
can call the family's blocks without seeing (or needing) the family's own imports.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

from ..errors import ArchError, Collector, ElaborationError, LoadError, Note, flatten
from ..frontend import syntax
from ..source import Source, Span, read_spec_file
from .env import Env
from .evaluator import Evaluator
from .suggest import suggest
from .values import BlockInfo, NetworkInfo

Parser = Callable[[Source], syntax.SpecFile]


@dataclass
class Program:
    """The main spec file, everything it imports (by resolved path), and their namespaces."""

    main: str
    files: dict[str, syntax.SpecFile] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    envs: dict[str, Env] = field(default_factory=dict)
    exports: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def main_file(self) -> syntax.SpecFile:
        return self.files[self.main]

    @property
    def main_env(self) -> Env:
        return self.envs[self.main]

    def networks(self) -> list[NetworkInfo]:
        """Networks defined in the main file itself, in source order."""
        return [v for v in self.exports[self.main].values() if isinstance(v, NetworkInfo)]


def load_program(source: Source, parse: Parser, sources: dict[str, Source] | None = None) -> Program:
    """Parse `source` and its imports (depth first), then build namespaces. Raises LoadError on a missing
    file or an import cycle, ElaborationError on duplicate or unknown imported names.

    `sources`, when given, is filled as files are read, so a caller can render an error's caret even
    when loading fails part way.
    """
    program = Program(main=source.path)
    if sources is not None:
        program.sources = sources
    _load(program, source, parse, stack=[])
    return program


def _resolve(importer: str, target: str) -> Path:
    base = Path(importer).parent if importer not in ("<spec>", "") else Path.cwd()
    return (base / target).resolve() if not Path(target).is_absolute() else Path(target)


def _display(path: Path) -> str:
    """The path as messages show it: relative to the working directory when that is shorter."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if not relative.startswith("..") else str(path)


def _read(path: Path, written: str, importer: str, span: Span | None) -> Source:
    try:
        return read_spec_file(path, _display(path))
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise LoadError(
            f'cannot import "{written}": there is no file {_display(path)}',
            span,
            code="E207",
            hint=_similar_file(path, importer) or "import paths are relative to the importing file",
        ) from None
    except LoadError as error:  # not UTF-8: located at the bad byte
        error.notes.append(Note("imported here", span))
        raise error from None
    except (OSError, ValueError) as exc:
        raise LoadError(f'cannot import "{written}": {exc}', span, code="E207") from None


def _similar_file(path: Path, importer: str) -> str | None:
    """`famlies/resnet.arch` -> did you mean "families/resnet.arch"? Spec files near the wanted one are
    compared by their path as the import would write it."""
    here = _resolve(importer, ".")
    base = path.parent
    while not base.is_dir() and base != base.parent:
        base = base.parent
    try:
        found = [p for p, _ in zip(base.rglob("*"), range(2000)) if p.suffix in (".arch", ".yaml", ".yml")]
    except OSError:
        return None
    written = {os.path.relpath(p, here).replace(os.sep, "/"): p for p in found}
    close = get_close_matches(os.path.relpath(path, here).replace(os.sep, "/"), list(written), n=1, cutoff=0.6)
    return f'did you mean "{close[0]}"?' if close else None


def _load(program: Program, source: Source, parse: Parser, stack: list[tuple[str, Span | None]]) -> None:
    key = source.path
    program.sources[key] = source
    spec = parse(source)
    program.files[key] = spec
    env = Env()
    exports: dict[str, object] = {}
    stack = [*stack, (key, None)]
    for item in spec.items:
        if isinstance(item, syntax.Import):
            target = _resolve(key, item.path)
            target_key = _display(target)
            if any(_same(target_key, k) for k, _ in stack):
                chain = " -> ".join(Path(k).name for k, _ in stack) + f" -> {Path(target_key).name}"
                notes = [
                    Note(f"{Path(k).name} imports {Path(stack[i + 1][0]).name} here", where)
                    for i, (k, where) in enumerate(stack[:-1])
                    if where is not None
                ]
                raise LoadError(
                    f"import cycle: {chain}",
                    item.span,
                    code="E208",
                    notes=notes,
                    hint="move the shared blocks into a file that neither imports",
                )
            existing = next((k for k in program.files if _same(k, target_key)), None)
            if existing is None:
                try:
                    _load(program, _read(target, item.path, key, item.span), parse, [*stack[:-1], (key, item.span)])
                except ArchError as error:
                    if error.code not in ("E207", "E208"):  # say which import led to a mistake in another file
                        for inner in flatten(error):
                            inner.notes.append(Note(f"in the file imported here by {Path(key).name}", item.span))
                    raise
                existing = next(k for k in program.files if _same(k, target_key))
            _import_names(env, exports, program.exports[existing], item, existing)
    evaluator = Evaluator()
    errors = Collector()
    defined_at: dict[str, Span | None] = {}
    for item in spec.items:
        if isinstance(item, syntax.Import):
            continue
        if item.name in exports or item.name in env.values:
            first = defined_at.get(item.name) or _span_of(exports.get(item.name) or env.values.get(item.name))
            imported = item.name not in defined_at
            errors.add(
                ElaborationError(
                    f"`{item.name}` is defined twice",
                    item.span,
                    code="E206",
                    notes=[
                        Note(f"the imported `{item.name}` is defined here" if imported else "first defined here", first)
                    ],
                    hint="rename one of them",
                )
            )
            continue
        defined_at[item.name] = item.span
        if isinstance(item, syntax.ConstDef):
            try:
                value = evaluator.eval(item.value, env)
            except ArchError as error:
                errors.add(error)
                continue
        elif isinstance(item, syntax.BlockDef):
            value = BlockInfo(item, env)
        else:
            value = NetworkInfo(item, env)
        env[item.name] = value
        exports[item.name] = value
    errors.raise_if_any()
    program.envs[key] = env
    program.exports[key] = exports


def _same(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return a == b


def _span_of(value: object) -> Span | None:
    defn = getattr(value, "defn", None)
    return getattr(defn, "span", None)


def _import_names(env: Env, exports: dict, source: dict[str, object], item: syntax.Import, path: str) -> None:
    wanted = item.names if item.names is not None else tuple(source)
    for name in wanted:
        if name not in source:
            raise ElaborationError(
                f'"{item.path}" defines no `{name}`',
                item.span,
                code="E201",
                hint=suggest(name, list(source)) or f"it defines {', '.join(source) or 'nothing'}",
            )
        if name in env.values and env.values[name] is not source[name]:
            raise ElaborationError(f"`{name}` is imported twice", item.span, code="E206")
        env[name] = source[name]
