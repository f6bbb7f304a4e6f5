"""`.arch` text -> AST: Lark's LALR parser with positions on, then one small Transformer method per rule."""

from __future__ import annotations

import functools
import keyword
import re
from importlib import resources

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedInput, VisitError
from lark.indenter import Indenter

from ..errors import ArchError, Collector, LimitError, ParseError
from ..source import Source, Span
from . import ast
from .syntax_errors import explain

_BRACKETS = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
_CLOSERS = {v: k for k, v in _BRACKETS.items()}


class _SpecIndenter(Indenter):
    """Lark's Indenter, but it remembers which brackets are open (for "unclosed `(`" messages)
    and reports bad indentation and stray closers as errors instead of asserting."""

    NL_type = "_NL"
    OPEN_PAREN_types = list(_BRACKETS)
    CLOSE_PAREN_types = list(_CLOSERS)
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8

    def __init__(self) -> None:
        super().__init__()
        self.open: list[Token] = []

    def process(self, stream):
        self.open = []
        return super().process(stream)

    def handle_NL(self, token: Token):
        if self.open:
            return
        yield token
        indent_str = token.rsplit("\n", 1)[1]
        indent = indent_str.count(" ") + indent_str.count("\t") * self.tab_len
        if indent > self.indent_level[-1]:
            self.indent_level.append(indent)
            yield Token.new_borrow_pos(self.INDENT_type, indent_str, token)
            return
        inner = self.indent_level[-1]
        while indent < self.indent_level[-1]:
            inner = self.indent_level.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, indent_str, token)
        if indent != self.indent_level[-1]:
            line = (token.end_line or token.line or 1)
            raise _IndentationProblem(line, indent, inner, self.indent_level[-1])

    def _process(self, stream):
        token = None
        for token in stream:
            if token.type == self.NL_type:
                yield from self.handle_NL(token)
                continue
            yield token
            if token.type in _BRACKETS:
                self.open.append(token)
            elif token.type in _CLOSERS and self.open and self.open[-1].type == _CLOSERS[token.type]:
                self.open.pop()
        while len(self.indent_level) > 1:
            self.indent_level.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, "", token) if token else Token(self.DEDENT_type, "")


class _IndentationProblem(Exception):
    """A line dedented to a level no enclosing block uses: between `outer` and `inner`."""

    def __init__(self, line: int, got: int, inner: int, outer: int):
        super().__init__(line)
        self.line, self.got, self.inner, self.outer = line, got, inner, outer


@functools.cache
def _lark() -> tuple[Lark, _SpecIndenter]:
    grammar = resources.files("archdsl.frontend").joinpath("grammar.lark").read_text(encoding="utf-8")
    indenter = _SpecIndenter()
    parser = Lark(
        grammar,
        parser="lalr",
        postlex=indenter,
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
        start=["start", "expr", "single", "chain", "label"],
    )
    return parser, indenter


MAX_SYNTAX_ERRORS = 10


def parse(source: Source) -> ast.SpecFile:
    """Parse `.arch` text into an AST. Raises ParseError at the first mistake, or an ErrorGroup when
    several lines are wrong: after a mistake on a line that is not inside brackets, that line is
    replaced by a neutral one (`pass`, or a header that keeps its body) and parsing starts again."""
    parser, indenter = _lark()
    lines = source.text.split("\n")
    errors = Collector(MAX_SYNTAX_ERRORS)
    replaced: set[int] = set()
    while True:
        text = "\n".join(lines)
        text = text if text.endswith("\n") else text + "\n"
        try:
            tree = parser.parse(text, start="start")
            break
        except _IndentationProblem as problem:
            errors.add(_indent_error(source, problem))
            break  # indentation errors come in runs; the first one is the one to fix
        except UnexpectedInput as exc:
            error = explain(source, exc, list(indenter.open))
            errors.add(error)
            line = _recoverable_line(error, indenter.open, source)
            if line is None or line in replaced:
                break
            replaced.add(line)
            lines[line - 1] = _neutral(lines[line - 1])
        except RecursionError:
            raise _too_deep(source) from None
    errors.raise_if_any()
    try:
        return _ToAst(source.path).transform(tree)
    except RecursionError:
        raise _too_deep(source) from None
    except VisitError as exc:  # an ArchError raised inside a Transformer callback arrives wrapped
        if isinstance(exc.orig_exc, ArchError):
            raise exc.orig_exc from None
        if isinstance(exc.orig_exc, RecursionError):
            raise _too_deep(source) from None
        raise


def _recoverable_line(error: ArchError, open_brackets: list, source: Source) -> int | None:
    """The line to neutralise to look for further mistakes, or None to stop. A mistake inside brackets
    that span lines, in the indentation, or at the end of the file changes how the rest is read, so
    parsing stops there."""
    if error.span is None or error.code in ("E102", "E103", "E105"):
        return None
    line = error.span.line
    if any(token.line != line for token in open_brackets):
        return None
    text = re.sub(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|#.*", "", source.line(line))
    if sum(text.count(c) for c in "([{") != sum(text.count(c) for c in ")]}"):
        return None
    return line


def _neutral(line: str) -> str:
    """A statement that parses wherever `line` stood and keeps an indented body below it valid."""
    indent = line[: len(line) - len(line.lstrip())]
    code = line.split("#", 1)[0].rstrip()
    words = re.split(r"\W", code.strip(), maxsplit=1)
    if code.endswith(":") or words[0] in ("block", "network", "if", "elif", "else", "for"):
        return f"{indent}if true:" if indent else "block archdsl_recovered_():"
    return f"{indent}pass" if indent else ""


def _too_deep(source: Source) -> ArchError:
    return LimitError(f"{source.path} nests brackets or operators too deeply to read", None, code="E603",
                      hint="split the expression into named parts")


def parse_expression(text: str, path: str = "<value>") -> ast.Node:
    """Parse one expression, e.g. the VALUE of `--set NAME=VALUE` (`[2, 2, 2, 2]`, `0.5`, `Bottleneck`)."""
    return parse_snippet(text, "expr", path)


def parse_snippet(text: str, start: str, path: str, line: int = 1, col: int = 1) -> ast.Node:
    """Parse part of a file (a YAML string): `start` is expr, single (one statement), chain or label.
    Spans come out as positions in the enclosing file, the snippet beginning at line:col."""
    parser, indenter = _lark()
    source = Source(text=text, path=path)
    try:
        tree = parser.parse(text, start=start)
        return _ToAst(path, line, col).transform(tree)
    except _IndentationProblem as problem:
        raise _shift(_indent_error(source, problem), line, col) from None
    except UnexpectedInput as exc:
        raise _shift(explain(source, exc, list(indenter.open), (line - 1, col - 1)), line, col) from None
    except RecursionError:
        raise _too_deep(source) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, ArchError):
            raise exc.orig_exc from None
        if isinstance(exc.orig_exc, RecursionError):
            raise _too_deep(source) from None
        raise


def _shift(error: ArchError, line: int, col: int) -> ArchError:
    span = error.span
    if span is not None and (line, col) != (1, 1):
        error.span = Span(
            line=span.line + line - 1,
            col=span.col + (col - 1 if span.line == 1 else 0),
            end_line=span.end_line + line - 1,
            end_col=span.end_col + (col - 1 if span.end_line == 1 else 0),
            path=span.path,
        )
    return error


# ----------------------------------------------------------------------------------------------
# Tree -> AST
# ----------------------------------------------------------------------------------------------


def _unquote(raw: str) -> str:
    body = raw[3:-3] if raw.startswith('"""') else raw[1:-1]
    escapes = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), "\\" + m.group(1)), body, flags=re.S)


def _check_identifier(token: Token, path: str, what: str) -> str:
    name = str(token)
    if keyword.iskeyword(name):
        raise ParseError(
            f"`{name}` is a Python keyword and cannot be used as a {what}",
            _token_span(token, path),
            hint=f"rename it, e.g. `{name}_`",
            code="E304",
        )
    return name


def _token_span(token: Token, path: str) -> Span:
    return Span(
        line=token.line or 1,
        col=token.column or 1,
        end_line=token.end_line or token.line or 1,
        end_col=token.end_column or (token.column or 1) + len(token),
        path=path,
    )


@v_args(meta=True, inline=True)
class _ToAst(Transformer):
    def __init__(self, path: str, line: int = 1, col: int = 1):
        super().__init__()
        self.path = path
        self.line_offset, self.col_offset = line - 1, col - 1

    def _span(self, meta) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return Span(
            line=meta.line + self.line_offset,
            col=meta.column + (self.col_offset if meta.line == 1 else 0),
            end_line=meta.end_line + self.line_offset,
            end_col=meta.end_column + (self.col_offset if meta.end_line == 1 else 0),
            path=self.path,
        )

    def single(self, meta, stmt):
        return stmt

    # -- file and definitions ------------------------------------------------------------------
    def start(self, meta, *items):
        doc = None
        defs = []
        for item in items:
            if isinstance(item, tuple) and item[0] == "doc":
                doc = item[1] if doc is None else doc + "\n" + item[1]
            else:
                defs.append(item)
        return ast.SpecFile.model_construct(doc=doc, items=tuple(defs), path=self.path, span=self._span(meta))

    def module_doc(self, meta, token):
        return ("doc", _unquote(token).strip())

    def import_all(self, meta, token):
        return ast.Import.model_construct(path=_unquote(token), names=None, span=self._span(meta))

    def import_names(self, meta, token, *names):
        return ast.Import.model_construct(path=_unquote(token), names=tuple(map(str, names)), span=self._span(meta))

    def const_def(self, meta, name, value):
        return ast.ConstDef.model_construct(name=_check_identifier(name, self.path, "name"), value=value, span=self._span(meta))

    def block_def(self, meta, name, params, suite):
        doc, body = _split_doc(suite)
        return ast.BlockDef.model_construct(
            name=_check_identifier(name, self.path, "block name"), params=tuple(params or ()), doc=doc, body=body,
            span=self._span(meta),
        )

    def network_def(self, meta, name, params, suite):
        doc, body = _split_doc(suite)
        return ast.NetworkDef.model_construct(
            name=_check_identifier(name, self.path, "network name"), params=tuple(params or ()), doc=doc, body=body,
            span=self._span(meta),
        )

    def network_alias(self, meta, name, base, args):
        positional, keywords = _split_args(args)
        return ast.NetworkAlias.model_construct(
            name=_check_identifier(name, self.path, "network name"), base=str(base), args=positional, kwargs=keywords,
            span=self._span(meta),
        )

    def params(self, meta, *params):
        return [p for p in params if p is not None]

    def param(self, meta, name, default):
        return ast.Param.model_construct(name=_check_identifier(name, self.path, "parameter"), default=default, span=self._span(meta))

    # -- statements ----------------------------------------------------------------------------
    def suite(self, meta, *stmts):
        return tuple(stmts)

    def flow_stmt(self, meta, chain):
        return ast.FlowStmt.model_construct(chain=chain, span=self._span(meta))

    def assign(self, meta, name, chain):
        return ast.Assign.model_construct(target=_check_identifier(name, self.path, "name"), chain=chain, span=self._span(meta))

    def input_stmt(self, meta, *dims):
        return ast.InputStmt.model_construct(dims=tuple(dims), span=self._span(meta))

    def pass_stmt(self, meta):
        return ast.Pass.model_construct(span=self._span(meta))

    def if_stmt(self, meta, cond, body, *rest):
        branches = [ast.IfBranch.model_construct(cond=cond, body=body, span=self._span(meta))]
        orelse = None
        for item in rest:
            if isinstance(item, ast.IfBranch):
                branches.append(item)
            elif item is not None:
                orelse = item
        return ast.If.model_construct(branches=tuple(branches), orelse=orelse, span=self._span(meta))

    def elif_clause(self, meta, cond, body):
        return ast.IfBranch.model_construct(cond=cond, body=body, span=self._span(meta))

    def else_clause(self, meta, body):
        return body

    def for_stmt(self, meta, *parts):
        *names, iterable, body = parts
        targets = tuple(_check_identifier(n, self.path, "loop variable") for n in names)
        return ast.For.model_construct(targets=targets, iter=iterable, body=body, span=self._span(meta))

    def group_stmt(self, meta, label, body):
        return ast.Group.model_construct(label=label, body=body, span=self._span(meta))

    # -- chains --------------------------------------------------------------------------------
    def chain(self, meta, *items):
        return ast.Chain.model_construct(items=tuple(items), span=self._span(meta))

    def labeled(self, meta, label, chain):
        return ast.Labeled.model_construct(label=label, chain=chain, span=self._span(meta))

    def label(self, meta, head, *parts):
        out: list = [_check_identifier(head, self.path, "module name")]
        for part in parts:
            out.extend(part)
        return ast.Label.model_construct(parts=tuple(out), span=self._span(meta))

    def label_part(self, meta, expr, suffix):
        return [expr] + ([str(suffix)] if suffix is not None else [])

    def step(self, meta, expr, repeat):
        return ast.Step.model_construct(expr=expr, repeat=repeat, span=self._span(meta))

    # -- expressions ---------------------------------------------------------------------------
    def ifexp(self, meta, then, cond, orelse):
        return ast.IfExp.model_construct(cond=cond, then=then, orelse=orelse, span=self._span(meta))

    def or_(self, meta, left, right):
        return ast.BoolOp.model_construct(op="or", left=left, right=right, span=self._span(meta))

    def and_(self, meta, left, right):
        return ast.BoolOp.model_construct(op="and", left=left, right=right, span=self._span(meta))

    def not_(self, meta, operand):
        return ast.UnaryOp.model_construct(op="not", operand=operand, span=self._span(meta))

    def compare(self, meta, left, op, right):
        return ast.Compare.model_construct(op=str(op), left=left, right=right, span=self._span(meta))

    def binop(self, meta, left, op, right):
        return ast.BinOp.model_construct(op=str(op), left=left, right=right, span=self._span(meta))

    def pow_(self, meta, left, op, right):
        return ast.BinOp.model_construct(op="**", left=left, right=right, span=self._span(meta))

    def unary(self, meta, op, operand):
        if str(op) == "-" and isinstance(operand, ast.Num):  # fold so `-1` stays a literal
            return ast.Num.model_construct(value=-operand.value, span=self._span(meta))
        return ast.UnaryOp.model_construct(op=str(op), operand=operand, span=self._span(meta))

    def attr(self, meta, value, name):
        return ast.Attr.model_construct(value=value, attr=str(name), span=self._span(meta))

    def index(self, meta, value, idx):
        return ast.Index.model_construct(value=value, index=idx, span=self._span(meta))

    def number(self, meta, token):
        text = str(token)
        value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
        return ast.Num.model_construct(value=value, span=self._span(meta))

    def string(self, meta, token):
        return ast.Str.model_construct(value=_unquote(token), span=self._span(meta))

    def true(self, meta):
        return ast.Bool.model_construct(value=True, span=self._span(meta))

    def false(self, meta):
        return ast.Bool.model_construct(value=False, span=self._span(meta))

    def none(self, meta):
        return ast.NoneLit.model_construct(span=self._span(meta))

    def input_ref(self, meta):
        return ast.InputRef.model_construct(span=self._span(meta))

    def name(self, meta, token):
        return ast.Name.model_construct(id=str(token), span=self._span(meta))

    def call(self, meta, func, args):
        positional, keywords = _split_args(args)
        return ast.Call.model_construct(func=str(func), args=positional, kwargs=keywords, span=self._span(meta))

    def args(self, meta, *items):
        return [i for i in items if i is not None]

    def kwarg(self, meta, name, value):
        return ast.Kwarg.model_construct(name=str(name), value=value, span=self._span(meta))

    def list_(self, meta, *items):
        return ast.ListExpr.model_construct(items=tuple(i for i in items if i is not None), span=self._span(meta))

    def paren(self, meta, chain):
        return _unwrap(chain)

    def tuple_(self, meta, *items):
        return ast.TupleExpr.model_construct(
            items=tuple(_unwrap(i) for i in items if i is not None), span=self._span(meta)
        )


def _unwrap(chain: ast.Chain):
    """A parenthesised chain of one plain step is just that step's expression: `(n - 1)`."""
    if len(chain.items) == 1 and isinstance(chain.items[0], ast.Step) and chain.items[0].repeat is None:
        return chain.items[0].expr
    return chain


def _split_args(args) -> tuple[tuple, tuple]:
    args = args or []
    positional = tuple(a for a in args if not isinstance(a, ast.Kwarg))
    keywords = tuple(a for a in args if isinstance(a, ast.Kwarg))
    return positional, keywords


def _split_doc(body: tuple) -> tuple[str | None, tuple]:
    if body and isinstance(body[0], ast.FlowStmt):
        items = body[0].chain.items
        if len(items) == 1 and isinstance(items[0], ast.Step) and isinstance(items[0].expr, ast.Str):
            return items[0].expr.value.strip(), body[1:]
    return None, body


# ----------------------------------------------------------------------------------------------
# Syntax errors in plain words
# ----------------------------------------------------------------------------------------------

def _indent_error(source: Source, problem: _IndentationProblem) -> ParseError:
    line_text = source.line(problem.line)
    col = len(line_text) - len(line_text.lstrip()) + 1
    def spaces(n: int) -> str:
        return f"{n} space{'s' if n != 1 else ''}"

    return ParseError(
        f"this line is indented by {spaces(problem.got)}, but the lines around it use {problem.inner} "
        f"or {problem.outer}",
        Span(line=problem.line, col=1, end_line=problem.line, end_col=col, path=source.path),
        hint=f"indent it by {spaces(problem.inner)} to stay in the block above, or by {spaces(problem.outer)} to "
             "end that block",
        code="E103",
    )
