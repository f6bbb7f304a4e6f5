"""Shared fixtures: the spec library, and golden-file comparison (ARCHDSL_ACCEPT=1 rewrites goldens)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
GOLDEN = Path(__file__).resolve().parent / "golden"
ACCEPT = os.environ.get("ARCHDSL_ACCEPT") == "1"


def spec_files() -> list[Path]:
    """Every buildable spec: specs/*.arch and specs/*.yaml (family files live in specs/families/)."""
    return sorted([*SPECS.glob("*.arch"), *SPECS.glob("*.yaml")])


def spec_ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


@pytest.fixture(autouse=True)
def _run_from_root(monkeypatch):
    """Specs import each other by relative path and messages show paths relative to the repo."""
    monkeypatch.chdir(ROOT)


def save_spec(tmp_path: Path, text: str, name: str = "spec.arch") -> str:
    """Write a spec's text to `tmp_path / name`; returns the path as a string, as the API takes it."""
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def assert_same_model_in_every_syntax(tmp_path: Path, text: str) -> str:
    """The spec `text`, its YAML form (`convert`) and that converted back to .arch check to the same IR,
    and `fmt` leaves the text as written; returns the YAML text for the caller's own assertions."""
    import archdsl
    from archdsl.api import parse_file
    from archdsl.fmt import format_text
    from archdsl.frontend.unparse import to_arch, to_yaml
    from archdsl.source import Source

    path = save_spec(tmp_path, text)
    tree = parse_file(Source(text=text, path=path))
    yaml_text = to_yaml(tree)
    original = archdsl.check(path).graph
    assert archdsl.check(save_spec(tmp_path, yaml_text, "spec.yaml")).graph == original
    assert archdsl.check(save_spec(tmp_path, to_arch(tree), "back.arch")).graph == original
    assert format_text(text, path) == text  # fmt keeps the spec as written
    return yaml_text


def assert_golden(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME; with ARCHDSL_ACCEPT=1, write it instead."""
    path = GOLDEN / name
    if ACCEPT or not path.exists():
        if not ACCEPT:
            pytest.fail(f"missing golden file {path}; run with ARCHDSL_ACCEPT=1 to create it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{name} differs from its golden file; rerun with ARCHDSL_ACCEPT=1 if the change is intended"
    )
