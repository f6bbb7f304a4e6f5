"""The YAML front end: same AST and IR as .arch, safe loading, errors at YAML positions."""

from __future__ import annotations

import pytest

import archdsl
from archdsl.api import parse_file
from archdsl.errors import ArchError, ParseError
from archdsl.frontend.unparse import to_arch, to_yaml
from archdsl.frontend.yaml_loader import load_yaml
from archdsl.source import Source, read_source

from conftest import SPECS, spec_files, spec_ids


def _convert_tree(tmp_path, to: str):
    """Convert every spec and family file into tmp_path in the `to` form, keeping relative imports."""
    out = {}
    for path in [*SPECS.glob("*.arch"), *SPECS.glob("*.yaml"), *SPECS.glob("families/*.arch")]:
        tree = parse_file(read_source(path))
        relative = path.relative_to(SPECS)
        target = tmp_path / relative.with_suffix(".yaml" if to == "yaml" else ".arch")
        if to == "yaml":
            text = to_yaml(_retarget(tree, ".yaml"))
        else:
            text = to_arch(_retarget(tree, ".arch"))
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".yaml" and to == "yaml":
            target = target.with_name(target.stem + "_from_yaml.yaml")
        target.write_text(text)
        out[path] = target
    return out


def _retarget(tree, suffix):
    items = tuple(
        i.model_copy(update={"path": i.path.rsplit(".", 1)[0] + suffix}) if i.kind == "import" else i
        for i in tree.items
    )
    return tree.model_copy(update={"items": items})


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The whole spec tree converted to YAML, and that YAML converted back to .arch (once per run)."""
    base = tmp_path_factory.mktemp("round_trip")
    yaml_files = _convert_tree(base / "yaml", "yaml")
    back = {}
    for source, yaml_path in yaml_files.items():
        tree = load_yaml(Source(text=yaml_path.read_text(), path=str(yaml_path)))
        target = base / "back" / yaml_path.relative_to(base / "yaml").with_suffix(".arch")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(to_arch(_retarget(tree, ".arch")))
        back[source] = target
    return yaml_files, back


@pytest.mark.parametrize("path", spec_files(), ids=spec_ids(spec_files()))
def test_arch_to_yaml_and_back_gives_the_same_ir(path, converted):
    """Issue 2: for every spec, .arch -> YAML -> .arch gives an identical IR."""
    yaml_files, back = converted
    original = archdsl.check(path).graph
    assert archdsl.check(yaml_files[path]).graph == original
    assert archdsl.check(back[path]).graph == original


def test_resnet18_yaml_equals_arch_ir():
    yaml_graph = archdsl.check(SPECS / "resnet18.yaml").graph
    arch_graph = archdsl.check(SPECS / "resnet18.arch").graph
    assert [(p, n.op, n.shape, n.params) for p, n in yaml_graph.ops()] == [
        (p, n.op, n.shape, n.params) for p, n in arch_graph.ops()
    ]


def test_python_tags_are_rejected():
    text = 'networks: !!python/object/apply:os.system ["echo hacked"]\n'
    with pytest.raises(ParseError) as info:
        load_yaml(Source(text=text, path="bad.yaml"))
    assert info.value.code == "E703" and (info.value.span.line, info.value.span.col) == (1, 11)


def test_aliases_are_rejected():
    text = "constants:\n  a: &x [1, 2]\n  b: *x\n"
    with pytest.raises(ParseError) as info:
        load_yaml(Source(text=text, path="bad.yaml"))
    assert info.value.code == "E703"


def test_schema_errors_point_at_the_yaml_node():
    text = "networks:\n  tiny:\n    parms: {classes: 10}\n    body: [relu]\n"
    with pytest.raises(ArchError) as info:
        load_yaml(Source(text=text, path="bad.yaml"))
    assert info.value.code == "E702" and "parms" in info.value.message
    assert (info.value.span.line, info.value.span.col) == (3, 5)


def test_expression_errors_point_inside_the_yaml_string():
    text = "networks:\n  tiny:\n    body:\n      - input: [3, 8, 8]\n      - conv1: conv(16, 3, padding=1\n"
    with pytest.raises(ParseError) as info:
        load_yaml(Source(text=text, path="bad.yaml"))
    assert (info.value.span.line, info.value.span.col) == (5, 20)


def test_shape_errors_in_yaml_point_at_the_statement(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "networks:\n  tiny:\n    body:\n      - input: [3, 8, 8]\n"
        "      - conv1: conv(16, 3, padding=1)\n      - add(conv1, in)\n"
    )
    with pytest.raises(ArchError) as info:
        archdsl.check(path)
    assert info.value.code == "E401" and (info.value.span.line, info.value.span.col) == (6, 9)
    assert "16x8x8 (from `conv1`, 5:9)" in info.value.message
