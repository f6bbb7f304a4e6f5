"""Arithmetic of tensors with numbers (issue 12): `mul(x, 0.458)`, `add(x, -0.03)`, in both syntaxes,
with torchvision's `transform_input` as the worked case (channel selection by `chunk`)."""

from __future__ import annotations

import textwrap

import pytest

import archdsl
from archdsl.errors import ArchError

from conftest import assert_same_model_in_every_syntax, save_spec

# torchvision's GoogLeNet/Inception3 `_transform_input`, channel by channel.
SPEC = textwrap.dedent(
    """\
    network Rescale():
        input 3x8x8
        x0 = in -> chunk(3, 0) -> mul(0.229 / 0.5) -> add((0.485 - 0.5) / 0.5)
        x1 = in -> chunk(3, 1) -> mul(0.224 / 0.5) -> add((0.456 - 0.5) / 0.5)
        x2 = in -> chunk(3, 2) -> mul(0.225 / 0.5) -> add((0.406 - 0.5) / 0.5)
        concat(x0, x1, x2)
        conv1: conv(4, 3)
        twice = mul(conv1, 2)
        add(twice, conv1, -1)
    """
)


def test_numbers_are_attributes_with_counted_operations(tmp_path):
    checked = archdsl.check(save_spec(tmp_path, SPEC))
    ops = [node for _, node in checked.graph.ops()]
    scaled = [node for node in ops if node.op in ("mul", "add")]
    assert [node.attrs["scalar"] for node in scaled[:2]] == [0.229 / 0.5, (0.485 - 0.5) / 0.5]
    assert all(len(node.inputs) == 1 for node in scaled[:6])  # the number is no input
    assert scaled[-1].attrs["scalar"] == -1.0 and len(scaled[-1].inputs) == 2
    assert checked.output_shape == (4, 6, 6)
    from archdsl.ops.registry import get_op

    last = scaled[-1]  # two tensors and a number: two additions per element
    assert get_op("add").extra_ops(last.attrs, [(4, 6, 6)] * 2, (4, 6, 6)) == 2 * 4 * 6 * 6
    first = scaled[0]
    assert get_op("mul").extra_ops(first.attrs, [(1, 8, 8)], (1, 8, 8)) == 64


def test_emitted_code_is_plain_torch_and_matches_torchvision(tmp_path):
    torch = pytest.importorskip("torch")
    path = save_spec(tmp_path, SPEC)
    source = archdsl.emit(path)
    assert "* 0.458" in source and "- 0.030000000000000027" in source and "* 2.0" in source
    model = archdsl.build(path).eval()
    x = torch.randn(2, 3, 8, 8)
    # torchvision's googlenet.py `_transform_input`, verbatim
    x_ch0 = torch.unsqueeze(x[:, 0], 1) * (0.229 / 0.5) + (0.485 - 0.5) / 0.5
    x_ch1 = torch.unsqueeze(x[:, 1], 1) * (0.224 / 0.5) + (0.456 - 0.5) / 0.5
    x_ch2 = torch.unsqueeze(x[:, 2], 1) * (0.225 / 0.5) + (0.406 - 0.5) / 0.5
    conv = model.conv1(torch.cat((x_ch0, x_ch1, x_ch2), 1))
    with torch.no_grad():
        assert torch.equal(model(x), conv * 2.0 + conv - 1.0)


def test_yaml_and_round_trips_give_the_same_ir(tmp_path):
    yaml_text = assert_same_model_in_every_syntax(tmp_path, SPEC)
    assert "mul(0.229 / 0.5)" in yaml_text


@pytest.mark.parametrize(
    ("statement", "code", "col", "message"),
    [
        ("mul(conv1)", "E204", 5, "`mul` needs at least 2 inputs, got 1"),
        ("mul(0.5, conv1)", "E301", 5, "`mul` takes tensors first"),
        ('add(conv1, "a")', "E301", 16, "must be a number"),
    ],
)
def test_mistakes_are_located(tmp_path, statement, code, col, message):
    text = f"network Bad():\n    input 3x8x8\n    conv1: conv(4, 3)\n    {statement}\n"
    with pytest.raises(ArchError) as caught:
        archdsl.check(save_spec(tmp_path, text))
    error = caught.value
    assert (error.code, error.span.line, error.span.col) == (code, 4, col)
    assert message in error.message
