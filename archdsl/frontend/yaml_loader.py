"""YAML -> the same AST as `.arch`. Structure (blocks, params, if/for, groups) is YAML; expressions and
chains are strings in the .arch syntax. Loaded with PyYAML's safe loader only; tags other than the
standard ones, and anchors/aliases, are refused. Every error points at the YAML line and column.

    blocks:
      BasicBlock:
        params: {planes: null, stride: 1}      # null: required
        body:
          - conv1: conv(planes, 3, stride=stride, padding=1, bias=false)
          - relu
          - if: stride != 1
            then:
              - "shortcut = in -> downsample: conv(planes, 1, stride=stride) -> batchnorm"
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ArchError, Collector, ErrorGroup, ParseError
from ..source import Source, Span
from . import syntax
from .parser import parse_snippet

_SAFE_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")}
_KEYWORDS = {"if", "then", "elif", "else", "for", "in", "do", "input", "return"}
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\{[^{}]*\}[A-Za-z0-9_]*)*")
# A label that is not an identifier, quoted inside the YAML key: `'"block1-0"': ...`.
_QUOTED_LABEL_TEXT = r""""[^"\\\n]*"|'[^'\\\n]*'"""
_QUOTED_LABEL = re.compile(_QUOTED_LABEL_TEXT)
# A group's key that names the group's input: `stage1 as x: [...]`.
_GROUP_AS = re.compile(rf"(?:{_LABEL.pattern}|{_QUOTED_LABEL_TEXT})\s+as\s+[A-Za-z_][A-Za-z0-9_]*")

# ----------------------------------------------------------------------------------------------
# Schema of the document (validated with pydantic; errors are mapped back to YAML positions)
# ----------------------------------------------------------------------------------------------

Scalar = bool | int | float | str | None
Value = Scalar | list


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# The descriptions below are also the JSON Schema's (`archdsl schema`), shown by editors on hover.
_PARAMS = (
    "Parameters and their defaults, e.g. `{planes: null, stride: 1}`; null marks a required parameter. "
    "A default is a number, a list, or an expression string in .arch syntax."
)
_BODY = (
    "Statements in order. Each is a string in .arch syntax (`conv(64, 3) -> relu`, `x = in`), "
    "a label with its chain (`conv1: conv(64, 7)`), a named group (`layer1: [...]`), `input: [3, 224, 224]`, "
    "`{if: COND, then: [...], elif: [...], else: [...]}` or `{for: NAMES, in: EXPR, do: [...]}`."
)


class YamlImport(_Strict):
    """Import some names from another spec file."""

    from_: str = Field(alias="from", description="Path of the spec file, relative to this one.")
    import_: list[str] = Field(alias="import", min_length=1, description="Names of its blocks or networks to import.")


class YamlBlock(_Strict):
    """A block: a reusable group of layers with parameters, like a function."""

    doc: str | None = Field(None, description="What the block is, for people (its docstring).")
    params: dict[str, Value] = Field(default_factory=dict, description=_PARAMS)
    body: list[str | dict] = Field(min_length=1, description=_BODY)


class YamlNetwork(_Strict):
    """A network: an input, then layers; or an alias of another network with arguments."""

    doc: str | None = Field(None, description="What the network is, for people (its docstring).")
    params: dict[str, Value] = Field(default_factory=dict, description=_PARAMS)
    body: list[str | dict] | None = Field(None, description=_BODY + " Starts with `input`.")
    alias: str | None = Field(
        None,
        description="Instead of a body: another network called with arguments, "
        "e.g. `ResNet(block=BasicBlock, layers=[2, 2, 2, 2])`.",
    )


class YamlSpec(_Strict):
    """An archdsl spec in YAML form: the same language as .arch files, with YAML for the structure."""

    doc: str | None = Field(None, description="What the file describes: paper, input, reference (its docstring).")
    imports: list[str | YamlImport] = Field(
        default_factory=list,
        description="Spec files whose definitions this one uses: a path imports them all, "
        "`{from: PATH, import: [NAMES]}` some.",
    )
    constants: dict[str, Value] = Field(
        default_factory=dict, description="Named values shared by the file's definitions, e.g. a table of stages."
    )
    blocks: dict[str, YamlBlock] = Field(default_factory=dict, description="Blocks by name.")
    networks: dict[str, YamlNetwork] = Field(default_factory=dict, description="Networks by name.")


# ----------------------------------------------------------------------------------------------
# YAML nodes -> plain data plus the position of every value and key
# ----------------------------------------------------------------------------------------------


class _Marks:
    def __init__(self, path: str):
        self.path = path
        self.values: dict[tuple, tuple[int, int, int, int, int]] = {}
        self.keys: dict[tuple, tuple[int, int, int, int, int]] = {}

    def span(self, where: tuple, key: bool = False) -> Span | None:
        table = self.keys if key else self.values
        while where not in table and where:
            where = where[:-1]
        if where not in table:
            return None
        line, col, end_line, end_col, _ = table[where]
        return Span(line=line, col=col, end_line=end_line, end_col=end_col, path=self.path)

    def text_start(self, where: tuple) -> tuple[int, int]:
        """Where the characters of a string scalar begin (after a quote; next line for | blocks)."""
        line, col, _, _, style = self.values.get(where, (1, 1, 1, 1, 0))
        if style in (1, 2):  # quoted
            return line, col + 1
        if style == 3:  # literal or folded block
            return line + 1, 1
        return line, col


def _mark(node) -> tuple[int, int, int, int, int]:
    style = {"'": 1, '"': 2, "|": 3, ">": 3}.get(getattr(node, "style", None) or "", 0)
    return (
        node.start_mark.line + 1,
        node.start_mark.column + 1,
        node.end_mark.line + 1,
        node.end_mark.column + 1,
        style,
    )


class _SpecLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses aliases where they are written (`*a`): a spec never needs
    them, and they are how a small file expands into a huge one ("billion laughs")."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            mark, end = event.start_mark, event.end_mark
            raise ParseError(
                f"YAML aliases (`*{event.anchor}`) are not allowed in specs",
                Span(
                    line=mark.line + 1,
                    col=mark.column + 1,
                    end_line=end.line + 1,
                    end_col=end.column + 1,
                    path=self.name,
                ),
                hint="write the value out again; specs are plain data",
                code="E703",
            )
        return super().compose_node(parent, index)


def _compose(source: Source) -> tuple[Any, _Marks]:
    marks = _Marks(source.path)
    loader = None
    try:
        loader = _SpecLoader(source.text)  # the reader rejects control characters right here
        loader.name = source.path
        root = loader.get_single_node()
        seen: set[int] = set()

        def convert(node, where: tuple) -> Any:
            if id(node) in seen:
                raise _unsafe("YAML anchors and aliases are not allowed in specs", node, source.path)
            seen.add(id(node))
            if node.tag not in _SAFE_TAGS:
                tag = node.tag.replace("tag:yaml.org,2002:", "!!")
                implicit = (
                    isinstance(node, yaml.ScalarNode)
                    and node.style is None
                    and loader.resolve(yaml.ScalarNode, node.value, (True, False)) == node.tag
                )
                if implicit:  # `2020-01-01` unquoted: YAML's own guess, not a tag the author wrote
                    raise ParseError(
                        f"YAML reads `{node.value}` as a {tag[2:]}",
                        _node_span(node, source.path),
                        hint=f'quote it to make it a string: "{node.value}"',
                        code="E702",
                    )
                raise _unsafe(f"the YAML tag `{tag}` is not allowed", node, source.path)
            marks.values[where] = _mark(node)
            if isinstance(node, yaml.MappingNode):
                out = {}
                for key_node, value_node in node.value:
                    key = convert(key_node, (*where, "<key>"))
                    if not isinstance(key, str):
                        raise ParseError(
                            f"mapping keys must be names, got {key_node.value!r}",
                            _node_span(key_node, source.path),
                            code="E702",
                            hint=f'quote it if it is meant as a name: "{key_node.value}"',
                        )
                    if key in out:  # PyYAML would silently keep the last one
                        raise ParseError(
                            f"`{key}` appears twice in this mapping",
                            _node_span(key_node, source.path),
                            code="E206",
                            hint="rename or remove one of them",
                            notes=[_first_key_note(node, key, source.path)],
                        )
                    marks.keys[(*where, key)] = _mark(key_node)
                    out[key] = convert(value_node, (*where, key))
                return out
            if isinstance(node, yaml.SequenceNode):
                return [convert(child, (*where, index)) for index, child in enumerate(node.value)]
            return loader.construct_object(node, deep=True)

        data = convert(root, ()) if root is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message, hint = _plain_yaml(str(exc.problem or exc.context))
        raise ParseError(
            message, Span(line=line, col=col, end_line=line, end_col=col + 1, path=source.path), hint=hint, code="E701"
        ) from None
    except yaml.reader.ReaderError as exc:
        before = source.text[: exc.position]
        line, col = before.count("\n") + 1, len(before.rsplit("\n", 1)[-1]) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise ParseError(
            f"YAML does not allow the character {char.encode('unicode_escape').decode()!r} here",
            Span(line=line, col=col, end_line=line, end_col=col + 1, path=source.path),
            hint="remove it; YAML files hold printable text only",
            code="E701",
        ) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"YAML: {exc}", None, code="E701") from None
    except RecursionError:
        raise ParseError(f"{source.path} nests lists or mappings too deeply to read", None, code="E603") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, marks


# PyYAML's parser words -> what to do about it.
_YAML_WORDS = (
    (
        "expected <block end>",
        "this line is indented differently from the lines above it",
        "items of one list or mapping start in the same column",
    ),
    (
        "mapping values are not allowed here",
        "a `: ` here starts a mapping where none can start",
        'quote the whole string when it contains ": ", e.g. - "conv1: conv(64, 3)"',
    ),
    ("could not find expected ':'", "expected `key: value` on this line", None),
    ("found character '\\t' that cannot start any token", "YAML does not allow tabs here", "indent with spaces"),
    ("found undefined alias", "YAML aliases are not allowed in specs", None),
    ("found unexpected end of stream", "the file ends inside a quoted string or a bracket", "close it"),
    ("did not find expected", "a list or mapping is not closed", "check the brackets and the indentation"),
)


def _plain_yaml(problem: str) -> tuple[str, str | None]:
    for words, message, hint in _YAML_WORDS:
        if problem.startswith(words):
            return f"YAML: {message}", hint
    return f"YAML: {problem}", None


def _first_key_note(mapping, key: str, path: str):
    from ..errors import Note

    for key_node, _ in mapping.value:
        if getattr(key_node, "value", None) == key:
            return Note("first here", _node_span(key_node, path))
    return Note("first here")


def _node_span(node, path: str) -> Span:
    line, col, end_line, end_col, _ = _mark(node)
    return Span(line=line, col=col, end_line=end_line, end_col=end_col, path=path)


def _unsafe(message: str, node, path: str) -> ParseError:
    return ParseError(
        message,
        _node_span(node, path),
        hint="specs are data: use plain strings, numbers, lists and mappings",
        code="E703",
    )


# ----------------------------------------------------------------------------------------------
# data -> AST
# ----------------------------------------------------------------------------------------------


def load_yaml(source: Source) -> syntax.SpecFile:
    """Parse a YAML spec into the AST; errors carry the YAML position of the offending node."""
    data, marks = _compose(source)
    if not isinstance(data, dict):
        raise ParseError(
            "a YAML spec is a mapping with doc, imports, constants, blocks and networks", marks.span(()), code="E702"
        )
    try:
        spec = YamlSpec.model_validate(data)
    except ValidationError as exc:
        raise _schema_errors(exc, marks) from None
    builder = _Builder(marks)
    tree = builder.spec(spec, data, source.path)
    builder.errors.raise_if_any()
    return tree


def _schema_errors(exc: ValidationError, marks: _Marks) -> ParseError | ErrorGroup:
    errors = []
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and ("[" in p or p in ("str", "dict", "list"))))
        loc = tuple("from" if p == "from_" else "import" if p == "import_" else p for p in loc)
        where = ".".join(str(p) for p in loc) or "the document"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = f"unknown field `{loc[-1]}`"
            span = marks.span(loc, key=True)
            close = get_close_matches(str(loc[-1]), _FIELDS.get(len(loc), []), n=1, cutoff=0.6)
            if close:
                errors.append(ParseError(message, span, hint=f"did you mean `{close[0]}`?", code="E702"))
                continue
        elif error["type"] == "missing":
            message = f"`{'.'.join(str(p) for p in loc[:-1]) or 'the document'}` needs a `{loc[-1]}` field"
            span = marks.span(loc[:-1], key=True) or marks.span(loc[:-1])
        else:
            span = marks.span(loc)
            wanted = _WANTED.get(error["type"])
            got = _yaml_kind(error.get("input"))
            message = (
                f"`{where}` must be {wanted}, got {got}" if wanted else f"`{where}`: {message[0].lower() + message[1:]}"
            )
        errors.append(ParseError(message, span, hint=_schema_hint(loc), code="E702"))
    unique = {(e.message, e.span.line if e.span else 0): e for e in errors}
    errors = list(unique.values())
    return errors[0] if len(errors) == 1 else ErrorGroup(errors)


_FIELDS = {1: ["doc", "imports", "constants", "blocks", "networks"], 3: ["doc", "params", "body", "alias"]}
_WANTED = {
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "list_type": "a list",
    "string_type": "a string",
    "too_short": "a non-empty list",
}


def _yaml_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f'the string "{value[:40]}"'
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, dict):
        return "a mapping"
    return "null" if value is None else type(value).__name__


def _schema_hint(loc: tuple) -> str | None:
    top = loc[0] if loc else None
    if len(loc) >= 3 and loc[2] == "params":
        return "params map each name to its default, null when required: `params: {planes: null, stride: 1}`"
    if top in (None, "doc", "imports", "constants", "blocks", "networks") and len(loc) <= 1:
        return "top-level fields are doc, imports, constants, blocks and networks"
    if top in ("blocks", "networks") and len(loc) >= 3 and loc[2] in ("params", "body", "doc", "alias"):
        return None
    if top in ("blocks", "networks"):
        return "a block has doc, params and body; a network has doc, params and body, or alias"
    return None


class _Builder:
    """Builds the AST. A mistake in one statement or definition is recorded and building goes on, so
    every independent mistake in the file is reported in one run."""

    def __init__(self, marks: _Marks):
        self.marks = marks
        self.errors = Collector()

    def attempt(self, fallback, build, *args):
        """`build(*args)`, or `fallback` once its errors are collected."""
        try:
            return build(*args)
        except ErrorGroup as group:
            for error in group.errors:
                self.errors.add(error)
        except ArchError as error:
            self.errors.add(error)
        return fallback

    def span(self, where: tuple) -> Span | None:
        return self.marks.span(where)

    def snippet(self, text: str, start: str, where: tuple) -> Any:
        line, col = self.marks.text_start(where)
        return parse_snippet(text, start, self.marks.path, line, col)

    def value(self, data: Any, where: tuple) -> Any:
        span = self.span(where)
        if isinstance(data, bool):
            return syntax.Bool(value=data, span=span)
        if isinstance(data, (int, float)):
            return syntax.Num(value=data, span=span)
        if data is None:
            return syntax.NoneLit(span=span)
        if isinstance(data, list):
            return syntax.ListExpr(items=tuple(self.value(v, (*where, i)) for i, v in enumerate(data)), span=span)
        if isinstance(data, str):
            return self.snippet(data, "expr", where)
        raise ParseError("expected a number, a string expression or a list", span, code="E702")

    def params(self, params: dict, where: tuple) -> tuple[syntax.Param, ...]:
        out = []
        for name, default in params.items():
            self._identifier(name, (*where, name))
            node = None if default is None else self.value(default, (*where, name))
            out.append(syntax.Param(name=name, default=node, span=self.marks.span((*where, name), key=True)))
        return tuple(out)

    def _identifier(self, name: str, where: tuple) -> None:
        if not name.isidentifier():
            raise ParseError(f"`{name}` is not a valid name", self.marks.span(where, key=True), code="E702")

    def spec(self, spec: YamlSpec, data: dict, path: str) -> syntax.SpecFile:
        items: list = []
        for index, entry in enumerate(spec.imports):
            where = ("imports", index)
            if isinstance(entry, str):
                items.append(syntax.Import(path=entry, names=None, span=self.span(where)))
            else:
                items.append(syntax.Import(path=entry.from_, names=tuple(entry.import_), span=self.span(where)))
        # Blocks before constants: a block's body and defaults are read when it is called, while a constant
        # is computed at once and may name a block (EfficientNetV2's table of block kinds).
        for name, block in spec.blocks.items():
            items.append(self.attempt(None, self.block, name, block, data))
        for name, value in spec.constants.items():
            items.append(self.attempt(None, self.constant, name, value))
        for name, network in spec.networks.items():
            where = ("networks", name)
            items.append(self.attempt(None, self.network, name, network, data["networks"][name], where))
        return syntax.SpecFile(
            doc=spec.doc, items=tuple(i for i in items if i is not None), path=path, span=self.span(())
        )

    def constant(self, name: str, value: Any) -> syntax.ConstDef:
        self._identifier(name, ("constants", name))
        return syntax.ConstDef(
            name=name, value=self.value(value, ("constants", name)), span=self.marks.span(("constants", name), key=True)
        )

    def block(self, name: str, block: YamlBlock, data: dict) -> syntax.BlockDef:
        where = ("blocks", name)
        self._identifier(name, where)
        return syntax.BlockDef(
            name=name,
            params=self.params(block.params, (*where, "params")),
            doc=block.doc,
            body=self.body(data["blocks"][name]["body"], (*where, "body")),
            span=self.marks.span(where, key=True),
        )

    def network(self, name: str, network: YamlNetwork, raw: dict, where: tuple):
        self._identifier(name, where)
        span = self.marks.span(where, key=True)
        if (network.alias is None) == (network.body is None):
            raise ParseError(
                f"network `{name}` needs either `body` or `alias`",
                span,
                code="E702",
                hint="alias: ResNet(block=BasicBlock, layers=[2, 2, 2, 2])",
            )
        if network.alias is not None:
            call = self.snippet(network.alias, "expr", (*where, "alias"))
            if not isinstance(call, syntax.Call):
                raise ParseError(
                    "an alias is a call such as `ResNet(layers=[2, 2, 2, 2])`",
                    self.span((*where, "alias")),
                    code="E702",
                )
            return syntax.NetworkAlias(
                name=name, base=call.func, args=call.args, kwargs=call.kwargs, doc=network.doc, span=span
            )
        return syntax.NetworkDef(
            name=name,
            params=self.params(network.params, (*where, "params")),
            doc=network.doc,
            body=self.body(raw["body"], (*where, "body")),
            span=span,
        )

    def body(self, stmts: list, where: tuple) -> tuple:
        if not isinstance(stmts, list) or not stmts:
            raise ParseError("a body is a non-empty list of statements", self.span(where), code="E702")
        pass_ = syntax.Pass(span=self.span(where))
        return tuple(self.attempt(pass_, self.statement, stmt, (*where, index)) for index, stmt in enumerate(stmts))

    def statement(self, stmt: Any, where: tuple):
        span = self.span(where)
        if isinstance(stmt, str):
            return self.snippet(stmt, "single", where)
        if not isinstance(stmt, dict) or not stmt:
            raise ParseError("a statement is a string, or a mapping such as `conv1: conv(64, 3)`", span, code="E702")
        keys = set(stmt)
        if "if" in keys:
            return self._if(stmt, where)
        if "for" in keys:
            return self._for(stmt, where)
        if keys == {"input"}:
            return self._input(stmt["input"], (*where, "input"), span)
        if len(stmt) != 1:
            raise ParseError(
                f"a labelled statement has one key, got {', '.join(sorted(keys))}",
                span,
                code="E702",
                hint="write one `label: chain` per list item",
            )
        ((key, value),) = stmt.items()
        if key in _KEYWORDS:
            raise ParseError(f"`{key}` cannot be used here", self.marks.span((*where, key), key=True), code="E702")
        if not (
            _LABEL.fullmatch(key)
            or _QUOTED_LABEL.fullmatch(key)
            or (isinstance(value, list) and _GROUP_AS.fullmatch(key))
        ):  # `- shortcut = in -> downsample: conv(...)` unquoted
            raise ParseError(
                f'YAML read this item as `{key}: ...` because it contains ": "',
                self.marks.span((*where, key), key=True),
                code="E702",
                hint=f'quote the whole statement: - "{key}: {value if isinstance(value, str) else "..."}"',
            )
        if isinstance(value, list) and _GROUP_AS.fullmatch(key):  # `stage1 as x:` names the group's input
            label, input_name = self.snippet(key, "group_head", (*where, "<key>"))
        else:
            label, input_name = self.snippet(key, "label", (*where, "<key>")), None
        label = label.model_copy(update={"span": self.marks.span((*where, key), key=True)})
        if isinstance(value, list):
            body = self.body(value, (*where, key))
            return syntax.Group(label=label, body=body, input_name=input_name, span=span)
        if isinstance(value, str):
            chain = self.snippet(value, "chain", (*where, key))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ParseError(
                f"`{key}: {value}` labels a number; write `{key} = {value}` as a string to name a value",
                span,
                code="E702",
            )
        else:
            raise ParseError(f"`{key}:` needs a chain (a string) or a body (a list)", span, code="E702")
        labeled = syntax.Labeled(label=label, chain=chain, span=span)
        return syntax.FlowStmt(chain=syntax.Chain(items=(labeled,), span=span), span=span)

    def _input(self, value: Any, where: tuple, span: Span | None) -> syntax.InputStmt:
        if isinstance(value, list) and value:
            return syntax.InputStmt(dims=tuple(self.value(v, (*where, i)) for i, v in enumerate(value)), span=span)
        if isinstance(value, str):
            stmt = self.snippet(f"input {value}", "single", where)
            return syntax.InputStmt(dims=stmt.dims, span=span)
        raise ParseError("`input` is a list such as [3, 224, 224]", span, code="E702")

    def _if(self, stmt: dict, where: tuple) -> syntax.If:
        extra = set(stmt) - {"if", "then", "elif", "else"}
        if extra or "then" not in stmt:
            raise ParseError(
                "an `if` statement has `if`, `then`, and optionally `elif` and `else`", self.span(where), code="E702"
            )
        branches = [
            syntax.IfBranch(
                cond=self.value(stmt["if"], (*where, "if")),
                body=self.body(stmt["then"], (*where, "then")),
                span=self.span(where),
            )
        ]
        for index, branch in enumerate(stmt.get("elif") or []):
            bwhere = (*where, "elif", index)
            if not isinstance(branch, dict) or set(branch) != {"if", "then"}:
                raise ParseError("each `elif` entry has `if` and `then`", self.span(bwhere), code="E702")
            branches.append(
                syntax.IfBranch(
                    cond=self.value(branch["if"], (*bwhere, "if")),
                    body=self.body(branch["then"], (*bwhere, "then")),
                    span=self.span(bwhere),
                )
            )
        orelse = self.body(stmt["else"], (*where, "else")) if "else" in stmt else None
        return syntax.If(branches=tuple(branches), orelse=orelse, span=self.span(where))

    def _for(self, stmt: dict, where: tuple) -> syntax.For:
        if set(stmt) != {"for", "in", "do"}:
            raise ParseError(
                "a `for` statement has `for`, `in` and `do`",
                self.span(where),
                code="E702",
                hint="for: t, c, n, s\n      in: stages\n      do: [...]",
            )
        if not isinstance(stmt["for"], str):
            raise ParseError(
                "`for:` lists loop variable names, e.g. `t, c, n, s` or `i, (w, d)`",
                self.span((*where, "for")),
                code="E702",
            )
        targets = self.snippet(stmt["for"], "targets", (*where, "for"))
        return syntax.For(
            targets=targets.names,
            iter=self.value(stmt["in"], (*where, "in")),
            body=self.body(stmt["do"], (*where, "do")),
            span=self.span(where),
        )
