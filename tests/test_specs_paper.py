"""Specs with no library reference, checked against the numbers their papers print.

LeNet-5, the CIFAR Wide ResNets and the MLP exist in no torchvision/timm release, so their figures are
written here with their source. WRN-28-10's outputs are also compared with an independent PyTorch
implementation written from the paper and the authors' code (below), after copying the weights over.
"""

from __future__ import annotations

import pytest

import archdsl


def _shapes(checked) -> dict[str, tuple[int, ...]]:
    """Output shape of every named module and group, by dotted path."""
    out = {}
    for path, node in checked.graph.root.walk():
        if node.name is not None:
            out[path] = node.shape if node.kind == "op" else checked.graph.shape_of(node.output)
    return out


def _params(checked) -> dict[str, int]:
    """Parameters of every named module and group, by dotted path."""
    totals: dict[str, int] = {}
    for path, node in checked.graph.ops():
        parts = path.split(".")
        for depth in range(1, len(parts) + 1):
            key = ".".join(parts[:depth])
            totals[key] = totals.get(key, 0) + node.params
    return totals


# ----------------------------------------------------------------------------------------------
# LeNet-5: LeCun, Bottou, Bengio & Haffner, "Gradient-Based Learning Applied to Document Recognition",
# Proc. IEEE 86(11), 1998, Section II.B and Fig. 2.
# ----------------------------------------------------------------------------------------------


def test_lenet5_layer_sizes_follow_figure_2():
    checked = archdsl.check("specs/lenet5.arch")
    assert checked.input_shape == (1, 32, 32)  # "The input is a 32x32 pixel image"
    shapes = _shapes(checked)
    assert shapes["c1"] == (6, 28, 28)  # "six feature maps ... of size 28x28"
    assert shapes["s2"] == (6, 14, 14)  # "six feature maps of size 14x14"
    assert shapes["c3"] == (16, 10, 10)  # "16 feature maps ... 10x10"
    assert shapes["s4"] == (16, 5, 5)  # "16 feature maps of size 5x5"
    assert shapes["c5"] == (120, 1, 1)  # "120 feature maps ... size 1x1"
    assert shapes["f6"] == (84,)  # "F6, contains 84 units"
    assert checked.output_shape == (10,)  # ten digit classes


def test_lenet5_parameter_counts():
    params = _params(archdsl.check("specs/lenet5.arch"))
    # The paper's own counts for the layers we build as it describes them:
    assert params["c1"] == 156  # "C1 contains 156 trainable parameters"
    assert params["c5"] == 48_120  # "C5 ... has 48,120 trainable connections" (weights + biases)
    assert params["f6"] == 10_164  # "F6 ... has 10,164 trainable parameters"
    # C3 is fully connected here (the paper's Table I connects each map to 3-6 of S2's maps: 1,516
    # parameters): 16 maps x (6 x 5 x 5 + 1). The output layer is linear, 84 x 10 + 10.
    assert params["c3"] == 16 * (6 * 5 * 5 + 1) == 2_416
    assert params["output"] == 84 * 10 + 10
    assert sum(params[k] for k in ("c1", "c3", "c5", "f6", "output")) == 61_706
    assert archdsl.check("specs/lenet5.arch").total_params == 61_706


def test_lenet5_uses_tanh_and_average_pooling():
    ops = {node.op for _, node in archdsl.check("specs/lenet5.arch").graph.ops()}
    assert {"tanh", "avgpool2d"} <= ops and not {"relu", "maxpool2d"} & ops


# ----------------------------------------------------------------------------------------------
# Wide ResNets: Zagoruyko & Komodakis, "Wide Residual Networks", BMVC 2016 (arXiv:1605.07146).
# Table 1: conv1 16x32x32; conv2 16k x 32x32; conv3 32k x 16x16; conv4 64k x 8x8; N = (d - 4) / 6.
# Parameter counts from Table 4 (rounded to 0.1M there). WRN-28-10 exactly: 36,479,194
# (imgclsmob's wrn28_10_cifar10 reports the same).
# ----------------------------------------------------------------------------------------------


def test_wrn28_10_matches_table_1():
    checked = archdsl.check("specs/wrn28_10.arch")
    assert checked.input_shape == (3, 32, 32) and checked.output_shape == (10,)
    assert checked.total_params == 36_479_194
    shapes = _shapes(checked)
    assert shapes["conv1"] == (16, 32, 32)
    assert shapes["conv2"] == (160, 32, 32)
    assert shapes["conv3"] == (320, 16, 16)
    assert shapes["conv4"] == (640, 8, 8)
    groups = {item.name: item for item in checked.graph.root.items}
    assert [len(groups[g].items) for g in ("conv2", "conv3", "conv4")] == [4, 4, 4]  # N = (28 - 4) / 6
    dropouts = [node.attrs["p"] for _, node in checked.graph.ops() if node.op == "dropout"]
    assert dropouts == [0.3] * 12  # one dropout in each block, p = 0.3 as in the paper's experiments


# Table 4 of the paper: WRN-d-k and its parameter count in millions.
@pytest.mark.parametrize(
    "depth, widen, millions",
    [
        (40, 1, 0.6),
        (40, 2, 2.2),
        (40, 4, 8.9),
        (40, 8, 35.7),
        (28, 10, 36.5),
        (28, 12, 52.5),
        (22, 8, 17.2),
        (22, 10, 26.8),
        (16, 8, 11.0),
        (16, 10, 17.1),
    ],
)
def test_wide_resnet_family_parameter_counts(depth, widen, millions):
    checked = archdsl.check("specs/wrn28_10.arch", {"depth": depth, "widen": widen})
    assert round(checked.total_params / 1e6, 1) == millions


torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional


class _PaperWideBlock(nn.Module):
    """The paper's B(3,3) block, written independently of archdsl after the authors' code:
    BN-ReLU-conv3x3(stride)-BN-ReLU-dropout-conv3x3, plus the input, or a 1x1 projection of the
    pre-activated input when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int, drop: float):
        super().__init__()
        self.bn_a = nn.BatchNorm2d(cin)
        self.conv_a = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn_b = nn.BatchNorm2d(cout)
        self.conv_b = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.project = nn.Conv2d(cin, cout, 1, stride, bias=False) if (cin, stride) != (cout, 1) else None
        self.drop = drop

    def forward(self, x):
        o = F.relu(self.bn_a(x))
        y = self.conv_a(o)
        y = F.dropout(F.relu(self.bn_b(y)), self.drop, self.training)
        y = self.conv_b(y)
        return y + (x if self.project is None else self.project(o))


class _PaperWRN(nn.Module):
    def __init__(self, depth: int = 28, k: int = 10, drop: float = 0.3, classes: int = 10):
        super().__init__()
        n = (depth - 4) // 6
        self.stem = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        layers, cin = [], 16
        for width, stride in ((16 * k, 1), (32 * k, 2), (64 * k, 2)):
            for i in range(n):
                layers.append(_PaperWideBlock(cin, width, stride if i == 0 else 1, drop))
                cin = width
        self.blocks = nn.Sequential(*layers)
        self.bn = nn.BatchNorm2d(cin)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = F.relu(self.bn(self.blocks(self.stem(x))))
        return self.fc(F.avg_pool2d(x, 8).flatten(1))


def _copy_in_order(source: nn.Module, target: nn.Module) -> None:
    """Copy a state_dict entry by entry in registration order, checking every shape on the way."""
    src, dst = source.state_dict(), target.state_dict()
    assert len(src) == len(dst)
    for (name_s, value_s), (name_d, value_d) in zip(src.items(), dst.items()):
        assert value_s.shape == value_d.shape, (name_s, name_d)
    target.load_state_dict(dict(zip(dst.keys(), src.values())), strict=True)


def test_wrn28_10_equals_an_independent_implementation():
    torch.manual_seed(0)
    reference = _PaperWRN().eval()
    assert sum(p.numel() for p in reference.parameters()) == 36_479_194
    model = archdsl.build("specs/wrn28_10.arch").eval()
    _copy_in_order(reference, model)
    # Random BN statistics, so a wrong pre-activation order or shortcut source shows in the outputs.
    with torch.no_grad():
        for module in reference.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    _copy_in_order(reference, model)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        out, expected = model(x), reference(x)
    assert out.shape == (2, 10)
    assert (out - expected).abs().max().item() <= 1e-4 * expected.abs().max().item()


def test_wrn_dropout_is_active_only_in_training():
    model = archdsl.build("specs/wrn28_10.arch", {"depth": 10, "widen": 1})  # WRN-10-1: same blocks, fast
    x = torch.randn(2, 3, 32, 32)
    model.train()
    torch.manual_seed(1)
    first = model(x)
    torch.manual_seed(2)
    assert not torch.allclose(first, model(x))
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x), model(x))


# ----------------------------------------------------------------------------------------------
# MLP: sizes are parameters; count = sum over layers of (fan_in + 1) * fan_out.
# ----------------------------------------------------------------------------------------------


def _mlp_count(sizes: list[int]) -> int:
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


@pytest.mark.parametrize("hidden", [[512, 256], [100], [1024, 1024, 512]])
def test_mlp_sizes_follow_its_parameters(hidden):
    checked = archdsl.check("specs/mlp.arch", {"hidden": hidden})
    assert checked.input_shape == (1, 28, 28) and checked.output_shape == (10,)
    assert checked.total_params == _mlp_count([28 * 28, *hidden, 10])
    linears = [node.shape for _, node in checked.graph.ops() if node.op == "linear"]
    assert linears == [(h,) for h in [*hidden, 10]]


def test_mlp_defaults_and_factory_arguments(tmp_path):
    checked = archdsl.check("specs/mlp.arch")
    assert checked.total_params == _mlp_count([784, 512, 256, 10]) == 535_818
    assert [node.attrs["p"] for _, node in checked.graph.ops() if node.op == "dropout"] == [0.2, 0.2]
    model = archdsl.build("specs/mlp.arch", {"dropout": 0.5, "num_classes": 3})
    assert [m.p for m in model.modules() if isinstance(m, nn.Dropout)] == [0.5, 0.5]
    assert model(torch.randn(4, 1, 28, 28)).shape == (4, 3)


# ----------------------------------------------------------------------------------------------
# Options of the torchvision-matched specs that the parity rows (defaults only) do not reach.
# ----------------------------------------------------------------------------------------------


def test_densenet_drop_rate_drops_the_new_features_before_they_are_appended():
    checked = archdsl.check("specs/densenet121.arch", {"drop_rate": 0.2})
    ops = {node.id: node for _, node in checked.graph.ops()}
    concats = [node for node in ops.values() if node.op == "concat"]
    assert len(concats) == 6 + 12 + 24 + 16
    assert all(ops[node.inputs[1]].op == "dropout" and ops[node.inputs[1]].attrs["p"] == 0.2 for node in concats)
    assert checked.total_params == 7_978_856
    assert not any(node.op == "dropout" for _, node in archdsl.check("specs/densenet121.arch").graph.ops())


@pytest.mark.parametrize("spec", ["specs/alexnet.arch", "specs/vgg11.arch", "specs/googlenet.arch"])
def test_dropout_and_num_classes_are_factory_arguments_as_in_torchvision(spec):
    name = archdsl.check(spec).name
    factory = next(line for line in archdsl.emit(spec).splitlines() if line.startswith(f"def {name}("))
    assert "dropout: float = " in factory and "num_classes: int = 1000" in factory, factory
    model = archdsl.build(spec, device="meta")
    assert any(isinstance(m, nn.Dropout) for m in model.modules())
