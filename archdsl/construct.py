"""Fast construction of frozen pydantic nodes from values the compiler itself produced.

The parser and the elaborator build hundreds of thousands of AST and IR nodes for a large spec, from
values whose types they already guarantee. `new` skips validation like `model_construct`, but about
three times faster; anything read from outside (YAML, the Python API) still goes through validation.
"""

from __future__ import annotations

from typing import Any

_DEFAULTS: dict[type, dict[str, Any]] = {}


def new(cls: type, **values: Any) -> Any:
    """An instance of the pydantic model `cls` with `values` (defaults filled in), not validated."""
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = {name: field.get_default(call_default_factory=True) for name, field in cls.model_fields.items()
                    if not field.is_required()}
        _DEFAULTS[cls] = defaults
    obj = object.__new__(cls)
    object.__setattr__(obj, "__dict__", {**defaults, **values})
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    private = getattr(cls, "__private_attributes__", None)
    object.__setattr__(obj, "__pydantic_private__",
                       {k: v.get_default() for k, v in private.items()} if private else None)
    return obj
