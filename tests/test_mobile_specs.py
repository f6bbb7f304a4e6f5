"""Facts about the mobile specs beyond the parity table: MobileNetV2's width multiplier, and ShuffleNet v1,
which has no torchvision or timm counterpart and is checked against published numbers."""

from __future__ import annotations

import subprocess
import sys

import pytest

import archdsl
from archdsl.ops.registry import get_op

from conftest import ROOT

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")


def _macs(checked) -> int:
    """Multiply-accumulates of every conv and linear, from the ops' static rules."""
    graph = checked.graph
    return sum(
        get_op(node.op).macs(node.attrs, [graph.shape_of(i) for i in node.inputs], node.shape)
        for _, node in graph.ops()
    )


@pytest.mark.parametrize("width", [0.5, 1.4])
def test_mobilenet_v2_width_multiplier_is_torchvisions(width):
    """`--set width=0.5` equals mobilenet_v2(width_mult=0.5): same parameters, names and outputs."""
    torch.manual_seed(0)
    reference = torchvision.models.mobilenet_v2(width_mult=width).eval()
    checked = archdsl.check("specs/mobilenet_v2.arch", {"width": width})
    model = archdsl.build(checked).eval()
    assert checked.total_params == sum(p.numel() for p in reference.parameters())
    model.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(model(x), reference(x))


def test_mobilenet_v2_width_on_the_command_line(tmp_path):
    """1,968,680 is torchvision's mobilenet_v2(width_mult=0.5); the width is fixed at compile time and
    recorded in the factory's docstring."""
    check = subprocess.run(
        [sys.executable, "-m", "archdsl", "check", "specs/mobilenet_v2.arch", "--set", "width=0.5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.stdout == "mobilenet_v2: 3x224x224 -> 1000, 1,968,680 params\n", check.stderr
    out = tmp_path / "mobilenet_v2_050.py"
    compiled = subprocess.run(
        [sys.executable, "-m", "archdsl", "compile", "specs/mobilenet_v2.arch", "--set", "width=0.5", "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert compiled.returncode == 0, compiled.stderr
    assert "(compiled with width=0.5)" in out.read_text()


def test_shufflenet_v1_matches_the_paper():
    """ShuffleNet 1x, g=3 (Zhang et al., 2018, Table 2: 140 MFLOPs, i.e. multiply-adds). Its parameter
    count is that of imgclsmob's shufflenet_g3_w1 (pytorchcv), the usual PyTorch port: 1,865,728."""
    checked = archdsl.check("specs/shufflenet_v1.arch")
    assert checked.total_params == 1_865_728
    assert checked.output_shape == (1000,)
    assert abs(_macs(checked) - 140e6) / 140e6 < 0.03
    model = archdsl.build(checked).eval()
    assert sum(p.numel() for p in model.parameters()) == 1_865_728
    with torch.no_grad():
        assert model(torch.randn(2, 3, 224, 224)).shape == (2, 1000)


@pytest.mark.parametrize(
    "groups, channels, params",
    [
        (1, [144, 288, 576], 1_531_936),  # imgclsmob shufflenet_g1_w1
        (8, [384, 768, 1536], 2_434_768),  # imgclsmob shufflenet_g8_w1
    ],
)
def test_shufflenet_v1_other_group_counts(groups, channels, params):
    """Table 1's other columns are one --set away and count like imgclsmob's ports."""
    assert archdsl.check("specs/shufflenet_v1.arch", {"groups": groups, "channels": channels}).total_params == params


def test_shufflenet_v1_first_pointwise_conv_is_not_grouped():
    """Section 3.3: the first 1x1 conv of stage 2 is a plain conv (24 input channels are too few to group);
    all the others are grouped, and stride-2 units concatenate an average-pooled shortcut."""
    ops = dict(archdsl.check("specs/shufflenet_v1.arch").graph.ops())
    assert ops["features.stage1.unit1.compress_conv1"].attrs["groups"] == 1
    assert ops["features.stage1.unit2.compress_conv1"].attrs["groups"] == 3
    assert ops["features.stage2.unit1.compress_conv1"].attrs["groups"] == 3
    assert ops["features.stage2.unit1.expand_conv3"].shape == (480 - 240, 14, 14)
    assert ops["features.stage2.unit1.avgpool"].shape == (240, 14, 14)
