"""The YAML form's JSON Schema: generated from the loader's models, shipped current, and it accepts every
shipped YAML spec and rejects structural mistakes at the right path."""

from __future__ import annotations

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from archdsl.cli import app
from archdsl.schema import json_schema, schema_text

from conftest import ROOT, SPECS

YAML_SPECS = sorted([*SPECS.rglob("*.yaml"), *SPECS.rglob("*.yml")])


def _validator() -> jsonschema.Draft202012Validator:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_shipped_schema_file_is_current():
    shipped = (ROOT / "schema" / "archdsl.schema.json").read_text(encoding="utf-8")
    assert shipped == schema_text(), "run `python -m archdsl schema > schema/archdsl.schema.json`"


def test_cli_prints_the_schema():
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0 and result.stdout == schema_text()


def test_every_field_has_a_description():
    schema = json_schema()
    models = [schema, *schema["$defs"].values()]
    for model in models:
        assert model.get("description"), model.get("title")
        for name, field in model["properties"].items():
            assert field.get("description"), f"{model.get('title')}.{name}"


@pytest.mark.parametrize("spec", YAML_SPECS, ids=lambda p: p.name)
def test_shipped_yaml_specs_validate(spec):
    assert YAML_SPECS, "no YAML spec shipped"
    _validator().validate(yaml.safe_load(spec.read_text(encoding="utf-8")))


def _errors(data: dict) -> list[tuple[str, str]]:
    return [("/".join(map(str, e.absolute_path)), e.message) for e in _validator().iter_errors(data)]


def test_misspelled_section_is_rejected_at_its_name():
    data = yaml.safe_load((SPECS / "resnet18.yaml").read_text(encoding="utf-8"))
    data["netwroks"] = data.pop("networks")
    assert _errors(data) == [("", "Additional properties are not allowed ('netwroks' was unexpected)")]


def test_body_as_a_mapping_is_rejected_at_its_path():
    data = yaml.safe_load((SPECS / "resnet18.yaml").read_text(encoding="utf-8"))
    data["blocks"]["BasicBlock"]["body"] = {"conv1": "conv(planes, 3)"}
    paths = [path for path, _ in _errors(data)]
    assert paths == ["blocks/BasicBlock/body"]


def test_misspelled_field_in_a_network_is_rejected_at_its_path():
    data = {"networks": {"n": {"params": {}, "bdy": ["input: [3, 8, 8]"]}}}
    assert _errors(data) == [("networks/n", "Additional properties are not allowed ('bdy' was unexpected)")]
