"""GoogLeNet's and Inception v3's auxiliary heads and input transform (issue 12), as options of their
specs, at strict parity with torchvision's training-mode outputs.

In training mode both sides run the same computation in the same order: BatchNorm normalises with the
batch's statistics, and every dropout (the aux heads' and the main one, at torchvision's default rates)
draws its mask from the global generator in the order torchvision's forward runs them, so reseeding
before each forward makes the masks identical. A head in the wrong place, a dropout missing or moved,
or the outputs in another order would change the named tuple's values."""

from __future__ import annotations

import pytest

import archdsl

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

from test_parity import _count, _randomize_norms  # noqa: E402

OPTIONS = {"aux_logits": True, "transform_input": True}

# (spec, torchvision constructor, input size, the named tuple's fields in torchvision's order)
CASES = [
    ("googlenet", "googlenet", 224, ("logits", "aux_logits2", "aux_logits1")),
    pytest.param("inception_v3", "inception_v3", 299, ("logits", "aux_logits"), marks=pytest.mark.slow),  # ~12 s
]


def _close(out, expected) -> bool:
    return (out - expected).abs().max().item() <= 1e-5 * max(1.0, expected.abs().max().item())


@pytest.mark.parametrize("spec, reference, size, fields", CASES, ids=["googlenet", "inception_v3"])
def test_training_mode_outputs_equal_torchvision(spec, reference, size, fields):
    path = f"specs/{spec}.arch"
    checked = archdsl.check(path, params=OPTIONS)
    torch.manual_seed(0)
    ref = getattr(torchvision.models, reference)(init_weights=True, **OPTIONS)
    torch.manual_seed(0)
    model = archdsl.build(path, params=OPTIONS)
    assert _count(model) == _count(ref) == checked.total_params
    # The heads are made in torchvision's order and initialised as it does them (Inception3's aux fc
    # with its own std), so one seed gives the same initial weights, tensor for tensor.
    ours, theirs = model.state_dict(), ref.state_dict()
    assert list(ours) == list(theirs) and all(torch.equal(ours[key], theirs[key]) for key in theirs)
    _randomize_norms(ref)
    model.load_state_dict(ref.state_dict(), strict=True)
    assert list(checked.output_shapes) == list(fields)
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        model.train(), ref.train()
        torch.manual_seed(1)
        out = model(x)
        torch.manual_seed(1)
        expected = ref(x)
        assert out._fields == expected._fields == fields
        for name in fields:
            assert _close(getattr(out, name), getattr(expected, name)), name
        # In eval mode both return the main output alone, with the running statistics.
        model.eval(), ref.eval()
        out, expected = model(x), ref(x)
        assert isinstance(out, torch.Tensor) and _close(out, expected)


def test_the_default_specs_have_no_heads():
    """torchvision's default is aux_logits=True; the specs keep one output unless asked (their parity rows)."""
    for spec in ("googlenet", "inception_v3"):
        checked = archdsl.check(f"specs/{spec}.arch")
        assert checked.graph.outputs == {} and not any(
            path.startswith(("aux", "AuxLogits")) for path, _ in checked.graph.ops()
        )
