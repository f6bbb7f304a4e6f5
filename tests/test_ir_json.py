"""The IR graph is the contract with every tool outside the compiler: validated, plain data, and a
lossless JSON round trip for every shipped spec."""

from __future__ import annotations

import pytest

import archdsl
from archdsl.ir.nodes import Graph, OpNode, ScopeNode

from conftest import spec_files, spec_ids

PLAIN = (bool, int, float, str, type(None))


def _is_plain(value) -> bool:
    if isinstance(value, tuple):
        return all(_is_plain(item) for item in value)
    return type(value) in PLAIN  # exact types: no ParamInt, ParamFloat or evaluator values


@pytest.mark.parametrize("path", spec_files(), ids=spec_ids(spec_files()))
def test_the_graph_round_trips_through_json(path):
    graph = archdsl.check(path).graph
    back = Graph.model_validate_json(graph.model_dump_json())
    assert back == graph
    assert back.model_dump() == graph.model_dump()  # spans and the side table too
    for _, node in graph.root.walk():
        values = node.attrs if isinstance(node, OpNode) else node.args
        assert all(_is_plain(v) for v in values.values()), node.name
        if isinstance(node, OpNode):
            assert all(type(d) is int for d in node.shape)


def test_parameters_used_verbatim_are_in_the_side_table():
    graph = archdsl.check("specs/resnet18.arch", {"num_classes": 10}).graph
    fc = next(node for path, node in graph.ops() if path == "fc")
    assert fc.attrs["out"] == 10 and type(fc.attrs["out"]) is int
    assert graph.param_uses.attrs == {f"{fc.id}:out": "num_classes"}
    assert graph.param_uses.shapes == {f"{fc.id}:0": "num_classes"}
    assert "num_classes" in archdsl.api.factory_params(archdsl.check("specs/resnet18.arch"))


def test_block_arguments_from_a_parameter_are_recorded_by_module_path():
    graph = archdsl.check("specs/shufflenet_v1.arch").graph
    assert graph.param_uses.args["features.stage2.unit1:groups"] == "groups"
    unit = dict(graph.root.walk())["features.stage2.unit1"]
    assert isinstance(unit, ScopeNode) and unit.args["groups"] == 3


def test_the_graph_is_validated():
    graph = archdsl.check("specs/lenet5.arch").graph
    data = graph.model_dump()
    data["root"]["items"][0]["shape"] = ["six", 28, 28]
    with pytest.raises(ValueError, match="shape"):
        Graph.model_validate(data)
