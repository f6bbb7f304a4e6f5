"""Learnable tensors held by a block (`parameter`, issue 12): shapes and counts in `check`, emitted
code that reads like torchvision's, state_dict names, YAML/fmt/convert round trips, and errors."""

from __future__ import annotations

import textwrap

import pytest

import archdsl
from archdsl.api import parse_file
from archdsl.errors import ArchError
from archdsl.fmt import format_text
from archdsl.frontend.unparse import to_arch, to_yaml
from archdsl.frontend.yaml_loader import load_yaml
from archdsl.source import Source

from conftest import save_spec

SPEC = textwrap.dedent(
    """\
    block Scaled(c, init=1e-6):
        conv1: conv(c, 3, padding=1)
        scale = parameter(c, 1, 1, init=init)
        mul(scale, conv1) -> add(in)

    network scaled(num_classes=10):
        input 3x8x8
        stem: conv(16, 3, padding=1)
        layer1: Scaled(16) -> Scaled(16, init=0.5)
        global_avgpool
        flatten
        fc: linear(num_classes)
    """
)


def test_a_parameter_has_a_shape_and_counts_as_parameters(tmp_path):
    checked = archdsl.check(save_spec(tmp_path, SPEC))
    held = {path: node for path, node in checked.graph.ops() if node.op == "parameter"}
    assert list(held) == ["layer1.0.scale", "layer1.1.scale"]
    assert held["layer1.0.scale"].shape == (16, 1, 1) and held["layer1.0.scale"].params == 16
    assert held["layer1.1.scale"].attrs["init"] == 0.5 and held["layer1.1.scale"].inputs == ()
    conv = 16 * 3 * 9 + 16
    block = 16 * 16 * 9 + 16 + 16
    assert checked.total_params == conv + 2 * block + 16 * 10 + 10
    summary = archdsl.summary(save_spec(tmp_path, SPEC), depth=0)
    assert summary.uncounted == ()  # its MACs are zero, said so, not "no rule"
    # A held tensor is a weight, not an activation: stem, then conv1, mul and add in each block, pool, fc.
    assert summary.totals.activation_bytes == 4 * (16 * 64 + 2 * 3 * 16 * 64 + 16 + 10)


def test_emitted_code_holds_an_nn_parameter_and_loads_by_its_own_name(tmp_path):
    torch = pytest.importorskip("torch")
    path = save_spec(tmp_path, SPEC)
    source = archdsl.emit(path)
    assert "self.scale = nn.Parameter(torch.full((in_channels, 1, 1), init))" in source
    assert "out = self.scale * conv1" in source
    model = archdsl.build(path).eval()
    assert torch.equal(model.layer1[0].scale, torch.full((16, 1, 1), 1e-6))
    assert torch.equal(model.layer1[1].scale, torch.full((16, 1, 1), 0.5))
    state = model.state_dict()
    assert "layer1.0.scale" in state and "layer1.1.scale" in state
    torch.manual_seed(0)
    state = {key: torch.randn_like(value) for key, value in state.items()}
    model.load_state_dict(state, strict=True)
    x = torch.randn(2, 3, 8, 8)
    # The same network by hand: y = scale * conv1(x) + x in each block.
    y = torch.nn.functional.conv2d(x, state["stem.weight"], state["stem.bias"], padding=1)
    for i in range(2):
        conv = torch.nn.functional.conv2d(
            y, state[f"layer1.{i}.conv1.weight"], state[f"layer1.{i}.conv1.bias"], padding=1
        )
        y = state[f"layer1.{i}.scale"] * conv + y
    expected = torch.nn.functional.linear(y.mean((2, 3)), state["fc.weight"], state["fc.bias"])
    with torch.no_grad():
        assert torch.allclose(model(x), expected, atol=1e-5)
        namespace: dict = {}
        exec(compile(source, "scaled.py", "exec"), namespace)  # noqa: S102 (our own generated code)
        emitted = namespace["scaled"]().eval()
        emitted.load_state_dict(state, strict=True)
        assert torch.equal(emitted(x), model(x))


def test_yaml_convert_and_fmt_keep_a_parameter(tmp_path):
    path = save_spec(tmp_path, SPEC)
    tree = parse_file(Source(text=SPEC, path=path))
    yaml_text = to_yaml(tree)
    assert "scale = parameter(c, 1, 1, init=init)" in yaml_text
    yaml_path = save_spec(tmp_path, yaml_text, "scaled.yaml")
    back = to_arch(load_yaml(Source(text=yaml_text, path=yaml_path)))
    arch_path = save_spec(tmp_path, back, "back.arch")
    original = archdsl.check(path).graph
    assert archdsl.check(yaml_path).graph == original == archdsl.check(arch_path).graph
    assert format_text(SPEC) == SPEC


def test_draw_shows_a_parameter_as_its_own_node(tmp_path):
    from archdsl.backends.diagram import build_diagram

    diagram = build_diagram(archdsl.check(save_spec(tmp_path, SPEC)).graph, depth="all")
    titles = [node.title for node in diagram.nodes]
    assert titles.count("parameter 16x1x1") == 2


@pytest.mark.parametrize(
    "call, code, message, col",
    [
        ("parameter(c, 0, 1, init=init)", "E302", "must be positive", 26),
        ("parameter(c, 1, 1)", "E204", "needs argument `init`", 13),
        ('parameter(c, 1, 1, init="ones")', "E301", "must be a number", 32),
        ("conv1 -> parameter(c, 1, 1, init=init)", "E301", "takes no input", 22),
    ],
)
def test_a_bad_parameter_call_is_an_error_at_its_position(tmp_path, call, code, message, col):
    with pytest.raises(ArchError) as info:
        archdsl.check(save_spec(tmp_path, SPEC.replace("parameter(c, 1, 1, init=init)", call)))
    error = info.value.to_json()
    assert error["code"] == code and message in error["message"], error
    assert (error["line"], error["col"]) == (3, col)


def test_convnext_checks_without_warnings():
    # Its MLP is two linear layers on channels-last values (after `permute`): meant, so no W502.
    checked = archdsl.check("specs/convnext_tiny.arch")
    assert [w.code for w in checked.warnings] == []
    assert checked.total_params == 28_589_128
    scales = [path for path, node in checked.graph.ops() if node.op == "parameter"]
    assert scales[0] == "features.1.0.layer_scale" and len(scales) == 18


def test_linear_on_pooled_maps_still_warns(tmp_path):
    spec = "network p():\n    input 3x8x8\n    conv(4, 3)\n    global_avgpool\n    fc: linear(10)\n"
    assert [w.code for w in archdsl.check(save_spec(tmp_path, spec)).warnings] == ["W502"]


def test_structured_pruning_cuts_a_held_tensor_with_the_channels_it_scales(tmp_path):
    torch = pytest.importorskip("torch")
    from archdsl.api import Checked
    from archdsl.pruning.channels import choose, importance, slice_weights
    from archdsl.pruning.coupling import couple
    from archdsl.pruning.shrink import shrink_graph

    spec = SPEC.replace("stem: conv(16, 3, padding=1)", "stem: conv(16, 3, padding=1)\n    conv(24, 1)").replace(
        "Scaled(16) -> Scaled(16, init=0.5)", "Scaled(24) -> Scaled(24, init=0.5)"
    )
    checked = archdsl.check(save_spec(tmp_path, spec))
    torch.manual_seed(0)
    model = archdsl.build(checked).eval()
    weights = {key: torch.randn_like(value) for key, value in model.state_dict().items()}
    coupling = couple(checked.graph)
    keep = choose(coupling, importance(checked.graph, coupling, weights), 0.25)
    shrunk = shrink_graph(checked.graph, coupling, keep)
    scales = [node.shape for path, node in shrunk.ops() if node.op == "parameter"]
    assert scales == [(18, 1, 1), (18, 1, 1)]  # the residual space of 24 channels, a quarter pruned
    small = archdsl.build(Checked(shrunk, origin="pruned")).eval()
    small.load_state_dict(slice_weights(checked.graph, coupling, keep, weights), strict=True)
    assert small(torch.randn(1, 3, 8, 8)).shape == (1, 10)


def test_the_ir_writer_writes_a_held_tensor_back(tmp_path):
    from archdsl.writer import write_spec

    graph = archdsl.check(save_spec(tmp_path, SPEC)).graph
    text = write_spec(graph)
    assert "    scale = parameter(16, 1, 1, init=init)\n" in text and "Scaled(1e-6) -> Scaled(0.5)" in text
    written = archdsl.check(save_spec(tmp_path, text, "written.arch")).graph
    assert [(path, node.shape, node.params) for path, node in written.ops()] == [
        (path, node.shape, node.params) for path, node in graph.ops()
    ]


@pytest.mark.parametrize("size", ["tiny", "large"])
def test_convnext_draws_in_at_most_40_nodes_at_the_default_depth(size):
    from archdsl.backends.diagram import build_diagram

    diagram = build_diagram(archdsl.check(f"specs/convnext_{size}.arch").graph)
    assert len(diagram.nodes) <= 40


def test_the_editor_shows_the_dims_as_many_arguments():
    from archdsl.lsp.hover import op_signature
    from archdsl.ops.registry import get_op

    assert "parameter(shape..., init, view=none)" in op_signature(get_op("parameter"))
