"""Lexical scopes of a spec: which names mean which values, and where a group's boundary hides tensors."""

from __future__ import annotations

from typing import Any

from .values import TensorRef


class Env:
    """A lexical scope. `barrier` marks a group boundary: tensors defined outside it are not visible
    inside (a group is one module with one input), while constants and blocks still are."""

    def __init__(self, parent: Env | None = None, values: dict[str, Any] | None = None, barrier: str | None = None):
        self.parent = parent
        self.values: dict[str, Any] = values if values is not None else {}
        self.barrier = barrier

    def child(self, values: dict[str, Any] | None = None, barrier: str | None = None) -> Env:
        # A dict, not **kwargs: a parameter may be called `self` or `barrier`.
        return Env(self, dict(values or {}), barrier)

    def lookup(self, name: str) -> tuple[bool, Any, str | None]:
        """(found, value, barrier crossed to find a tensor, if any)."""
        env: Env | None = self
        crossed: str | None = None
        while env is not None:
            if name in env.values:
                value = env.values[name]
                if crossed is not None and isinstance(value, TensorRef):
                    return True, value, crossed
                return True, value, None
            if env.barrier is not None and crossed is None:
                crossed = env.barrier
            env = env.parent
        return False, None, None

    def names(self) -> list[str]:
        out: list[str] = []
        env: Env | None = self
        while env is not None:
            out.extend(env.values)
            env = env.parent
        return out

    def __setitem__(self, name: str, value: Any) -> None:
        self.values[name] = value
