"""The emitted .py files read like hand-written torchvision code, and running one gives the model `build` gives.

The style checks read the golden files, which test_backend.py keeps equal to `archdsl.emit` for every spec:
that keeps these checks free (emitting the whole library again costs about a minute here).
"""

from __future__ import annotations

import importlib.util
import inspect
import io
import re
import sys
import tokenize

import pytest

import archdsl

from conftest import GOLDEN, ROOT, spec_files, spec_ids

torch = pytest.importorskip("torch")

SPECS = spec_files()


def _golden(path) -> str:
    return (GOLDEN / "emit" / f"{path.stem}{'_yaml' if path.suffix == '.yaml' else ''}.py").read_text()


@pytest.mark.parametrize("path", SPECS, ids=spec_ids(SPECS))
def test_emitted_lines_fit_in_100_columns(path):
    long = [line for line in _golden(path).splitlines() if len(line) > 100]
    assert not long, long


@pytest.mark.parametrize("path", SPECS, ids=spec_ids(SPECS))
def test_class_names_say_how_variants_differ(path):
    """One class per block where instances differ only in values; otherwise a descriptive name
    (`BottleneckDownsample`), never a counter (`Bottleneck_1`)."""
    names = re.findall(r"^class (\w+)\(", _golden(path), re.MULTILINE)
    assert names
    own = archdsl.check(path).graph.class_name  # the spec's own network name may end in digits (SqueezeNet1_0)
    assert not [name for name in names if name != own and re.search(r"_\d+$|Variant\d+$", name)], names


@pytest.mark.parametrize("path", SPECS, ids=spec_ids(SPECS))
def test_floats_are_written_as_the_spec_author_would(path):
    """`0.15`, not the accumulation artefact `0.15000000000000002`."""
    tokens = tokenize.generate_tokens(io.StringIO(_golden(path)).readline)
    floats = [t.string for t in tokens if t.type == tokenize.NUMBER and re.search(r"[.eE]", t.string)]
    digits = {text: len(re.sub(r"[eE].*|[^0-9]", "", text).strip("0")) for text in floats}
    assert all(count <= 12 for count in digits.values()), digits


def test_efficientnet_reads_like_torchvision():
    """The points of issue 10, item 5, on the file that showed them: named parameters and locals,
    defaults left out of calls, no `Stage_3()` without arguments, shapes in block forwards."""
    source = _golden(SPECS[[p.name for p in SPECS].index("efficientnet_b0.arch")])
    assert "class MBConvResidual(nn.Module)" in source and "class ConvBNActNoAct(nn.Sequential)" in source
    assert "Stage" not in source.split("class EfficientNet")[1]  # stages are nn.Sequential, as torchvision's
    assert "hidden: int" in source and "out=hidden" in source  # the block's own local name
    assert "drop=0.15," in source and "drop=0.17500000000000002" not in source
    # ConvBNAct's stride=1 and groups=1 are its defaults: a 1x1 expansion leaves both out.
    assert "ConvBNAct(in_channels=in_channels, out=hidden, kernel=1, padding=0)" in source
    assert "out = self.block(x)  # in_channels x H x W" in source
    # the argument spells a width, so the signature names it
    assert re.search(
        r"class MBConv\(nn.Sequential\):.*?def __init__\(\s*self,\s*in_channels: int,\s*out: int,", source, re.DOTALL
    )


def _import_file(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _random_state(model) -> None:
    """Weights and statistics from one seed, without each layer's own init: both models get exactly
    these values."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * 0.2 + 0.45)


def _forwards(model) -> dict[str, str]:
    """The `forward` of every generated class, comments left out (they name constructor parameters,
    which differ where the file's factory exposes a network parameter that `build` fixes)."""
    return {
        type(m).__name__: re.sub(r"\s*#.*", "", inspect.getsource(type(m).forward))
        for m in model.modules()
        if "forward" in vars(type(m)) and not type(m).__module__.startswith("torch.")
    }


# Real outputs are compared for networks up to this size; a larger one (VGG, AlexNet, EfficientNet-B7,
# the deep ResNets) would take seconds to fill with weights, and is compared by its structure, its
# hyperparameters (repr) and the code of its forward methods.
_OUTPUTS_UP_TO = 30_000_000


@pytest.mark.parametrize("path", SPECS, ids=spec_ids(SPECS))
def test_running_the_emitted_file_gives_the_built_model(path, tmp_path):
    """Import the emitted file as a real module: its model has the same state_dict keys, the same
    modules (repr shows every hyperparameter), the same forward code and the same output as
    `archdsl.build`'s."""
    name = f"emitted_{path.stem}_{path.suffix[1:]}"
    (tmp_path / f"{name}.py").write_text(_golden(path))
    module = _import_file(tmp_path / f"{name}.py", name)
    checked = archdsl.check(path.relative_to(ROOT))
    with torch.device("meta"):
        from_file = getattr(module, checked.name)().eval()
    built = archdsl.build(checked, device="meta").eval()
    assert list(from_file.state_dict()) == list(built.state_dict())
    assert repr(from_file) == repr(built)
    assert _forwards(from_file) == _forwards(built)
    if checked.total_params > _OUTPUTS_UP_TO:
        return
    for model in (from_file, built):
        model.to_empty(device="cpu")
        _random_state(model)
    # Networks ending in a global pool run at 64x64 as well, 12 times cheaper than at 224x224.
    shape = checked.graph.input_shape
    small = (shape[0], 64, 64) if len(shape) == 3 and shape[1] > 64 else shape
    with torch.no_grad():
        try:
            x = torch.rand(1, *small, generator=torch.Generator().manual_seed(1))
            expected = built(x)
        except RuntimeError:  # a flatten -> linear head needs the spec's own size
            x = torch.rand(1, *shape, generator=torch.Generator().manual_seed(1))
            expected = built(x)
            assert expected.shape == (1, *checked.graph.output_shape)
        torch.testing.assert_close(from_file(x), expected, rtol=0, atol=0, equal_nan=True)
