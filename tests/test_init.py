"""A spec's `init` table: its IR rules, its errors, and built models whose initial weights are drawn as
torchvision's constructors draw them (same distribution per layer; with one seed, the very same numbers,
since both build the same modules in the same order and then run the same init loop)."""

from __future__ import annotations

from pathlib import Path

import pytest

import archdsl
from archdsl.errors import ArchError
from archdsl.ir.nodes import Graph, InitRule

SPECS = Path(__file__).parent.parent / "specs"

TINY = """
init = [
    [conv, "weight", kaiming_normal(mode="fan_out", nonlinearity="relu")],
    [batchnorm, "weight", ones],
    [batchnorm, "bias", zeros],
    ["fc", "weight", normal(std=0.01)],
    [linear, "bias", constant(0.5)],
]
network Tiny(num_classes=10):
    input 3x8x8
    conv(16, 3, bias=false) -> batchnorm -> relu -> global_avgpool -> flatten
    fc: linear(num_classes)
"""


def test_init_table_becomes_rules_in_the_graph_and_round_trips_through_json():
    graph = archdsl.check(TINY).graph
    assert graph.init[0] == InitRule(
        kind="op",
        target="conv2d",
        tensor="weight",
        init="kaiming_normal",
        args={"mode": "fan_out", "nonlinearity": "relu"},
    )
    assert graph.init[3] == InitRule(kind="module", target="fc", tensor="weight", init="normal", args={"std": 0.01})
    assert Graph.model_validate_json(graph.model_dump_json()).init == graph.init


def test_emitted_source_writes_torchvisions_loop():
    source = archdsl.emit(archdsl.check(TINY))
    assert 'nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")' in source
    assert "elif isinstance(m, nn.BatchNorm2d):" in source
    assert "nn.init.constant_(m.bias, val=0.5)" in source


def test_built_model_applies_the_table():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = archdsl.build(TINY)
    assert torch.equal(model.batchnorm2d.weight, torch.ones(16))
    assert torch.equal(model.fc.bias, torch.full((10,), 0.5))
    assert abs(model.fc.weight.std().item() - 0.01) < 0.003
    conv_std = (2 / (16 * 9)) ** 0.5  # Kaiming normal, fan_out = out channels x kernel area, gain sqrt(2)
    assert abs(model.conv2d.weight.std().item() - conv_std) < 0.15 * conv_std


@pytest.mark.parametrize(
    ("row", "message", "line"),
    [
        ('[conv, "weights", zeros]', 'tensor "weights" is not "weight" or "bias"', 3),
        ('[conv, "weight", 3]', "3 is an integer, not an initialiser", 3),
        ('["head", "weight", zeros]', "no op module `head`", 3),
        ('[relu, "weight", zeros]', "`relu` has no weights to initialise", 3),
    ],
)
def test_a_wrong_row_is_an_error_at_the_table(row, message, line):
    spec = f"# a table\n\ninit = [{row}]\n\nnetwork N():\n    input 3x8x8\n    conv(4, 3)\n"
    with pytest.raises(ArchError) as info:
        archdsl.check(spec)
    assert message in info.value.message
    assert (info.value.span.line, info.value.span.col) == (line, 1)


def test_module_rows_zero_the_last_batchnorm_of_chosen_residual_branches():
    # torchvision's zero_init_residual=True, written as one row per block
    torch = pytest.importorskip("torch")
    family = (SPECS / "families" / "resnet.arch").as_posix()
    spec = f"""import "{family}"

network N():
    input 3x32x32
    conv1: conv(64, 3, padding=1, bias=false)
    layer1: BasicBlock(64) x 2
    init = [[batchnorm, "weight", ones], ["layer1.1.bn2", "weight", zeros]]
"""
    model = archdsl.build(spec)
    assert torch.equal(model.layer1[1].bn2.weight, torch.zeros(64))
    assert torch.equal(model.layer1[0].bn2.weight, torch.ones(64))


def test_a_wrong_initialiser_argument_is_an_error_at_the_call():
    spec = 'init = [[conv, "weight", kaiming_normal(mode="fan_up")]]\nnetwork N():\n    input 3x8x8\n    conv(4, 3)\n'
    with pytest.raises(ArchError) as info:
        archdsl.check(spec)
    assert "mode must be one of fan_in, fan_out" in info.value.message
    assert (info.value.span.line, info.value.span.col) == (1, 26)


# spec, torchvision constructor, its keyword arguments
MODELS = [
    ("resnet50", "resnet50", {}),
    ("densenet121", "densenet121", {}),
    ("mobilenet_v2", "mobilenet_v2", {}),
    ("efficientnet_b0", "efficientnet_b0", {}),
    pytest.param("vgg16_bn", "vgg16_bn", {}, marks=pytest.mark.slow),  # 138M weights drawn twice: ~11 s
    ("googlenet", "googlenet", {"init_weights": True, "aux_logits": False}),
    ("squeezenet1_0", "squeezenet1_0", {}),
    ("mobilenet_v3_large", "mobilenet_v3_large", {}),
    ("mnasnet1_0", "mnasnet1_0", {}),
]


def _mismatches(ours: dict, theirs: dict) -> list[str]:
    """The tensors of `ours` not drawn from the distribution of `theirs`: constants (BatchNorm 1/0, zero
    biases) must be equal, random tensors must have the same mean and spread within sampling error."""
    import torch

    wrong = []
    for key, mine in ours.items():
        other = theirs[key]
        if not mine.is_floating_point() or mine.numel() == 1:
            continue
        if torch.all(other == other.flatten()[0]):
            if not torch.equal(mine, other):
                wrong.append(key)
            continue
        scale, size = other.std().item(), mine.numel()
        mean_off = abs(mine.mean().item() - other.mean().item()) > 6 * scale / size**0.5 + 1e-12
        spread_off = abs(mine.std().item() - scale) > max(10 * scale / size**0.5, 0.02 * scale)
        if mean_off or spread_off:
            wrong.append(key)
    return wrong


def _torchvision(reference: str, kwargs: dict, seed: int) -> dict:
    import torch
    import torchvision

    torch.manual_seed(seed)
    return getattr(torchvision.models, reference)(**kwargs).state_dict()


def _ours(spec, seed: int) -> dict:
    import torch

    torch.manual_seed(seed)
    return archdsl.build(spec).state_dict()


@pytest.mark.parametrize(("spec", "reference", "kwargs"), MODELS)
def test_initial_weights_are_drawn_as_torchvisions(spec, reference, kwargs):
    pytest.importorskip("torchvision")
    ours = _ours(SPECS / f"{spec}.arch", 0)
    theirs = _torchvision(reference, kwargs, 1)  # another seed: a match in distribution, not in numbers
    assert list(ours) == list(theirs)
    assert _mismatches(ours, theirs) == []


@pytest.mark.parametrize(("spec", "reference", "kwargs"), [MODELS[2], MODELS[3], MODELS[6]], ids=lambda m: str(m))
def test_one_seed_gives_torchvisions_very_numbers(spec, reference, kwargs):
    # the same modules built in the same order, then the same init loop: the same random stream
    import torch

    pytest.importorskip("torchvision")
    ours, theirs = _ours(SPECS / f"{spec}.arch", 0), _torchvision(reference, kwargs, 0)
    assert all(torch.equal(ours[key], theirs[key]) for key in theirs)


def test_the_comparison_fails_without_the_table():
    pytest.importorskip("torchvision")
    text = (SPECS / "families" / "resnet.arch").read_text().replace("init = [", "_unused_init = [")
    spec = text + "\nnetwork resnet18_plain = ResNet(block=BasicBlock, layers=[2, 2, 2, 2])\n"
    ours = _ours(archdsl.check(spec, network="resnet18_plain"), 0)
    wrong = _mismatches(ours, _torchvision("resnet18", {}, 1))
    # PyTorch's default init differs for every conv and BatchNorm; the fc keeps its default in both
    assert "conv1.weight" in wrong and "layer4.1.conv2.weight" in wrong and "bn1.weight" not in wrong
    assert "fc.weight" not in wrong


def test_the_writer_keeps_the_table_so_written_specs_initialise_alike():
    from archdsl.writer.spec import write_spec

    graph = archdsl.check(SPECS / "squeezenet1_0.arch").graph
    text = write_spec(graph)
    assert 'init = [[conv2d, "weight", kaiming_uniform], ["classifier.1", "weight", normal(std=0.01)]' in text
    assert archdsl.check(text).graph.init == graph.init
