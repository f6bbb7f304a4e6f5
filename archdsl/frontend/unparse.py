"""AST -> text: `.arch` source and the YAML form. parse(to_arch(ast)) == ast for every spec.

Comments are not part of the AST, so a converted file keeps its docstrings but not its `#` comments.
"""

from __future__ import annotations

import re
from typing import Any

from . import syntax as ast
from .syntax_rules import ATOM as _ATOM
from .syntax_rules import POSTFIX as _POSTFIX
from .syntax_rules import PRECEDENCE as _PREC


def expr(node: Any, context: int = 0) -> str:
    """An expression as .arch text, parenthesised only where `context` binds tighter."""
    text, prec = _expr(node)
    return f"({text})" if prec < context else text


def _expr(node: Any) -> tuple[str, int]:
    kind = node.kind
    if kind == "num":
        value = node.value
        # 1e-6 as written, not Python's 1e-06 (ConvNeXt's layer scale, norms' eps).
        text = re.sub(r"e([+-])0(\d)", r"e\1\2", repr(value)) if isinstance(value, float) else str(value)
        return text, (_PREC["unary"] if value < 0 else _ATOM)
    if kind == "str":
        escaped = node.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        return f'"{escaped}"', _ATOM
    if kind == "bool":
        return ("true" if node.value else "false"), _ATOM
    if kind == "none":
        return "none", _ATOM
    if kind == "name":
        return node.id, _ATOM
    if kind == "in":
        return "in", _ATOM
    if kind == "attr":
        return f"{expr(node.value, _POSTFIX)}.{node.attr}", _POSTFIX
    if kind == "index":
        return f"{expr(node.value, _POSTFIX)}[{expr(node.index)}]", _POSTFIX
    if kind == "call":
        return f"{node.func}({_args(node.args, node.kwargs)})", _ATOM
    if kind == "binop":
        prec = _PREC[node.op]
        if node.op == "**":
            return f"{expr(node.left, prec + 1)} ** {expr(node.right, _PREC['unary'])}", prec
        return f"{expr(node.left, prec)} {node.op} {expr(node.right, prec + 1)}", prec
    if kind == "unary":
        if node.op == "not":
            return f"not {expr(node.operand, _PREC['not'])}", _PREC["not"]
        return f"{node.op}{expr(node.operand, _PREC['unary'])}", _PREC["unary"]
    if kind == "compare":
        prec = _PREC["compare"]
        return f"{expr(node.left, prec + 1)} {node.op} {expr(node.right, prec + 1)}", prec
    if kind == "boolop":
        prec = _PREC[node.op]
        return f"{expr(node.left, prec)} {node.op} {expr(node.right, prec + 1)}", prec
    if kind == "ifexp":
        prec = _PREC["ifexp"]
        return f"{expr(node.then, prec + 1)} if {expr(node.cond, prec + 1)} else {expr(node.orelse, prec)}", prec
    if kind == "list":
        return "[" + ", ".join(expr(i) for i in node.items) + "]", _ATOM
    if kind == "tuple":
        inner = ", ".join(expr(i) for i in node.items)
        return (f"({inner},)" if len(node.items) == 1 else f"({inner})"), _ATOM
    if kind == "chain":
        return f"({chain(node)})", _ATOM
    raise ValueError(f"cannot print {kind}")


def _args(args, kwargs) -> str:
    return ", ".join([expr(a) for a in args] + [f"{k.name}={expr(k.value)}" for k in kwargs])


def label(node: ast.Label) -> str:
    if node.quoted:
        return _expr(ast.Str(value=node.parts[0], span=node.span))[0]
    return "".join(p if isinstance(p, str) else "{" + expr(p) + "}" for p in node.parts)


def chain(node: ast.Chain) -> str:
    parts = []
    for item in node.items:
        if item.kind == "labeled":
            parts.append(f"{label(item.label)}: {chain(item.chain)}")
        else:
            text = expr(item.expr, _PREC["ifexp"] + 1) if item.expr.kind != "chain" else expr(item.expr)
            if item.repeat is not None:
                text += f" x {expr(item.repeat, _PREC['*'])}"
            parts.append(text)
    return " -> ".join(parts)


def targets(items: tuple[ast.Target, ...]) -> str:
    """Loop or assignment targets as written: `i, (w, d)` (nested unpacking in brackets)."""
    return ", ".join(item if isinstance(item, str) else f"({targets(item.names)})" for item in items)


def assign_target(target: ast.Target) -> str:
    """The left side of an assignment: `x` or `w, d`."""
    return target if isinstance(target, str) else targets(target.names)


def group_head(stmt: ast.Group) -> str:
    """`features` or `stage1 as x`: a group's header, without its colon."""
    head = label(stmt.label)
    return head if stmt.input_name is None else f"{head} as {stmt.input_name}"


def simple_statement(stmt: Any) -> str | None:
    """One-line statements as text; None for compound ones (if, for, group)."""
    if stmt.kind == "flow":
        return chain(stmt.chain)
    if stmt.kind == "assign":
        return f"{assign_target(stmt.target)} = {chain(stmt.chain)}"
    if stmt.kind == "input":
        if all(d.kind == "num" and isinstance(d.value, int) and d.value > 0 for d in stmt.dims):
            return "input " + "x".join(str(d.value) for d in stmt.dims)
        return "input " + " x ".join(expr(d, _PREC["+"]) for d in stmt.dims)
    if stmt.kind == "pass":
        return "pass"
    if stmt.kind == "return":
        return "return " + ", ".join(f"{name}={expr(value)}" for name, value in zip(stmt.names, stmt.values))
    return None


def _body(stmts, indent: str) -> list[str]:
    lines: list[str] = []
    for stmt in stmts:
        text = simple_statement(stmt)
        if text is not None:
            lines.append(indent + text)
        elif stmt.kind == "if":
            for index, branch in enumerate(stmt.branches):
                lines.append(f"{indent}{'if' if index == 0 else 'elif'} {expr(branch.cond)}:")
                lines += _body(branch.body, indent + "    ")
            if stmt.orelse is not None:
                lines.append(f"{indent}else:")
                lines += _body(stmt.orelse, indent + "    ")
        elif stmt.kind == "for":
            lines.append(f"{indent}for {targets(stmt.targets)} in {expr(stmt.iter)}:")
            lines += _body(stmt.body, indent + "    ")
        elif stmt.kind == "group":
            lines.append(f"{indent}{group_head(stmt)}:")
            lines += _body(stmt.body, indent + "    ")
    return lines


def _doc(text: str, indent: str = "") -> str:
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'{indent}"""{body}"""'


def _params(params) -> str:
    return ", ".join(p.name if p.default is None else f"{p.name}={expr(p.default)}" for p in params)


def to_arch(spec: ast.SpecFile) -> str:
    """The spec as .arch text."""
    out: list[str] = []
    if spec.doc:
        out += [_doc(spec.doc), ""]
    for item in spec.items:
        if item.kind == "import":
            out.append(
                f'import "{item.path}"' if item.names is None else f'from "{item.path}" import {", ".join(item.names)}'
            )
        elif item.kind == "const":
            out.append(f"{item.name} = {expr(item.value)}")
        elif item.kind in ("block", "network"):
            out += ["", f"{item.kind} {item.name}({_params(item.params)}):"]
            if item.doc:
                out.append(_doc(item.doc, "    "))
            out += _body(item.body, "    ")
            out.append("")
        elif item.kind == "alias":
            out += ["", f"network {item.name} = {item.base}({_args(item.args, item.kwargs)})"]
    text = "\n".join(out).strip("\n") + "\n"
    while "\n\n\n\n" in text:
        text = text.replace("\n\n\n\n", "\n\n\n")
    return text


# ----------------------------------------------------------------------------------------------
# YAML
# ----------------------------------------------------------------------------------------------


def _yaml_value(node: Any) -> Any:
    """Literals become YAML scalars and lists; anything else stays an expression string."""
    if node.kind == "num" or node.kind == "bool":
        return node.value
    if node.kind == "list" and all(i.kind in ("num", "bool", "list") for i in node.items):
        return [_yaml_value(i) for i in node.items]
    return expr(node)


def _yaml_body(stmts) -> list:
    out: list = []
    for stmt in stmts:
        if stmt.kind == "flow" and len(stmt.chain.items) == 1 and stmt.chain.items[0].kind == "labeled":
            item = stmt.chain.items[0]
            out.append({label(item.label): chain(item.chain)})
        elif stmt.kind == "input" and all(d.kind == "num" for d in stmt.dims):
            out.append({"input": [d.value for d in stmt.dims]})
        elif (text := simple_statement(stmt)) is not None:
            out.append(text)
        elif stmt.kind == "if":
            entry: dict[str, Any] = {"if": expr(stmt.branches[0].cond), "then": _yaml_body(stmt.branches[0].body)}
            if len(stmt.branches) > 1:
                entry["elif"] = [{"if": expr(b.cond), "then": _yaml_body(b.body)} for b in stmt.branches[1:]]
            if stmt.orelse is not None:
                entry["else"] = _yaml_body(stmt.orelse)
            out.append(entry)
        elif stmt.kind == "for":
            out.append({"for": targets(stmt.targets), "in": expr(stmt.iter), "do": _yaml_body(stmt.body)})
        elif stmt.kind == "group":
            out.append({group_head(stmt): _yaml_body(stmt.body)})
    return out


def _yaml_params(params) -> dict:
    return {p.name: (None if p.default is None else _yaml_value(p.default)) for p in params}


def to_data(spec: ast.SpecFile) -> dict:
    """The YAML form as plain data (see docs/language.md, "YAML")."""
    data: dict[str, Any] = {}
    if spec.doc:
        data["doc"] = spec.doc
    imports = [
        i.path if i.names is None else {"from": i.path, "import": list(i.names)}
        for i in spec.items
        if i.kind == "import"
    ]
    if imports:
        data["imports"] = imports
    constants = {i.name: _yaml_value(i.value) for i in spec.items if i.kind == "const"}
    if constants:
        data["constants"] = constants
    blocks = {}
    for item in spec.items:
        if item.kind == "block":
            entry: dict[str, Any] = {}
            if item.doc:
                entry["doc"] = item.doc
            entry["params"] = _yaml_params(item.params)
            entry["body"] = _yaml_body(item.body)
            blocks[item.name] = entry
    if blocks:
        data["blocks"] = blocks
    networks = {}
    for item in spec.items:
        if item.kind == "network":
            entry = {}
            if item.doc:
                entry["doc"] = item.doc
            entry["params"] = _yaml_params(item.params)
            entry["body"] = _yaml_body(item.body)
            networks[item.name] = entry
        elif item.kind == "alias":
            networks[item.name] = {"alias": f"{item.base}({_args(item.args, item.kwargs)})"}
    if networks:
        data["networks"] = networks
    return data


def to_yaml(spec: ast.SpecFile) -> str:
    """The spec as YAML text."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper, value: str):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    def _list(dumper, value: list):
        flow = all(isinstance(v, (int, float, bool)) or (isinstance(v, list) and len(v) < 8) for v in value)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow and len(value) < 12)

    _Dumper.add_representer(str, _str)
    _Dumper.add_representer(list, _list)
    return yaml.dump(to_data(spec), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
