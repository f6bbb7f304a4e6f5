"""Front end: the .arch grammar, the AST round trip, and syntax errors with line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from archdsl.errors import ArchError, ParseError
from archdsl.frontend import build_ast, syntax
from archdsl.frontend.parser import parse, parse_expression
from archdsl.frontend.unparse import to_arch
from archdsl.source import Source, read_source

from conftest import SPECS, spec_ids


def src(text: str) -> Source:
    return Source(text=text, path="t.arch")


ARCH_FILES = sorted([*SPECS.glob("*.arch"), *SPECS.glob("families/*.arch")])


def test_expression_precedence_matches_python():
    node = parse_expression("-a ** 2 + b * c // 4 if x != 1 or not y else z")
    assert isinstance(node, syntax.IfExp)
    left = node.then
    assert isinstance(left, syntax.BinOp) and left.op == "+"
    assert (
        isinstance(left.left, syntax.UnaryOp)
        and isinstance(left.left.operand, syntax.BinOp)
        and left.left.operand.op == "**"
    )
    assert isinstance(left.right, syntax.BinOp) and left.right.op == "//"


def test_chain_labels_repeats_and_groups():
    tree = parse(
        src(
            "network n(k=3):\n"
            "    input 3x32x32\n"
            "    stem: conv(16, k) -> bn\n"
            "    layer: Block(16, stride=2) -> Block(16) x (k - 1)\n"
            "    features:\n"
            "        for i in range(2):\n"
            "            stage{i + 1}: (conv(8, 1) -> relu) x 2\n"
        )
    )
    body = tree.items[0].body
    assert isinstance(body[0], syntax.InputStmt) and [d.value for d in body[0].dims] == [3, 32, 32]
    labeled = body[1].chain.items[0]
    assert isinstance(labeled, syntax.Labeled) and labeled.label.static == "stem"
    assert len(labeled.chain.items) == 2  # a label names everything to its right
    layer = body[2].chain.items[0].chain.items
    assert layer[1].repeat is not None and isinstance(layer[1].repeat, syntax.BinOp)
    group = body[3]
    assert isinstance(group, syntax.Group) and isinstance(group.body[0], syntax.For)
    inner = group.body[0].body[0].chain.items[0]
    assert inner.label.parts[0] == "stage" and isinstance(inner.label.parts[1], syntax.BinOp)
    assert isinstance(inner.chain.items[0].expr, syntax.Chain)


def test_spans_are_recorded_on_every_node():
    tree = parse(src("block B(c):\n    conv1: conv(c, 3)\n"))
    block = tree.items[0]
    assert (block.span.line, block.span.col) == (1, 1)
    call = block.body[0].chain.items[0].chain.items[0].expr
    assert (call.span.line, call.span.col, call.span.end_col) == (2, 12, 22)
    assert call.args[1].span.col == 20


def test_x_is_a_repeat_only_after_a_step_and_a_name_elsewhere():
    tree = parse(src("network n():\n    input 3x8x8\n    x = conv(4, 1) x 2\n    add(x, x)\n"))
    assign = tree.items[0].body[1]
    assert assign.target == "x" and assign.chain.items[0].repeat.value == 2
    assert [a.id for a in tree.items[0].body[2].chain.items[0].expr.args] == ["x", "x"]


@pytest.mark.parametrize("path", ARCH_FILES, ids=spec_ids(ARCH_FILES))
def test_unparse_round_trip(path):
    tree = parse(read_source(path))
    again = parse(Source(text=to_arch(tree), path=str(path)))
    assert again == tree


@pytest.mark.parametrize(
    "text, line, col, code, words",
    [
        (
            "network n():\n    input 3x8x8\n    conv(3, 4\n    relu\n",
            3,
            9,
            "E102",
            "expected `)` to close the call `conv(` opened at 3:9",
        ),
        ("network n():\n    input 3x8x8\n    conv(3))\n", 3, 12, "E101", "does not close"),
        ("network n():\n    input 3x8x8\n   relu\n", 3, 1, "E103", "indented"),
        ("network n():\n    input 3x8x8\n    conv(3) $\n", 3, 13, "E104", "`$`"),
        ("network n():\n    input 3x8x8\n    conv(3,,)\n", 3, 12, "E101", "unexpected `,`"),
        ("block class(c):\n    relu\n", 1, 7, "E304", "Python keyword"),
    ],
)
def test_syntax_errors_point_at_the_mistake(text, line, col, code, words):
    with pytest.raises(ParseError) as info:
        parse(src(text))
    error = info.value
    assert (error.span.line, error.span.col, error.code) == (line, col, code)
    assert words in error.message
    rendered = str(error.attach({"t.arch": src(text)}))
    assert rendered.startswith(f"t.arch:{line}:{col}: error[{code}]")
    assert "^" in rendered


def test_not_binds_looser_than_comparison_as_in_python():
    node = parse_expression("not a == b and c")
    assert isinstance(node, syntax.BoolOp) and node.op == "and"
    assert isinstance(node.left, syntax.UnaryOp) and node.left.op == "not"
    assert isinstance(node.left.operand, syntax.Compare)


def test_power_is_right_associative_and_binds_tighter_than_unary_minus():
    node = parse_expression("2 ** -x ** 2")
    assert node.op == "**" and node.left.value == 2
    assert isinstance(node.right, syntax.UnaryOp) and node.right.operand.op == "**"


def test_operator_spans_cover_both_operands():
    node = parse_expression("in.channels * 4 + 1")
    assert (node.span.col, node.span.end_col) == (1, 20)
    assert (node.left.span.col, node.left.span.end_col) == (1, 16)


def test_chained_comparisons_are_refused_with_a_fix():
    with pytest.raises(ParseError) as info:
        parse_expression("a < b < c")
    assert info.value.span.col == 7 and "a < b and b < c" in info.value.hint
    assert parse_expression("(a < b) == c").op == "=="


def _code_lines(text: str) -> int:
    """Non-blank lines that are not only a comment (docstrings count: they are code to the parser)."""
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def test_resnet34_with_the_family_lines_it_uses_fits_in_40_lines():
    """Issue 2: specs/resnet34.arch plus the family-file definitions it uses is at most 40 lines."""
    variant = read_source(SPECS / "resnet34.arch")
    family_source = read_source(SPECS / "families" / "resnet.arch")
    family = parse(family_source)
    used = {"BasicBlock", "ResNet"}  # resnet34 = ResNet(block=BasicBlock, ...)
    lines = _code_lines(variant.text)
    for item in family.items:
        if getattr(item, "name", None) in used:
            lines += _code_lines("\n".join(family_source.lines[item.span.line - 1 : item.span.end_line]))
    alias = parse(variant).items[-1]
    assert {alias.base, *(kw.value.id for kw in alias.kwargs if kw.name == "block")} == used
    assert lines <= 40, lines


def _same_values_and_types(made, validated, where: str = "") -> None:
    """Equal, and equal in type all the way down (`==` alone lets an int pass for a float, a list for a tuple
    inside pydantic's comparison of plain values)."""
    assert type(made) is type(validated), f"{where}: {type(made).__name__} vs {type(validated).__name__}"
    if isinstance(made, BaseModel):  # AST nodes and their spans
        assert made.__dict__.keys() == validated.__dict__.keys(), where
        for name, value in made.__dict__.items():
            _same_values_and_types(value, validated.__dict__[name], f"{where}.{name}")
    elif isinstance(made, (list, tuple)):
        assert len(made) == len(validated), where
        for i, (a, b) in enumerate(zip(made, validated)):
            _same_values_and_types(a, b, f"{where}[{i}]")
    else:
        assert made == validated, f"{where}: {made!r} vs {validated!r}"


def _parse_with(constructed_first: int, path: Path, name: str) -> syntax.SpecFile:
    """Parse with `build_ast.new` making the first `constructed_first` nodes of each class unvalidated."""
    saved, counts = build_ast.CONSTRUCTED_FIRST, dict(build_ast._constructed)
    build_ast.CONSTRUCTED_FIRST, build_ast._constructed = constructed_first, {}
    try:
        return parse(Source(text=path.read_text(encoding="utf-8", errors="replace"), path=name))
    finally:
        build_ast.CONSTRUCTED_FIRST, build_ast._constructed = saved, counts


def _parsed_trees() -> list[tuple[str, syntax.SpecFile]]:
    """Every spec, and every .arch file of the tests (the error corpus's syntax errors aside), parsed with
    every node made by model_construct."""
    trees = []
    for path in sorted({*SPECS.rglob("*.arch"), *SPECS.parent.joinpath("tests").rglob("*.arch")}):
        name = str(path.relative_to(SPECS.parent))
        try:
            trees.append((name, _parse_with(10**9, path, name)))
        except ArchError:
            assert name.startswith("tests/errors/"), name  # only the error corpus may hold syntax errors
    return trees


PARSED_TREES = _parsed_trees()


def test_the_construction_check_covers_the_library():
    names = {name for name, _ in PARSED_TREES}
    assert {str(p.relative_to(SPECS.parent)) for p in SPECS.rglob("*.arch")} <= names and len(names) > 150


@pytest.mark.parametrize("tree", [tree for _, tree in PARSED_TREES], ids=[name for name, _ in PARSED_TREES])
def test_the_parser_makes_nodes_that_validation_would_make(tree):
    # The parser builds nodes with model_construct (no validation, for start-up time); validating the
    # dumped tree must give back the very same values and types, so nothing the declared types promise
    # is left to chance.
    _same_values_and_types(tree, syntax.SpecFile.model_validate(tree.model_dump()), "SpecFile")


@pytest.mark.parametrize("name", ["resnet50", "densenet121", "families/efficientnet"])
def test_validated_and_constructed_nodes_are_the_same(name):
    path = SPECS / f"{name}.arch"
    _same_values_and_types(_parse_with(10**9, path, name), _parse_with(0, path, name), "SpecFile")
