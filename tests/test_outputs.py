"""Networks with several named outputs (issue 12): `return logits=fc, aux_logits=aux`. The IR carries
every output with its shape; the module returns them as torchvision's GoogLeNet and Inception3 do (a
named tuple in training mode, the main output in eval mode); summary and draw show every output."""

from __future__ import annotations

import textwrap

import pytest

import archdsl
from archdsl.backends.diagram import build_diagram
from archdsl.errors import ArchError
from archdsl.frontend.unparse import to_arch

from conftest import assert_same_model_in_every_syntax, save_spec

SPEC = textwrap.dedent(
    """\
    network Two(num_classes=10):
        input 3x16x16
        conv1: conv(8, 3, stride=2)
        aux = conv1 -> aux1: (global_avgpool -> flatten -> fc: linear(num_classes))
        relu
        conv2: conv(16, 3)
        avgpool: global_avgpool
        flatten
        fc: linear(num_classes)
        return logits=fc, aux_logits=aux
    """
)


def test_the_graph_carries_every_output_with_its_shape(tmp_path):
    checked = archdsl.check(save_spec(tmp_path, SPEC))
    graph = checked.graph
    assert list(graph.outputs) == ["logits", "aux_logits"]
    assert checked.output_shapes == {"logits": (10,), "aux_logits": (10,)}
    assert graph.root.output == graph.outputs["logits"]  # the main output is the first
    assert graph.outputs_text == "logits 10, aux_logits 10"
    assert not [w for w in checked.warnings if w.code == "W501"]  # the aux head is used: it is an output
    assert type(graph).model_validate_json(graph.model_dump_json()) == graph


def test_summary_and_draw_show_every_output(tmp_path):
    path = save_spec(tmp_path, SPEC)
    assert "-> logits 10, aux_logits 10 (batch 1" in archdsl.summary(path).render("table")
    diagram = build_diagram(archdsl.check(path).graph)
    outputs = [node.title for node in diagram.nodes if node.kind == "output"]
    assert outputs == ["logits 10", "aux_logits 10"]
    assert "3x16x16 → logits 10, aux_logits 10" in diagram.subtitle


def test_training_mode_returns_a_named_tuple_and_eval_mode_the_main_output(tmp_path):
    torch = pytest.importorskip("torch")
    path = save_spec(tmp_path, SPEC)
    source = archdsl.emit(path)
    assert "class TwoOutputs(NamedTuple):" in source
    assert "if self.training:\n            return TwoOutputs(" in source
    torch.manual_seed(0)
    model = archdsl.build(path)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        trained = model.train()(x)
        assert type(trained).__name__ == "TwoOutputs" and trained._fields == ("logits", "aux_logits")
        features = model.conv1(x)
        assert torch.equal(trained.aux_logits, model.aux1(features))
        assert torch.equal(trained.logits, model.fc(torch.flatten(model.avgpool(model.conv2(model.relu(features))), 1)))
        calls = []
        model.aux1.register_forward_hook(lambda *args: calls.append(1))
        assert torch.equal(model.eval()(x), trained.logits)
        assert calls == []  # as torchvision's heads, the side output is computed in training mode only
        model.train()(x)
        assert calls == [1]


def test_yaml_fmt_and_convert_round_trips(tmp_path):
    yaml_text = assert_same_model_in_every_syntax(tmp_path, SPEC)
    assert "- return logits=fc, aux_logits=aux" in yaml_text


BLOCK_RETURN = """\
block Head(n):
    fc: linear(n)
    return logits=fc
network Bad():
    input 8
    Head(2)
"""


@pytest.mark.parametrize(
    ("text", "code", "line", "col", "message"),
    [
        (SPEC + "    relu\n", "E303", 11, 5, "nothing may follow `return`"),
        (SPEC.replace("aux_logits=aux", "aux_logits=num_classes"), "E301", 10, 34, "must be a value"),
        (SPEC.replace("aux_logits=aux", "logits=aux"), "E205", 10, 30, "named twice"),
        (BLOCK_RETURN, "E303", 3, 5, "a block or group has one output"),
    ],
)
def test_mistakes_are_located(tmp_path, text, code, line, col, message):
    with pytest.raises(ArchError) as caught:
        archdsl.check(save_spec(tmp_path, text))
    error = caught.value
    errors = getattr(error, "errors", [error])
    first = errors[0]
    assert (first.code, first.span.line, first.span.col) == (code, line, col)
    assert message in first.message


def test_the_writer_writes_the_outputs_back(tmp_path):
    """IR -> .arch (import, structured prune): the written spec names the same outputs, ops alike."""
    from archdsl.writer.spec import graph_to_spec

    graph = archdsl.check(save_spec(tmp_path, SPEC)).graph
    text = to_arch(graph_to_spec(graph))
    assert "return logits=fc, aux_logits=aux1" in text
    again = archdsl.check(save_spec(tmp_path, text, "written.arch")).graph
    assert again.output_shapes == graph.output_shapes
    assert [(p, n.op, n.inputs, n.shape) for p, n in again.ops()] == [
        (p, n.op, n.inputs, n.shape) for p, n in graph.ops()
    ]


def test_training_uses_the_main_output(tmp_path):
    """`archdsl train` gets the named tuple in training mode and trains on its first field."""
    pytest.importorskip("torch")
    text = SPEC.replace("input 3x16x16", "input 1x8x8")  # the offline digits data set, at its native size
    metrics = archdsl.train(save_spec(tmp_path, text), epochs=1, out=str(tmp_path / "run"), progress="none")
    assert len(metrics) == 1 and metrics[0]["train_loss"] > 0
