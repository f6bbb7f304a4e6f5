"""archdsl prune: exact masks and schedules, the pipeline on a real trained run (digits), its output folder
read by eval, compare and train --resume, structured specs that check, draw and load strictly, and errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import archdsl

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from archdsl.pruning.magnitude import make_permanent, prunable_layers, prune_to, schedule  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _zeros(layers) -> int:
    return sum(int((module.weight == 0).sum()) for _, module in layers)


@pytest.mark.parametrize("scope", ["global", "layer"])
def test_iterative_schedule_reaches_its_amount_exactly(scope):
    torch.manual_seed(0)
    model = archdsl.build("specs/lenet5.arch")
    layers = prunable_layers(model)
    total = sum(module.weight.numel() for _, module in layers)
    for sparsity in schedule(0.9, 3):
        prune_to(layers, sparsity, scope)
        if scope == "global":
            assert _zeros(layers) == round(sparsity * total)
        else:
            for _, module in layers:
                assert int((module.weight == 0).sum()) == round(sparsity * module.weight.numel())
    make_permanent(layers)
    assert not any(hasattr(module, "weight_mask") for _, module in layers)
    assert abs(_zeros(layers) / total - 0.9) < 1e-3
    # layer scope keeps the smallest weights of each layer out: the survivors are each layer's largest
    assert schedule(0.5, 1) == [0.5]


def test_exclude_leaves_layers_dense_and_rejects_typos():
    model = archdsl.build("specs/lenet5.arch")
    layers = prunable_layers(model, ["c1", "out*"])
    assert [name for name, _ in layers] == ["c3", "c5", "f6"]
    prune_to(layers, 0.5, "global")
    assert int((model.c1.weight == 0).sum()) == 0
    with pytest.raises(archdsl.ArchError, match="matches no conv or linear layer"):
        prunable_layers(model, ["conv1"])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """LeNet-5 trained 2 epochs on scikit-learn's digits: a real run folder."""
    folder = tmp_path_factory.mktemp("runs") / "lenet5"
    archdsl.train("specs/lenet5.arch", epochs=2, out=str(folder), progress="none")
    return folder


def _cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "archdsl", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_unstructured_run_folder_is_read_by_eval_compare_and_resume(trained, tmp_path):
    out = tmp_path / "pruned"
    result = _cli(
        "prune", trained, "--amount", "0.8", "--steps", "2", "--finetune-epochs", "1", "-x", "c1", "--out", out
    )
    assert result.returncode == 0, result.stderr
    assert "sparsity 7" in result.stdout  # c1 stays dense, so a little under 80% of all weights
    report = json.loads((out / "prune.json").read_text())
    stages = [row["stage"] for row in report["accuracy"]]
    assert stages == [
        "trained",
        "step 1: pruned",
        "step 1: retrained 1 epoch",
        "step 2: pruned",
        "step 2: retrained 1 epoch",
    ]
    c1 = next(row for row in report["layers"] if row["layer"] == "c1")
    assert c1["sparsity"] == 0
    others = [row for row in report["layers"] if row["layer"] != "c1"]
    assert abs(sum(r["weights"] - r["nonzero"] for r in others) / sum(r["weights"] for r in others) - 0.8) < 1e-3
    assert report["totals"]["macs_nonzero"] < report["totals"]["macs"]
    assert report["checkpoint"]["sparse_bytes"] < report["checkpoint"]["dense_bytes"]
    assert "| c3 |" in (out / "prune.md").read_text()
    # The masks were made permanent: the checkpoint holds plain weights, with the zeros in them.
    state = torch.load(out / "best.pt", weights_only=True)["model"]
    assert "c3.weight" in state and "c3.weight_orig" not in state
    weights = [state[f"{row['layer']}.weight"] for row in others]
    zeros = sum(int((w == 0).sum()) for w in weights) / sum(w.numel() for w in weights)
    assert abs(zeros - 0.8) < 1e-3
    evaluated = _cli("eval", out, "--format", "json", "--latency-samples", "2", "-o", tmp_path / "eval")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["top1"] > 0.5
    compared = _cli("compare", trained, out, "--format", "markdown")
    assert compared.returncode == 0, compared.stderr
    assert "sparsity" in compared.stdout and "7" in compared.stdout.splitlines()[-1]
    resumed = _cli("train", "specs/lenet5.arch", "--resume", out, "--epochs", "3", "--progress", "none")
    assert resumed.returncode == 0, resumed.stderr
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 3


def test_structured_run_writes_a_smaller_spec_with_strict_weights(trained, tmp_path):
    out = tmp_path / "structured"
    report = archdsl.prune(str(trained), amount=0.5, structured=True, out=str(out))
    assert report["params_after"] < report["params_before"]
    checked = archdsl.check(out / "pruned.arch")
    assert checked.total_params == report["params_after"]
    model = archdsl.build(checked)
    model.load_state_dict(torch.load(out / "pruned.pt", weights_only=True), strict=True)
    assert _cli("check", out / "pruned.arch").returncode == 0
    run = archdsl.load_run(out)
    assert sum(p.numel() for p in run.model.parameters()) == report["params_after"]


def test_structured_resnet18_spec_draws_small_and_keeps_names():
    from archdsl.pruning.structured import prune_structured

    torch.manual_seed(0)
    checked = archdsl.check("specs/resnet18.arch", {"num_classes": 10}, input_shape=(3, 32, 32))
    weights = archdsl.build(checked).state_dict()
    result = prune_structured(checked, weights, 0.3)
    assert set(result.model.state_dict()) == set(weights)
    nodes = archdsl.draw(result.checked).source.count("shape=")
    assert 0 < nodes <= 40
    assert "block BasicBlock" in result.text


def test_bad_input_is_a_clear_error_and_writes_nothing(trained, tmp_path):
    out = tmp_path / "never"
    for args, message in [
        (["--amount", "1"], "outside [0, 1)"),
        (["--amount", "-0.1"], "outside [0, 1)"),
        (["--exclude", "conv1"], "matches no conv or linear layer"),
    ]:
        result = _cli("prune", trained, *args, "--out", out)
        assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr
        assert not out.exists()
    other = _cli("prune", tmp_path, "--out", out)
    assert other.returncode == 1 and "Traceback" not in other.stderr
    assert not out.exists() and not list(tmp_path.glob(".never-*"))
    # A checkpoint whose weights belong to another network: the error names the first tensor that differs.
    import shutil

    foreign = tmp_path / "foreign"
    shutil.copytree(trained, foreign)
    state = torch.load(foreign / "best.pt", weights_only=True)
    state["model"]["c3.weight"] = torch.zeros(16, 6, 3, 3)
    torch.save(state, foreign / "best.pt")
    mismatch = _cli("prune", foreign, "--out", out)
    assert mismatch.returncode == 1 and "c3.weight" in mismatch.stderr and "Traceback" not in mismatch.stderr
    assert not out.exists()
