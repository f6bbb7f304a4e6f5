"""Grammar rules -> AST nodes, called by Lark's LALR parser at each reduction (Lark's `transformer=`).

Nodes are made while the text is parsed: no parse tree is built and walked afterwards. Each method gets
the rule's children with every token kept (`keep_all_tokens`), so a node's span runs from its first
token to its last, brackets and keywords included, as Lark's `propagate_positions` would place it.
The grammar parses operators flat (`a + b * -c`); this module groups them by precedence climbing, with
the binding powers of `syntax_rules.py`.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from lark import Token
from pydantic import BaseModel

from ..errors import ParseError
from ..source import Span
from . import syntax as ast
from .syntax_rules import BINARY_POWER, COMPARISONS, PREFIX_POWER

# How many nodes of one class are made without validation before validation takes over (see `new`).
CONSTRUCTED_FIRST = 5000
_constructed: dict[type, int] = {}


def new(cls: type[BaseModel], **values: Any) -> Any:
    """An AST node. Every value here comes from the grammar already typed (tuples, ints, spans), so the
    two ways pydantic offers give the same node (tests/test_parser.py checks it for every spec), and the
    choice is speed: validation is twice as fast per node (1.4 against 3 us) but first builds the class's
    deferred schema, 5-30 ms a class, about 0.27 s over a cold `check`. So the first nodes of each class
    are made with `model_construct`, and validation takes over once a class is common enough to repay it."""
    made = _constructed.get(cls, 0)
    if made < CONSTRUCTED_FIRST:
        _constructed[cls] = made + 1
        return cls.model_construct(**values)
    return cls(**values)


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def unquote(raw: str) -> str:
    """The value of a string literal as written in a spec (`"..."`, `'...'` or `\"\"\"...\"\"\"`)."""
    body = raw[3:-3] if raw.startswith('"""') else raw[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body, flags=re.S)


def token_span(token: Any, path: str) -> Span:
    """Where a token (Lark's or lark-cython's) stands: the one token -> span conversion."""
    line = token.line or 1
    col = token.column or 1
    return new(
        Span,
        line=line,
        col=col,
        end_line=token.end_line or line,
        end_col=token.end_column or col + max(len(token.value), 1),
        path=path,
    )


class _Part:
    """A rule's result that is not a node (a body, a label part, a docstring), with its extent."""

    __slots__ = ("value", "start", "end")

    def __init__(self, value: Any, start: tuple[int, int], end: tuple[int, int]):
        self.value, self.start, self.end = value, start, end


class Builder:
    """One instance per Lark parser; `reset(path)` before each parse. Errors found while building (a
    Python keyword used as a name, a chained comparison) are kept in `error`, the first one only, and
    raised by the caller once the whole text has parsed: a syntax error further down comes first.
    `token_class` is the lexer's: lark-cython's tokens are their own class, and not `str` (so this
    module reads `token.value`, never `str(token)`)."""

    def __init__(self, token_class: type = Token) -> None:
        self.token = token_class
        self.reset("<spec>")

    def reset(self, path: str) -> None:
        self.path = path
        self.error: ParseError | None = None
        # Nodes whose extent as a child is wider than their own span: `(a + b)` is the node `a + b`, but a
        # step or a statement that starts with it starts at `(`. Keyed by id, holding the node alive.
        self._outer: dict[int, tuple[ast.Node, Span]] = {}

    # -- positions -----------------------------------------------------------------------------
    def _start(self, item: Any) -> tuple[int, int]:
        if isinstance(item, self.token):
            return item.line, item.column
        if item.__class__ is _Part:
            return item.start
        outer = self._outer.get(id(item))
        span = outer[1] if outer is not None else item.span
        return span.line, span.col

    def _end(self, item: Any) -> tuple[int, int]:
        if isinstance(item, self.token):
            return item.end_line, item.end_column
        if item.__class__ is _Part:
            return item.end
        outer = self._outer.get(id(item))
        span = outer[1] if outer is not None else item.span
        return span.end_line, span.end_col

    def _span(self, first: Any, last: Any) -> Span:
        line, col = self._start(first)
        end_line, end_col = self._end(last)
        return new(Span, line=line, col=col, end_line=end_line, end_col=end_col, path=self.path)

    def _tokens_span(self, first: Any, last: Any) -> Span:
        return new(
            Span, line=first.line, col=first.column, end_line=last.end_line, end_col=last.end_column, path=self.path
        )

    def _fail(self, error: ParseError) -> None:
        if self.error is None:
            self.error = error

    def identifier(self, token: Any, what: str) -> str:
        name = token.value
        if keyword.iskeyword(name):
            self._fail(
                ParseError(
                    f"`{name}` is a Python keyword and cannot be used as a {what}",
                    token_span(token, self.path),
                    hint=f"rename it, e.g. `{name}_`",
                    code="E304",
                )
            )
        return name

    # -- file and definitions ------------------------------------------------------------------
    def start(self, children: list) -> ast.SpecFile:
        doc = None
        defs = []
        for item in children:
            if item.__class__ is _Part:
                doc = item.value if doc is None else doc + "\n" + item.value
            elif not isinstance(item, self.token):
                defs.append(item)
        span = self._span(children[0], children[-1]) if children else None
        return new(ast.SpecFile, doc=doc, items=tuple(defs), path=self.path, span=span)

    def single(self, children: list) -> ast.Node:
        return children[0]

    def module_doc(self, children: list) -> _Part:
        string, newline = children
        return _Part(unquote(string.value).strip(), self._start(string), self._end(newline))

    def import_all(self, children: list) -> ast.Import:
        return new(
            ast.Import, path=unquote(children[1].value), names=None, span=self._tokens_span(children[0], children[-1])
        )

    def import_names(self, children: list) -> ast.Import:
        names = tuple(token.value for token in children[3:-1:2])
        return new(
            ast.Import, path=unquote(children[1].value), names=names, span=self._tokens_span(children[0], children[-1])
        )

    def const_def(self, children: list) -> ast.ConstDef:
        name, _, value, newline = children
        return new(ast.ConstDef, name=self.identifier(name, "name"), value=value, span=self._tokens_span(name, newline))

    def block_def(self, children: list) -> ast.BlockDef:
        return self._definition(ast.BlockDef, "block name", children)

    def network_def(self, children: list) -> ast.NetworkDef:
        return self._definition(ast.NetworkDef, "network name", children)

    def _definition(self, cls: type, what: str, children: list) -> Any:
        keyword_token, name, _, params, _, _, suite = children
        doc, body = split_doc(suite.value)
        return new(
            cls,
            name=self.identifier(name, what),
            params=tuple(params or ()),
            doc=doc,
            body=body,
            span=self._span(keyword_token, suite),
        )

    def network_alias(self, children: list) -> ast.NetworkAlias:
        positional, keywords = split_args(children[5])
        return new(
            ast.NetworkAlias,
            name=self.identifier(children[1], "network name"),
            base=children[3].value,
            args=positional,
            kwargs=keywords,
            span=self._tokens_span(children[0], children[-1]),
        )

    def params(self, children: list) -> list:
        return [c for c in children if isinstance(c, ast.Param)]

    def param(self, children: list) -> ast.Param:
        name, _, default = children
        return new(
            ast.Param,
            name=self.identifier(name, "parameter"),
            default=default,
            span=self._span(name, name if default is None else default),
        )

    # -- statements ----------------------------------------------------------------------------
    def suite(self, children: list) -> _Part:
        body = tuple(c for c in children if not isinstance(c, self.token))
        return _Part(body, self._start(children[0]), self._end(children[-1]))

    def flow_stmt(self, children: list) -> ast.FlowStmt:
        chain = children[0]
        return new(ast.FlowStmt, chain=chain, span=chain.span)

    def assign(self, children: list) -> ast.Assign:
        name, _, chain = children
        return new(ast.Assign, target=self.identifier(name, "name"), chain=chain, span=self._span(name, chain))

    def input_stmt(self, children: list) -> ast.InputStmt:
        return new(ast.InputStmt, dims=tuple(children[1::2]), span=self._span(children[0], children[-1]))

    def return_stmt(self, children: list) -> ast.Return:
        # children: "return", NAME, "=", expr, then ",", NAME, "=", expr for each further output
        names = tuple(self.identifier(name, "output name") for name in children[1::4])
        return new(ast.Return, names=names, values=tuple(children[3::4]), span=self._span(children[0], children[-1]))

    def pass_stmt(self, children: list) -> ast.Pass:
        return new(ast.Pass, span=token_span(children[0], self.path))

    def if_stmt(self, children: list) -> ast.If:
        *parts, orelse = children
        last = orelse if orelse is not None else parts[-1]
        span = self._span(children[0], last)
        branches = [new(ast.IfBranch, cond=parts[1], body=parts[3].value, span=span), *parts[4:]]
        return new(ast.If, branches=tuple(branches), orelse=None if orelse is None else orelse.value, span=span)

    def elif_clause(self, children: list) -> ast.IfBranch:
        keyword_token, cond, _, suite = children
        return new(ast.IfBranch, cond=cond, body=suite.value, span=self._span(keyword_token, suite))

    def else_clause(self, children: list) -> _Part:
        return _Part(children[-1].value, self._start(children[0]), children[-1].end)

    def unpack_assign(self, children: list) -> ast.Assign:
        *targets, _, chain = children
        target = new(ast.Unpack, names=self._target_list(targets, "name"), span=self._span(targets[0], targets[-1]))
        return new(ast.Assign, target=target, chain=chain, span=self._span(children[0], chain))

    def for_stmt(self, children: list) -> ast.For:
        targets = self._target_list(children[1:-4], "loop variable")
        return new(
            ast.For,
            targets=targets,
            iter=children[-3],
            body=children[-1].value,
            span=self._span(children[0], children[-1]),
        )

    def targets(self, children: list) -> ast.Unpack:
        """The YAML form's `for:` value, `i, (w, d)`: the loop's targets, as one `Unpack`."""
        return new(
            ast.Unpack, names=self._target_list(children, "loop variable"), span=self._span(children[0], children[-1])
        )

    def unpack(self, children: list) -> ast.Unpack:
        return new(
            ast.Unpack, names=self._target_list(children[1:-1], "name"), span=self._span(children[0], children[-1])
        )

    def _target_list(self, children: list, what: str) -> tuple[str | ast.Unpack, ...]:
        """Names and nested `Unpack`s, the commas between them dropped."""
        found: list[str | ast.Unpack] = []
        for child in children:
            if isinstance(child, ast.Unpack):
                found.append(child)
            elif child.type == "NAME":
                found.append(self.identifier(child, what))
        return tuple(found)

    def group_stmt(self, children: list) -> ast.Group:
        label, _, input_name, _, suite = children
        name = None if input_name is None else self.identifier(input_name, "name")
        return new(ast.Group, label=label, body=suite.value, input_name=name, span=self._span(label, suite))

    def group_head(self, children: list) -> tuple[ast.Label, str | None]:
        """The YAML form's group key, `label as name`: (label, name or None)."""
        label, _, input_name = children
        return label, None if input_name is None else self.identifier(input_name, "name")

    # -- chains --------------------------------------------------------------------------------
    def chain(self, children: list) -> ast.Chain:
        return new(ast.Chain, items=tuple(children[::2]), span=self._span(children[0], children[-1]))

    def labeled(self, children: list) -> ast.Labeled:
        label, _, chain = children
        return new(ast.Labeled, label=label, chain=chain, span=self._span(label, chain))

    def label(self, children: list) -> ast.Label:
        parts: list = [self.identifier(children[0], "module name")]
        for part in children[1:]:
            parts.extend(part.value)
        return new(ast.Label, parts=tuple(parts), span=self._span(children[0], children[-1]))

    def quoted_label(self, children: list) -> ast.Label:
        token = children[0]
        text = unquote(token.value)
        # `"conv1"` is the label conv1: one AST whichever way it was written, so round trips compare equal.
        plain = text.isidentifier() and not keyword.iskeyword(text)
        return new(ast.Label, parts=(text,), quoted=not plain, span=token_span(token, self.path))

    def label_part(self, children: list) -> _Part:
        opener, expr, closer, suffix = children
        value = [expr] if suffix is None else [expr, suffix.value]
        return _Part(value, self._start(opener), self._end(closer if suffix is None else suffix))

    def step(self, children: list) -> ast.Step:
        expr, _, repeat = children
        return new(ast.Step, expr=expr, repeat=repeat, span=self._span(expr, expr if repeat is None else repeat))

    # -- operators -----------------------------------------------------------------------------
    def operation(self, items: list) -> ast.Node:
        """`items` alternate operands and operator tokens, with prefix tokens before an operand.
        Grouped by precedence climbing; `a < b < c` is refused (Python would chain it)."""
        position = 0

        def climb(min_power: int) -> ast.Node:
            nonlocal position
            first = items[position]
            position += 1
            if isinstance(first, self.token):  # a prefix operator applies to what follows, at its own power
                left = self._unary(first, climb(PREFIX_POWER[first.value]))
            else:
                left = first
            compared = False  # `left` is a comparison made in this loop (not one in brackets)
            while position < len(items):
                op = items[position]
                left_power, right_power = BINARY_POWER[op.value]
                if left_power < min_power:
                    break
                if compared and op.value in COMPARISONS:
                    self._fail(
                        ParseError(
                            "comparisons cannot be chained (`a < b < c`)",
                            token_span(op, self.path),
                            hint="write `a < b and b < c`",
                            code="E101",
                        )
                    )
                position += 1
                left = self._binary(op, left, climb(right_power))
                compared = op.value in COMPARISONS
            return left

        result = climb(0)
        self._contain(result, items[0], items[-1])
        return result

    test = operation  # `-x` or `not x`: prefix operators on a single operand

    def _contain(self, node: ast.Node, first: Any, last: Any) -> None:
        """Remember `node`'s extent as a child when it is wider than its span (brackets at either end)."""
        outer = self._span(first, last)
        span = node.span
        if (outer.line, outer.col, outer.end_line, outer.end_col) != (span.line, span.col, span.end_line, span.end_col):
            self._outer[id(node)] = (node, outer)

    def _binary(self, op: Any, left: ast.Node, right: ast.Node) -> ast.Node:
        text = op.value
        span = _join(left.span, right.span)
        if text in ("and", "or"):
            return new(ast.BoolOp, op=text, left=left, right=right, span=span)
        if text in COMPARISONS:
            return new(ast.Compare, op=text, left=left, right=right, span=span)
        return new(ast.BinOp, op=text, left=left, right=right, span=span)

    def _unary(self, op: Any, operand: ast.Node) -> ast.Node:
        text = op.value
        span = _join(token_span(op, self.path), operand.span)
        if text == "-" and isinstance(operand, ast.Num):  # fold so `-1` stays a literal
            return new(ast.Num, value=-operand.value, span=span)
        return new(ast.UnaryOp, op=text, operand=operand, span=span)

    def ifexp(self, children: list) -> ast.IfExp:
        then, _, cond, _, orelse = children
        return new(ast.IfExp, cond=cond, then=then, orelse=orelse, span=self._span(then, orelse))

    # -- atoms ---------------------------------------------------------------------------------
    def attr(self, children: list) -> ast.Attr:
        value, _, name = children
        return new(ast.Attr, value=value, attr=name.value, span=self._span(value, name))

    def index(self, children: list) -> ast.Index:
        value, _, idx, closer = children
        return new(ast.Index, value=value, index=idx, span=self._span(value, closer))

    def number(self, children: list) -> ast.Num:
        token = children[0]
        text = token.value
        value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
        return new(ast.Num, value=value, span=token_span(token, self.path))

    def string(self, children: list) -> ast.Str:
        return new(ast.Str, value=unquote(children[0].value), span=token_span(children[0], self.path))

    def true(self, children: list) -> ast.Bool:
        return new(ast.Bool, value=True, span=token_span(children[0], self.path))

    def false(self, children: list) -> ast.Bool:
        return new(ast.Bool, value=False, span=token_span(children[0], self.path))

    def none(self, children: list) -> ast.NoneLit:
        return new(ast.NoneLit, span=token_span(children[0], self.path))

    def input_ref(self, children: list) -> ast.InputRef:
        return new(ast.InputRef, span=token_span(children[0], self.path))

    def name(self, children: list) -> ast.Name:
        return new(ast.Name, id=children[0].value, span=token_span(children[0], self.path))

    def call(self, children: list) -> ast.Call:
        func, _, args, closer = children
        positional, keywords = split_args(args)
        return new(ast.Call, func=func.value, args=positional, kwargs=keywords, span=self._tokens_span(func, closer))

    def args(self, children: list) -> list:
        return [c for c in children if c is not None and not isinstance(c, self.token)]

    def kwarg(self, children: list) -> ast.Kwarg:
        name, _, value = children
        return new(ast.Kwarg, name=name.value, value=value, span=self._span(name, value))

    def list_(self, children: list) -> ast.ListExpr:
        items = tuple(c for c in children if c is not None and not isinstance(c, self.token))
        return new(ast.ListExpr, items=items, span=self._tokens_span(children[0], children[-1]))

    def paren(self, children: list) -> ast.Node:
        opener, chain, closer = children
        inner = unwrap(chain)
        self._outer[id(inner)] = (inner, self._tokens_span(opener, closer))
        return inner

    def tuple_(self, children: list) -> ast.TupleExpr:
        items = tuple(unwrap(c) for c in children if c is not None and not isinstance(c, self.token))
        return new(ast.TupleExpr, items=items, span=self._tokens_span(children[0], children[-1]))


def _join(first: Span | None, last: Span | None) -> Span | None:
    if first is None or last is None:
        return first or last
    return new(Span, line=first.line, col=first.col, end_line=last.end_line, end_col=last.end_col, path=first.path)


def unwrap(chain: ast.Chain) -> ast.Node:
    """A parenthesised chain of one plain step is just that step's expression: `(n - 1)`."""
    if len(chain.items) == 1 and isinstance(chain.items[0], ast.Step) and chain.items[0].repeat is None:
        return chain.items[0].expr
    return chain


def split_args(args: list | None) -> tuple[tuple, tuple]:
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
