"""Structured pruning: channel coupling read from the IR, and the shrunk model's exactness."""

from __future__ import annotations

import pytest

import archdsl
from archdsl.api import Checked
from archdsl.pruning.coupling import couple

torch = pytest.importorskip("torch")

from archdsl.pruning.channels import choose, importance, slice_weights  # noqa: E402
from archdsl.pruning.shrink import shrink_graph  # noqa: E402


def test_resnet18_residual_groups_are_pruned_together():
    coupling = couple(archdsl.check("specs/resnet18.arch").graph)
    groups = sorted(sorted(paths) for paths in coupling.groups().values() if len(paths) > 1)
    # Each stage's residual stream: the stem (or the stage's projection) and every block's last conv.
    assert groups == [
        ["conv1", "layer1.0.conv2", "layer1.1.conv2"],
        ["layer2.0.conv2", "layer2.0.downsample.0", "layer2.1.conv2"],
        ["layer3.0.conv2", "layer3.0.downsample.0", "layer3.1.conv2"],
        ["layer4.0.conv2", "layer4.0.downsample.0", "layer4.1.conv2"],
    ]
    assert len(coupling.groups()) == 12  # plus each block's inner conv1, alone


def test_concat_lays_spaces_side_by_side():
    graph = archdsl.check("specs/densenet121.arch").graph
    coupling = couple(graph)
    ops = dict(graph.ops())
    concat = ops["features.denseblock1.denselayer2.(concat)"]
    layout = coupling.spaces_of(concat.id)
    # stem conv0, then the new maps of denselayer1 and denselayer2, each its own space
    assert [coupling.sizes[s] for s in layout] == [64, 32, 32]
    assert len(coupling.groups()) == 120  # conv0, every dense layer's two convs, the three transitions


def test_fixed_spaces_say_why():
    coupling = couple(archdsl.check("specs/shufflenet_v2.arch").graph)
    reasons = set(coupling.fixed.values())
    assert any("channel_shuffle" in reason and "moves channels" in reason for reason in reasons)
    assert any("the network's output" == reason for reason in reasons)
    vgg = couple(archdsl.check("specs/vgg11.arch").graph)
    assert any("flattens 512x7x7" in reason for reason in vgg.fixed.values())


def test_grouped_conv_is_left_alone():
    spec = (
        "network g():\n    input 8x8x8\n    conv(16, 3, padding=1, groups=4)\n    relu\n    global_avgpool\n"
        "    flatten\n    linear(10)\n"
    )
    coupling = couple(archdsl.check(spec).graph)
    assert any("grouped conv (groups=4)" in reason for reason in coupling.fixed.values())
    assert coupling.groups() == {}


def _lively(model):
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.1)
    return model


def _prune(checked, weights, amount):
    coupling = couple(checked.graph)
    keep = choose(coupling, importance(checked.graph, coupling, weights), amount)
    small = archdsl.build(Checked(shrink_graph(checked.graph, coupling, keep), origin="pruned")).eval()
    small.load_state_dict(slice_weights(checked.graph, coupling, keep, weights), strict=True)
    return small, coupling, keep


NETS = ["resnet18", "densenet121", "mobilenet_v2", "se_resnet50"]


@pytest.mark.parametrize("spec", NETS)
def test_amount_zero_is_the_same_network(spec):
    torch.manual_seed(0)
    checked = archdsl.check(f"specs/{spec}.arch", input_shape=(3, 64, 64))
    model = _lively(archdsl.build(checked)).eval()
    small, _, _ = _prune(checked, model.state_dict(), 0.0)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(small(x), model(x))
    assert sum(p.numel() for p in small.parameters()) == checked.total_params


@pytest.mark.parametrize("spec", NETS)
def test_removing_dead_channels_changes_nothing(spec):
    """Zero the weakest third of every space's channels (the filters that make them, and the scale and
    shift of every batch norm they pass through), then prune exactly that third: nothing may change."""
    torch.manual_seed(0)
    checked = archdsl.check(f"specs/{spec}.arch", input_shape=(3, 64, 64))
    model = _lively(archdsl.build(checked)).eval()
    coupling = couple(checked.graph)
    weights = model.state_dict()
    keep = choose(coupling, importance(checked.graph, coupling, weights), 1 / 3)
    dead = {space: sorted(set(range(coupling.sizes[space])) - set(kept)) for space, kept in keep.items()}
    with torch.no_grad():
        for space, paths in coupling.groups().items():
            for path in paths:
                weights[f"{path}.weight"][dead[space]] = 0
                if f"{path}.bias" in weights:
                    weights[f"{path}.bias"][dead[space]] = 0
        for path, node in checked.graph.ops():
            if node.op == "batchnorm2d":
                offset, positions = 0, []
                for space in coupling.spaces_of(node.id):
                    positions += [offset + i for i in dead.get(space, [])]
                    offset += coupling.sizes[space]
                weights[f"{path}.weight"][positions] = 0
                weights[f"{path}.bias"][positions] = 0
    model.load_state_dict(weights)
    small, _, _ = _prune(checked, weights, 1 / 3)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert (small(x) - model(x)).abs().max().item() <= 1e-5
    assert sum(p.numel() for p in small.parameters()) < checked.total_params
