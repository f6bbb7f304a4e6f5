"""Folding: identical consecutive steps into `x n`, runs of numbered labels into a `for` loop."""

from __future__ import annotations

import re
from typing import Any

from ..frontend import syntax as ast
from ..frontend import unparse
from ..ir.naming import label_problem

MIN_LOOP = 3  # fewer numbered labels than this read better written out
NUMBERED = re.compile(r"^(.*?\D)(\d+)$")  # denselayer1, "block1-0" (a quoted label)


def is_plain_step(stmt: Any) -> bool:
    """A statement that is one step fed by the flow: `relu`, `conv1: conv(64, 3)`, `Block(64) x 3`."""
    if stmt.kind != "flow" or len(stmt.chain.items) != 1:
        return False
    item = stmt.chain.items[0]
    return item.kind == "step" or (item.kind == "labeled" and len(item.chain.items) == 1)


def fold_steps(steps: list[Any]) -> list[Any]:
    """Consecutive equal unlabelled steps -> one step `x n` (counts add up)."""
    out: list[Any] = []
    for step in steps:
        if out and step.kind == "step" and out[-1].kind == "step" and _base(out[-1]) == _base(step):
            count = _count(out[-1]) + _count(step)
            out[-1] = ast.Step(expr=step.expr, repeat=ast.Num(value=count))
        else:
            out.append(step)
    return out


def _base(step: Any) -> Any:
    return step.expr


def _count(step: Any) -> int:
    return 1 if step.repeat is None else step.repeat.value


def fold_statements(statements: list[Any]) -> list[Any]:
    """`x n` for repeated plain unlabelled statements; `for i in range(a, b): nameI: X` for numbered runs."""
    out: list[Any] = []
    for stmt in statements:
        last = out[-1] if out else None
        if (
            last is not None
            and is_plain_step(stmt)
            and is_plain_step(last)
            and stmt.chain.items[0].kind == "step"
            and last.chain.items[0].kind == "step"
            and last.chain.items[0].expr == stmt.chain.items[0].expr
        ):
            (step,) = fold_steps([last.chain.items[0], stmt.chain.items[0]])
            out[-1] = ast.FlowStmt(chain=ast.Chain(items=(step,)))
        else:
            out.append(stmt)
    return _loops(out)


def _numbered(stmt: Any) -> tuple[str, int, Any] | None:
    if not is_plain_step(stmt) or stmt.chain.items[0].kind != "labeled":
        return None
    item = stmt.chain.items[0]
    match = NUMBERED.match(item.label.static or "")
    if match is None or match.group(2).startswith("0"):
        return None
    return match.group(1), int(match.group(2)), item.chain.items[0]


def _loops(statements: list[Any]) -> list[Any]:
    out: list[Any] = []
    index = 0
    while index < len(statements):
        head = _numbered(statements[index])
        end = index + 1
        while head and end < len(statements):
            nxt = _numbered(statements[end])
            if nxt is None or nxt[0] != head[0] or nxt[1] != head[1] + (end - index) or nxt[2] != head[2]:
                break
            end += 1
        if head and end - index >= MIN_LOOP:
            prefix, first, step = head
            # `for i in range(n): name{i + 1}` as the library writes it: n is the count.
            number = ast.BinOp(op="+", left=ast.Name(id="i"), right=ast.Num(value=first)) if first else ast.Name(id="i")
            if label_problem(prefix + "0") is None:
                label = ast.Label(parts=(prefix, number))
            else:  # a quoted label is an f-string: "block1-{i + 1}"
                label = ast.Label(parts=(f"{prefix}{{{unparse.expr(number)}}}",), quoted=True)
            body = ast.FlowStmt(chain=ast.Chain(items=(ast.Labeled(label=label, chain=ast.Chain(items=(step,))),)))
            count = ast.Call(func="range", args=(ast.Num(value=end - index),))
            out.append(ast.For(targets=("i",), iter=count, body=(body,)))
            index = end
        else:
            out.append(statements[index])
            index += 1
    return out
