"""Checks of what a network does not run: every block of a file is checked, even one no network uses
(a family file's blocks, a block only a branch not taken would open), and blocks and parameters that
nothing reads are reported as warnings.

A block that no network runs has no input and perhaps no arguments. It is run "blind": its input and
every parameter without a usable default are poisoned (see diagnose.py), so each statement that depends
on them is skipped quietly, and the rest (names, ops, blocks, argument names and values known from the
text) is checked by the elaborator itself, with its usual messages. Nothing is guessed, so nothing that
depends on a shape is reported: no false positives.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import ArchError, ErrorGroup, LimitError, flatten
from ..frontend import syntax
from .builders import ScopeItem
from .elaborate import Elaborator
from .limits import Limits
from .program import Program
from .steps import Frame
from .values import POISON, BlockInfo, SkipStatement


def check_unrun_blocks(elaborator: Elaborator, program: Program) -> list[ArchError]:
    """Run blind every block of the main file that the elaborator did not open; the errors found (each
    mistake once, with those the elaborator had already found)."""
    elaborator.alias_notes = []  # these blocks are checked on their own, not under the network's alias
    try:
        for block in main_blocks(program):
            if id(block.defn) not in elaborator.opened_blocks:
                _run_blind(elaborator, block)
    except ErrorGroup:  # the error limit was reached: what was found is reported
        pass
    return list(elaborator.errors.errors)


def _run_blind(elaborator: Elaborator, block: BlockInfo) -> None:
    bound: dict[str, object] = {}
    for param in block.defn.params:
        bound[param.name] = POISON
        if param.default is None:
            continue
        env = block.env.child(dict(bound))
        env["in"] = POISON
        try:
            bound[param.name] = elaborator.evaluator.eval(param.default, env)
        except SkipStatement:
            pass  # it depends on the input or on another unknown parameter
        except ArchError as error:
            elaborator.errors.add(error)
    env = block.env.child(bound)
    env["in"] = POISON
    scope = ScopeItem(None, block.name, {}, POISON.id, block.defn.span, None, owned=set(), defn=block.defn)
    elaborator.opened_blocks.add(id(block.defn))
    elaborator.blocks_open.append((block.name, None, None))
    try:
        elaborator.run_body(block.defn.body, Frame(env, scope, POISON))
    except LimitError as error:
        elaborator.errors.add(error)
    finally:
        elaborator.blocks_open.pop()


def main_blocks(program: Program) -> list[BlockInfo]:
    """The blocks the main file itself defines, in source order."""
    return [v for v in program.exports[program.main].values() if isinstance(v, BlockInfo) and v.env is program.main_env]


def with_unrun_blocks(error: ArchError, elaborator: Elaborator, program: Program) -> ArchError:
    """A failed check's error, together with the mistakes in blocks it never opened."""
    found = [*flatten(error)]
    seen = {id(e) for e in found}
    found += [e for e in check_unrun_blocks(elaborator, program) if id(e) not in seen]
    return found[0] if len(found) == 1 else ErrorGroup(found, getattr(error, "truncated", False))


def unused_warnings(program: Program) -> list[ArchError]:
    """W503 for a block of the main file that nothing in it uses, when the file is a model (every network
    in it can be built as written; a family file's blocks are for other files), and W504 for a block or
    network parameter that its body never reads."""
    spec = program.main_file
    warnings: list[ArchError] = []
    defs = [item for item in spec.items if isinstance(item, syntax.BlockDef | syntax.NetworkDef)]
    networks = [item for item in spec.items if isinstance(item, syntax.NetworkDef | syntax.NetworkAlias)]
    is_model = bool(networks) and all(
        isinstance(n, syntax.NetworkAlias) or all(p.default is not None for p in n.params) for n in networks
    )
    if is_model:
        for block in (d for d in defs if isinstance(d, syntax.BlockDef)):
            if not any(block.name in names_read(other) for other in spec.items if other is not block):
                warnings.append(
                    ArchError(
                        f"block `{block.name}` is never used",
                        block.span,
                        code="W503",
                        severity="warning",
                        hint="no network of this file calls it; remove it, or call it where it was meant to go",
                    )
                )
    for defn in defs:
        read = names_read(defn)
        for param in defn.params:
            if param.name not in read:
                what = "block" if isinstance(defn, syntax.BlockDef) else "network"
                warnings.append(
                    ArchError(
                        f"parameter `{param.name}` of {what} `{defn.name}` is never used",
                        param.span,
                        code="W504",
                        severity="warning",
                        hint=f"remove it, or use it in the body of `{defn.name}`",
                    )
                )
    return warnings


def names_read(node: object) -> set[str]:
    """Every name an AST node reads (variables, called ops and blocks, names inside labels), found by
    walking all its fields, so a new kind of node cannot hide a use."""
    return set(_names(node))


def _names(node: object) -> Iterator[str]:
    if isinstance(node, syntax.Name):
        yield node.id
    elif isinstance(node, syntax.Call):
        yield node.func
    if isinstance(node, syntax.Node):
        for field in type(node).model_fields:
            if field != "span":
                yield from _names(getattr(node, field))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _names(item)


def raise_unrun_block_errors(elaborator: Elaborator, program: Program) -> None:
    """After a network was built: check the main file's blocks it never opened, and raise what they hold."""
    errors = check_unrun_blocks(elaborator, program)
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorGroup(errors)


def no_network(error: ArchError, program: Program, limits: Limits | None) -> ArchError:
    """A file with no network (a family file): every block is checked, then E210 says there is nothing to
    build. The warnings come first, the errors next, E210 last."""
    blocks = main_blocks(program)
    errors = check_unrun_blocks(Elaborator(program, limits), program)
    count = f"{len(blocks)} block{'s' if len(blocks) != 1 else ''}"
    verdict = f"{len(errors)} mistake{'s' if len(errors) != 1 else ''} found" if errors else "no mistakes found"
    error.message = f"{program.main} defines no network to build (its blocks were checked: {count}, {verdict})"
    found = [*unused_warnings(program), *errors, error]
    return found[0] if len(found) == 1 else ErrorGroup(found)
