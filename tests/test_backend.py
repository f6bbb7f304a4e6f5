"""The Python source backend: golden files, and one code path for the .py file and the module."""

from __future__ import annotations

import importlib.util
import sys

import pytest

import archdsl

from conftest import ROOT, assert_golden, spec_files, spec_ids

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("path", spec_files(), ids=spec_ids(spec_files()))
def test_emitted_source_matches_golden(path):
    relative = path.relative_to(ROOT)  # the file records where it came from; keep that machine-independent
    assert_golden(f"emit/{path.stem}{'_yaml' if path.suffix == '.yaml' else ''}.py", archdsl.emit(relative))


def test_emitted_file_imports_only_torch(tmp_path):
    source = archdsl.emit("specs/resnet50.arch")
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert all(line.split()[1].split(".")[0] in ("torch", "__future__", "collections") for line in imports), imports


def _import_file(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("spec", ["specs/resnet18.arch", "specs/resnet50.arch"])
def test_emitted_file_equals_in_memory_module(spec, tmp_path):
    name = archdsl.check(spec).name
    out = tmp_path / f"{name}_generated.py"
    out.write_text(archdsl.emit(spec))
    module = _import_file(out, f"{name}_generated")
    torch.manual_seed(0)
    from_file = getattr(module, name)()
    in_memory = archdsl.build(spec)
    assert [(k, v.shape) for k, v in from_file.state_dict().items()] == [
        (k, v.shape) for k, v in in_memory.state_dict().items()
    ]
    assert [type(m).__name__ for m in from_file.modules()] == [type(m).__name__ for m in in_memory.modules()]
    from_file.load_state_dict(in_memory.state_dict(), strict=True)
    from_file.eval()
    in_memory.eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(from_file(x), in_memory(x))


def test_factory_takes_parameters_used_verbatim(tmp_path):
    out = tmp_path / "r18.py"
    out.write_text(archdsl.emit("specs/resnet18.arch"))
    module = _import_file(out, "r18_generated")
    model = module.resnet18(num_classes=7)
    assert model.fc.out_features == 7
    assert (
        sum(p.numel() for p in model.parameters())
        == archdsl.check("specs/resnet18.arch", {"num_classes": 7}).total_params
    )


def test_forward_has_no_graph_walk():
    """The forward code is straight-line calls: no loops, no dict lookups, no getattr by name."""
    source = archdsl.emit("specs/resnet50.arch")
    forward_lines = []
    inside = False
    for line in source.splitlines():
        if line.strip().startswith("def forward"):
            inside = True
            continue
        if inside and (line.startswith("class ") or line.startswith("def ")):
            inside = False
        if inside and line.strip():
            forward_lines.append(line.strip())
    assert forward_lines
    for line in forward_lines:
        assert not line.startswith(("for ", "while ", "if ")), line
        assert "getattr" not in line and "[" not in line.split("#")[0], line


def test_meta_device_allocates_no_weights():
    model = archdsl.build("specs/resnet152.arch", device="meta")
    assert all(p.is_meta for p in model.parameters())
    assert sum(p.numel() for p in model.parameters()) == 60_192_808


def test_a_network_named_like_its_class_is_its_own_factory():
    """`network AlexNet(...)`: a factory function of the same name would shadow the class and recurse."""
    spec = "network AlexNet(num_classes=10):\n    input 3x8x8\n    conv(4, 3) -> flatten -> fc: linear(num_classes)\n"
    source = archdsl.emit(spec)
    assert "class AlexNet(nn.Module)" in source and "def AlexNet(" not in source
    model = archdsl.build(spec)
    assert type(model).__name__ == "AlexNet" and model.fc.out_features == 10
    assert tuple(model(torch.randn(1, 3, 8, 8)).shape) == (1, 10)


def test_docstrings_are_dedented_and_lines_have_no_trailing_spaces():
    spec = (
        '"""A net.\n\nSecond paragraph."""\nblock B():\n    """Block doc,\n    on two lines."""\n'
        "    conv(4, 1)\n\nnetwork n():\n    input 3x8x8\n    B\n"
    )
    source = archdsl.emit(spec)
    assert '    """Block doc,\n    on two lines.\n\n    Block `B`' in source
    assert '    """A net.\n\n    Second paragraph."""' in source
    assert all(line == line.rstrip() for line in source.splitlines())
