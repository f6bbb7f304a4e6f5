"""`archdsl train` and `archdsl eval` end to end, offline: digits (real), and tiny data sets in MNIST's,
CIFAR's and ImageFolder's real on-disk formats read by torchvision's own loaders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from train_data import TINY_SPEC, write_cifar10, write_image_folder, write_mnist
from typer.testing import CliRunner

import archdsl
from archdsl.cli import app

from conftest import ROOT

MLP = "specs/mlp.arch"  # 167k params, native 8x8 digits: about a second per epoch


def cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def weights(folder: Path, name: str = "last.pt") -> dict[str, torch.Tensor]:
    return torch.load(folder / name, weights_only=True)["model"]


def same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory) -> Path:
    """One 2-epoch MLP run on digits, shared by the tests that read a finished run folder."""
    folder = tmp_path_factory.mktemp("runs") / "mlp"
    result = cli("train", MLP, "--epochs", 2, "--out", folder, "--progress", "lines")
    assert result.exit_code == 0, result.output
    return folder


def test_training_reaches_its_accuracy_and_writes_the_run_folder(mlp_run):
    assert sorted(p.name for p in mlp_run.iterdir()) == [
        "best.pt",
        "config.json",
        "curves.png",
        "last.pt",
        "metrics.jsonl",
    ]
    rows = [json.loads(line) for line in (mlp_run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    for key in ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "samples_per_s"):
        assert all(isinstance(r[key], float | int) for r in rows), key
    assert rows[-1]["val_acc"] >= 0.85 and rows[-1]["train_loss"] < rows[0]["train_loss"]
    config = json.loads((mlp_run / "config.json").read_text())
    assert config["spec"]["text"] == (ROOT / MLP).read_text()
    assert config["input_shape"] == [1, 8, 8]  # the MLP accepts digits' native size
    assert config["data"]["name"] == "digits" and config["data"]["train_size"] == 1437
    assert config["options"]["optimizer"] == "adam" and config["options"]["batch_size"] == 64
    assert {"archdsl", "torch", "torchvision"} <= set(config["versions"])
    checkpoint = torch.load(mlp_run / "best.pt", weights_only=True)  # tensors and plain types only
    assert {"model", "optimizer", "scheduler", "epoch", "rng", "spec_text", "config"} <= set(checkpoint)
    assert (mlp_run / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_load_run_gives_the_trained_model(mlp_run):
    run = archdsl.load_run(mlp_run)
    assert run.checkpoint_path.name == "best.pt" and len(run.metrics) == 2
    assert same_weights(run.model.state_dict(), weights(mlp_run, "best.pt"))
    assert run.model(torch.zeros(1, 1, 8, 8)).shape == (1, 10)


def test_lenet5_is_resized_to_its_own_input_and_says_why(tmp_path):
    result = cli("train", "specs/lenet5.arch", "--epochs", 1, "--out", tmp_path / "run", "--progress", "lines")
    assert result.exit_code == 0, result.output
    assert "resized from 8x8 to the spec's 32x32" in result.output
    assert json.loads((tmp_path / "run" / "config.json").read_text())["input_shape"] == [1, 32, 32]


def test_resume_gives_the_same_weights_as_training_straight(tmp_path):
    """2 epochs straight, and 1 epoch then a resume for the second: identical weights (dropout included)."""
    assert archdsl.train(MLP, epochs=2, out=str(tmp_path / "straight"), progress="none")
    archdsl.train(MLP, epochs=1, out=str(tmp_path / "split"), progress="none")
    metrics = archdsl.train(MLP, epochs=2, resume=str(tmp_path / "split"), progress="none")
    assert [row["epoch"] for row in metrics] == [1, 2]
    assert same_weights(weights(tmp_path / "straight"), weights(tmp_path / "split"))


def test_sigterm_saves_last_pt_and_the_run_resumes_mid_epoch(tmp_path):
    folder = tmp_path / "run"

    def terminate_once_started() -> None:
        while not (folder / "config.json").exists():
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate_once_started, daemon=True).start()
    result = cli("train", MLP, "--epochs", 50, "--batch-size", 16, "--out", folder, "--progress", "lines")
    assert result.exit_code == 130, result.output
    assert f"--resume {folder}" in result.output
    saved = torch.load(folder / "last.pt", weights_only=True)
    assert saved["epoch"] == 1 and saved["step"] > 0
    # The interrupted epoch finishes exactly as an uninterrupted one would.
    assert cli("train", MLP, "--resume", folder, "--epochs", 1, "--progress", "none").exit_code == 0
    archdsl.train(MLP, epochs=1, batch_size=16, out=str(tmp_path / "straight"), progress="none")
    assert same_weights(weights(folder), weights(tmp_path / "straight"))


def test_a_nan_loss_stops_with_the_epoch_and_step(tmp_path):
    result = cli("train", MLP, "--epochs", 1, "--optimizer", "sgd", "--lr", "1e4", "--out", tmp_path / "run")
    assert result.exit_code == 1
    assert "error[E904]: the loss is nan at epoch 1, step " in result.output
    assert "help: lower the learning rate (--lr 1000)" in result.output


def test_eval_reports_accuracy_confusion_and_latency(mlp_run, tmp_path):
    result = cli("eval", mlp_run, "--out", tmp_path, "--latency-samples", 5)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "eval.json").read_text())
    best = max(json.loads(line)["val_acc"] for line in (mlp_run / "metrics.jsonl").read_text().splitlines())
    assert report["top1"] == pytest.approx(best) and report["samples"] == 360
    assert report["top5"] >= report["top1"] and set(report["per_class"]) == {str(d) for d in range(10)}
    assert sum(map(sum, report["confusion"])) == 360 and report["latency_ms"] > 0
    assert (tmp_path / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert f"top-1 {report['top1']:.2%}" in result.output
    file_result = cli("eval", mlp_run / "last.pt", "--out", tmp_path / "last", "--format", "json")
    assert json.loads(file_result.output)["checkpoint"].endswith("last.pt")


def test_compare_shows_runs_beside_specs(mlp_run):
    result = cli("compare", mlp_run, "specs/lenet5.arch", "--format", "markdown")
    assert result.exit_code == 0, result.output
    best = max(json.loads(line)["val_acc"] for line in (mlp_run / "metrics.jsonl").read_text().splitlines())
    mlp_line = next(line for line in result.output.splitlines() if line.startswith("| mlp "))
    assert "best val acc" in result.output and f"| {best:.2%} | 2 |" in mlp_line
    assert "| lenet5 | 1x32x32 | 61,706 |" in result.output


def test_compare_plots_accuracy_of_runs_and_keeps_it_in_json(mlp_run, tmp_path):
    plot = tmp_path / "accuracy.png"
    result = cli("compare", mlp_run, "specs/lenet5.arch", "--plot", plot, "--plot-y", "accuracy", "-f", "json")
    assert result.exit_code == 0, result.output
    assert plot.read_bytes()[:4] == b"\x89PNG"
    rows = json.loads(result.output.split("\nwrote ")[0])["rows"]
    assert rows[0]["training"]["epochs"] == 2 and rows[1]["training"] is None


def test_mnist_idx_files_feed_a_3_channel_spec(tmp_path):
    spec = tmp_path / "tiny.arch"
    spec.write_text(TINY_SPEC)
    write_mnist(tmp_path / "data")
    result = cli(
        "train",
        spec,
        "--data",
        "mnist",
        "--data-dir",
        tmp_path / "data",
        "--epochs",
        1,
        "--out",
        tmp_path / "run",
        "--progress",
        "lines",
    )
    assert result.exit_code == 0, result.output
    assert "the one channel is repeated to the 3 the network takes" in result.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["input_shape"] == [3, 28, 28] and config["data"]["train_size"] == 128


def test_cifar_batches_train_at_native_size_with_augmentation(tmp_path, monkeypatch):
    from torchvision.datasets import cifar

    # torchvision checks the real files' MD5 sums on load; these tiny stand-ins have the format, not the bytes:
    # keep its check that each file exists.
    monkeypatch.setattr(cifar, "check_integrity", lambda path, md5=None: os.path.isfile(path))
    spec = tmp_path / "tiny.arch"
    spec.write_text(TINY_SPEC)
    write_cifar10(tmp_path / "data")
    result = cli(
        "train",
        spec,
        "--data",
        "cifar10",
        "--data-dir",
        tmp_path / "data",
        "--epochs",
        1,
        "--out",
        tmp_path / "run",
        "--workers",
        0,
    )
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["input_shape"] == [3, 32, 32] and config["data"]["augment"] is True
    assert config["data"]["classes"][0] == "class0" and config["data"]["val_size"] == 20


@pytest.mark.parametrize("split", [True, False], ids=["train-val", "val-split"])
def test_image_folder_of_pngs(tmp_path, split):
    write_image_folder(tmp_path / "images", split=split)
    args = [] if split else ["--val-split", "0.25"]
    result = cli(
        "train",
        "specs/lenet5.arch",
        "--data",
        tmp_path / "images",
        "--epochs",
        1,
        *args,
        "--out",
        tmp_path / "run",
        "--progress",
        "lines",
    )
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["data"]["classes"] == ["class0", "class1", "class2"]
    assert config["set_by_data"] == {"num_classes": 3}
    assert (config["data"]["train_size"], config["data"]["val_size"]) == ((18, 9) if split else (14, 4))
    assert "color images: converted to grayscale" in result.output


# -- bad input: exit 1 and a clear message ------------------------------------------------------------


def test_a_missing_folder(tmp_path):
    result = cli("train", MLP, "--data", tmp_path / "nowhere", "--out", tmp_path / "run")
    assert result.exit_code == 1
    assert f"error[E901]: no such data set or folder: {tmp_path / 'nowhere'}" in result.output


def test_an_empty_folder(tmp_path):
    (tmp_path / "empty" / "train").mkdir(parents=True)
    result = cli("train", MLP, "--data", tmp_path / "empty", "--out", tmp_path / "run")
    assert result.exit_code == 1
    assert f"error[E901]: {tmp_path / 'empty' / 'train'} has no images" in result.output
    assert "one subfolder per class" in result.output


def test_an_unreadable_image(tmp_path):
    write_image_folder(tmp_path / "images")
    bad = tmp_path / "images" / "train" / "class1" / "broken.png"
    bad.write_bytes(b"not a png")
    result = cli("train", "specs/lenet5.arch", "--data", tmp_path / "images", "--epochs", 1, "--out", tmp_path / "r")
    assert result.exit_code == 1
    assert f"error[E901]: cannot read image {bad}" in result.output and "Traceback" not in result.output


def test_labels_beyond_num_classes(tmp_path):
    spec = tmp_path / "five.arch"
    spec.write_text(TINY_SPEC.replace("Tiny(num_classes=10)", "Five()").replace("linear(num_classes)", "linear(5)"))
    result = cli("train", spec, "--epochs", 1, "--out", tmp_path / "run")
    assert result.exit_code == 1
    assert "error[E902]: the data has 10 classes (labels 0 to 9) but Five outputs 5 scores" in result.output


def test_a_checkpoint_from_another_spec_names_the_first_mismatching_tensor(mlp_run, tmp_path):
    narrower = tmp_path / "narrow_mlp.arch"
    narrower.write_text((ROOT / MLP).read_text().replace("hidden=[512, 256]", "hidden=[512, 128]"))
    result = cli("eval", mlp_run, "--spec", narrower, "--out", tmp_path)
    assert result.exit_code == 1
    assert (
        "best.pt holds weights of another network: `fc2.0.weight` is 256x512 in the checkpoint and 128x512 "
        "in mlp" in result.output
    )


def test_missing_torchvision_files_say_where_they_are_expected(tmp_path):
    result = cli("train", MLP, "--data", "mnist", "--data-dir", tmp_path, "--out", tmp_path / "run")
    assert result.exit_code == 1
    assert f"error[E901]: mnist is not in {tmp_path}" in result.output
    assert str(tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte") in result.output
    assert "--download" in result.output


def test_a_size_the_network_cannot_take_is_a_shape_error_with_a_resize_hint(tmp_path):
    result = cli("train", "specs/lenet5.arch", "--resize", 16, "--out", tmp_path / "run")
    assert result.exit_code == 1
    assert "specs/lenet5.arch:18:9: error[E404]" in result.output
    assert "the network does not accept 1x16x16 (--resize)" in result.output


def test_resume_of_a_folder_without_a_run(tmp_path):
    result = cli("train", MLP, "--resume", tmp_path)
    assert result.exit_code == 1
    assert f"error[E903]: nothing to resume in {tmp_path}: no last.pt" in result.output


# -- several processes ------------------------------------------------------------------------------


@pytest.mark.slow
def test_two_torchrun_processes_equal_one_process_at_twice_the_batch(tmp_path):
    """DDP with gloo: 2 processes x batch 32 give the weights of 1 process x batch 64 (no BatchNorm, no
    shuffle, no dropout), after one epoch of 128 MNIST-format images."""
    write_mnist(tmp_path / "data")
    common = [
        "train",
        MLP,
        "--data",
        "mnist",
        "--data-dir",
        str(tmp_path / "data"),
        "--epochs",
        "1",
        "--no-shuffle",
        "--set",
        "dropout=0",
        "--progress",
        "lines",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    two = subprocess.run(
        [
            sys.executable,
            "-m",
            "archdsl",
            *common,
            "--batch-size",
            "32",
            "--devices",
            "2",
            "--out",
            str(tmp_path / "two"),
        ],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert two.returncode == 0, two.stderr[-3000:]
    assert "2 processes on cpu" in two.stdout and two.stdout.count("epoch 1/1:") == 1  # rank 0 only prints
    one = cli(*common, "--batch-size", "64", "--out", tmp_path / "one")
    assert one.exit_code == 0, one.output
    a, b = weights(tmp_path / "two"), weights(tmp_path / "one")
    # Equal up to the order of float sums (measured: 1.6e-6 at most), far below one Adam step (lr = 1e-3).
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], rtol=0, atol=1e-5) for k in a)
    first = [json.loads((tmp_path / run / "metrics.jsonl").read_text()) for run in ("two", "one")]
    assert first[0]["train_loss"] == pytest.approx(first[1]["train_loss"], rel=1e-5)
    assert first[0]["val_acc"] == first[1]["val_acc"]
