"""Built models behave like hand-written ones: inferred shapes are the real shapes, torch.compile with
fullgraph=True and torch.export both work."""

from __future__ import annotations

import pytest

import archdsl

from conftest import spec_files, spec_ids

torch = pytest.importorskip("torch")


def _module_shapes(checked) -> dict[str, tuple[int, ...]]:
    """Inferred output shape of every module the spec names (block outputs and layers)."""
    shapes = {}
    for path, node in checked.graph.root.walk():
        if node.name is None:
            continue
        if node.kind == "op":
            shapes[path] = node.shape
        else:
            shapes[path] = checked.graph.shape_of(node.output)
    return shapes


# Inputs larger than this (EfficientNet B4-B7, 380 to 600 px) run on the meta device: torch derives every
# shape with the same rules as on the CPU but skips the arithmetic, which for B7 alone takes 10-20 s on two
# cores. Their outputs are compared with torchvision's in tests/test_parity.py up to B2.
META_ABOVE_PIXELS = 320 * 320
# Likewise models with more parameters than this (RegNetY-128GF: 644 M, 25 s on the CPU, mostly initialising).
META_ABOVE_PARAMS = 100_000_000


@pytest.mark.parametrize("path", spec_files(), ids=spec_ids(spec_files()))
def test_every_named_module_has_the_inferred_shape(path):
    checked = archdsl.check(path)
    pixels = checked.input_shape[1] * checked.input_shape[2] if len(checked.input_shape) == 3 else 0
    device = "meta" if pixels > META_ABOVE_PIXELS or checked.total_params > META_ABOVE_PARAMS else "cpu"
    model = archdsl.build(checked, device=device).eval()
    expected = _module_shapes(checked)
    seen: dict[str, tuple[int, ...]] = {}
    hooks = [
        module.register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(name, tuple(o.shape[1:])))
        for name, module in model.named_modules()
        if name in expected
    ]
    with torch.no_grad():
        out = model(torch.randn(1, *checked.input_shape, device=device))
    for hook in hooks:
        hook.remove()
    assert tuple(out.shape[1:]) == checked.output_shape
    modules = {name for name, _ in model.named_modules() if name}
    missing = {name for name in expected if name in modules} - set(seen)
    assert not missing, f"modules never called: {sorted(missing)[:5]}"
    wrong = {name: (seen[name], expected[name]) for name in seen if seen[name] != expected[name]}
    assert not wrong, f"actual vs inferred: {dict(list(wrong.items())[:5])}"
    assert sum(p.numel() for p in model.parameters()) == checked.total_params


def test_torch_compile_fullgraph():
    model = archdsl.build("specs/resnet18.arch", params={"num_classes": 10}).eval()
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(compiled(x), model(x), atol=1e-5)


def test_torch_compile_inductor_on_a_small_network():
    spec = (
        "network tiny():\n    input 3x32x32\n    a = conv(8, 3, padding=1) -> batchnorm -> relu\n"
        "    b = in -> conv(8, 1)\n    add(a, b) -> relu -> global_avgpool -> flatten -> linear(10)\n"
    )
    model = archdsl.build(spec).eval()
    compiled = torch.compile(model, fullgraph=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(compiled(x), model(x), atol=1e-5)


def test_torch_export():
    model = archdsl.build("specs/resnet18.arch").eval()
    x = torch.randn(1, 3, 224, 224)
    exported = torch.export.export(model, (x,))
    with torch.no_grad():
        assert torch.allclose(exported.module()(x), model(x), atol=1e-5)


@pytest.mark.parametrize(
    "spec, reference",
    [
        ("specs/resnet18.arch", "resnet18"),
        ("specs/mobilenet_v2.arch", "mobilenet_v2"),
        ("specs/efficientnet_b0.arch", "efficientnet_b0"),
        ("specs/densenet121.arch", "densenet121"),
    ],
)
def test_training_gradients_match_the_reference(spec, reference):
    """The generated code works in place where torchvision does (`+=`, ReLU(inplace=True)); autograd
    must still see every value it saved, and training must give the reference's gradients."""
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    ref = getattr(torchvision.models, reference)()
    model = archdsl.build(spec)
    model.load_state_dict(ref.state_dict(), strict=True)
    for net in (ref, model):  # random masks would differ between two models; switch them off
        for module in net.modules():
            if hasattr(module, "p") and isinstance(module.p, float):
                module.p = 0.0
        net.train()
    x = torch.randn(2, 3, 96, 96)
    for net in (ref, model):
        net(x).square().mean().backward()
    ours = dict(model.named_parameters())
    for name, param in ref.named_parameters():
        assert torch.allclose(ours[name].grad, param.grad, rtol=1e-4, atol=1e-6), name
