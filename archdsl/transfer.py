"""Copy weights between two models of the same architecture whose module names differ.

A compiled spec has the spec's names; a reference implementation (a timm model, a hand-written
module) may name the same layers differently. When the two register their layers in the same
order, their state_dicts line up entry by entry: `transfer_weights` pairs them that way, checks every
pair, and only then loads anything, so it never copies part of the weights.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class WeightTransferError(ValueError):
    """The two models' tensors do not line up; nothing was copied."""


def transfer_weights(src: Any, dst: Any) -> list[tuple[str, str]]:
    """Copy every parameter and buffer of `src` into `dst`, matched by structural order.

    Both models' `state_dict()` entries (parameters and persistent buffers, in module registration
    order) are paired one by one. Every pair must agree on shape, on being a parameter or a buffer,
    and on its last name component (`weight`, `bias`, `running_mean`...), and both models must hold
    the same number of tensors. The first pair that does not fit raises `WeightTransferError` naming
    both tensors and their shapes, before anything is copied. Otherwise `dst` loads the weights with
    `load_state_dict(strict=True)`.

    Returns the (src name, dst name) pairs, in order. Tensors of the same shape registered in a
    different order cannot be told apart: compare outputs afterwards when in doubt.

        reference = timm.create_model("legacy_xception")
        model = archdsl.build("specs/xception.arch")
        archdsl.transfer_weights(reference, model)
    """
    source = _entries(src)
    target = _entries(dst)
    pairs: list[tuple[str, str]] = []
    for index, ((src_name, src_tensor, src_kind), (dst_name, dst_tensor, dst_kind)) in enumerate(zip(source, target)):
        problem = None
        if tuple(src_tensor.shape) != tuple(dst_tensor.shape):
            problem = "shapes differ"
        elif src_kind != dst_kind:
            problem = f"one is a {src_kind}, the other a {dst_kind}"
        elif _leaf(src_name) != _leaf(dst_name):
            problem = f"a `{_leaf(src_name)}` against a `{_leaf(dst_name)}`"
        if problem:
            raise WeightTransferError(
                f"tensor #{index + 1} does not fit ({problem}): source `{src_name}` {_shape(src_tensor)} "
                f"({src_kind}) vs destination `{dst_name}` {_shape(dst_tensor)} ({dst_kind}); nothing was copied"
            )
        pairs.append((src_name, dst_name))
    if len(source) != len(target):
        longer, name, count = (
            ("source", source, len(target)) if len(source) > len(target) else ("destination", target, len(source))
        )
        extra_name, extra_tensor, extra_kind = name[count]
        raise WeightTransferError(
            f"the source has {len(source)} tensors and the destination {len(target)}: the {longer}'s "
            f"`{extra_name}` {_shape(extra_tensor)} ({extra_kind}) and any after it have no counterpart; "
            "nothing was copied"
        )
    mapped = OrderedDict(
        (dst_name, src_tensor.detach()) for (_, src_tensor, _), (dst_name, _, _) in zip(source, target)
    )
    dst.load_state_dict(mapped, strict=True)
    return pairs


def _entries(model: Any) -> list[tuple[str, Any, str]]:
    """(name, tensor, "parameter" | "buffer") for every state_dict entry, in order."""
    parameters = {id(p) for p in model.parameters()}
    return [
        (name, tensor, "parameter" if id(tensor) in parameters else "buffer")
        for name, tensor in model.state_dict(keep_vars=True).items()
    ]


def _leaf(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _shape(tensor: Any) -> str:
    return "[" + ", ".join(str(d) for d in tensor.shape) + "]"
