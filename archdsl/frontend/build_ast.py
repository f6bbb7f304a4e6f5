"""Lark parse tree -> AST: one small method per grammar rule, plus operator precedence.

The grammar parses operators flat (`a + b * -c`), so this module groups them with precedence
climbing, in Python's order. Nodes are built (and validated) with `new`.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from lark import Token, Tree

from pydantic import BaseModel


def new(cls: type[BaseModel], **values: Any) -> Any:
    """An AST node, validated: pydantic-core builds it as fast as model_construct (and as archdsl's old
    unvalidated shortcut, which wrote pydantic's private attributes) since spans arrive ready-made."""
    return cls(**values)
from ..errors import ParseError
from ..source import Span
from . import syntax as ast

# Binding power of binary operators: (left, right). Left-associative ops bind their right operand one
# tighter; `**` is right-associative. Prefix operators: the power their operand is parsed with.
_BINARY = {"or": (1, 2), "and": (2, 3), "==": (4, 5), "!=": (4, 5), "<": (4, 5), "<=": (4, 5), ">": (4, 5),
           ">=": (4, 5), "+": (5, 6), "-": (5, 6), "*": (6, 7), "/": (6, 7), "//": (6, 7), "%": (6, 7),
           "**": (8, 8)}
_PREFIX = {"not": 3, "-": 7, "+": 7}
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}


def unquote(raw: str) -> str:
    body = raw[3:-3] if raw.startswith('"""') else raw[1:-1]
    escapes = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), "\\" + m.group(1)), body, flags=re.S)


class Builder:
    """Builds the AST of one file (or one YAML snippet starting at line:col of its file)."""

    def __init__(self, path: str, line: int = 1, col: int = 1):
        self.path = path
        self.line_offset, self.col_offset = line - 1, col - 1
        self._rules: dict[str, Any] = {}

    def build(self, tree: Tree) -> Any:
        """Children first, then the rule's method. A plain loop over the rules would be no faster:
        the recursion is as deep as the spec's nesting, which the parser already bounds."""
        rule = self._rules.get(tree.data)
        if rule is None:
            rule = self._rules[tree.data] = getattr(self, str(tree.data))
        children = [self.build(c) if isinstance(c, Tree) else c for c in tree.children]
        return rule(tree.meta, *children)

    # -- positions -----------------------------------------------------------------------------
    def _span(self, meta) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return new(Span, line=meta.line + self.line_offset,
                   col=meta.column + (self.col_offset if meta.line == 1 else 0),
                   end_line=meta.end_line + self.line_offset,
                   end_col=meta.end_column + (self.col_offset if meta.end_line == 1 else 0), path=self.path)

    def token_span(self, token: Token) -> Span:
        line = token.line or 1
        end_line = token.end_line or line
        col = token.column or 1
        end_col = token.end_column or col + len(token)
        return new(Span, line=line + self.line_offset, col=col + (self.col_offset if line == 1 else 0),
                   end_line=end_line + self.line_offset, end_col=end_col + (self.col_offset if end_line == 1 else 0),
                   path=self.path)

    def identifier(self, token: Token, what: str) -> str:
        name = str(token)
        if keyword.iskeyword(name):
            raise ParseError(f"`{name}` is a Python keyword and cannot be used as a {what}", self.token_span(token),
                             hint=f"rename it, e.g. `{name}_`", code="E304")
        return name

    # -- file and definitions ------------------------------------------------------------------
    def single(self, meta, stmt):
        return stmt

    def start(self, meta, *items):
        doc = None
        defs = []
        for item in items:
            if isinstance(item, tuple) and item[0] == "doc":
                doc = item[1] if doc is None else doc + "\n" + item[1]
            else:
                defs.append(item)
        return new(ast.SpecFile, doc=doc, items=tuple(defs), path=self.path, span=self._span(meta))

    def module_doc(self, meta, token):
        return ("doc", unquote(token).strip())

    def import_all(self, meta, token):
        return new(ast.Import, path=unquote(token), names=None, span=self._span(meta))

    def import_names(self, meta, token, *names):
        return new(ast.Import, path=unquote(token), names=tuple(map(str, names)), span=self._span(meta))

    def const_def(self, meta, name, value):
        return new(ast.ConstDef, name=self.identifier(name, "name"), value=value, span=self._span(meta))

    def block_def(self, meta, name, params, suite):
        doc, body = split_doc(suite)
        return new(ast.BlockDef, name=self.identifier(name, "block name"), params=tuple(params or ()), doc=doc,
                   body=body, span=self._span(meta))

    def network_def(self, meta, name, params, suite):
        doc, body = split_doc(suite)
        return new(ast.NetworkDef, name=self.identifier(name, "network name"), params=tuple(params or ()), doc=doc,
                   body=body, span=self._span(meta))

    def network_alias(self, meta, name, base, args):
        positional, keywords = split_args(args)
        return new(ast.NetworkAlias, name=self.identifier(name, "network name"), base=str(base), args=positional,
                   kwargs=keywords, span=self._span(meta))

    def params(self, meta, *params):
        return [p for p in params if p is not None]

    def param(self, meta, name, default):
        return new(ast.Param, name=self.identifier(name, "parameter"), default=default, span=self._span(meta))

    # -- statements ----------------------------------------------------------------------------
    def suite(self, meta, *stmts):
        return tuple(stmts)

    def flow_stmt(self, meta, chain):
        return new(ast.FlowStmt, chain=chain, span=self._span(meta))

    def assign(self, meta, name, chain):
        return new(ast.Assign, target=self.identifier(name, "name"), chain=chain, span=self._span(meta))

    def input_stmt(self, meta, *dims):
        return new(ast.InputStmt, dims=tuple(dims), span=self._span(meta))

    def pass_stmt(self, meta):
        return new(ast.Pass, span=self._span(meta))

    def if_stmt(self, meta, cond, body, *rest):
        branches = [new(ast.IfBranch, cond=cond, body=body, span=self._span(meta))]
        orelse = None
        for item in rest:
            if isinstance(item, ast.IfBranch):
                branches.append(item)
            elif item is not None:
                orelse = item
        return new(ast.If, branches=tuple(branches), orelse=orelse, span=self._span(meta))

    def elif_clause(self, meta, cond, body):
        return new(ast.IfBranch, cond=cond, body=body, span=self._span(meta))

    def else_clause(self, meta, body):
        return body

    def for_stmt(self, meta, *parts):
        *names, iterable, body = parts
        targets = tuple(self.identifier(n, "loop variable") for n in names)
        return new(ast.For, targets=targets, iter=iterable, body=body, span=self._span(meta))

    def group_stmt(self, meta, label, body):
        return new(ast.Group, label=label, body=body, span=self._span(meta))

    # -- chains --------------------------------------------------------------------------------
    def chain(self, meta, *items):
        return new(ast.Chain, items=tuple(items), span=self._span(meta))

    def labeled(self, meta, label, chain):
        return new(ast.Labeled, label=label, chain=chain, span=self._span(meta))

    def label(self, meta, head, *parts):
        out: list = [self.identifier(head, "module name")]
        for part in parts:
            out.extend(part)
        return new(ast.Label, parts=tuple(out), span=self._span(meta))

    def label_part(self, meta, expr, suffix):
        return [expr] + ([str(suffix)] if suffix is not None else [])

    def step(self, meta, expr, repeat):
        return new(ast.Step, expr=expr, repeat=repeat, span=self._span(meta))

    # -- operators -----------------------------------------------------------------------------
    def operation(self, meta, *items):
        """`items` alternate operands and operator tokens, with prefix tokens before an operand.
        Grouped by precedence climbing; `a < b < c` is refused (Python would chain it)."""
        position = 0

        def climb(min_power: int):
            nonlocal position
            first = items[position]
            position += 1
            if isinstance(first, Token):  # a prefix operator applies to what follows, at its own power
                left = self._unary(first, climb(_PREFIX[str(first)]))
            else:
                left = first
            compared = False  # `left` is a comparison made in this loop (not one in brackets)
            while position < len(items):
                op = items[position]
                left_power, right_power = _BINARY[str(op)]
                if left_power < min_power:
                    break
                if compared and str(op) in _COMPARISONS:
                    raise ParseError("comparisons cannot be chained (`a < b < c`)", self.token_span(op),
                                     hint="write `a < b and b < c`", code="E101")
                position += 1
                left = self._binary(op, left, climb(right_power))
                compared = str(op) in _COMPARISONS
            return left

        return climb(0)

    test = operation  # `-x` or `not x`: prefix operators on a single operand

    def _binary(self, op: Token, left, right):
        text = str(op)
        span = _join(left.span, right.span)
        if text in ("and", "or"):
            return new(ast.BoolOp, op=text, left=left, right=right, span=span)
        if text in _COMPARISONS:
            return new(ast.Compare, op=text, left=left, right=right, span=span)
        return new(ast.BinOp, op=text, left=left, right=right, span=span)

    def _unary(self, op: Token, operand):
        text = str(op)
        span = _join(self.token_span(op), operand.span)
        if text == "-" and isinstance(operand, ast.Num):  # fold so `-1` stays a literal
            return new(ast.Num, value=-operand.value, span=span)
        return new(ast.UnaryOp, op=text, operand=operand, span=span)

    def ifexp(self, meta, then, cond, orelse):
        return new(ast.IfExp, cond=cond, then=then, orelse=orelse, span=self._span(meta))

    # -- atoms ---------------------------------------------------------------------------------
    def attr(self, meta, value, name):
        return new(ast.Attr, value=value, attr=str(name), span=self._span(meta))

    def index(self, meta, value, idx):
        return new(ast.Index, value=value, index=idx, span=self._span(meta))

    def number(self, meta, token):
        text = str(token)
        value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
        return new(ast.Num, value=value, span=self._span(meta))

    def string(self, meta, token):
        return new(ast.Str, value=unquote(token), span=self._span(meta))

    def true(self, meta, token=None):
        return new(ast.Bool, value=True, span=self._span(meta))

    def false(self, meta, token=None):
        return new(ast.Bool, value=False, span=self._span(meta))

    def none(self, meta, token=None):
        return new(ast.NoneLit, span=self._span(meta))

    def input_ref(self, meta):
        return new(ast.InputRef, span=self._span(meta))

    def name(self, meta, token):
        return new(ast.Name, id=str(token), span=self._span(meta))

    def call(self, meta, func, args):
        positional, keywords = split_args(args)
        return new(ast.Call, func=str(func), args=positional, kwargs=keywords, span=self._span(meta))

    def args(self, meta, *items):
        return [i for i in items if i is not None]

    def kwarg(self, meta, name, value):
        return new(ast.Kwarg, name=str(name), value=value, span=self._span(meta))

    def list_(self, meta, *items):
        return new(ast.ListExpr, items=tuple(i for i in items if i is not None), span=self._span(meta))

    def paren(self, meta, chain):
        return unwrap(chain)

    def tuple_(self, meta, *items):
        return new(ast.TupleExpr, items=tuple(unwrap(i) for i in items if i is not None), span=self._span(meta))


def _join(first: Span | None, last: Span | None) -> Span | None:
    if first is None or last is None:
        return first or last
    return new(Span, line=first.line, col=first.col, end_line=last.end_line, end_col=last.end_col, path=first.path)


def unwrap(chain: ast.Chain):
    """A parenthesised chain of one plain step is just that step's expression: `(n - 1)`."""
    if len(chain.items) == 1 and isinstance(chain.items[0], ast.Step) and chain.items[0].repeat is None:
        return chain.items[0].expr
    return chain


def split_args(args) -> tuple[tuple, tuple]:
    args = args or []
    positional = tuple(a for a in args if not isinstance(a, ast.Kwarg))
    keywords = tuple(a for a in args if isinstance(a, ast.Kwarg))
    return positional, keywords


def split_doc(body: tuple) -> tuple[str | None, tuple]:
    if body and isinstance(body[0], ast.FlowStmt):
        items = body[0].chain.items
        if len(items) == 1 and isinstance(items[0], ast.Step) and isinstance(items[0].expr, ast.Str):
            return items[0].expr.value.strip(), body[1:]
    return None, body
