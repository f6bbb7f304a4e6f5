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
