"""`convert -o` into another folder rewrites relative imports, so the output checks as the original does."""

from __future__ import annotations

import shutil

from typer.testing import CliRunner

import archdsl
from archdsl.cli import app
from archdsl.relocate import relocated

from conftest import ROOT


def test_convert_to_another_folder_still_checks(tmp_path):
    original = archdsl.check(ROOT / "specs" / "resnet18.arch")
    for target in (tmp_path / "elsewhere" / "resnet18.yaml", tmp_path / "deeper" / "still" / "resnet18.arch"):
        to = target.suffix.lstrip(".")
        result = CliRunner().invoke(
            app, ["convert", str(ROOT / "specs" / "resnet18.arch"), "--to", to, "-o", str(target)]
        )
        assert result.exit_code == 0, result.output
        converted = archdsl.check(target)
        assert converted.total_params == original.total_params == 11_689_512
        assert converted.graph == original.graph  # the IR compares without source spans


def test_relative_paths_are_kept_relative_and_absolute_ones_absolute(tmp_path):
    specs = tmp_path / "specs"
    (specs / "families").mkdir(parents=True)
    assert (
        relocated("families/resnet.arch", specs / "a.arch", tmp_path / "out" / "a.yaml")
        == "../specs/families/resnet.arch"
    )
    assert relocated("families/resnet.arch", specs / "a.arch", specs / "b.arch") == "families/resnet.arch"
    assert relocated("/abs/x.arch", specs / "a.arch", tmp_path / "b.arch") == "/abs/x.arch"


def test_a_copied_library_converts_within_itself(tmp_path):
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    target = tmp_path / "specs" / "yaml" / "resnet34.yaml"
    result = CliRunner().invoke(
        app, ["convert", str(tmp_path / "specs" / "resnet34.arch"), "--to", "yaml", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert "- ../families/resnet.arch" in target.read_text()
    assert archdsl.check(target).total_params == 21_797_672
