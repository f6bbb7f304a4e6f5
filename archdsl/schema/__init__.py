"""`archdsl schema`: the JSON Schema of the YAML form, generated from the pydantic models its loader
validates with (archdsl/frontend/yaml_loader.py), so the two cannot drift apart.

Editors use it: a YAML spec whose first line is
`# yaml-language-server: $schema=https://.../schema/archdsl.schema.json` (or a local path) gets
validation and completion in VS Code's YAML extension.
"""

from __future__ import annotations

import json

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"


def json_schema() -> dict:
    """The schema as a dict (JSON Schema draft 2020-12)."""
    from ..frontend.yaml_loader import YamlSpec

    schema = YamlSpec.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": SCHEMA_URI, "$id": "archdsl.schema.json", **schema, "title": "archdsl spec (YAML form)"}


def schema_text() -> str:
    """The schema as the text `archdsl schema` prints and schema/archdsl.schema.json holds."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
