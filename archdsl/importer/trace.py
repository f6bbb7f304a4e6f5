"""PyTorch module -> archdsl IR graph, through `torch.fx` symbolic tracing.

Library op modules (conv, batchnorm, ...) are leaves; everything else is traced through, and the
module each call came from (fx's `nn_module_stack`) becomes a scope, so the IR keeps the module tree
and the state_dict names. Two rewrites make DenseNet-style code expressible: a `cat` of a list that
extends an earlier `cat`'s list concatenates onto it, and `cat(x, f(x))` right after the module `f`
moves into `f` (a dense layer that appends its features).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from ..backends.pysource.writer import short_float
from ..ir.naming import quoted_label_problem
from ..ir.nodes import Graph, OpNode, ScopeNode
from ..ir.structure import stage_blocks
from ..ops.registry import get_op
from .errors import ATTENTION_HINT, FUNCTION_HINT, LANGUAGE_HINT, PLUGIN_HINT, ModelImportError
from .mapping import (
    ATTENTION,
    FUNCTIONS,
    MODULES,
    channel_shuffle_op,
    function_op,
    generated_reader,
    is_norm_act,
    module_op,
    norm_act_ops,
    wrapped_functions,
)

_DATA_FLOW_HINT = (
    "archdsl specs are static graphs: make the branch depend on constructor arguments, not on "
    "tensor values, or import a model built with those arguments"
)


# Calls that mean a transformer, or a tensor layout the language does not have.
ATTENTION_CALLS = {"scaled_dot_product_attention", "matmul", "bmm", "baddbmm", "einsum", "multi_head_attention_forward"}
LANGUAGE_CALLS = {"transpose", "reshape", "view", "layer_norm", "group_norm", "roll", "pad", "interpolate"}


class _Tracer(fx.Tracer):
    def __init__(self, extra: tuple = ()):
        super().__init__(autowrap_functions=wrapped_functions() + extra)
        self.record_stack_traces = True

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return (
            type(m) in MODULES
            or generated_reader(m) is not None
            or is_norm_act(m)
            or super().is_leaf_module(m, qualname)
        )


@dataclass
class _Op:
    id: int
    op: str
    attrs: dict[str, Any]
    inputs: list[int]
    scope: str
    name: str | None
    shape: tuple[int, ...]
    params: int = 0


@dataclass
class _Trace:
    ops: list[_Op] = field(default_factory=list)
    output: int = 0


def reject_attention(model: nn.Module) -> None:
    """Transformers fail early, naming their first attention module, instead of at a reshape deep inside."""
    for path, sub in model.named_modules():
        name = type(sub).__name__
        if isinstance(sub, ATTENTION) or "Attention" in name or name.endswith(("EncoderBlock", "TransformerBlock")):
            kind = f"{type(sub).__module__}.{type(sub).__qualname__}"
            raise ModelImportError(f"`{path}` ({kind}) is an attention layer", ATTENTION_HINT, "E842")


def generated_functions(model: nn.Module) -> tuple:
    """`channel_shuffle` of archdsl's own generated code, kept whole (importing a built spec again)."""
    found = []
    for sub in model.modules():
        namespace = getattr(type(sub).forward, "__globals__", {})
        function = namespace.get("channel_shuffle") if type(sub).__module__.startswith("archdsl_generated") else None
        if function is not None and function not in found:
            FUNCTIONS[function] = channel_shuffle_op
            found.append(function)
    return tuple(found)


def trace(model: nn.Module, input_shape: tuple[int, ...]) -> fx.GraphModule:
    """fx-trace `model` in eval mode and record every value's shape (batch 2)."""
    model.eval()
    try:
        graph = _Tracer(generated_functions(model)).trace(model)
    except torch.fx.proxy.TraceError as exc:
        raise ModelImportError(
            f"torch.fx cannot trace {type(model).__name__}{_user_line(exc)}: {exc}", _DATA_FLOW_HINT, "E844"
        ) from None
    module = fx.GraphModule(model, graph)
    from torch.fx.passes.shape_prop import ShapeProp

    with torch.no_grad():
        # On the model's device: a model made on `meta` (the biggest ones) is imported without memory.
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        ShapeProp(module).propagate(torch.zeros(2, *input_shape, device=device))
    return module


def _user_line(exc: BaseException) -> str:
    """` (at model.py:12)`: the last frame of the model's own code in a tracing error's traceback."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/torch/" not in f.filename]
    return f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames and frames[-1].filename != __file__ else ""


def _kind(module: nn.Module) -> str:
    return f"{type(module).__module__}.{type(module).__qualname__}"


def _where(node: fx.Node) -> str:
    """`(file.py:12)`: the line of the model's code that made this node, for messages."""
    trace_text = (node.stack_trace or "").strip().splitlines()
    frames = [
        line.strip()
        for line in trace_text
        if line.strip().startswith("File ") and "/torch/" not in line and "/torchvision/ops/" not in line
    ]
    if not frames:
        return ""
    parts = frames[-1].split(",")
    file = parts[0].removeprefix("File ").strip('"')
    line = parts[1].strip().removeprefix("line ") if len(parts) > 1 else "?"
    return f" (at {file}:{line})"


def _scope_of(node: fx.Node) -> str:
    stack = list(node.meta.get("nn_module_stack", {}).keys())
    if node.op == "call_module":
        stack = stack[:-1]
    return stack[-1].split("@")[0] if stack else ""


def _tensor_inputs(args: Any, ids: dict[fx.Node, int]) -> list[int]:
    out: list[int] = []
    for arg in args:
        if isinstance(arg, fx.Node):
            out.append(ids[arg])
        elif isinstance(arg, list | tuple):
            out.extend(_tensor_inputs(arg, ids))
    return out


def collect(module: fx.GraphModule, root: nn.Module) -> _Trace:
    """Every call node as an archdsl op, in order, with its scope and inputs."""
    result = _Trace()
    ids: dict[fx.Node, int] = {}
    chunks: dict[fx.Node, tuple[int, int]] = {}  # x.chunk(n, dim=1) awaiting its getitem
    called: set[str] = set()
    for node in module.graph.nodes:
        if node.op == "placeholder":
            if ids:
                raise ModelImportError("the model's forward takes more than one tensor; archdsl networks take one")
            ids[node] = 0
            continue
        if node.op == "output":
            result.output = ids[node.args[0]] if isinstance(node.args[0], fx.Node) else -1
            if result.output < 0:
                raise ModelImportError(
                    "the model returns more than one tensor; archdsl networks return one",
                    "import it in eval mode with auxiliary outputs off (e.g. aux_logits=False)",
                )
            continue
        if node.op == "get_attr":
            ids[node] = len(result.ops) + 1
            result.ops.append(_held_tensor(node, root, ids[node]))
            continue
        if _views_held_tensor(node):
            ids[node] = ids[node.args[0]]
            _add_view(next(op for op in result.ops if op.id == ids[node]), tuple(node.meta["tensor_meta"].shape))
            continue
        name: str | None = None
        params = 0
        if node.op == "call_module" and is_norm_act(root.get_submodule(node.target)):
            # timm's BatchNormAct2d: the batchnorm keeps the module's name, its act and drop follow.
            sub = root.get_submodule(node.target)
            value, shape = ids[node.args[0]], tuple(node.meta["tensor_meta"].shape[1:])
            params = sum(p.numel() for p in sub.parameters(recurse=False))
            for position, (op, attrs) in enumerate(norm_act_ops(sub, node.target)):
                named = position == 0
                result.ops.append(
                    _Op(
                        len(result.ops) + 1,
                        op,
                        _full_attrs(op, attrs),
                        [value],
                        _scope_of(node),
                        node.target.rsplit(".", 1)[-1] if named else None,
                        shape,
                        params if named else 0,
                    )
                )
                value = len(result.ops)
            ids[node] = value
            continue
        if node.op == "call_module" and type(root.get_submodule(node.target)) is nn.Identity:
            ids[node] = ids[node.args[0]]  # a placeholder (timm's `aa`, `drop_path` at rate 0): no layer, no weights
            continue
        if node.op == "call_module":
            sub = root.get_submodule(node.target)
            op, attrs = module_op(sub, node.target, _where(node))
            name = node.target.rsplit(".", 1)[-1]
            problem = next(filter(None, map(quoted_label_problem, node.target.split("."))), None)
            if problem is not None:
                raise ModelImportError(f"`{node.target}`: {problem}", code="E846")
            params = sum(p.numel() for p in sub.parameters())
            if node.target in called:
                if params:
                    raise ModelImportError(f"`{node.target}` is called twice, sharing its weights", code="E845")
                name = None
            called.add(node.target)
            inputs = [ids[node.args[0]]]
        elif _is_spatial_mean(node) and _arg(node, 2, "keepdim", False):
            # x.mean((2, 3), keepdim=True): global average pooling (timm's squeeze-and-excitation).
            op, attrs, inputs = "global_avgpool", {}, [ids[node.args[0]]]
        elif _is_spatial_mean(node):
            # x.mean([2, 3]): global average pooling, then the 1x1 map flattened.
            pooled = len(result.ops) + 1
            shape = tuple(node.meta["tensor_meta"].shape[1:])
            result.ops.append(
                _Op(pooled, "global_avgpool", {}, [ids[node.args[0]]], _scope_of(node), None, (*shape, 1, 1))
            )
            op, attrs, inputs = "flatten", {"start": 1, "end": -1}, [pooled]
        elif node.op == "call_method" and node.target == "chunk":
            chunks[node] = (_arg(node, 1, "chunks"), _arg(node, 2, "dim", 0))
            ids[node] = ids[node.args[0]]
            continue
        elif node.op == "call_function" and node.args and node.args[0] in chunks:
            count, dim = chunks[node.args[0]]
            if dim != 1:
                raise ModelImportError(f"chunk along dim {dim} has no archdsl form{_where(node)}")
            op, attrs, inputs = "chunk", {"chunks": count, "index": node.args[1]}, [ids[node.args[0]]]
        else:
            reader = function_op(node.target)
            if reader is None:
                what = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", node.target)
                scope = _scope_of(node)
                where = f"`{scope}` ({_kind(root.get_submodule(scope))})" if scope else "the top-level forward"
                message = f"`{what}` in {where}{_where(node)} has no archdsl op"
                if str(what) in ATTENTION_CALLS:
                    raise ModelImportError(message, ATTENTION_HINT, "E842")
                if str(what) in LANGUAGE_CALLS:
                    raise ModelImportError(message, LANGUAGE_HINT, "E843")
                raise ModelImportError(message, FUNCTION_HINT, "E841")
            mapped = reader(node.args, node.kwargs)
            tensor_inputs = _tensor_inputs(node.args, ids) + _tensor_inputs(node.kwargs.values(), ids)
            if mapped is None or (mapped[0] == "concat" and len(tensor_inputs) == 1):
                ids[node] = tensor_inputs[0]
                continue
            op, attrs = mapped
            inputs = tensor_inputs
            if op in ("add", "mul") and len(inputs) != 2:
                raise ModelImportError(
                    f"`{op}` with a constant in `{_scope_of(node)}`{_where(node)} has no archdsl form", code="E841"
                )
        op_id = len(result.ops) + 1
        ids[node] = op_id
        shape = tuple(node.meta["tensor_meta"].shape[1:])
        result.ops.append(_Op(op_id, op, _full_attrs(op, attrs), inputs, _scope_of(node), name, shape, params))
    result.ops = _held_tensors_at_first_use(result.ops)
    return result


def _held_tensors_at_first_use(ops: list[_Op]) -> list[_Op]:
    """Each held tensor just before the op that first reads it: fx records `self.layer_scale` where the
    forward touches it (before the branch it scales, in torchvision; after it, in archdsl's own code),
    and one place for it keeps an import of a built spec the same text."""
    held = {op.id: op for op in ops if op.op == "parameter" and not op.inputs}
    ordered: list[_Op] = []
    for op in ops:
        if op.id in held:
            continue
        ordered += [held.pop(v) for v in op.inputs if v in held]
        ordered.append(op)
    return ordered + list(held.values())


def _held_tensor(node: fx.Node, root: nn.Module, op_id: int) -> _Op:
    """A learnable tensor a module holds and uses in its forward (ConvNeXt's `layer_scale`) as
    `parameter(dims..., init=v)` under the attribute's name. Its init is the tensor's value when every
    element is the same (a fresh model), else its mean: the imported weights overwrite it anyway."""
    try:
        tensor = root.get_parameter(str(node.target))
    except AttributeError:
        raise ModelImportError(
            f"`{node.target}` is a tensor used outside any layer{_where(node)}, and not a learnable parameter",
            "archdsl holds learnable tensors only (`parameter(...)`); compute a constant inside a layer",
            "E843",
        ) from None
    owner, _, name = str(node.target).rpartition(".")
    problem = quoted_label_problem(name)
    if problem is not None:
        raise ModelImportError(f"`{node.target}`: {problem}", code="E846")
    init = 0.0
    if not tensor.is_meta and tensor.numel():
        flat = tensor.detach().flatten()
        value = flat[0] if bool((flat == flat[0]).all()) else flat.mean()
        init = float(
            str(value.numpy().item() if value.dtype == torch.float64 else value.numpy())
        )  # 1e-6, not 9.99999997e-7
    attrs = _full_attrs("parameter", {"shape": tuple(tensor.shape), "init": init})
    return _Op(op_id, "parameter", attrs, [], owner, name, tuple(tensor.shape), tensor.numel())


def _views_held_tensor(node: fx.Node) -> bool:
    """`self.gamma.reshape(1, -1, 1, 1)` (timm's ConvNeXt): a held tensor read through a view, nowhere else."""
    source = node.args[0] if node.args else None
    return (
        node.op == "call_method"
        and node.target in ("reshape", "view")
        and isinstance(source, fx.Node)
        and source.op == "get_attr"
        and len(source.users) == 1
    )


def _add_view(held: _Op, shape: tuple[int, ...]) -> None:
    """The view becomes the held tensor's `view=`, its leading 1s dropped (a batch of one broadcasts alike)."""
    while len(shape) > 1 and shape[0] == 1:
        shape = shape[1:]
    held.attrs = _full_attrs("parameter", {**held.attrs, "view": shape})
    held.shape = shape


def _is_spatial_mean(node: fx.Node) -> bool:
    if not (node.op == "call_method" and node.target == "mean") and node.target is not torch.mean:
        return False
    dims = _arg(node, 1, "dim")
    return isinstance(dims, list | tuple) and sorted(d % 4 for d in dims) == [2, 3]


def _arg(node: fx.Node, index: int, name: str, default: Any = None) -> Any:
    return node.args[index] if len(node.args) > index else node.kwargs.get(name, default)


def _full_attrs(op: str, attrs: dict[str, Any]) -> dict[str, Any]:
    definition = get_op(op)
    # Floats as archdsl writes them in the code it emits (`0.0003`, not `1 - 0.9997`'s 0.00029999999999996696),
    # so the module built from the spec imports to the same text.
    return {
        a.name: short_float(value) if isinstance(value, float) else value
        for a in definition.args
        for value in [attrs.get(a.name, a.default)]
    }


def rewrite_concats(trace: _Trace) -> None:
    """cat(a, b, c) after cat(a, b) -> cat(cat_ab, c); then cat(x, f(x)) moves into the scope of f."""
    by_inputs: dict[tuple[int, ...], _Op] = {}
    for op in trace.ops:
        if op.op != "concat":
            continue
        for cut in range(len(op.inputs) - 1, 1, -1):
            earlier = by_inputs.get(tuple(op.inputs[:cut]))
            if earlier is not None and earlier.attrs["dim"] == op.attrs["dim"]:
                op.inputs = [earlier.id, *op.inputs[cut:]]
                break
        by_inputs[tuple(_expand(op, trace))] = op
    producers = {op.id: op for op in trace.ops}
    for op in trace.ops:
        if op.op != "concat" or len(op.inputs) != 2 or op.inputs[1] not in producers:
            continue
        scope = producers[op.inputs[1]].scope
        while scope and not (op.scope + ".").startswith(scope + "."):
            if _scope_inputs(trace, scope) == {op.inputs[0]} and _scope_output(trace, scope) == op.inputs[1]:
                op.scope = scope
                break
            scope = scope.rsplit(".", 1)[0] if "." in scope else ""


def _expand(op: _Op, trace: _Trace) -> list[int]:
    """A concat's inputs with earlier concats (on the same dim) spread out."""
    by_id = {o.id: o for o in trace.ops}
    out: list[int] = []
    for value in op.inputs:
        inner = by_id.get(value)
        out.extend(
            _expand(inner, trace)
            if inner is not None and inner.op == "concat" and inner.attrs["dim"] == op.attrs["dim"]
            else [value]
        )
    return out


def _inside(scope: str, path: str) -> bool:
    return path == scope or path.startswith(scope + ".")


def _scope_inputs(trace: _Trace, scope: str) -> set[int]:
    inside = {op.id for op in trace.ops if _inside(scope, op.scope)}
    return {v for op in trace.ops if _inside(scope, op.scope) for v in op.inputs if v not in inside}


def _scope_output(trace: _Trace, scope: str) -> int | None:
    inside = {op.id for op in trace.ops if _inside(scope, op.scope)}
    used = {v for op in trace.ops if not _inside(scope, op.scope) for v in op.inputs if v in inside}
    if trace.output in inside:
        used.add(trace.output)
    return next(iter(used)) if len(used) == 1 else None


def to_graph(trace: _Trace, root: nn.Module, name: str, input_shape: tuple[int, ...]) -> Graph:
    """The IR graph: one ScopeNode per module that made calls, OpNodes in call order."""
    numbered = [op.name for op in trace.ops if op.scope == "" and op.name and op.name.isdigit()]
    if numbered:
        raise ModelImportError(
            f"the model is an nn.Sequential at the top level (`{numbered[0]}`, ...); a spec's network names its layers",
            "wrap it: a module whose attribute holds the "
            "Sequential (`self.body = nn.Sequential(...)`) imports with names `body.0`, ...",
            "E846",
        )
    scope = _build_scope(trace, root, "", trace.ops, 0, trace.output, name)
    # A class that is a plain chain of blocks whose length differs between uses (DenseNet's _DenseBlock)
    # is compiled back to an nn.Sequential, which imports as a group: write it as a group from the start,
    # so importing the built spec gives the same text. The rule is the code generator's own.
    scope = _as_groups(scope, stage_blocks(scope))
    return Graph(
        name=name, class_name=_class_name(type(root)), doc=None, params={}, input_shape=input_shape, root=scope
    )


def _as_groups(scope: ScopeNode, blocks: set[str]) -> ScopeNode:
    items = tuple(_as_groups(item, blocks) if isinstance(item, ScopeNode) else item for item in scope.items)
    return scope.model_copy(update={"items": items, "block": None if scope.block in blocks else scope.block})


def _is_container(module: nn.Module, root: nn.Module) -> bool:
    """A plain chain of children, written as a group, never as a block of its own: nn.Sequential, and a
    subclass that keeps its forward and whose instances name their children differently (torchvision's
    RegNet `AnyStage`: `block1-0` in one stage, `block2-0` ... in the next; a block cannot take names as
    parameters). Subclasses with numbered children (Conv2dNormActivation) or the same names stay blocks."""
    cls = type(module)
    if cls in (nn.Sequential, nn.ModuleList, nn.ModuleDict):
        return True
    if cls.__module__.startswith("archdsl_generated"):
        return False  # archdsl's own block classes (some are Sequential subclasses) are blocks again
    if not isinstance(module, nn.Sequential) or cls.forward is not nn.Sequential.forward:
        return False
    names = {
        tuple(name for name, _ in sub.named_children())
        for sub in root.modules()
        if type(sub) is cls and not all(name.isdigit() for name, _ in sub.named_children())
    }
    return len(names) > 1


def _class_name(cls: type) -> str:
    name = cls.__name__.lstrip("_") or "Module"
    if cls.__module__.startswith("archdsl_generated"):
        # archdsl compiles each distinct form of a block to its own class (BasicBlock,
        # BasicBlockDownsample), whose docstring names the block: one block again, so importing a built
        # spec gives the same text.
        match = re.match(r"Block `(\w+)`", cls.__doc__ or "")
        name = match.group(1) if match else name
    return name


def _build_scope(
    trace: _Trace, root: nn.Module, path: str, ops: list[_Op], input_id: int, output_id: int, name: str
) -> ScopeNode:
    items: list[OpNode | ScopeNode] = []
    depth = path.count(".") + 1 if path else 0
    index = 0
    while index < len(ops):
        op = ops[index]
        if op.scope == path:
            items.append(
                OpNode(
                    id=op.id,
                    op=op.op,
                    attrs=op.attrs,
                    inputs=tuple(op.inputs),
                    name=op.name,
                    shape=op.shape,
                    params=op.params,
                )
            )
            index += 1
            continue
        child = ".".join(op.scope.split(".")[: depth + 1])
        members = [o for o in ops if _inside(child, o.scope)]
        inputs = _scope_inputs(trace, child)
        module = root.get_submodule(child)
        kind = f"{type(module).__module__}.{type(module).__qualname__}"
        if len(inputs) != 1:
            raise ModelImportError(
                f"`{child}` ({kind}) takes {len(inputs)} tensors; archdsl blocks take one", code="E846"
            )
        output = _scope_output(trace, child)
        if output is None:
            raise ModelImportError(
                f"`{child}` ({kind}) returns more than one tensor; archdsl blocks return one", code="E846"
            )
        last = max(ops.index(m) for m in members)
        if any(not _inside(child, o.scope) for o in ops[index : last + 1]):
            raise ModelImportError(f"the calls of `{child}` ({kind}) are interleaved with others", code="E846")
        (input_value,) = inputs
        items.append(_build_scope(trace, root, child, members, input_value, output, child.rsplit(".", 1)[-1]))
        index = last + 1
    module = root.get_submodule(path) if path else root
    block = None if not path or _is_container(module, root) else _class_name(type(module))
    flow, chain = input_id, True
    for item in items:
        item_inputs = item.inputs if isinstance(item, OpNode) else (item.input,)
        chain = chain and tuple(item_inputs) == (flow,)
        flow = item.id if isinstance(item, OpNode) else item.output
    if not items:
        raise ModelImportError(f"`{path}` makes no calls", PLUGIN_HINT)
    return ScopeNode(
        name=name,
        block=block,
        input=input_id,
        output=output_id,
        items=tuple(items),
        sequential=bool(path) and chain and flow == output_id,  # a network is never nn.Sequential
    )
