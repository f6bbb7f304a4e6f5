"""`summary`'s figures against the references: parameter totals against the built torch model, MACs
against fvcore on the torchvision/timm reference at the same input, torchvision's published "GFLOPS"
(its `_ops` weight metadata), and the depths the architectures are named after.

Specs other branches are still writing fail here with a clear "no spec" message until they land."""

from __future__ import annotations

import warnings

import pytest

import archdsl
from archdsl.ops.registry import get_op

from conftest import SPECS, spec_files, spec_ids

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
tv = torchvision.models


def find_spec(*stems: str):
    """The spec for a reference, under the first of its usual file names that exists."""
    for stem in stems:
        for ext in (".arch", ".yaml"):
            if (SPECS / f"{stem}{ext}").exists():
                return f"specs/{stem}{ext}"
    pytest.fail(f"no spec for {stems[0]}: expected specs/{stems[0]}.arch")


# -- parameters: every spec against its torch model ---------------------------------------------------


@pytest.mark.parametrize("path", spec_files(), ids=spec_ids(spec_files()))
def test_param_total_equals_the_torch_models_numel(path):
    """Built on the meta device (no weight memory), so even VGG costs nothing but the build."""
    s = archdsl.summary(path, depth=0)
    model = archdsl.build(path, device="meta")
    assert s.totals.params == sum(p.numel() for p in model.parameters())
    assert s.totals.trainable_params == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert s.totals.buffers == sum(b.numel() for b in model.buffers())


# -- depth ----------------------------------------------------------------------------------------------

DEPTHS = [
    (("resnet18",), 18),
    (("resnet34",), 34),
    (("resnet50",), 50),
    (("resnet101",), 101),
    (("resnet152",), 152),
    (("vgg11",), 11),
    (("vgg16",), 16),
    (("vgg19",), 19),
    (("alexnet",), 8),
    (("densenet121",), 121),
    (("densenet169",), 169),
    (("densenet201",), 201),
    (("googlenet",), 22),
    (("mobilenet_v2", "mobilenetv2"), 53),
    (("lenet5", "lenet"), 5),
]


@pytest.mark.parametrize("stems, depth", DEPTHS, ids=[d[0][0] for d in DEPTHS])
def test_depth_matches_the_architectures_name(stems, depth):
    assert archdsl.summary(find_spec(*stems), depth=0).totals.depth == depth


# -- MACs against fvcore --------------------------------------------------------------------------------


def _timm(name: str):
    def make():
        timm = pytest.importorskip("timm")
        return timm.create_model(name)

    return make


# EfficientNet-B6 and -B7 (528 and 600 px) cost fvcore about 10 and 20 s each to trace on one core,
# as much as all the other references together; marked slow (`-m "not slow"` leaves them out locally),
# but CI runs them: the issue asks for the check on every reference.
SLOW = [pytest.mark.slow]

# (spec file names, reference constructor, torchvision weights enum for the `_ops` check or None)
REFERENCES = [
    (("alexnet",), tv.alexnet, "AlexNet_Weights"),
    (("vgg11",), tv.vgg11, "VGG11_Weights"),
    (("vgg16",), tv.vgg16, "VGG16_Weights"),
    (("vgg19",), tv.vgg19, "VGG19_Weights"),
    (("vgg16_bn",), tv.vgg16_bn, "VGG16_BN_Weights"),
    (("resnet18",), tv.resnet18, "ResNet18_Weights"),
    (("resnet34",), tv.resnet34, "ResNet34_Weights"),
    (("resnet50",), tv.resnet50, "ResNet50_Weights"),
    (("resnet101",), tv.resnet101, "ResNet101_Weights"),
    (("resnet152",), tv.resnet152, "ResNet152_Weights"),
    (("wide_resnet50_2",), tv.wide_resnet50_2, "Wide_ResNet50_2_Weights"),
    (("densenet121",), tv.densenet121, "DenseNet121_Weights"),
    (("densenet169",), tv.densenet169, "DenseNet169_Weights"),
    (("densenet201",), tv.densenet201, "DenseNet201_Weights"),
    (("googlenet",), lambda: tv.googlenet(aux_logits=False, init_weights=True), "GoogLeNet_Weights"),
    (("mobilenet_v2", "mobilenetv2"), tv.mobilenet_v2, "MobileNet_V2_Weights"),
    (("shufflenet_v2", "shufflenet_v2_x1_0"), tv.shufflenet_v2_x1_0, "ShuffleNet_V2_X1_0_Weights"),
    *[((f"efficientnet_b{i}",), getattr(tv, f"efficientnet_b{i}"), f"EfficientNet_B{i}_Weights") for i in range(6)],
    *[
        pytest.param(
            (f"efficientnet_b{i}",),
            getattr(tv, f"efficientnet_b{i}"),
            f"EfficientNet_B{i}_Weights",
            marks=SLOW,
            id=f"efficientnet_b{i}",
        )
        for i in (6, 7)
    ],
    (("xception", "legacy_xception"), _timm("legacy_xception"), None),
    (("se_resnet50", "seresnet50", "legacy_seresnet50"), _timm("legacy_seresnet50"), None),
    (("mobilenet_v1", "mobilenetv1_100"), _timm("mobilenetv1_100"), None),
]
REF_IDS = [getattr(r, "id", None) or r[0][0] for r in REFERENCES]


@pytest.fixture
def one_thread():
    """fvcore runs a real forward pass: one thread is faster on a busy 2-core machine than two
    competing for it (measured 1.2 s vs 3-12 s for ResNet-152), and no slower when it is idle."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def fvcore_counts(model, input_shape) -> tuple[int, dict[str, int]]:
    """fvcore's total and per-operator counts for one image, in eval mode."""
    from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(model.eval(), torch.zeros(1, *input_shape))
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return int(analysis.total()), dict(analysis.by_operator())


def fvcore_convention_extras(graph) -> int:
    """What fvcore adds to conv+linear MACs, from our IR: batchnorm 2 per element (1 without affine)
    and adaptive average pooling 1 per input element. Every other op it ignores."""
    extra = 0
    for _, node in graph.ops():
        op = get_op(node.op).name
        if op in ("batchnorm2d", "batchnorm1d"):
            extra += (2 if node.attrs["affine"] else 1) * _numel(node.shape)
        elif op in ("global_avgpool", "adaptive_avgpool"):
            extra += _numel(graph.shape_of(node.inputs[0]))
    return extra


def _numel(shape) -> int:
    total = 1
    for d in shape:
        total *= d
    return total


def _reference(constructor):
    """The reference built without initialising weights: fvcore only needs shapes, and random init of
    a VGG costs more than counting it."""
    with torch.device("meta"):
        model = constructor()
    return model.to_empty(device="cpu").eval()


@pytest.mark.parametrize("stems, constructor, weights", REFERENCES, ids=REF_IDS)
def test_macs_match_fvcore_on_the_reference(stems, constructor, weights, one_thread):
    path = find_spec(*stems)
    checked = archdsl.check(path)
    s = archdsl.summary(checked, depth=0)
    total, by_op = fvcore_counts(_reference(constructor), checked.input_shape)
    theirs = sum(count for name, count in by_op.items() if name in ("conv", "linear", "addmm", "matmul"))
    assert abs(s.totals.macs - theirs) <= 0.01 * theirs, (s.totals.macs, theirs)
    # How our figures relate to fvcore's headline total (docs/analysis.md): exactly our MACs plus its
    # batchnorm and adaptive-pool counts, which we report as other ops.
    ours_fvcore_style = s.totals.macs + fvcore_convention_extras(checked.graph)
    assert abs(ours_fvcore_style - total) <= 0.01 * total, (ours_fvcore_style, total, by_op)


# Static only (no model is built), so every torchvision reference, B6 and B7 included, runs by default.
TORCHVISION_OPS = [r.values if hasattr(r, "marks") else r for r in REFERENCES]  # unwrap pytest.param
TORCHVISION_OPS = [r for r in TORCHVISION_OPS if r[2] is not None]


@pytest.mark.parametrize("stems, constructor, weights", TORCHVISION_OPS, ids=[r[0][0] for r in TORCHVISION_OPS])
def test_gmacs_equal_torchvisions_published_gflops(stems, constructor, weights):
    """torchvision's "GFLOPS" column (`meta["_ops"]`, at the weights' crop size) is conv+linear MACs."""
    entry = getattr(tv, weights).DEFAULT
    crop = entry.transforms.keywords["crop_size"]
    s = archdsl.summary(find_spec(*stems), input_shape=(3, crop, crop), depth=0)
    assert round(s.totals.macs / 1e9, 3) == pytest.approx(entry.meta["_ops"], abs=1e-9)
