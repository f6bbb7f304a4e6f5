"""Static analysis: exact MACs and other arithmetic per op, depth on small DAGs, memory, rendering.

Counts are checked against independent references: torch's own FlopCounterMode for conv and linear
(grouped, depthwise, tokens), torch's pooling kernels for window taps, and hand arithmetic."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import archdsl
from archdsl.backends.summary import network_depth, summarize
from archdsl.ops.counts import adaptive_windows, pooled_taps, softmax_ops, window_taps
from archdsl.ops.registry import _REGISTRY, OpDef, all_ops, register_op

from conftest import ROOT, assert_golden

torch = pytest.importorskip("torch")
F = torch.nn.functional


def summary_of(text: str, depth: int = 2, **params):
    return archdsl.summary(text, params, depth=depth)


def torch_macs(text: str) -> int:
    """MACs of conv and matmul as torch's own FlopCounterMode counts them (2 FLOPs per MAC)."""
    from torch.utils.flop_counter import FlopCounterMode

    checked = archdsl.check(text)
    model = archdsl.build(checked).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.randn(1, *checked.input_shape))
    return counter.get_total_flops() // 2


# -- MACs -------------------------------------------------------------------------------------------

CONVS = """
network convs():
    input 32x17x15
    full: conv(64, 3, stride=2, padding=1)
    grouped: conv(64, (3, 5), padding=(1, 2), groups=4, bias=false)
    depthwise: conv(64, 3, padding=2, dilation=2, groups=64)
    pointwise: conv(24, 1)
"""


def test_conv_macs_are_exact_for_grouped_and_depthwise_convs():
    s = summary_of(CONVS)
    rows = {r.name: r for r in s.rows}
    assert rows["full"].output == (64, 9, 8)
    assert rows["full"].macs == 64 * 9 * 8 * 32 * 3 * 3
    assert rows["grouped"].macs == 64 * 9 * 8 * (64 // 4) * 3 * 5
    assert rows["depthwise"].macs == 64 * 9 * 8 * 1 * 3 * 3
    assert rows["pointwise"].macs == 24 * 9 * 8 * 64
    assert s.totals.macs == sum(r.macs for r in s.rows) == torch_macs(CONVS)
    assert s.totals.flops == 2 * s.totals.macs
    # Bias adds are other arithmetic, one per output element, never MACs.
    assert rows["full"].other_ops == 64 * 9 * 8 and rows["grouped"].other_ops == 0


TOKENS = """
network tokens():
    input 197x768
    fc1: linear(3072)
    gelu
    fc2: linear(768, bias=false)
"""


def test_linear_over_tokens_counts_every_token():
    s = summary_of(TOKENS)
    rows = {r.name: r for r in s.rows}
    assert rows["fc1"].macs == 197 * 768 * 3072  # not 768 * 3072: a linear applies to each of the 197 tokens
    assert rows["fc2"].macs == 197 * 3072 * 768
    assert s.totals.macs == torch_macs(TOKENS)
    assert rows["fc1"].other_ops == 197 * 3072  # its bias, once per token
    assert rows["gelu"].other_ops == 5 * 197 * 3072


# -- other arithmetic: the conventions of docs/analysis.md ----------------------------------------


def test_other_ops_follow_the_published_rules():
    s = summary_of("""
network others():
    input 8x10x10
    bn: batchnorm
    r: relu
    r6: relu6
    lr: leaky_relu(0.1)
    e: elu
    sg: sigmoid
    sl: silu
    hs: hardswish
    hg: hardsigmoid
    th: tanh
    ga: gelu(approximate="tanh")
    n: lrn(5)
    d: dropout2d(0.1)
    i: identity
    sh: channel_shuffle(2)
    gap: global_avgpool
    pooled = sh -> gmp: global_maxpool
    add(gap, pooled)
    flatten
    sm: softmax
""")
    other = {r.name: r.other_ops for r in s.rows}
    n = 8 * 10 * 10
    assert other == {
        "bn": 2 * n,
        "r": n,
        "r6": 2 * n,
        "lr": 2 * n,
        "e": 4 * n,
        "sg": 3 * n,
        "sl": 4 * n,
        "hs": 5 * n,
        "hg": 4 * n,
        "th": n,
        "ga": 9 * n,
        "n": (5 + 5) * n,
        "d": 0,
        "i": 0,
        "sh": 0,
        "gap": n,
        "gmp": n - 8,
        "(add)": 8,
        "(flatten)": 0,
        "sm": 5 * 8 - 2,
    }
    assert all(r.macs == 0 for r in s.rows) and not s.uncounted


def test_merges_count_one_op_per_output_element_per_extra_input():
    s = summary_of("""
network merges():
    input 4x6x6
    a = conv(4, 1, bias=false)
    b = in -> conv(4, 1, bias=false)
    gate = in -> global_avgpool
    total = add(a, b, in)
    gated = mul(total, gate)
    concat(gated, b)
""")
    other = {r.name: r.other_ops for r in s.rows}
    assert other["(add)"] == 2 * 4 * 6 * 6
    assert other["(mul)"] == 4 * 6 * 6  # the 4x1x1 gate broadcasts over 4x6x6
    assert other["(concat)"] == 0


def test_pooling_counts_only_taps_inside_the_input():
    s = summary_of("""
network pools():
    input 3x7x7
    mp: maxpool(3, stride=2, padding=1)
    ap: avgpool(3, stride=2, padding=1, ceil_mode=true, count_include_pad=false)
""")
    rows = {r.name: r for r in s.rows}
    # maxpool 7 -> 4: per axis the windows hold 2, 3, 3, 2 taps inside the input (10 in all).
    assert rows["mp"].output == (3, 4, 4)
    assert rows["mp"].other_ops == 3 * (10 * 10 - 16)  # taps - 1 comparisons per output
    # avgpool 4 -> 3 (ceil): windows of 2, 3 and 1 taps per axis; taps - 1 adds and a divide per output.
    assert rows["ap"].output == (3, 3, 3)
    assert rows["ap"].other_ops == 3 * 6 * 6 == pooled_taps((3, 4, 4), (3, 3, 3), 3, 2, 1)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 12), kernel=st.integers(1, 5), stride=st.integers(1, 3), data=st.data())
def test_window_taps_match_torch_average_pooling(size, kernel, stride, data):
    """torch's avg_pool2d with divisor 1 sums the ones inside the input: exactly the taps it reads."""
    padding = data.draw(st.integers(0, kernel // 2))
    ceil_mode = data.draw(st.booleans())
    if size + 2 * padding < kernel:
        return
    ones = torch.ones(1, 1, size, size + 1)
    pooled = F.avg_pool2d(ones, kernel, stride, padding, ceil_mode=ceil_mode, divisor_override=1)
    out_shape = (1, *pooled.shape[2:])
    assert pooled_taps((1, size, size + 1), out_shape, kernel, stride, padding) == int(pooled.sum())


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 12),
    kernel=st.integers(1, 4),
    stride=st.integers(1, 3),
    dilation=st.integers(1, 3),
    data=st.data(),
)
def test_dilated_window_taps_match_torch_unfold(size, kernel, stride, dilation, data):
    padding = data.draw(st.integers(0, kernel // 2))
    if size + 2 * padding < dilation * (kernel - 1) + 1:
        return
    ones = torch.ones(1, 1, size, 1)
    columns = F.unfold(ones, (kernel, 1), dilation=(dilation, 1), padding=(padding, 0), stride=(stride, 1))
    expected = [int(v) for v in columns[0].sum(0)]
    assert window_taps(size, len(expected), kernel, stride, padding, dilation) == expected


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 40), out=st.integers(1, 12))
def test_adaptive_windows_match_torch(size, out):
    """Window bounds from torch itself: the argmax of an increasing ramp is the window's last index,
    of a decreasing one its first."""
    ramp = torch.arange(float(size)).view(1, 1, size)
    _, last = F.adaptive_max_pool1d(ramp, out, return_indices=True)
    _, first = F.adaptive_max_pool1d(-ramp, out, return_indices=True)
    assert adaptive_windows(size, out) == [int(b - a) + 1 for a, b in zip(first[0, 0], last[0, 0])]


def test_softmax_counts_rows_over_its_dim():
    assert softmax_ops((10,), 1) == 5 * 10 - 2
    assert softmax_ops((4, 3, 3), 1) == 9 * (5 * 4 - 2)
    assert softmax_ops((4, 3, 3), -1) == 12 * (5 * 3 - 2)


def test_every_op_has_a_published_rule():
    """docs/analysis.md's table of other ops names every registered op: the rules and the page agree."""
    section = (ROOT / "docs" / "analysis.md").read_text().split("## Other ops")[1].split("\n## ")[0]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    documented = set(re.findall(r"`(\w+)`", " ".join(first_cells)))
    assert set(all_ops()) - documented == set()
    assert all(op.extra_ops is not None for op in all_ops().values())


def test_an_op_without_a_rule_is_listed_as_uncounted_never_as_zero():
    name = "test_mystery_op"
    register_op(
        OpDef(name=name, family="other", args=(), shape=lambda a, i: i[0], params=lambda a, i: i[0][0])
    )  # has weights, but no macs and no extra_ops rule
    try:
        s = summary_of(f"network n():\n    input 4x8x8\n    c: conv(4, 3, padding=1)\n    m: {name}\n    relu\n")
    finally:
        del _REGISTRY[name]
    assert {(u.name, u.what) for u in s.uncounted} == {("m", "MACs"), ("m", "other ops")}
    assert s.totals.macs == 4 * 8 * 8 * 4 * 9  # the conv only
    row = {r.name: r for r in s.rows}["m"]
    assert row.uncounted == ("m",)
    text = s.render("table")
    assert "m *" in text and "uncounted" in text and "m (test_mystery_op: MACs)" in text
    assert json.loads(s.render("json"))["uncounted"][0]["op"] == name


# -- depth ------------------------------------------------------------------------------------------

VGG_LIKE = """
network vgg_like(num_classes=10):
    input 3x32x32
    features:
        (conv(16, 3, padding=1) -> relu) x 2
        maxpool(2)
        (conv(32, 3, padding=1) -> relu) x 3
        maxpool(2)
    flatten
    classifier: linear(64) -> relu -> dropout -> linear(64) -> relu -> linear(num_classes)
"""

DENSE_LIKE = """
block DenseLayer(growth):
    y = in -> batchnorm -> relu -> conv(4 * growth, 1, bias=false) -> batchnorm -> relu -> conv(growth, 3, padding=1, bias=false)
    concat(in, y)

network dense_like():
    input 3x32x32
    conv0: conv(16, 3, padding=1, bias=false)
    block1:
        for j in range(4):
            layer{j + 1}: DenseLayer(8)
    transition: batchnorm -> relu -> conv(24, 1, bias=false) -> avgpool(2)
    global_avgpool
    flatten
    fc: linear(10)
"""

INCEPTION_LIKE = """
block Inception(c):
    b1 = in -> conv(c, 1)
    b2 = in -> conv(c, 1) -> relu -> conv(c, 3, padding=1)
    b3 = in -> conv(c, 1) -> conv(c, 3, padding=1) -> conv(c, 3, padding=1)
    b4 = in -> maxpool(3, stride=1, padding=1) -> conv(c, 1)
    concat(b1, b2, b3, b4)

network inception_like():
    input 3x32x32
    stem: conv(16, 3, padding=1)
    mixed: Inception(8) x 2
    global_avgpool
    flatten
    fc: linear(10)
"""

RESIDUAL_SE = """
block Block(c, stride=1):
    y = in -> conv(c, 3, stride=stride, padding=1) -> relu -> conv(c, 3, padding=1)
    gate = y -> global_avgpool -> conv(c // 4, 1) -> relu -> conv(c, 1) -> sigmoid
    y = mul(y, gate)
    shortcut = in
    if stride != 1 or in.channels != c:
        shortcut = in -> conv(c, 1, stride=stride)
    add(y, shortcut) -> relu

network residual_se():
    input 3x32x32
    conv(16, 3, padding=1)
    Block(16) -> Block(32, stride=2)
    global_avgpool
    flatten
    linear(10)
"""

DEAD_END = """
network dead_end():
    input 3x8x8
    a = conv(4, 3, padding=1)
    b = a -> conv(4, 3, padding=1) -> conv(4, 3, padding=1) -> conv(4, 3, padding=1)
    a -> relu
"""


@pytest.mark.parametrize(
    "text, depth",
    [
        (VGG_LIKE, 5 + 3),  # a chain: every conv and linear
        (DENSE_LIKE, 1 + 4 * 2 + 1 + 1),  # concat chains each layer's two convs behind the last
        (INCEPTION_LIKE, 1 + 2 * 3 + 1),  # the deepest branch (three convs) of each module
        (RESIDUAL_SE, 1 + 2 * (2 + 2) + 1),  # the SE gate's two 1x1 convs lie on a path to the output
        (DEAD_END, 1),  # an unused branch leads nowhere: not on an input-to-output path
    ],
    ids=["vgg-like", "dense-like", "inception-like", "residual-se", "dead-end"],
)
def test_depth_is_the_longest_weighted_path(text, depth):
    s = summary_of(text, depth=0)
    assert s.totals.depth == depth
    assert network_depth(archdsl.check(text).graph) == depth


def test_resnet_depths():
    assert [archdsl.summary(f"specs/resnet{n}.arch", depth=0).totals.depth for n in (18, 34, 50, 101, 152)] == [
        18,
        34,
        50,
        101,
        152,
    ]


# -- memory -----------------------------------------------------------------------------------------


def test_activation_memory_counts_each_new_tensor_once_and_views_not_at_all():
    s = summary_of(
        """
network mem():
    input 2x4x4
    a = conv(3, 1)
    b = a -> relu
    add(a, b) -> flatten -> dropout -> linear(5)
""",
        depth=1,
    )
    sizes = {r.name: r.activation_bytes for r in s.rows}
    assert sizes == {"conv2d": 4 * 48, "relu": 4 * 48, "(add)": 4 * 48, "(flatten)": 0, "dropout": 0, "linear": 4 * 5}
    t = s.totals
    assert t.activation_bytes == 4 * (3 * 48 + 5)
    assert t.input_bytes == 4 * 32
    # Alive at once, at most: the input (held by the caller), a, b and their sum.
    assert t.peak_activation_bytes == 4 * (32 + 3 * 48)
    assert t.weight_bytes == 4 * t.params == 4 * ((2 * 3 + 3) + (48 * 5 + 5))


def test_peak_frees_an_unused_branch_at_once():
    s = summary_of(
        """
network unused():
    input 3x8x8
    a = conv(4, 3, padding=1)
    b = a -> conv(64, 1)
    a -> conv(64, 1) -> relu
""",
        depth=0,
    )
    # input 192 + the last conv's 4096 + the relu's 4096: `b` (4096) died as soon as it was made.
    assert s.totals.peak_activation_bytes == 4 * (192 + 2 * 4096)


def test_rows_sum_to_the_totals_at_depth_one():
    s = archdsl.summary("specs/resnet50.arch", depth=1)
    t = s.totals
    for field in ("params", "macs", "other_ops", "activation_bytes"):
        assert sum(getattr(r, field) for r in s.rows) == getattr(t, field), field
    assert abs(sum(r.params_percent for r in s.rows) - 100.0) < 1e-9
    deeper = archdsl.summary("specs/resnet50.arch", depth=3)
    assert deeper.totals == t and len(deeper.rows) > len(s.rows)
    assert {r.level for r in deeper.rows} == {1, 2, 3}


# -- rendering --------------------------------------------------------------------------------------


def test_renders_table_markdown_csv_and_json():
    s = archdsl.summary("specs/resnet18.arch", depth=1)
    assert_golden("summary/resnet18_depth1.txt", s.render("table"))
    assert_golden("summary/resnet18_depth1.md", s.render("markdown", other_ops=True))
    data = json.loads(s.render("json"))
    assert data["totals"]["macs"] == 1_814_073_344 and data["totals"]["depth"] == 18
    assert data["rows"][0] == {
        "name": "conv1",
        "op": "conv2d",
        "level": 1,
        "output": [64, 112, 112],
        "params": 9408,
        "params_percent": pytest.approx(100 * 9408 / 11_689_512),
        "macs": 118_013_952,
        "flops": 236_027_904,
        "other_ops": 0,
        "activation_bytes": 3_211_264,
        "uncounted": [],
    }
    table = list(csv.DictReader(io.StringIO(s.render("csv"))))
    assert table[-1]["name"] == "total" and int(table[-1]["macs"]) == 1_814_073_344
    assert sum(int(r["params"]) for r in table[:-1]) == int(table[-1]["params"]) == 11_689_512
    with pytest.raises(ValueError, match="unknown format"):
        s.render("html")


def test_depth_zero_gives_totals_only():
    s = archdsl.summary("specs/resnet18.arch", depth=0)
    assert s.rows == () and s.render("table").startswith("resnet18: 3x224x224 -> 1000")


def test_summary_takes_check_options():
    s = archdsl.summary("specs/resnet18.arch", {"num_classes": 10}, input_shape=(3, 64, 64), depth=0)
    assert s.input == (3, 64, 64) and s.output == (10,)
    assert s.totals.params == 11_181_642
    assert summarize(archdsl.check("specs/resnet18.arch", {"num_classes": 10}, input_shape=(3, 64, 64)).graph, 0) == s


def test_compare_rows_and_sorting():
    c = archdsl.compare(["specs/resnet50.arch", "specs/resnet18.arch", "specs/resnet34.arch"])
    assert [r.name for r in c.rows] == ["resnet50", "resnet18", "resnet34"]
    assert [r.name for r in c.sorted_by("params").rows] == ["resnet18", "resnet34", "resnet50"]
    assert [r.name for r in c.sorted_by("depth", descending=True).rows] == ["resnet50", "resnet34", "resnet18"]
    assert c.rows[1].macs == 1_814_073_344 and c.rows[1].latency_ms is None
    assert_golden("summary/compare_resnets.md", c.sorted_by("macs").render("markdown"))


def test_plot_labels_every_model_even_when_crowded():
    pytest.importorskip("matplotlib")
    from archdsl.backends.plot import plot_comparison
    from archdsl.backends.summary import CompareRow, Comparison

    # 14 models, two pairs on the same spot (as vgg16 and vgg16_bn are): each pair shares one label.
    rows = [
        CompareRow(
            name=f"net{i}",
            spec="-",
            input=(3, 32, 32),
            params=10**6 * (1 + i % 7),
            macs=10**8 * (1 + i // 2),
            depth=i,
            activation_bytes=0,
        )
        for i in range(12)
    ]
    rows += [rows[0].model_copy(update={"name": "net0_bn"}), rows[5].model_copy(update={"name": "net5_bn"})]
    png = plot_comparison(Comparison(rows=tuple(rows)), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    svg = plot_comparison(Comparison(rows=tuple(rows)), "svg").decode()
    assert "net0 / net0_bn" in svg and "net5 / net5_bn" in svg
    assert all(f"net{i}" in svg for i in range(12))
