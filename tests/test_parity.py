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
    ("specs/googlenet.arch", lambda: _lively(torchvision.models.googlenet(aux_logits=False, init_weights=True)), (3, 224, 224), True),
    ("specs/densenet121.arch", lambda: _lively(torchvision.models.densenet121()), (3, 224, 224), True),
    ("specs/densenet169.arch", lambda: _lively(torchvision.models.densenet169()), (3, 224, 224), True),
    ("specs/densenet201.arch", lambda: _lively(torchvision.models.densenet201()), (3, 224, 224), True),
]


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


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


@pytest.mark.parametrize("spec, reference, shape, strict", PARITY, ids=[row[0].split("/")[-1] for row in PARITY])
@pytest.mark.parametrize("kind", ["build", "emitted"])
def test_parity(spec, reference, shape, strict, kind, emitted_modules):
    torch.manual_seed(0)
    ref = reference().eval()
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
