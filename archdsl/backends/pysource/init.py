"""The root class's initialisation loop, written from the graph's `init` rules the way torchvision writes
it (`for m in self.modules(): if isinstance(m, nn.Conv2d): nn.init.kaiming_normal_(...)`)."""

from __future__ import annotations

import re
from contextlib import nullcontext

from ...ir.nodes import Graph, InitRule, OpNode
from ...ops.registry import get_op
from .classes import literal
from .writer import CodeWriter


def _callee(graph: Graph, node: OpNode) -> str:
    op = get_op(node.op)
    assert op is not None and op.torch is not None
    return op.torch(node.attrs, [graph.shape_of(i) for i in node.inputs]).callee


def _calls(rule: InitRule) -> list[str]:
    if rule.init == "uniform_fan_out":  # as torchvision's EfficientNet writes it, with fan_out as torch counts it
        tensor = f"m.{rule.tensor}"
        return [
            f"init_range = 1.0 / ({tensor}.numel() // {tensor}.size(1)) ** 0.5",
            f"nn.init.uniform_({tensor}, -init_range, init_range)",
        ]
    return [_call(rule)]


def _call(rule: InitRule) -> str:
    # strings are a mode or a nonlinearity name (checked at elaboration); written as torchvision does
    args = "".join(
        f", {key}={chr(34) + value + chr(34) if isinstance(value, str) else literal(value)}"
        for key, value in rule.args.items()
    )
    return f"nn.init.{rule.init}_(m.{rule.tensor}{args})"


def write_init(out: CodeWriter, graph: Graph) -> None:
    """Write the loop into `out` (inside `__init__`, after the modules are made); nothing when the
    graph has no rules or none of its ops is named by them."""
    classes: dict[str, list[str]] = {}  # torch class -> the op kinds built as it, in order of appearance
    path_class: dict[str, str] = {}
    optional: dict[str, set[str]] = {}  # torch class -> tensors some of its modules lack (bias=false, affine=false)
    for path, node in graph.ops():
        if node.name is None or get_op(node.op) is None or get_op(node.op).torch is None:
            continue
        callee = _callee(graph, node)
        if node.op not in classes.setdefault(callee, []):
            classes[callee].append(node.op)
        path_class[path] = callee
        lacks = optional.setdefault(callee, set())
        if node.attrs.get("bias") is False:
            lacks.add("bias")
        if node.attrs.get("affine") is False:
            lacks.update(("weight", "bias"))
    by_class: dict[str, dict[str, InitRule]] = {}  # the op row for each tensor, the last one winning
    overrides: dict[str, dict[str, list[tuple[str, InitRule]]]] = {}  # class -> tensor -> module rows
    for rule in graph.init:
        if rule.kind == "op":
            for callee, ops in classes.items():
                if rule.target in ops:
                    by_class.setdefault(callee, {})[rule.tensor] = rule
        else:
            callee = path_class[rule.target]
            by_class.setdefault(callee, {})
            overrides.setdefault(callee, {}).setdefault(rule.tensor, []).append((rule.target, rule))
    if not by_class:
        return
    out.writeline()
    names: dict[str, str] = {}
    for rows in overrides.values():
        for path, _ in (row for tensor_rows in rows.values() for row in tensor_rows):
            if path not in names:
                names[path] = re.sub(r"\W", "_", "_" + path)
                out.writeline(f'{names[path]} = self.get_submodule("{path}")')
    out.writeline("for m in self.modules():")
    with out.indent():
        for index, (callee, rules) in enumerate(by_class.items()):
            out.writeline(f"{'if' if index == 0 else 'elif'} isinstance(m, {callee}):")
            with out.indent():
                tensors = [t for t in ("weight", "bias") if t in rules or t in overrides.get(callee, {})]
                for tensor in tensors:
                    special = overrides.get(callee, {}).get(tensor, [])
                    _write_tensor(out, tensor, rules.get(tensor), special, names, tensor in optional[callee])


def _write_tensor(
    out: CodeWriter,
    tensor: str,
    rule: InitRule | None,
    special: list[tuple[str, InitRule]],
    names: dict[str, str],
    optional: bool,
) -> None:
    # Where some modules of the class have no such tensor (conv(..., bias=false)), check as torchvision does.
    guard = f"m.{tensor} is not None"
    branches = [(f"m is {names[path]}", row) for path, row in special]
    if rule is not None:
        branches.append(("", rule))
    for index, (condition, row) in enumerate(branches):
        if condition:
            out.writeline(f"{'if' if index == 0 else 'elif'} {condition}:")
        elif index > 0:
            out.writeline("else:")
        with out.indent() if condition or index > 0 else nullcontext():
            if optional:
                out.writeline(f"if {guard}:")
                with out.indent():
                    for line in _calls(row):
                        out.writeline(line)
            else:
                for line in _calls(row):
                    out.writeline(line)
