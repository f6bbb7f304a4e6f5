"""Completion: ops, blocks in scope, argument names with their defaults after `(`, labels and values in
scope, and import paths inside `import "..."`."""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types

from ..frontend import unparse
from ..ops.registry import all_ops
from .documents import Analysis, same_file
from .hover import show_default
from .index import flatten_symbols
from .navigation import global_definition
from .syntax import ast

IMPORT_PREFIX = re.compile(r"""^\s*(?:import|from)\s+"([^"]*)$""")
KIND = {
    "block": types.CompletionItemKind.Class,
    "network": types.CompletionItemKind.Module,
    "const": types.CompletionItemKind.Constant,
    "label": types.CompletionItemKind.Field,
    "value": types.CompletionItemKind.Variable,
    "param": types.CompletionItemKind.Variable,
    "loop": types.CompletionItemKind.Variable,
}
SPEC_SUFFIXES = (".arch", ".yaml", ".yml")


def completion(analysis: Analysis, position: types.Position) -> types.CompletionList:
    lines = analysis.text.splitlines()
    prefix = lines[position.line][: position.character] if position.line < len(lines) else ""
    written = IMPORT_PREFIX.match(prefix)
    if written is not None:
        return types.CompletionList(is_incomplete=False, items=import_paths(analysis.path, written.group(1)))
    items: list[types.CompletionItem] = []
    callee = open_call(prefix)
    if callee is not None:
        items.extend(arguments(analysis, callee))
    items.extend(in_scope(analysis, position.line + 1))
    if callee is None:
        items.extend(ops())
    return types.CompletionList(is_incomplete=False, items=items)


def open_call(prefix: str) -> str | None:
    """The name of the call whose `(` is still open before the cursor: `conv(64, str` -> "conv"."""
    depth = 0
    for at in range(len(prefix) - 1, -1, -1):
        char = prefix[at]
        if char in ")]":
            depth += 1
        elif char in "([":
            if depth == 0:
                name = re.search(r"([A-Za-z_]\w*)\s*$", prefix[:at])
                return name.group(1) if char == "(" and name else None
            depth -= 1
    return None


def arguments(analysis: Analysis, callee: str) -> list[types.CompletionItem]:
    """`name=` for each argument of an op or parameter of a block, its default as detail."""
    found = global_definition(analysis, callee)
    if found is not None and isinstance(found[0].node, ast.BlockDef | ast.NetworkDef):
        pairs = [
            (p.name, unparse.expr(p.default) if p.default is not None else "required") for p in found[0].node.params
        ]
    else:
        op = all_ops().get(callee) or next((o for o in all_ops().values() if callee in o.aliases), None)
        if op is None:
            return []
        pairs = [(a.name, "required" if a.required else show_default(a.default)) for a in op.args]
    return [
        types.CompletionItem(
            label=f"{name}=",
            kind=types.CompletionItemKind.Property,
            detail=default,
            insert_text=f"{name}=",
            sort_text=f"0{number:03}",
        )
        for number, (name, default) in enumerate(pairs)
    ]


def in_scope(analysis: Analysis, line: int) -> list[types.CompletionItem]:
    """Names visible at `line`: the enclosing definition's locals, the file's definitions, imported names."""
    index = analysis.index()
    if index is None:
        return []
    names: dict[str, str] = {}
    scope = index.enclosing(line)
    if scope is not None:
        for symbol in flatten_symbols(scope.children):
            if "{" not in symbol.name:
                names.setdefault(symbol.name, symbol.kind)
    for symbol in index.definitions:
        names.setdefault(symbol.name, symbol.kind)
    env = next((e for k, e in analysis.program.envs.items() if same_file(k, analysis.path)), None)
    for name, value in env.values.items() if env is not None else ():
        defn = getattr(value, "defn", None)
        kind = "block" if isinstance(defn, ast.BlockDef) else "network" if defn is not None else "const"
        names.setdefault(name, kind)
    return [
        types.CompletionItem(label=name, kind=KIND[kind], detail=kind, sort_text=f"1{name}")
        for name, kind in names.items()
    ]


def ops() -> list[types.CompletionItem]:
    items = []
    for name, op in sorted(all_ops().items()):
        for label in (name, *op.aliases):
            items.append(
                types.CompletionItem(
                    label=label,
                    kind=types.CompletionItemKind.Function,
                    detail=f"op ({op.family})",
                    documentation=op.doc or None,
                    sort_text=f"2{label}",
                )
            )
    return items


def import_paths(path: str, written: str) -> list[types.CompletionItem]:
    """Spec files and folders next to the document, under the folder typed so far."""
    folder = Path(path).resolve().parent / written.rpartition("/")[0]
    if not folder.is_dir():
        return []
    items = []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.name.startswith("."):
            items.append(types.CompletionItem(label=entry.name + "/", kind=types.CompletionItemKind.Folder))
        elif entry.suffix in SPEC_SUFFIXES and not same_file(str(entry), path):
            items.append(types.CompletionItem(label=entry.name, kind=types.CompletionItemKind.File))
    return items
