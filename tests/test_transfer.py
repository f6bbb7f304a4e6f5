"""archdsl.transfer_weights: weights copied by structural order between models whose names differ, or a
clear error naming the first tensor that does not fit, with nothing copied."""

from __future__ import annotations

from collections import OrderedDict

import pytest

import archdsl

torch = pytest.importorskip("torch")
nn = torch.nn

SPEC = """
network tiny(num_classes=10):
    input 3x16x16
    stem: conv(8, 3, padding=1, bias=false) -> batchnorm -> relu
    head: global_avgpool -> flatten -> linear(num_classes)
"""


def _reference(conv_bias: bool = False, extra: bool = False) -> nn.Module:
    """The same network as SPEC, hand-written with other names."""
    layers = OrderedDict(
        [
            ("features_conv", nn.Conv2d(3, 8, 3, padding=1, bias=conv_bias)),
            ("features_norm", nn.BatchNorm2d(8)),
            ("act", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flat", nn.Flatten()),
            ("classifier", nn.Linear(8, 10)),
        ]
    )
    if extra:
        layers["extra"] = nn.Linear(10, 10)
    model = nn.Sequential(layers)
    with torch.no_grad():
        model.features_norm.running_mean.normal_()
        model.features_norm.running_var.uniform_(0.5, 1.5)
        model.features_norm.weight.uniform_(0.5, 1.5)
    return model.eval()


def _snapshot(model) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_copies_parameters_and_buffers_by_order():
    torch.manual_seed(0)
    source, target = _reference(), archdsl.build(SPEC).eval()
    pairs = archdsl.transfer_weights(source, target)
    assert pairs[0] == ("features_conv.weight", "stem.0.weight")
    assert ("features_norm.running_var", "stem.1.running_var") in pairs
    assert pairs[-1] == ("classifier.bias", "head.2.bias")
    assert len(pairs) == len(source.state_dict()) == len(target.state_dict())
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        assert torch.equal(target(x), source(x))


def test_a_shape_mismatch_names_both_tensors_and_copies_nothing():
    source, target = _reference(), archdsl.build(SPEC, {"num_classes": 7})
    before = _snapshot(target)
    with pytest.raises(archdsl.WeightTransferError) as info:
        archdsl.transfer_weights(source, target)
    message = str(info.value)
    assert "`classifier.weight` [10, 8]" in message and "`head.2.weight` [7, 8]" in message
    assert "shapes differ" in message and "nothing was copied" in message
    assert all(torch.equal(before[k], v) for k, v in target.state_dict().items())


def test_tensors_of_the_same_shape_but_another_kind_do_not_pair():
    # With a conv bias in the source, its `bias` [8] would land on the batchnorm's `weight` [8].
    source, target = _reference(conv_bias=True), archdsl.build(SPEC)
    before = _snapshot(target)
    with pytest.raises(archdsl.WeightTransferError) as info:
        archdsl.transfer_weights(source, target)
    message = str(info.value)
    assert "tensor #2" in message and "a `bias` against a `weight`" in message
    assert "`features_conv.bias` [8]" in message and "`stem.1.weight` [8]" in message
    assert all(torch.equal(before[k], v) for k, v in target.state_dict().items())


def test_a_parameter_never_lands_on_a_buffer():
    source = nn.Sequential(OrderedDict([("scale", nn.Linear(4, 4, bias=False))]))
    target = nn.Module()
    target.register_buffer("weight", torch.zeros(4, 4))
    with pytest.raises(archdsl.WeightTransferError, match="one is a parameter, the other a buffer"):
        archdsl.transfer_weights(source, target)


def test_extra_tensors_on_either_side_are_an_error():
    source, target = _reference(extra=True), archdsl.build(SPEC)
    before = _snapshot(target)
    with pytest.raises(archdsl.WeightTransferError) as info:
        archdsl.transfer_weights(source, target)
    assert "the source has 10 tensors and the destination 8" in str(info.value)
    assert "`extra.weight` [10, 10]" in str(info.value)
    assert all(torch.equal(before[k], v) for k, v in target.state_dict().items())
    with pytest.raises(archdsl.WeightTransferError, match="the destination's `extra.weight`"):
        archdsl.transfer_weights(archdsl.build(SPEC), _reference(extra=True))
