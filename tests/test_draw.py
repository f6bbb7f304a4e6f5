"""`archdsl draw`: the diagram model (depth, folding, --expand, skip edges, dense concats), the DOT it
becomes, rendering without a system Graphviz, the command line, and the gallery being current."""

from __future__ import annotations

import importlib.util
import os
import re
import struct
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pygraphviz
import pytest

import archdsl
from archdsl.api import Checked
from archdsl.backends.diagram import DrawOptionError, build_diagram, max_depth, total_macs
from archdsl.backends.dot import PALETTE
from archdsl.shapes import fmt

from conftest import ROOT, spec_files, spec_ids

SVG_NS = "{http://www.w3.org/2000/svg}"

# A small dense block written the O(n^2) way: every layer reads the concat of everything before it.
DENSE = """
network dense():
    input 8x16x16
    x1 = conv(4, 3, padding=1)
    c1 = concat(in, x1)
    x2 = c1 -> conv(4, 3, padding=1)
    c2 = concat(in, x1, x2)
    x3 = c2 -> conv(4, 3, padding=1)
    concat(in, x1, x2, x3)
"""

INCEPTION_SE = """
block Mixed(c):
    b1 = in -> branch1: conv(c, 1)
    b2 = in -> branch2: conv(c, 1) -> conv(c, 3, padding=1)
    b3 = in -> branch3: maxpool(3, stride=1, padding=1) -> conv(c, 1)
    concat(b1, b2, b3)

block SE(squeeze):
    s = in -> global_avgpool -> conv(squeeze, 1) -> relu -> conv(in.channels, 1) -> sigmoid
    mul(in, s)

network net():
    input 3x32x32
    stem: conv(16, 3, padding=1)
    mixed: Mixed(8)
    se: SE(4)
    global_avgpool
    flatten
    fc: linear(10)
"""


# Blocks that differ only in their stochastic depth rate, inside a block that is a stage (EfficientNet).
DROP_RATES = """
block B(c, p):
    x = conv(c, 3, padding=1) -> relu -> stochastic_depth(p)
    add(x, in)

block Stage(n):
    for i in range(n):
        B(in.channels, 0.1 * i)

network n():
    input 8x8x8
    Stage(4)
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def dot_nodes(source: str) -> int:
    """Nodes in a DOT source, counted by Graphviz's own parser."""
    return pygraphviz.AGraph(string=source).number_of_nodes()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_node_count(data: bytes) -> int:
    root = ET.fromstring(data)
    return sum(1 for g in root.iter(f"{SVG_NS}g") if g.get("class") == "node")


# -- the diagram model --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.stem for p in Path("specs").glob("*.arch")))
def test_default_depth_is_small(name):
    # Every spec of the library, including resnet152, densenet121 and efficientnet_b7, which other tools
    # draw unreadably (hundreds of nodes), draws at the default depth in at most 40 nodes.
    source = archdsl.draw(f"specs/{name}.arch").source
    assert dot_nodes(source) <= 40


def test_stages_and_repeats_fold_at_the_default_depth():
    diagram = archdsl.draw("specs/resnet152.arch").diagram
    layer3 = diagram.node("layer3")
    assert layer3.title == "Bottleneck x 36"
    assert layer3.kind == "stage"
    assert [n.name or n.title for n in diagram.nodes] == [
        "input 3x224x224",
        "conv1",  # its batchnorm and relu drawn in its node: "conv 7x7, 64, /2 + batchnorm + relu"
        "maxpool 3x3, /2",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "avgpool",
        "flatten",
        "fc",
        "output 1000",
    ]


def test_default_depth_draws_norm_and_activation_in_the_layer_before():
    diagram = archdsl.draw("specs/vgg19_bn.arch").diagram
    assert len(diagram.nodes) <= 40
    titles = [n.title for n in diagram.nodes]
    assert titles.count("conv 3x3, 512 + batchnorm + relu") == 8 and "linear 25088 → 4096 + relu" in titles
    stem = archdsl.draw("specs/resnet18.arch").diagram.node("conv1")
    assert stem.title == "conv 7x7, 64, /2 + batchnorm + relu" and "9,536 params" in stem.tooltip
    # Every op at an explicit depth, and inside what --expand opens; a value read twice is never hidden.
    assert archdsl.draw("specs/resnet18.arch", depth="all").diagram.node("conv1").title == "conv 7x7, 64, /2"
    opened = archdsl.draw("specs/resnet18.arch", expand=["layer1.0"]).diagram
    assert opened.node("layer1.0.conv1").title == "conv 3x3, 64" and opened.node("conv1").title == stem.title


def test_depth_2_folds_identical_blocks_and_keeps_the_strided_one():
    diagram = archdsl.draw("specs/resnet152.arch", depth=2).diagram
    first, rest = diagram.node("layer3.0"), diagram.node("layer3.1")
    assert (first.title, first.name) == ("Bottleneck", "0")
    assert "stride=2" in first.detail
    assert (rest.title, rest.name) == ("Bottleneck x 35", "1–35")
    assert [c.id for c in diagram.top.clusters] == [
        "cluster_layer1",
        "cluster_layer2",
        "cluster_layer3",
        "cluster_layer4",
    ]


def test_every_op_is_a_node_when_nothing_folds():
    checked = archdsl.check("specs/resnet50.arch")
    diagram = build_diagram(checked.graph, "all", fold=False)
    assert len(diagram.nodes) == len(list(checked.graph.ops())) + 2  # + input and output
    # Each add has its two inputs; the identity shortcuts are skip edges, the projections are not.
    adds = [n.id for n in diagram.nodes if n.title == "add"]
    assert len(adds) == 16
    into = {a: [e for e in diagram.edges if e.target == a] for a in adds}
    assert all(len(edges) == 2 for edges in into.values())
    assert sum(e.skip for edges in into.values() for e in edges) == 16 - 4  # 4 blocks have a downsample


def test_folded_full_depth_draws_one_copy_per_run():
    checked = archdsl.check("specs/resnet152.arch")
    diagram = build_diagram(checked.graph, "all")
    inner = diagram.top.clusters[2].clusters
    assert [c.label for c in inner] == ["0 · Bottleneck", "1–35 · Bottleneck x 35"]
    assert inner[1].tooltip == "layer3.1–35: Bottleneck(planes=256, stride=1); 35 identical copies, the first drawn"
    assert len(diagram.nodes) < 110  # instead of 500+


def test_edges_carry_the_shape_of_their_value():
    checked = archdsl.check("specs/resnet34.arch")
    diagram = build_diagram(checked.graph, "all")
    edge = next(e for e in diagram.edges if e.source == "conv1")
    assert (edge.target, edge.shape) == ("bn1", "64x112x112")
    assert next(e for e in diagram.edges if e.target == "(output)").shape == "1000"
    shapes = {fmt(node.shape) for _, node in checked.graph.ops()} | {fmt(checked.graph.input_shape)}
    assert {e.shape for e in diagram.edges} <= shapes


def test_every_depth_between_top_level_and_ops():
    graph = archdsl.check("specs/resnet50.arch").graph
    counts = [len(build_diagram(graph, depth).nodes) for depth in range(1, max_depth(graph) + 1)]
    assert counts == sorted(counts) and counts[0] < counts[-1]
    assert counts[-1] == len(build_diagram(graph, "all").nodes)


def test_expand_opens_a_block_by_name_path_or_glob():
    graph = archdsl.check("specs/resnet50.arch").graph
    by_path = build_diagram(graph, expand=["layer3.0"])
    assert [c.id for c in by_path.top.clusters] == ["cluster_layer3"]
    assert [c.id for c in by_path.top.clusters[0].clusters] == ["cluster_layer3.0"]
    assert by_path.node("layer3.0.conv2").title == "conv 3x3, 256, /2"
    assert by_path.node("layer3.1").title == "Bottleneck x 5"  # the rest stay closed, still folded
    by_name = build_diagram(graph, expand=["Bottleneck"])
    assert len(by_name.top.clusters) == 4
    by_glob = build_diagram(graph, expand=["layer4.*"])
    assert [c.id for c in by_glob.top.clusters[0].clusters] == [
        "cluster_layer4.0",
        "cluster_layer4.1",
        "cluster_layer4.2",
    ]


def test_expand_of_an_unknown_name_suggests_one():
    graph = archdsl.check("specs/resnet50.arch").graph
    with pytest.raises(DrawOptionError, match="did you mean `Bottleneck`"):
        build_diagram(graph, expand=["Bottlenek"])
    with pytest.raises(DrawOptionError, match="whole number"):
        build_diagram(graph, depth=0)


def test_dense_connectivity_is_one_concat_per_layer(tmp_path):
    diagram = archdsl.draw(write(tmp_path, "dense.arch", DENSE), depth="all").diagram
    concats = [n.id for n in diagram.nodes if n.title == "concat"]
    assert len(concats) == 3
    # concat(in, x1, x2, x3) is drawn as concat(previous concat, x3): 2 edges each, not 2, 3 and 4.
    assert [sum(e.target == c for e in diagram.edges) for c in concats] == [2, 2, 2]
    assert len(diagram.edges) == 10


def test_branches_merge_into_concat_and_gates_into_mul(tmp_path):
    diagram = archdsl.draw(write(tmp_path, "net.arch", INCEPTION_SE), depth="all").diagram
    concat = next(n.id for n in diagram.nodes if n.title == "concat")
    into_concat = [e for e in diagram.edges if e.target == concat]
    assert [e.shape for e in into_concat] == ["8x32x32"] * 3 and not any(e.skip for e in into_concat)
    into_mul = {e.source: e for e in diagram.edges if diagram.node(e.target).title == "mul"}
    assert into_mul[concat].skip and into_mul[concat].shape == "24x32x32"
    assert into_mul["se.sigmoid"].shape == "24x1x1" and not into_mul["se.sigmoid"].skip


def test_blocks_differing_only_in_dropout_rates_fold(tmp_path):
    spec = write(tmp_path, "n.arch", DROP_RATES)
    assert archdsl.draw(spec).diagram.node("stage").title == "Stage (B x 4)"
    folded = archdsl.draw(spec, depth=2).diagram.node("stage.0")
    assert (folded.title, folded.name, folded.detail) == ("B x 4", "0–3", "p=0…0.3\n2.3 K params")  # 4 x (8*8*9 + 8)
    inner = archdsl.draw(spec, depth="all").diagram.top.clusters[0].clusters
    assert [c.label for c in inner] == ["0–3 · B x 4"]


def test_title_has_name_params_and_macs():
    diagram = archdsl.draw("specs/resnet50.arch").diagram
    assert diagram.title == "resnet50"
    assert diagram.subtitle == "25,557,032 params · 4.089 GMACs · 3x224x224 → 1000"
    # conv + linear MACs; fvcore's 4.112 G for torchvision's resnet50 also counts BN, pooling and adds.
    assert abs(total_macs(archdsl.check("specs/resnet50.arch").graph) / 4.112e9 - 1) < 0.01


# -- DOT ------------------------------------------------------------------------------------------


def test_dot_colours_by_family_with_a_legend_and_title():
    source = archdsl.draw("specs/resnet18.arch", depth="all").source
    graph = pygraphviz.AGraph(string=source)
    assert graph.get_node("conv1").attr["fillcolor"] == PALETTE["conv"][0]
    assert graph.get_node("bn1").attr["fillcolor"] == PALETTE["norm"][0]
    assert graph.get_node("fc").attr["fillcolor"] == PALETTE["linear"][0]
    label = graph.graph_attr["label"]
    assert "resnet18" in label and "11,689,512 params" in label and "GMACs" in label
    assert all(PALETTE[f][2] in label for f in ("conv", "norm", "act", "pool", "linear", "merge"))
    assert graph.graph_attr["rankdir"] == "TB"
    sideways = pygraphviz.AGraph(string=archdsl.draw("specs/resnet18.arch", rankdir="LR").source)
    assert sideways.graph_attr["rankdir"] == "LR"


@pytest.mark.parametrize("spec", spec_files(), ids=spec_ids(spec_files()))
def test_every_spec_draws_at_every_depth(spec):
    graph = archdsl.check(spec).graph
    for depth in [*range(1, max_depth(graph) + 1), "auto", "all"]:
        drawing = archdsl.draw(Checked(graph), depth=depth)
        assert dot_nodes(drawing.source) == len(drawing.diagram.nodes)


def test_drawing_in_jupyter_and_save(tmp_path):
    drawing = archdsl.draw("specs/resnet18.arch")
    assert ET.fromstring(drawing._repr_svg_().encode()).tag == f"{SVG_NS}svg"
    pdf = drawing.save(tmp_path / "net.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert drawing.render(tmp_path / "net.dot").read_text() == drawing.source


# -- rendering with no system Graphviz -----------------------------------------------------------


def run_cli(args: list[str], env_path: str, cwd: Path = ROOT, python: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": env_path}
    command = [sys.executable, "-c", python, *args] if python else [sys.executable, "-m", "archdsl", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("name", ["resnet34", "densenet121"])
def test_png_and_svg_without_dot_on_path(tmp_path, name):
    empty = tmp_path / "bin"
    empty.mkdir()
    for suffix in ("png", "svg"):
        out = tmp_path / f"{name}.{suffix}"
        result = run_cli(["draw", f"specs/{name}.arch", "-o", str(out)], str(empty))
        assert result.returncode == 0, result.stderr
        assert "rendered in-process by pygraphviz" in result.stdout
        assert result.stderr == ""  # no fontconfig noise from the bundled libraries
        data = out.read_bytes()
        if suffix == "png":
            width, height = png_size(data)
            assert width > 300 and height > 1000  # a tall chain of a dozen or more readable boxes
        else:
            expected = len(archdsl.draw(f"specs/{name}.arch").diagram.nodes)
            assert svg_node_count(data) == expected


NO_PYGRAPHVIZ = """
import sys
sys.modules["pygraphviz"] = None  # as if it were not installed
from archdsl.cli import app
app(sys.argv[1:], prog_name="archdsl")
"""


def test_no_renderer_is_a_one_line_error_but_dot_output_works(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = run_cli(["draw", "specs/resnet18.arch", "-o", str(tmp_path / "r.png")], str(empty), python=NO_PYGRAPHVIZ)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "pip install pygraphviz" in result.stderr and "PNG" in result.stderr
    assert not (tmp_path / "r.png").exists()
    result = run_cli(["draw", "specs/resnet18.arch", "-o", str(tmp_path / "r.dot")], str(empty), python=NO_PYGRAPHVIZ)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r.dot").read_text().startswith("digraph resnet18 {")


FAKE_DOT = """#!{python}
# Stands in for a system Graphviz: records that it ran, then renders with pygraphviz.
import sys, pathlib, pygraphviz
pathlib.Path({marker!r}).write_text(" ".join(sys.argv[1:]))
fmt = next(a[2:] for a in sys.argv[1:] if a.startswith("-T"))
sys.stdout.buffer.write(pygraphviz.AGraph(string=sys.stdin.read()).draw(format=fmt, prog="dot"))
"""


def test_system_dot_is_preferred_when_on_path(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "ran"
    fake = bin_dir / "dot"
    fake.write_text(FAKE_DOT.format(python=sys.executable, marker=str(marker)))
    fake.chmod(0o755)
    out = tmp_path / "r.svg"
    result = run_cli(["draw", "specs/resnet18.arch", "-o", str(out)], str(bin_dir))
    assert result.returncode == 0, result.stderr
    assert "rendered by dot" in result.stdout
    assert marker.read_text() == "-Tsvg"
    assert svg_node_count(out.read_bytes()) == 11


def test_a_system_dot_without_png_falls_back_to_pygraphviz(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stderr.write('Format: \"png\" not recognized.\\n')\nsys.exit(1)\n"
    )
    fake.chmod(0o755)
    out = tmp_path / "r.png"
    result = run_cli(["draw", "specs/resnet18.arch", "-o", str(out)], str(bin_dir))
    assert result.returncode == 0, result.stderr
    assert "rendered in-process by pygraphviz" in result.stdout and result.stderr == ""
    assert png_size(out.read_bytes())[1] > 1000


# -- the command line ----------------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archdsl", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_cli_options(tmp_path):
    out = tmp_path / "r.dot"
    result = run(
        "draw",
        "specs/resnet18.arch",
        "-o",
        str(out),
        "--depth",
        "2",
        "--expand",
        "layer2.0.downsample",
        "--rankdir",
        "LR",
        "--set",
        "num_classes=10",
        "--input",
        "3x64x64",
        "--unfold",
    )
    assert result.returncode == 0, result.stderr
    # 8 blocks unfolded at depth 2, except layer2.0, opened to show its downsample: 9 ops.
    assert result.stdout == f"wrote {out}: resnet18, depth 2, 25 nodes\n"
    graph = pygraphviz.AGraph(string=out.read_text())
    assert graph.graph_attr["rankdir"] == "LR"
    assert graph.get_node("(output)").attr["label"] == "output 10"
    assert graph.get_edge("(input)", "conv1").attr["label"] == "3x64x64"
    assert graph.has_node("layer2.0.downsample.0")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--depth", "deep"], "--depth"),
        (["--expand", "layer9"], "matches no block or module path"),
        (["--rankdir", "XY"], "--rankdir"),
    ],
    ids=["depth", "expand", "rankdir"],
)
def test_cli_usage_errors_exit_2(tmp_path, args, message):
    result = run("draw", "specs/resnet18.arch", "-o", str(tmp_path / "r.svg"), *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_cli_unknown_format_and_spec_errors(tmp_path):
    result = run("draw", "specs/resnet18.arch", "-o", str(tmp_path / "r.jpg"))
    assert result.returncode == 2 and ".svg, .png, .pdf or .dot" in result.stderr
    bad = write(tmp_path, "bad.arch", "network n():\n    input 3x8x8\n    y = conv(4, 3)\n    add(y, in)\n")
    result = run("draw", str(bad), "-o", str(tmp_path / "r.svg"))
    assert result.returncode == 1 and result.stderr.startswith(f"{bad}:4:5: error[E401]")
    assert not (tmp_path / "r.svg").exists()


def test_draw_does_not_import_torch(tmp_path):
    probe = textwrap.dedent(f"""
        import sys
        from archdsl.cli import app
        try:
            app(["draw", "specs/resnet50.arch", "-o", {str(tmp_path / "r.svg")!r}, "--depth", "all"])
        except SystemExit as exit:
            assert exit.code in (0, None), exit.code
        assert "torch" not in sys.modules, "draw imported torch"
        print("no torch")
    """)
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("no torch")


# -- the gallery ---------------------------------------------------------------------------------


def test_gallery_is_current():
    spec = importlib.util.spec_from_file_location("gallery", ROOT / "scripts" / "gallery.py")
    gallery = importlib.util.module_from_spec(spec)
    sys.modules["gallery"] = gallery  # dataclasses look their module up while the class is built
    spec.loader.exec_module(gallery)
    problems = gallery.stale(gallery.figures())
    assert not problems, "; ".join(problems) + " (run `python scripts/gallery.py`)"
    assert re.search(r"\(docs/gallery/(README\.md)?\)", (ROOT / "README.md").read_text())
