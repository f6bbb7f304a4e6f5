"""Binding targets to values: `w, d = pair` and `for i, (w, d) in enumerate(stages)`."""

from __future__ import annotations

from typing import Any

from ..frontend import syntax
from ..frontend.unparse import assign_target
from .env import Env
from .steps import err
from .values import show, type_name


def bind(target: syntax.Target, value: Any, env: Env, where: syntax.Node) -> dict[str, Any]:
    """Bind `target` to `value` in `env`, item by item when it unpacks; return what each name got.
    A wrong count or a value that is not a list is reported at the target (`where` for a bare name list)."""
    if isinstance(target, str):
        env[target] = value
        return {target: value}
    at = target if target.span is not None else where
    if not isinstance(value, tuple):
        raise err(
            f"cannot unpack {show(value)} into {len(target.names)} names: it is {type_name(value)}, not a list",
            at,
            code="E301",
        )
    if len(value) != len(target.names):
        raise err(
            f"expected {len(target.names)} values to unpack into ({assign_target(target)}), got {len(value)}: "
            f"{show(value)}",
            at,
            code="E301",
        )
    bound: dict[str, Any] = {}
    for item, part in zip(target.names, value):
        bound.update(bind(item, part, env, where))
    return bound
