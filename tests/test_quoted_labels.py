"""Quoted labels (issue 12): module names that are not identifiers, such as torchvision's RegNet
`trunk_output.block1.block1-0`, with `{expression}` parts as in an f-string."""

from __future__ import annotations

import textwrap

import pytest

import archdsl
from archdsl.errors import ArchError
from archdsl.frontend import unparse
from archdsl.frontend.parser import parse
from archdsl.frontend.yaml_loader import load_yaml
from archdsl.source import Source

from conftest import save_spec

SPEC = textwrap.dedent(
    """\
    block Unit(c):
        "conv-a": conv(c, 3, padding=1)
        relu

    network Stages(depths=[2, 1]):
        input 3x8x8
        for s, depth in enumerate(depths):
            stage{s + 1}:
                for i in range(depth):
                    "stage{s + 1}-{i}": Unit(4)
        "head": global_avgpool
        flatten
        fc: linear(10)
    """
)

KEYS = [
    "stage1.stage1-0.conv-a.weight",
    "stage1.stage1-0.conv-a.bias",
    "stage1.stage1-1.conv-a.weight",
    "stage1.stage1-1.conv-a.bias",
    "stage2.stage2-0.conv-a.weight",
    "stage2.stage2-0.conv-a.bias",
    "fc.weight",
    "fc.bias",
]


def test_quoted_labels_name_modules_and_emitted_code(tmp_path):
    torch = pytest.importorskip("torch")
    path = save_spec(tmp_path, SPEC)
    model = archdsl.build(path)
    assert list(model.state_dict()) == KEYS
    namespace: dict = {}
    exec(compile(archdsl.emit(path), "stages.py", "exec"), namespace)  # noqa: S102 (our own generated code)
    emitted = namespace["Stages"]()
    emitted.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, 3, 8, 8)
    assert torch.equal(emitted.eval()(x), model.eval()(x))


def test_quoted_labels_round_trip_through_yaml_and_back():
    tree = parse(Source(text=SPEC, path="spec.arch"))
    # `"head"` is an identifier: it is the plain label head, and prints unquoted.
    assert "head: global_avgpool" in unparse.to_arch(tree)
    assert '"stage{s + 1}-{i}": Unit(4)' in unparse.to_arch(tree)
    yaml_text = unparse.to_yaml(tree)
    assert "'\"conv-a\"': conv(c, 3, padding=1)" in yaml_text
    assert load_yaml(Source(text=yaml_text, path="spec.yaml")) == tree


def test_quoted_label_with_a_dot_is_an_error_at_its_position(tmp_path):
    path = save_spec(tmp_path, SPEC.replace('"conv-a"', '"conv.a"'))
    with pytest.raises(ArchError) as info:
        archdsl.check(path)
    error = info.value.to_json()
    assert error["code"] == "E304" and "`.` separates" in error["message"]
    assert (error["line"], error["col"]) == (2, 5)


def test_quoted_label_expression_errors_point_into_the_string(tmp_path):
    path = save_spec(tmp_path, SPEC.replace("{s + 1}-{i}", "{s + 1}-{j}"))
    with pytest.raises(ArchError) as info:
        archdsl.check(path)
    error = info.value.to_json()
    assert "`j`" in error["message"]
    assert (error["line"], error["col"]) == (10, 32)
