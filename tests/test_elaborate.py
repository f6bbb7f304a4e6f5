"""Elaboration: parameters, blocks, conditionals, repeats, names, static shapes, and located errors."""

from __future__ import annotations

import pytest

import archdsl
from archdsl.errors import ArchError
from archdsl.ir.nodes import OpNode, ScopeNode


def check(text: str, **params):
    return archdsl.check(text, params)


def error(text: str, **params) -> ArchError:
    with pytest.raises(ArchError) as info:
        archdsl.check(text, params)
    return info.value


NET = "network n(c=16):\n    input 3x32x32\n"


def test_resnet_family_shapes_and_counts():
    checked = archdsl.check("specs/resnet50.arch")
    assert checked.output_shape == (1000,)
    assert checked.total_params == 25_557_032
    shapes = {path: node.shape for path, node in checked.graph.ops()}
    assert shapes["layer1.0.conv3"] == (256, 56, 56)
    assert shapes["layer2.0.downsample.0"] == (512, 28, 28)
    assert shapes["layer4.2.bn3"] == (2048, 7, 7)


def test_block_reads_its_input_shape_and_branches():
    checked = archdsl.check("specs/resnet18.arch")
    layers = {path: node for path, node in checked.graph.root.walk()}
    assert "layer1.0.downsample" not in layers  # same shape: identity shortcut
    assert isinstance(layers["layer2.0.downsample"], ScopeNode)
    assert layers["layer2.0.downsample"].sequential


def test_repeats_are_numbered_and_spliced_into_labelled_chains():
    checked = archdsl.check("specs/resnet34.arch")
    layer3 = next(item for item in checked.graph.root.items if item.name == "layer3")
    assert [item.name for item in layer3.items] == ["0", "1", "2", "3", "4", "5"]
    assert all(item.block == "BasicBlock" for item in layer3.items)
    assert layer3.items[1].repeat.count == 5 and layer3.items[0].repeat is None


def test_unlabelled_layers_are_numbered_in_chains_and_named_in_branching_scopes():
    checked = check(
        NET + "    stem: conv(c, 3) -> batchnorm -> relu\n    y = in -> conv(c, 3)\n    add(stem, y) -> relu\n"
    )
    stem = checked.graph.root.items[0]
    assert [i.name for i in stem.items] == ["0", "1", "2"]
    names = [i.name for i in checked.graph.root.items]
    assert names == ["stem", "conv2d", None, "relu"]  # add is inline in forward()


def test_labels_and_values_names_do_not_collide_with_ops():
    checked = check(NET + "    relu: conv(c, 3)\n    relu\n")
    assert [i.op for i in checked.graph.root.items] == ["conv2d", "relu"]


def test_a_parameter_may_share_an_ops_name():
    """torchvision names its dropout rate `dropout`; in a chain `dropout(dropout)` is the op, fed the value."""
    text = (
        "network n(dropout=0.25):\n    input 16\n    linear(8) -> dropout(dropout)\n    drop: dropout(p=dropout / 5)\n"
    )
    ops = [node for _, node in check(text).graph.ops()]
    assert [(node.op, node.attrs.get("p")) for node in ops] == [("linear", None), ("dropout", 0.25), ("dropout", 0.05)]
    assert [(node.op, node.attrs.get("p")) for _, node in check(text, dropout=0.5).graph.ops()][1] == ("dropout", 0.5)


def test_a_partially_applied_block_parameter_keeps_its_arguments():
    """wide_resnet50_2 passes `block=Bottleneck(widen=2)`: the IR (and the factory's docstring) must say so."""
    assert archdsl.check("specs/wide_resnet50_2.arch").graph.params["block"] == "Bottleneck(widen=2)"
    assert archdsl.check("specs/resnet50.arch").graph.params["block"] == "Bottleneck"
    assert "compiled with block=Bottleneck(widen=2), layers=[3, 4, 6, 3]" in archdsl.emit("specs/wide_resnet50_2.arch")


def test_parameters_defaults_and_overrides():
    text = NET + "    conv(c * 2, 3, padding=1)\n"
    assert check(text).output_shape == (32, 32, 32)
    assert check(text, c=8).output_shape == (16, 32, 32)


def test_expressions_and_scaling_helpers():
    text = (
        NET
        + "    conv(make_divisible(c * 1.1, 8), 1) -> conv(max(ceil(2.2), round(2.5)), 1) -> conv(c // 3 + c % 3, 1)\n"
    )
    assert [n.shape[0] for _, n in check(text).graph.ops()] == [16, 3, 6]


def test_for_loops_tables_and_interpolated_labels():
    text = (
        "table = [[1, 16, 1], [6, 24, 2]]\n"
        "network n():\n    input 3x32x32\n    features:\n"
        "        for t, c, n in table:\n            stage{c}: conv(c * t, 1) x n\n"
    )
    features = check(text).graph.root.items[0]
    assert [s.name for s in features.items] == ["stage16", "stage24"]
    assert [len(s.items) for s in features.items] == [1, 2]


def test_partial_application_of_blocks():
    text = (
        "block B(c, k=3):\n    conv(c, k, padding=k // 2)\n"
        "network n(block=B(k=5)):\n    input 3x32x32\n    block(8) -> block(8)\n"
    )
    ops = [n for _, n in check(text).graph.ops()]
    assert [n.attrs["kernel"] for n in ops] == [5, 5]


def test_an_assignment_never_moves_the_flow():
    checked = check(NET + "    conv(c, 1)\n    skip = in\n    relu\n    y = conv(c, 1)\n    relu\n")
    ops = [n for _, n in checked.graph.ops()]
    assert ops[1].inputs == (ops[0].id,)  # `skip = in` did not move the flow back to the input
    assert ops[3].inputs == (ops[1].id,)  # nor did `y = conv(...)`: the last relu follows the first


@pytest.mark.parametrize("assignment", ["y = relu", "y = relu x 0", "y = in -> relu x 2", "y = (relu -> relu)"])
def test_the_flow_rule_does_not_depend_on_what_an_assignment_computes(assignment):
    # Before, `y = relu` moved the flow (it applies a layer) and `y = relu x 0` did not (no layer made),
    # while the diagnostics decided the opposite from syntax.
    ops = [n for _, n in check(NET + f"    conv(c, 1)\n    {assignment}\n    sigmoid\n").graph.ops()]
    assert ops[-1].op == "sigmoid" and ops[-1].inputs == (ops[0].id,)


def test_the_flow_after_an_if_does_not_depend_on_which_branch_assigned():
    block = (
        "block B(project):\n    if project:\n        shortcut = in -> conv(8, 1)\n    else:\n"
        "        shortcut = in\n    relu -> add(shortcut)\n"
    )
    for project in ("true", "false"):
        net = block + f"network n():\n    input 8x8x8\n    B({project})\n"
        relu = [n for _, n in archdsl.check(net).graph.ops() if n.op == "relu"][0]
        assert relu.inputs == (0,)  # `in`, whichever branch ran


def test_squeeze_excitation_broadcast():
    text = NET + "    x = conv(c, 1)\n    g = x -> global_avgpool -> conv(c, 1) -> sigmoid\n    mul(x, g)\n"
    assert check(text).output_shape == (16, 32, 32)


def test_concat_sums_channels():
    text = NET + "    a = in -> conv(8, 1)\n    b = in -> conv(4, 1)\n    concat(a, b, in)\n"
    assert check(text).output_shape == (15, 32, 32)


@pytest.mark.parametrize(
    "body, line, col, code, words",
    [
        (
            "    conv(c, 3)\n    y = conv(8, 1)\n    add(y, in)\n",
            5,
            5,
            "E401",
            "`add` cannot combine 8x30x30 (from `y`, 4:5) with 3x32x32 (from `input`",
        ),
        ("    convv(c, 3)\n", 3, 5, "E202", "unknown op or block `convv`"),
        ("    conv(c, 3, strid=2)\n", 3, 16, "E203", "`conv` has no argument `strid`"),
        ("    conv(c)\n", 3, 5, "E204", "needs argument `kernel`"),
        ("    conv(-4, 3)\n", 3, 10, "E302", "must be positive"),
        ("    conv(c, 3, groups=5)\n", 3, 5, "E403", "groups=5 does not divide its 3 input channels"),
        ("    maxpool(2) x 6\n", 3, 5, "E404", "reduces 1x1 to 0x0"),
        ("    conv(c, 1.5)\n", 3, 13, "E301", "`conv` argument `kernel` must be an integer"),
        ("    conv(c, 1)\n    conv1: relu\n    conv1: relu\n", 5, 5, "E206", "already the name"),
        (
            "    a = in -> conv(4, 1)\n    b = in -> conv(4, 1) -> maxpool(2)\n    concat(a, b)\n",
            5,
            5,
            "E402",
            "cannot join",
        ),
    ],
)
def test_errors_have_line_column_and_words(body, line, col, code, words):
    err = error(NET + body)
    assert (err.span.line, err.span.col, err.code) == (line, col, code), str(err)
    assert words in err.message
    text = str(err)
    assert text.startswith(f"<spec>:{line}:{col}: error[{code}]")


def test_recursive_block_is_reported():
    err = error("block A(c):\n    A(c)\nnetwork n():\n    input 3x8x8\n    A(3)\n")
    assert err.code == "E209" and "uses itself" in err.message


def test_import_errors(tmp_path):
    (tmp_path / "a.arch").write_text('import "b.arch"\nnetwork a():\n    input 3x8x8\n    relu\n')
    (tmp_path / "b.arch").write_text('import "a.arch"\n')
    err = error_path(tmp_path / "a.arch")
    assert err.code == "E208" and "import cycle" in err.message and err.span.line == 1
    (tmp_path / "c.arch").write_text('import "missing.arch"\n')
    err = error_path(tmp_path / "c.arch")
    assert err.code == "E207" and (err.span.line, err.span.col) == (1, 1)


def error_path(path) -> ArchError:
    with pytest.raises(ArchError) as info:
        archdsl.check(path)
    return info.value


def test_group_sees_only_its_input():
    err = error(NET + "    y = in -> conv(4, 1)\n    conv(4, 1)\n    g: conv(4, 1) -> add(y)\n")
    assert err.code == "E201" and "outside group `g`" in err.message


def test_limits_stop_runaway_repeats():
    err = error(NET + "    relu x 1000000\n")
    assert err.code == "E601"


def test_factory_parameters_are_only_those_used_verbatim():
    checked = archdsl.check("specs/resnet34.arch")
    assert checked.fixed_params == {"block", "layers"}
    assert archdsl.api.factory_params(checked) == {"num_classes"}
    checked = check(NET + "    conv(c, 1) -> flatten -> linear(c * 2)\n")
    assert archdsl.api.factory_params(checked) == set()  # c is computed with


def test_ops_have_params_and_inline_ops_have_no_name():
    checked = check(NET + "    conv(c, 3) -> flatten -> linear(10)\n")
    ops = [n for _, n in checked.graph.ops()]
    assert [n.params for n in ops] == [16 * 3 * 9 + 16, 0, 16 * 30 * 30 * 10 + 10]
    assert isinstance(ops[1], OpNode) and ops[1].name is None
