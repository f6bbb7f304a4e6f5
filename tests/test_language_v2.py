"""Language v2 (issue 12): tuple unpacking, log/exp/sqrt, group-input names, deduplicated warnings."""

from __future__ import annotations

import textwrap

import pytest
from lsprotocol.types import Position

import archdsl
from archdsl.errors import ArchError
from archdsl.fmt import format_text
from archdsl.frontend import unparse
from archdsl.frontend.parser import parse
from archdsl.frontend.yaml_loader import load_yaml
from archdsl.lsp.documents import analyze
from archdsl.lsp.hover import hover
from archdsl.lsp.index import build_index
from archdsl.lsp.navigation import local_definitions
from archdsl.source import Source

from conftest import save_spec

UNPACKING = textwrap.dedent(
    """\
    network Stages(stages=[(8, 1), (16, 2)]):
        input 3x16x16
        for i, (width, depth) in enumerate(stages):
            "stage{i}": conv(width, 3, padding=1) x depth
        last_width, last_depth = stages[-1]
        conv(last_width * last_depth, 1)
        for w, d in zip([4, 5], [1, 2]):
            conv(w * d, 1)
        global_avgpool -> flatten -> linear(10)
    """
)


def _error(tmp_path, text: str, name: str = "spec.arch") -> ArchError:
    with pytest.raises(ArchError) as caught:
        archdsl.check(save_spec(tmp_path, text, name))
    return caught.value


def test_unpacking_in_for_and_assignment_builds_the_layers(tmp_path):
    graph = archdsl.check(save_spec(tmp_path, UNPACKING)).graph
    convs = [(path, node.shape[0]) for path, node in graph.ops() if node.op == "conv2d"]
    assert convs[:3] == [("stage0.0", 8), ("stage1.0", 16), ("stage1.1", 16)]
    assert [channels for _, channels in convs[3:]] == [32, 4, 10]


def test_unpacking_round_trips_through_yaml_unparse_and_fmt(tmp_path):
    tree = parse(Source(text=UNPACKING, path="spec.arch"))
    assert unparse.to_arch(tree) == UNPACKING  # already in canonical form
    yaml_text = unparse.to_yaml(tree)
    assert "for: i, (width, depth)" in yaml_text and "- last_width, last_depth = stages[-1]" in yaml_text
    assert load_yaml(Source(text=yaml_text, path="spec.yaml")) == tree
    assert format_text(UNPACKING) == UNPACKING
    squeezed = UNPACKING.replace("i, (width, depth)", "i,(width,depth)").replace("last_width, last", "last_width ,last")
    assert format_text(squeezed) == UNPACKING


def test_unpacking_wrong_arity_is_reported_at_the_target(tmp_path):
    text = UNPACKING.replace("[(8, 1), (16, 2)]", "[(8, 1, 3), (16, 2, 3)]")
    error = _error(tmp_path, text)
    assert (error.span.line, error.span.col, error.code) == (3, 12, "E301")
    assert "expected 2 values to unpack into (width, depth), got 3" in error.message


def test_unpacking_an_assignment_checks_count_and_kind(tmp_path):
    spec = "network N():\n    input 3x8x8\n    {}\n    conv(w, 3)\n"
    error = _error(tmp_path, spec.format("w, d = (1, 2, 3)"))
    assert (error.span.line, error.span.col) == (3, 5)
    assert "expected 2 values to unpack into (w, d), got 3" in error.message
    error = _error(tmp_path, spec.format("w, d = conv(8, 3)"))
    assert (error.span.line, error.span.col) == (3, 12)
    assert "cannot unpack a tensor (8x6x6) into 2 names" in error.message


def test_unpacking_errors_in_yaml_point_into_the_for_string(tmp_path):
    text = (
        "networks:\n  N:\n    body:\n    - input: [3, 8, 8]\n    - for: 'i, (w d)'\n      in: '[1]'\n      do: [pass]\n"
    )
    error = _error(tmp_path, text, "spec.yaml")
    assert (error.span.line, error.span.col) == (5, 19)
    assert "missing `,` before `d`" in error.message


def test_lsp_finds_the_unpacked_names(tmp_path):
    source = Source(text=UNPACKING, path="spec.arch")
    index = build_index(parse(source), source)
    [depth] = local_definitions(index, "depth", 4)
    assert (depth.kind, depth.span.line, depth.span.col) == ("loop", 3, 20)
    [last] = local_definitions(index, "last_depth", 6)
    assert (last.kind, last.span.line, last.span.col) == ("value", 5, 17)


def test_log_exp_sqrt_compute_channels(tmp_path):
    spec = "network N():\n    input 3x8x8\n    conv(int(log(256, 2)) + round(exp(0)) + int(sqrt(49)) + round(log(exp(2))), 3)\n"
    graph = archdsl.check(save_spec(tmp_path, spec)).graph
    [(_, conv)] = list(graph.ops())
    assert conv.shape[0] == 8 + 1 + 7 + 2


@pytest.mark.parametrize(
    ("call", "col", "message"),
    [
        ("log(0)", 14, "`log(0)` failed: log() is defined for positive numbers only"),
        ("log(8, 1)", 14, "`log(8, 1)` failed: the base of log() must be positive and not 1"),
        ("sqrt(-4)", 14, "`sqrt(-4)` failed: sqrt() is defined for numbers >= 0 only"),
        ("exp(1000)", 14, "`exp(1000)` failed: exp() of this is too large for a float"),
        ('log("a")', 14, '`log("a")` failed: log() takes a number'),
    ],
)
def test_log_exp_sqrt_domain_errors_have_line_and_column(tmp_path, call, col, message):
    error = _error(tmp_path, f"network N():\n    input 3x8x8\n    conv(int({call}), 3)\n")
    assert (error.span.line, error.span.col, error.code) == (3, col, "E301")
    assert error.message == message


GROUP_INPUT = textwrap.dedent(
    """\
    network N():
        input 3x8x8
        conv(8, 1)
        body as x:
            branch: conv(8, 3, padding=1)
            add(x, branch)
        global_avgpool -> flatten -> linear(10)
    """
)


def test_group_input_name_is_the_value_flowing_in(tmp_path):
    graph = archdsl.check(save_spec(tmp_path, GROUP_INPUT)).graph
    ops = dict(graph.ops())
    body = next(item for item in graph.root.items if item.name == "body")
    assert ops["body.(add)"].inputs == (body.input, ops["body.branch"].id)
    assert body.input == ops["conv2d"].id
    assert "x = x + out" in archdsl.emit(save_spec(tmp_path, GROUP_INPUT))


def test_group_input_name_round_trips_through_yaml_unparse_and_fmt():
    tree = parse(Source(text=GROUP_INPUT, path="spec.arch"))
    assert tree.items[0].body[2].input_name == "x"
    assert unparse.to_arch(tree) == GROUP_INPUT
    yaml_text = unparse.to_yaml(tree)
    assert "- body as x:\n" in yaml_text
    assert load_yaml(Source(text=yaml_text, path="spec.yaml")) == tree
    assert format_text(GROUP_INPUT.replace("body as x:", "body  as   x :")) == GROUP_INPUT


def test_group_input_name_is_local_to_the_group(tmp_path):
    error = _error(tmp_path, GROUP_INPUT.replace("global_avgpool ->", "add(x, x) -> global_avgpool ->"))
    assert (error.span.line, error.span.col, error.code) == (7, 9, "E201")
    source = Source(text=GROUP_INPUT, path="spec.arch")
    [x] = local_definitions(build_index(parse(source), source), "x", 6)
    assert (x.span.line, x.span.col) == (4, 13)
    analysis = analyze("file:///spec.arch", GROUP_INPUT, 1, None)
    shown = hover(analysis, [], Position(line=5, character=12))  # `x` in `add(x, branch)`
    assert shown.contents.value == "`x`: the input of `body`, **8x8x8**"


def test_a_warning_in_a_block_used_four_times_is_reported_once(tmp_path):
    spec = textwrap.dedent(
        """\
        block Head(n):
            global_avgpool
            fc: linear(n)
            unused: conv(4, 1)
            in

        network Four():
            input 3x16x16
            conv(8, 3, padding=1)
            heads: Head(8) x 4
            global_avgpool -> flatten -> linear(10)
        """
    )
    warnings = archdsl.check(save_spec(tmp_path, spec)).warnings
    assert [(w.code, w.span.line, w.span.col) for w in warnings] == [("W501", 4, 13), ("W502", 3, 9)]
    w502 = warnings[1]
    assert w502.message.startswith("`heads.0.fc` is applied to a 8x1x1 value")
    assert [n.message for n in w502.notes] == [
        "the same in 3 more copies of this line: `heads.1.fc`, `heads.2.fc`, `heads.3.fc`"
    ]
