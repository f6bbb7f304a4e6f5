"""`groupnorm` and `instancenorm2d` (issue 12): shape rule, parameters, MACs, emitted code, and parity
of a small spec with the same network written by hand in torch."""

from __future__ import annotations

import textwrap

import pytest

import archdsl
from archdsl.errors import ArchError

from conftest import save_spec

SPEC = textwrap.dedent(
    """\
    network norms():
        input 3x8x8
        conv1: conv(16, 3, padding=1, bias=false)
        gn: groupnorm(4, eps=1e-6)
        relu
        conv2: conv(8, 3, padding=1, bias=false)
        inorm: instancenorm2d
        inorm_affine: instancenorm2d(affine=true)
    """
)


def test_groupnorm_shape_params_and_macs(tmp_path):
    checked = archdsl.check(save_spec(tmp_path, SPEC))
    nodes = {node.name: node for node in checked.graph.root.items if node.name}
    assert nodes["gn"].shape == (16, 8, 8) and nodes["gn"].params == 2 * 16
    assert nodes["inorm"].shape == (8, 8, 8) and nodes["inorm"].params == 0
    assert nodes["inorm_affine"].params == 2 * 8
    assert checked.total_params == 16 * 3 * 9 + 32 + 8 * 16 * 9 + 16
    totals = archdsl.summary(save_spec(tmp_path, SPEC), depth=0).totals
    assert totals.macs == (16 * 27 + 8 * 16 * 9) * 64  # the norms add no weight products


def test_groupnorm_with_channels_not_divisible_is_an_error_at_its_position(tmp_path):
    with pytest.raises(ArchError) as info:
        archdsl.check(save_spec(tmp_path, SPEC.replace("groupnorm(4,", "groupnorm(5,")))
    error = info.value.to_json()
    assert error["code"] == "E403" and "16 channels into 5 groups" in error["message"]
    assert (error["line"], error["col"]) == (4, 9)


def test_parity_with_a_hand_written_torch_module(tmp_path):
    torch = pytest.importorskip("torch")
    from torch import nn

    path = save_spec(tmp_path, SPEC)
    source = archdsl.emit(path)
    assert "self.gn = nn.GroupNorm(4, 16, eps=1e-6)" in source
    assert "self.inorm = nn.InstanceNorm2d(8)" in source
    assert "self.inorm_affine = nn.InstanceNorm2d(8, affine=True)" in source
    model = archdsl.build(path).eval()
    reference = nn.Sequential()
    reference.add_module("conv1", nn.Conv2d(3, 16, 3, padding=1, bias=False))
    reference.add_module("gn", nn.GroupNorm(4, 16, eps=1e-6))
    reference.add_module("relu", nn.ReLU())
    reference.add_module("conv2", nn.Conv2d(16, 8, 3, padding=1, bias=False))
    reference.add_module("inorm", nn.InstanceNorm2d(8))
    reference.add_module("inorm_affine", nn.InstanceNorm2d(8, affine=True))
    reference.eval()
    torch.manual_seed(0)
    with torch.no_grad():  # affine parameters that are not the identity, so a wrong grouping shows
        for norm in (reference.gn, reference.inorm_affine):
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.normal_(0.0, 0.1)
    model.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        assert torch.allclose(model(x), reference(x), atol=1e-5)
