"""The networkx view: a DAG in topological order, and warnings for values that are never used."""

from __future__ import annotations

import archdsl
from archdsl.ir.lint import to_networkx, validate


def test_resnet_graph_is_a_dag_in_order():
    checked = archdsl.check("specs/resnet18.arch")
    report = validate(checked.graph)
    dag = to_networkx(checked.graph)
    assert report.order[0] == 0 and len(report.order) == dag.number_of_nodes()
    position = {node: i for i, node in enumerate(report.order)}
    assert all(position[a] < position[b] for a, b in dag.edges)
    assert report.warnings == []
    # every add in a residual block has two inputs
    adds = [n for n, data in dag.nodes(data=True) if data["op"] == "add"]
    assert len(adds) == 8 and all(dag.in_degree(n) == 2 for n in adds)


def test_unused_values_are_warned_about_with_their_position():
    text = "network n():\n    input 3x16x16\n    side = in -> conv(4, 1)\n    in -> conv(8, 3)\n"
    checked = archdsl.check(text)
    assert len(checked.warnings) == 1
    warning = checked.warnings[0]
    assert warning.code == "W501" and warning.severity == "warning"
    assert (warning.span.line, warning.span.col) == (3, 18)
    assert str(warning).startswith("<spec>:3:18: warning[W501]")
