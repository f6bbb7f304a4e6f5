"""`archdsl export`: ONNX (checked with onnxruntime) and torch.export programs, from specs and run folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import SPECS

onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")

from archdsl.errors import ArchError
from archdsl.exporting import export
from archdsl.exporting.run import relative_difference
from archdsl.exporting.to_onnx import run_onnx


def _onnx_matches_torch(path, model, shape: tuple[int, ...]) -> float:
    x = torch.randn(*shape)
    with torch.no_grad():
        expected = model(x)
    actual = torch.as_tensor(run_onnx(path, x))
    assert actual.shape == expected.shape
    return ((actual - expected).abs().max() / expected.abs().max()).item()


def test_lenet5_onnx_dynamic_batch_and_labels(tmp_path):
    import archdsl

    model = archdsl.build(SPECS / "lenet5.arch").eval()
    torch.save(model.state_dict(), tmp_path / "lenet.pt")
    result = export(SPECS / "lenet5.arch", "onnx", tmp_path / "l.onnx", weights=tmp_path / "lenet.pt")
    assert result.max_rel_diff <= 1e-5 and result.params == 61706
    proto = onnx.load(str(result.path))
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param  # symbolic batch
    names = [n.name for n in proto.graph.node]
    assert names[:3] == ["c1/Conv", "tanh/Tanh", "s2/AveragePool"] and "output/Gemm" in names
    assert _onnx_matches_torch(result.path, model, (5, 1, 32, 32)) <= 1e-5  # another batch size


def test_mlp_exported_program_reloads(tmp_path):
    import archdsl

    result = archdsl.export(SPECS / "mlp.arch", "exported", tmp_path / "m.pt2")  # the package-level verb
    assert result.max_rel_diff <= 1e-5
    program = torch.export.load(str(result.path))
    out = program.module()(torch.randn(7, 1, 28, 28))  # the batch is dynamic
    assert out.shape == (7, 10)


def test_weights_and_run_folder(tmp_path):
    import archdsl

    model = archdsl.build(SPECS / "mlp.arch", params={"num_classes": 3})
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-1, 1)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(
        json.dumps({"spec_text": (SPECS / "mlp.arch").read_text(), "params": {"num_classes": 3}})
    )
    torch.save({"model": model.state_dict(), "epoch": 3}, run / "best.pt")
    result = export(run, "onnx", tmp_path / "run.onnx")
    x = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    expected = model.eval()(x).detach()
    # outputs reach ~1e3 with these weights: compare relative to the output scale, as export itself does
    assert relative_difference(run_onnx(result.path, x), expected) <= 1e-5
    torch.save(model.state_dict(), tmp_path / "w.pt")  # a bare state_dict with --weights
    result = export(
        SPECS / "mlp.arch", "onnx", tmp_path / "w.onnx", params={"num_classes": 3}, weights=tmp_path / "w.pt"
    )
    assert relative_difference(run_onnx(result.path, x), expected) <= 1e-5


def test_wrong_weights_are_a_user_error_and_write_nothing(tmp_path):
    import archdsl

    torch.save(archdsl.build(SPECS / "lenet5.arch").state_dict(), tmp_path / "lenet.pt")
    with pytest.raises(ArchError, match="does not fit mlp"):
        export(SPECS / "mlp.arch", "onnx", tmp_path / "x.onnx", weights=tmp_path / "lenet.pt")
    assert not (tmp_path / "x.onnx").exists()


def test_cli_export_and_errors(tmp_path):
    from typer.testing import CliRunner

    from archdsl.cli import app

    out = tmp_path / "mlp.onnx"
    result = CliRunner().invoke(app, ["export", "specs/mlp.arch", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {out}: mlp, onnx, input Nx1x28x28 (dynamic batch), 535,818 params")
    result = CliRunner().invoke(app, ["export", "specs/lenet5.arch", "--weights", str(tmp_path / "missing.pt")])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "cannot read weights" in result.stderr and "no such file" in result.stderr


@pytest.mark.slow
def test_resnet18_onnx(tmp_path):
    name = "resnet18"
    result = export(SPECS / f"{name}.arch", "onnx", tmp_path / f"{name}.onnx", input_shape=(3, 64, 64))
    assert result.max_rel_diff <= 1e-5
    names = {n.name.removesuffix("/Conv").removesuffix("/Gemm") for n in onnx.load(str(result.path)).graph.node}
    assert {"conv1", "layer1.0/Add", "layer4.0.downsample.0", "layer4.1.conv2", "fc"} <= names


@pytest.mark.slow
def test_resnet18_exported_program(tmp_path):
    result = export(SPECS / "resnet18.arch", "exported", tmp_path / "r.pt2", input_shape=(3, 64, 64))
    assert result.max_rel_diff <= 1e-5


def test_big_weights_go_to_external_data_beside_the_model(tmp_path, monkeypatch):
    import archdsl
    from archdsl.exporting import to_onnx

    monkeypatch.setattr(to_onnx, "EXTERNAL_DATA_BYTES", 0)  # as if lenet5 passed protobuf's 2 GiB
    model = archdsl.build(SPECS / "lenet5.arch").eval()
    torch.save(model.state_dict(), tmp_path / "lenet.pt")
    out = tmp_path / "out"
    result = export(SPECS / "lenet5.arch", "onnx", out / "l.onnx", weights=tmp_path / "lenet.pt")
    assert result.files == (out / "l.onnx", out / "l.onnx.data")
    assert sorted(p.name for p in out.iterdir()) == ["l.onnx", "l.onnx.data"]  # no staging folder left
    umask = os.umask(0o022)
    os.umask(umask)
    assert (out / "l.onnx.data").stat().st_mode & 0o777 == 0o666 & ~umask  # as open() makes it, not private
    assert (out / "l.onnx").stat().st_size < 20_000 < (out / "l.onnx.data").stat().st_size  # 61,706 floats
    moved = tmp_path / "moved"  # the model names its data file relative to itself
    out.rename(moved)
    assert _onnx_matches_torch(moved / "l.onnx", model, (3, 1, 32, 32)) <= 1e-5


def test_an_export_that_differs_writes_nothing(tmp_path, monkeypatch):
    from archdsl.exporting import to_onnx

    monkeypatch.setattr(to_onnx, "relative_difference", lambda actual, expected: 0.5)
    with pytest.raises(ArchError, match="differs from the PyTorch model") as caught:
        export(SPECS / "mlp.arch", "onnx", tmp_path / "m.onnx")
    assert caught.value.code == "E831" and list(tmp_path.iterdir()) == []


def _small_specs() -> list[str]:
    """The library's specs small enough to export both ways in CI: at most 7 M parameters and 1 G MACs
    at their own input (the others are exported by scripts/export_library.py; see docs/export.md)."""
    import archdsl

    rows = archdsl.compare(sorted(SPECS.glob("*.arch"))).rows
    return [Path(row.spec).stem for row in rows if row.params <= 7_000_000 and row.macs <= 1_000_000_000]


@pytest.mark.slow
@pytest.mark.parametrize("name", _small_specs())
def test_small_library_spec_exports_both_ways(name, tmp_path):
    onnx_result = export(SPECS / f"{name}.arch", "onnx", tmp_path / f"{name}.onnx")
    program_result = export(SPECS / f"{name}.arch", "exported", tmp_path / f"{name}.pt2")
    assert onnx_result.max_rel_diff <= 1e-5 and program_result.max_rel_diff <= 1e-5
    assert onnx_result.files == (tmp_path / f"{name}.onnx",)  # small models stay one file


def test_the_small_selection_is_not_empty():
    assert {"lenet5", "mobilenet_v2", "mnasnet1_0", "squeezenet1_1", "regnet_y_400mf"} <= set(_small_specs())


def test_the_docs_table_lists_every_spec_and_its_parameters():
    """docs/export.md's table (scripts/export_library.py --update) has a row per spec, with the parameter
    count the spec has today: a new or changed spec without a fresh row fails here."""
    import re

    import archdsl

    rows = {}
    for line in (SPECS.parent / "docs" / "export.md").read_text().splitlines():
        match = re.match(r"^\| (\w+) \| ([\d,]+) \| (.*?) \| \d+ \| (.*?) \| \d+ \|$", line)
        if match:
            rows[match.group(1)] = (int(match.group(2).replace(",", "")), match.group(3), match.group(4))
    assert set(rows) == {p.stem for p in SPECS.glob("*.arch")}
    for row in archdsl.compare(sorted(SPECS.glob("*.arch"))).rows:
        params, onnx_cell, program_cell = rows[Path(row.spec).stem]
        assert params == row.params, row.spec
        assert onnx_cell.startswith("equal (") and program_cell.startswith("equal ("), row.spec
