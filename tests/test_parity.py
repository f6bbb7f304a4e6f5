"""Reference parity: every spec with a torchvision or timm counterpart has the same parameter count,
loads the reference's state_dict strictly (where names allow), and gives the same outputs.

One table drives every check. Inputs are random (no weights are downloaded)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

import archdsl

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
timm = pytest.importorskip("timm")


def _lively(model):
    """Redraw a reference's conv weights (He init) and give its batch norms random statistics and affine
    parameters, so that its output depends on every layer. Without this some references compare nothing:
    googlenet(init_weights=True) draws weights with std 0.01, which shrinks activations to ~1e-10, so
    its output is `fc.bias` for any input; and freshly made batch norms are near-identities, so a
    misplaced BN or a wrong eps (GoogLeNet's is 0.001) would not show."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            elif isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    return model


# (spec, reference constructor, input shape, strict state_dict names)
PARITY = [
    ("specs/resnet18.arch", lambda: torchvision.models.resnet18(), (3, 224, 224), True),
    ("specs/resnet34.arch", lambda: torchvision.models.resnet34(), (3, 224, 224), True),
    ("specs/resnet50.arch", lambda: torchvision.models.resnet50(), (3, 224, 224), True),
    ("specs/resnet101.arch", lambda: torchvision.models.resnet101(), (3, 224, 224), True),
    ("specs/resnet152.arch", lambda: torchvision.models.resnet152(), (3, 224, 224), True),
    ("specs/resnet18.yaml", lambda: torchvision.models.resnet18(), (3, 224, 224), True),
    # ResNets keep their own init: their outputs already depend on the input (~1e2), and He init on
    # un-normalised residual sums would grow them to ~1e4, where 1e-5 is below float32's resolution.
    ("specs/wide_resnet50_2.arch", lambda: torchvision.models.wide_resnet50_2(), (3, 224, 224), True),
    ("specs/alexnet.arch", lambda: _lively(torchvision.models.alexnet()), (3, 224, 224), True),
    ("specs/vgg11.arch", lambda: _lively(torchvision.models.vgg11()), (3, 224, 224), True),
    ("specs/vgg13.arch", lambda: _lively(torchvision.models.vgg13()), (3, 224, 224), True),
    ("specs/vgg16.arch", lambda: _lively(torchvision.models.vgg16()), (3, 224, 224), True),
    ("specs/vgg19.arch", lambda: _lively(torchvision.models.vgg19()), (3, 224, 224), True),
    ("specs/vgg11_bn.arch", lambda: _lively(torchvision.models.vgg11_bn()), (3, 224, 224), True),
    ("specs/vgg13_bn.arch", lambda: _lively(torchvision.models.vgg13_bn()), (3, 224, 224), True),
    ("specs/vgg16_bn.arch", lambda: _lively(torchvision.models.vgg16_bn()), (3, 224, 224), True),
    ("specs/vgg19_bn.arch", lambda: _lively(torchvision.models.vgg19_bn()), (3, 224, 224), True),
    (
        "specs/googlenet.arch",
        lambda: _lively(torchvision.models.googlenet(aux_logits=False, init_weights=True)),
        (3, 224, 224),
        True,
    ),
    ("specs/densenet121.arch", lambda: _lively(torchvision.models.densenet121()), (3, 224, 224), True),
    ("specs/densenet169.arch", lambda: _lively(torchvision.models.densenet169()), (3, 224, 224), True),
    ("specs/densenet201.arch", lambda: _lively(torchvision.models.densenet201()), (3, 224, 224), True),
    # Mobile and efficient networks. The timm rows use timm's own module names, so they load strictly;
    # timm's MobileNetV2 names differ from torchvision's (which the spec uses): it loads by order.
    ("specs/mobilenet_v1.arch", lambda: timm.create_model("mobilenetv1_100"), (3, 224, 224), True),
    ("specs/mobilenet_v2.arch", lambda: torchvision.models.mobilenet_v2(), (3, 224, 224), True),
    ("specs/mobilenet_v2.arch", lambda: timm.create_model("mobilenetv2_100"), (3, 224, 224), False),
    ("specs/shufflenet_v2.arch", lambda: torchvision.models.shufflenet_v2_x1_0(), (3, 224, 224), True),
    ("specs/xception.arch", lambda: timm.create_model("legacy_xception"), (3, 299, 299), True),
    ("specs/se_resnet50.arch", lambda: timm.create_model("legacy_seresnet50"), (3, 224, 224), True),
    ("specs/efficientnet_b0.arch", lambda: torchvision.models.efficientnet_b0(), (3, 224, 224), True),
    ("specs/efficientnet_b1.arch", lambda: torchvision.models.efficientnet_b1(), (3, 240, 240), True),
    ("specs/efficientnet_b2.arch", lambda: torchvision.models.efficientnet_b2(), (3, 260, 260), True),
]

# Too big to run on CPU in CI (B7 is 38 GMACs at 600x600): parameter count, every weighted layer's
# configuration (repr: channels, kernel, stride, groups, BN eps and momentum) and the output shape,
# all on the meta device, where nothing is allocated or computed.
STRUCTURE = [
    ("specs/efficientnet_b3.arch", lambda: torchvision.models.efficientnet_b3(), (3, 300, 300)),
    ("specs/efficientnet_b4.arch", lambda: torchvision.models.efficientnet_b4(), (3, 380, 380)),
    ("specs/efficientnet_b5.arch", lambda: torchvision.models.efficientnet_b5(), (3, 456, 456)),
    ("specs/efficientnet_b6.arch", lambda: torchvision.models.efficientnet_b6(), (3, 528, 528)),
    ("specs/efficientnet_b7.arch", lambda: torchvision.models.efficientnet_b7(), (3, 600, 600)),
]


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def _randomize_norms(model) -> None:
    """Give every norm layer its own scale, shift and running statistics. Freshly initialised ones are
    all the identity, so a swapped or misconfigured norm (eps, momentum) would go unnoticed."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._NormBase) and module.affine:
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0.0, 0.1)
            if isinstance(module, torch.nn.modules.batchnorm._NormBase) and module.track_running_stats:
                module.running_mean.normal_(0.0, 0.1)
                module.running_var.uniform_(0.5, 1.5)


@pytest.fixture(scope="module")
def emitted_modules(tmp_path_factory):
    """Each spec's emitted .py file, imported from disk (the factory must pass the same checks)."""
    directory = tmp_path_factory.mktemp("emitted")
    cache = {}

    def load(spec):
        if spec not in cache:
            checked = archdsl.check(spec)
            path = directory / f"{checked.name}_{len(cache)}.py"
            path.write_text(archdsl.emit(checked))
            module_spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[path.stem] = module
            module_spec.loader.exec_module(module)
            cache[spec] = getattr(module, checked.name)
        return cache[spec]

    return load


@pytest.mark.parametrize(
    "spec, reference, shape, strict",
    PARITY,
    ids=[row[0].split("/")[-1] + ("" if row[3] else "-by-order") for row in PARITY],
)
@pytest.mark.parametrize("kind", ["build", "emitted"])
def test_parity(spec, reference, shape, strict, kind, emitted_modules):
    torch.manual_seed(0)
    ref = reference().eval()
    _randomize_norms(ref)
    model = (archdsl.build(spec) if kind == "build" else emitted_modules(spec)()).eval()
    checked = archdsl.check(spec)
    assert _count(model) == _count(ref) == checked.total_params
    if strict:
        model.load_state_dict(ref.state_dict(), strict=True)
    else:
        archdsl.transfer_weights(ref, model)
    x = torch.randn(2, *shape)
    with torch.no_grad():
        out, expected = model(x), ref(x)
    assert tuple(out.shape[1:]) == checked.output_shape == tuple(expected.shape[1:])
    assert (out - expected).abs().max().item() <= 1e-5


def _weighted_layers(model) -> dict[str, str]:
    return {
        name: repr(module)
        for name, module in model.named_modules()
        if next(module.parameters(recurse=False), None) is not None
    }


@pytest.mark.parametrize("spec, reference, shape", STRUCTURE, ids=[row[0].split("/")[-1] for row in STRUCTURE])
@pytest.mark.parametrize("kind", ["build", "emitted"])
def test_structure_on_meta(spec, reference, shape, kind, emitted_modules):
    with torch.device("meta"):
        ref = reference().eval()
        model = (archdsl.build(spec) if kind == "build" else emitted_modules(spec)()).eval()
    checked = archdsl.check(spec)
    assert _count(model) == _count(ref) == checked.total_params
    assert {k: v.shape for k, v in model.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}
    assert _weighted_layers(model) == _weighted_layers(ref)
    x = torch.empty(1, *shape, device="meta")
    assert tuple(model(x).shape[1:]) == checked.output_shape == tuple(ref(x).shape[1:])


def test_specs_page_is_current():
    """docs/specs.md is generated from the specs (scripts/specs_table.py); it must match them."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "scripts/specs_table.py", "--check"], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
