"""The value graph: a DAG in topological order, and warnings for values that are never used."""

from __future__ import annotations

import pytest

import archdsl
from archdsl.errors import GraphError
from archdsl.ir.lint import topological_order, validate


def test_resnet_graph_is_a_dag_in_order():
    checked = archdsl.check("specs/resnet18.arch")
    report = validate(checked.graph)
    ops = [node for _, node in checked.graph.ops()]
    assert report.order[0] == 0 and sorted(report.order) == [0] + sorted(node.id for node in ops)
    position = {value: i for i, value in enumerate(report.order)}
    assert all(position[source] < position[node.id] for node in ops for source in node.inputs)
    assert report.warnings == []
    # every add in a residual block has two inputs
    adds = [node for node in ops if node.op == "add"]
    assert len(adds) == 8 and all(len(node.inputs) == 2 for node in adds)


def test_a_cycle_is_an_error_that_names_an_op_on_it():
    # Values are numbered in creation order, so no spec makes a cycle; an edited graph can, and the order
    # must then name a layer on it instead of looping or crashing.
    graph = archdsl.check("specs/mlp.arch").graph
    ops = list(graph.ops())
    (first_path, first), (_, last) = ops[0], ops[-1]
    looped = [(first_path, first.model_copy(update={"inputs": [last.id]}))] + ops[1:]
    with pytest.raises(GraphError) as caught:
        topological_order(graph, looped)
    on_cycle = [f"`{path}`" for path, _ in ops]
    assert caught.value.code == "E501" and any(name in str(caught.value) for name in on_cycle)
    assert topological_order(graph, ops)[0] == 0  # the unedited graph sorts


def test_unused_values_are_warned_about_with_their_position():
    text = "network n():\n    input 3x16x16\n    side = in -> conv(4, 1)\n    in -> conv(8, 3)\n"
    checked = archdsl.check(text)
    assert len(checked.warnings) == 1
    warning = checked.warnings[0]
    assert warning.code == "W501" and warning.severity == "warning"
    assert (warning.span.line, warning.span.col) == (3, 18)
    assert str(warning).startswith("<spec>:3:18: warning[W501]")
