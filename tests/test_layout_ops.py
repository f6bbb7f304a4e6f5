"""`layernorm`, `layernorm2d` and `permute` (issue 12): shapes, parameter counts, torch semantics,
emitted code, and the error for dims that are not an order of the input's."""

from __future__ import annotations

import textwrap

import pytest

import archdsl
from archdsl.errors import ArchError

from conftest import save_spec

SPEC = textwrap.dedent(
    """\
    network Norms():
        input 3x8x6
        stem: conv(16, 3, padding=1)
        to_last: permute([0, 2, 3, 1])
        norm: layernorm(eps=1e-6)
        to_first: permute([0, 3, 1, 2])
        norm2d: layernorm2d(eps=1e-6)
    """
)


def test_shapes_and_parameters(tmp_path):
    checked = archdsl.check(save_spec(tmp_path, SPEC))
    graph = checked.graph
    shapes = {node.name: node.shape for node in graph.root.items}
    assert shapes["to_last"] == (8, 6, 16) and shapes["to_first"] == (16, 8, 6)
    assert checked.output_shape == (16, 8, 6)
    assert checked.total_params == 16 * 3 * 9 + 16 + 2 * 16 + 2 * 16


def test_torch_semantics_and_emitted_code(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.nn import functional

    path = save_spec(tmp_path, SPEC)
    torch.manual_seed(0)
    model = archdsl.build(path).eval()
    for norm in (model.norm, model.norm2d):  # not the identity affine, so a wrong axis shows
        torch.nn.init.normal_(norm.weight)
        torch.nn.init.normal_(norm.bias)
    x = torch.randn(2, 3, 8, 6)
    y = model.stem(x).permute(0, 2, 3, 1)
    y = functional.layer_norm(y, (16,), model.norm.weight, model.norm.bias, 1e-6).permute(0, 3, 1, 2)
    channels_last = functional.layer_norm(y.permute(0, 2, 3, 1), (16,), model.norm2d.weight, model.norm2d.bias, 1e-6)
    expected = channels_last.permute(0, 3, 1, 2)
    with torch.no_grad():
        assert torch.allclose(model(x), expected, atol=1e-5)
        namespace: dict = {}
        exec(compile(archdsl.emit(path), "norms.py", "exec"), namespace)  # noqa: S102 (our own generated code)
        emitted = namespace["Norms"]().eval()
        emitted.load_state_dict(model.state_dict(), strict=True)
        assert torch.equal(emitted(x), model(x))


def test_permute_with_a_wrong_order_is_an_error_at_its_position(tmp_path):
    with pytest.raises(ArchError) as info:
        archdsl.check(save_spec(tmp_path, SPEC.replace("permute([0, 2, 3, 1])", "permute([1, 2, 3, 0])")))
    error = info.value.to_json()
    assert error["code"] == "E405" and "batch first" in error["message"]
    assert (error["line"], error["col"]) == (4, 14)


def test_layernorm2d_needs_a_spatial_input(tmp_path):
    with pytest.raises(ArchError) as info:
        archdsl.check(save_spec(tmp_path, SPEC.replace("norm2d: layernorm2d", "flatten\n    norm2d: layernorm2d")))
    assert info.value.to_json()["line"] == 8
