"""The AST: what a spec says, before any parameter is bound. Both front ends (.arch, YAML) produce it.

Every node is a frozen pydantic model with a `kind` discriminator and a `span`; spans are left out of
equality so that a spec read from .arch and the same spec read from YAML compare equal.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..source import Span


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    span: Span | None = Field(default=None, repr=False)

    def _key(self) -> tuple:
        return tuple((k, v) for k, v in self.__dict__.items() if k != "span")

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))


# ----------------------------------------------------------------------------------------------
# Expressions
# ----------------------------------------------------------------------------------------------


class Num(Node):
    kind: Literal["num"] = "num"
    value: int | float


class Str(Node):
    kind: Literal["str"] = "str"
    value: str


class Bool(Node):
    kind: Literal["bool"] = "bool"
    value: bool


class NoneLit(Node):
    kind: Literal["none"] = "none"


class Name(Node):
    kind: Literal["name"] = "name"
    id: str


class InputRef(Node):
    """`in`: the input of the enclosing block or network."""

    kind: Literal["in"] = "in"


class Attr(Node):
    """`value.attr`, e.g. `in.channels`."""

    kind: Literal["attr"] = "attr"
    value: Expr
    attr: str


class Index(Node):
    kind: Literal["index"] = "index"
    value: Expr
    index: Expr


class Kwarg(Node):
    kind: Literal["kwarg"] = "kwarg"
    name: str
    value: Expr


class Call(Node):
    """`func(args, key=value)`: an op, a block, or a builtin function such as `max`."""

    kind: Literal["call"] = "call"
    func: str
    args: tuple[Expr, ...] = ()
    kwargs: tuple[Kwarg, ...] = ()


class BinOp(Node):
    kind: Literal["binop"] = "binop"
    op: Literal["+", "-", "*", "/", "//", "%", "**"]
    left: Expr
    right: Expr


class UnaryOp(Node):
    kind: Literal["unary"] = "unary"
    op: Literal["-", "+", "not"]
    operand: Expr


class Compare(Node):
    kind: Literal["compare"] = "compare"
    op: Literal["==", "!=", "<", "<=", ">", ">="]
    left: Expr
    right: Expr


class BoolOp(Node):
    kind: Literal["boolop"] = "boolop"
    op: Literal["and", "or"]
    left: Expr
    right: Expr


class IfExp(Node):
    kind: Literal["ifexp"] = "ifexp"
    cond: Expr
    then: Expr
    orelse: Expr


class ListExpr(Node):
    kind: Literal["list"] = "list"
    items: tuple[Expr, ...] = ()


class TupleExpr(Node):
    kind: Literal["tuple"] = "tuple"
    items: tuple[Expr, ...] = ()


class Label(Node):
    """A module name, possibly with `{expr}` parts: `denseblock{i + 1}`; or quoted (`"block1-0"`), for
    names that are not identifiers, such as torchvision's RegNet stages."""

    kind: Literal["label"] = "label"
    parts: tuple[str | Expr, ...]
    quoted: bool = False

    @property
    def static(self) -> str | None:
        """The label's text when it has no `{expr}` parts."""
        return self.parts[0] if len(self.parts) == 1 and isinstance(self.parts[0], str) else None


class Step(Node):
    """One link of a chain: an expression (usually a layer call), optionally repeated `x n`."""

    kind: Literal["step"] = "step"
    expr: Expr
    repeat: Expr | None = None


class Labeled(Node):
    """`label: chain`: the label names everything to its right as one module (and one value)."""

    kind: Literal["labeled"] = "labeled"
    label: Label
    chain: Chain


class Chain(Node):
    """`a -> b -> label: c -> d`. Also an expression when parenthesised: `(a -> b) x 3`."""

    kind: Literal["chain"] = "chain"
    items: tuple[Step | Labeled, ...]


Expr = Annotated[
    Num
    | Str
    | Bool
    | NoneLit
    | Name
    | InputRef
    | Attr
    | Index
    | Call
    | BinOp
    | UnaryOp
    | Compare
    | BoolOp
    | IfExp
    | ListExpr
    | TupleExpr
    | Chain,
    Field(discriminator="kind"),
]

# ----------------------------------------------------------------------------------------------
# Statements
# ----------------------------------------------------------------------------------------------


class Unpack(Node):
    """`a, (b, c)` after `for` or before `=`: names bound to the items of a tuple, nested as written."""

    kind: Literal["unpack"] = "unpack"
    names: tuple[str | Unpack, ...]


Target = str | Unpack


def bound_names(target: Target) -> list[str]:
    """Every name a target binds, in source order: `i, (w, d)` binds i, w and d."""
    if isinstance(target, str):
        return [target]
    return [name for item in target.names for name in bound_names(item)]


class FlowStmt(Node):
    kind: Literal["flow"] = "flow"
    chain: Chain


class Assign(Node):
    """`name = chain`: binds a value (or a number) without making a module of its own. `w, d = pair` unpacks
    a tuple of numbers (the target is then an `Unpack`)."""

    kind: Literal["assign"] = "assign"
    target: Target
    chain: Chain


class InputStmt(Node):
    """`input 3x224x224`: the network's input shape, batch dimension implicit."""

    kind: Literal["input"] = "input"
    dims: tuple[Expr, ...]


class Pass(Node):
    kind: Literal["pass"] = "pass"


class Return(Node):
    """`return logits=fc, aux=aux1`: a network's named outputs, the main one first."""

    kind: Literal["return"] = "return"
    names: tuple[str, ...]
    values: tuple[Expr, ...]


class IfBranch(Node):
    kind: Literal["branch"] = "branch"
    cond: Expr
    body: tuple[Stmt, ...]


class If(Node):
    kind: Literal["if"] = "if"
    branches: tuple[IfBranch, ...]
    orelse: tuple[Stmt, ...] | None = None


class For(Node):
    """`for a, b in expr:` unrolled at elaboration time. A target may unpack further: `for i, (w, d) in ...`."""

    kind: Literal["for"] = "for"
    targets: tuple[Target, ...]
    iter: Expr
    body: tuple[Stmt, ...]


class Group(Node):
    """`label:` followed by an indented body: a named sub-module built from statements. `label as x:` names
    the value flowing into the group `x` inside it (`in` stays the enclosing block's input)."""

    kind: Literal["group"] = "group"
    label: Label
    body: tuple[Stmt, ...]
    input_name: str | None = None


Stmt = Annotated[FlowStmt | Assign | InputStmt | Pass | Return | If | For | Group, Field(discriminator="kind")]

# ----------------------------------------------------------------------------------------------
# Definitions and files
# ----------------------------------------------------------------------------------------------


class Param(Node):
    kind: Literal["param"] = "param"
    name: str
    default: Expr | None = None


class BlockDef(Node):
    kind: Literal["block"] = "block"
    name: str
    params: tuple[Param, ...] = ()
    doc: str | None = None
    body: tuple[Stmt, ...]


class NetworkDef(Node):
    kind: Literal["network"] = "network"
    name: str
    params: tuple[Param, ...] = ()
    doc: str | None = None
    body: tuple[Stmt, ...]


class NetworkAlias(Node):
    """`network resnet34 = ResNet(block=BasicBlock, layers=[3, 4, 6, 3])`: a variant with new defaults."""

    kind: Literal["alias"] = "alias"
    name: str
    base: str
    args: tuple[Expr, ...] = ()
    kwargs: tuple[Kwarg, ...] = ()
    doc: str | None = None


class Import(Node):
    """`import "file.arch"` (names=None: everything) or `from "file.arch" import A, B`."""

    kind: Literal["import"] = "import"
    path: str
    names: tuple[str, ...] | None = None


class ConstDef(Node):
    kind: Literal["const"] = "const"
    name: str
    value: Expr


Definition = Annotated[Import | ConstDef | BlockDef | NetworkDef | NetworkAlias, Field(discriminator="kind")]


class SpecFile(Node):
    """One parsed spec file, definitions in source order."""

    kind: Literal["file"] = "file"
    doc: str | None = None
    items: tuple[Definition, ...] = ()
    path: str = "<spec>"

    def _key(self) -> tuple:  # the path is where it came from, not what it says
        return (self.doc, self.items)

    @property
    def imports(self) -> list[Import]:
        return [i for i in self.items if isinstance(i, Import)]


# Schemas are built on first validation, not at import, so that `check` starts fast.
