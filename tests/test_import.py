"""`archdsl import` and the IR-to-spec writer: parity with torchvision, round trips, folding, errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT, SPECS

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

import archdsl
from archdsl.importer import import_module
from archdsl.importer.errors import ModelImportError
from archdsl.importer.targets import randomise_norm_statistics, verify
from archdsl.writer import write_spec

SMALL = (3, 64, 64)


def _parity(model, text: str, shape=SMALL) -> float:
    randomise_norm_statistics(model)
    return verify(model, text, shape)  # strict load_state_dict inside


def test_resnet18_parity_and_stable_round_trip():
    model = torchvision.models.resnet18(num_classes=10).eval()
    text = import_module(model, SMALL, name="resnet18")
    assert "block BasicBlock(" in text and "if use_downsample:" in text
    assert "layer2: BasicBlock(channels=128, stride=2, use_downsample=true) -> BasicBlock(channels=128)" in text
    assert _parity(model, text) <= 1e-5
    rebuilt = archdsl.build(text).eval()
    assert import_module(rebuilt, SMALL, name="resnet18") == text


def test_mobilenet_v2_parity_and_budget():
    model = torchvision.models.mobilenet_v2().eval()
    text = import_module(model, SMALL, name="mobilenet_v2")
    assert len(text.splitlines()) <= 90
    assert _parity(model, text) <= 1e-5


def test_shufflenet_chunk_and_channel_shuffle():
    model = torchvision.models.shufflenet_v2_x0_5().eval()
    text = import_module(model, SMALL, name="shufflenet")
    assert "chunk(2, 1)" in text and "channel_shuffle(2)" in text
    assert _parity(model, text) <= 1e-5


@pytest.mark.slow
def test_line_budgets_and_densenet_parity():
    budgets = {"resnet50": 60, "resnet152": 70, "densenet121": 60, "efficientnet_b0": 90}
    for name, budget in budgets.items():
        model = torchvision.models.get_model(name).eval()
        text = import_module(model, SMALL, name=name)
        assert len(text.splitlines()) <= budget, (name, len(text.splitlines()))
        if name == "densenet121":
            assert (
                "denselayer{i + 1}: DenseLayer" in text and "DenseBlock(24)" in text
            )  # a for loop, its end a parameter
            assert _parity(model, text) <= 1e-5


def test_writer_round_trips_library_specs():
    for name in ("resnet50", "densenet121", "efficientnet_b0", "googlenet"):
        checked = archdsl.check(SPECS / f"{name}.arch")
        text = write_spec(checked.graph)
        again = archdsl.check(text)
        assert again.total_params == checked.total_params
        assert [p for p, _ in again.graph.ops()] == [p for p, _ in checked.graph.ops()], name


class _Branchy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)

    def forward(self, x):
        if x.sum() > 0:
            return self.conv(x)
        return x


class _Normed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 1), torch.nn.LayerNorm([8, 8, 8]))

    def forward(self, x):
        return self.stem(x)


class _Rolled(torch.nn.Module):
    def forward(self, x):
        return torch.roll(x, 1)


class _Attends(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = torch.nn.MultiheadAttention(8, 2)

    def forward(self, x):
        return self.attn(x, x, x)[0]


@pytest.mark.parametrize(
    ("module", "code", "says"),
    [
        (_Branchy(), "E844", "torch.fx cannot trace _Branchy"),
        (_Normed(), "E843", "`stem.1` (torch.nn.modules.normalization.LayerNorm) has no archdsl op yet"),
        (_Rolled(), "E843", "`roll` in `the top-level forward` (at "),
        (_Attends(), "E842", "`attn` (torch.nn.modules.activation.MultiheadAttention) is an attention layer"),
    ],
)
def test_clear_errors(module, code, says):
    with pytest.raises(ModelImportError) as caught:
        import_module(module, (3, 8, 8))
    assert caught.value.code == code and says in caught.value.message
    if code == "E843" and "roll" in says:
        assert "test_import.py:" in caught.value.message  # the line of the model's code


def test_cli_file_target_weights_and_yaml(tmp_path):
    from typer.testing import CliRunner

    from archdsl.cli import app

    (tmp_path / "nets.py").write_text(
        textwrap.dedent("""
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self, width=8):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU())
                self.head = nn.Linear(width, 10)

            def forward(self, x):
                return self.head(self.body(x).mean([2, 3]))
    """)
    )
    sys.path.insert(0, str(tmp_path))
    try:
        import nets
    finally:
        sys.path.remove(str(tmp_path))
    trained = nets.Net(width=4)
    torch.save(trained.state_dict(), tmp_path / "w.pt")
    out = tmp_path / "net.arch"
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "import",
            f"{tmp_path / 'nets.py'}:Net",
            "--kwargs",
            '{"width": 4}',
            "--input",
            "3x16x16",
            "--weights",
            str(tmp_path / "w.pt"),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "strict state_dict load, outputs equal" in result.stdout
    model = archdsl.build(out)
    model.load_state_dict(torch.load(tmp_path / "net.pt", weights_only=True), strict=True)
    x = torch.randn(2, 3, 16, 16)
    assert torch.allclose(model.eval()(x), trained.eval()(x), atol=1e-6)
    result = runner.invoke(
        app, ["import", f"{tmp_path / 'nets.py'}:Net", "--to", "yaml", "-o", str(tmp_path / "n.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert archdsl.check(tmp_path / "n.yaml").total_params == sum(p.numel() for p in nets.Net().parameters())
    result = runner.invoke(app, ["import", "torchvision:vit_b_16", "-o", str(tmp_path / "vit.arch")])
    assert (
        result.exit_code == 1 and "error[E842]" in result.stderr and "encoder.layers.encoder_layer_0" in result.stderr
    )
    assert not (tmp_path / "vit.arch").exists()


def test_import_table_is_current():
    result = subprocess.run(
        [sys.executable, "scripts/import_table.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    import importlib.util

    spec = importlib.util.spec_from_file_location("import_table", ROOT / "scripts" / "import_table.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    rows = script.table_rows((ROOT / "docs" / "import.md").read_text())
    for name in ("resnet18", "mobilenet_v2"):  # a cheap recomputation: the line counts
        target = f"torchvision:{name}"
        doc = f"Imported from {target} by `archdsl import`."
        text = import_module(torchvision.models.get_model(name).eval(), SMALL, name="model", doc=doc)
        assert rows[target] == len(text.splitlines()), name
