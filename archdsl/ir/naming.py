"""Module names: which labels are allowed, and how unlabelled layers are named.

The rule (docs/language.md, "Names"): a scope that is a plain chain compiles to nn.Sequential and
numbers its unlabelled layers 0, 1, 2, ... like torch does; any other scope compiles to a class and
names an unlabelled layer after its op or block (`relu`, `relu_1`, `basic_block`).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from typing import Protocol

from ..errors import ElaborationError
from ..source import Span

# Attributes of nn.Module / nn.Sequential: a submodule with one of these names would shadow a method.
RESERVED = frozenset(
    """
T_destination add_module append apply bfloat16 buffers call_super_init children compile cpu cuda double
dump_patches eval extend extra_repr float forward get_buffer get_extra_state get_parameter get_submodule half
insert ipu load_state_dict modules mtia named_buffers named_children named_modules named_parameters parameters
pop register_backward_hook register_buffer register_forward_hook register_forward_pre_hook
register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook
register_load_state_dict_pre_hook register_module register_parameter register_state_dict_post_hook
register_state_dict_pre_hook requires_grad_ set_extra_state set_submodule share_memory state_dict to to_empty
train training type xpu zero_grad
""".split()
)

# Module-level names of every emitted .py file: a network (its factory) or a class must not take one.
GENERATED_GLOBALS = frozenset({"torch", "nn", "Tensor", "OrderedDict", "annotations"})

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*|[0-9]+")


def label_problem(text: str) -> str | None:
    """Why `text` cannot be a module name, or None when it can."""
    if not _IDENTIFIER.fullmatch(text):
        return f"`{text}` is not a valid module name: use letters, digits and `_`, starting with a letter"
    if keyword.iskeyword(text):
        return f"`{text}` is a Python keyword and cannot name a module"
    if text in RESERVED:
        return f"`{text}` is a method of nn.Module and cannot name a submodule"
    return None


def quoted_label_problem(text: str) -> str | None:
    """Why a quoted label (`"block1-0"`) cannot be a module name: torch's add_module refuses only these."""
    if not text:
        return "a module name cannot be empty"
    if "." in text:
        return f"`{text}` cannot name a module: `.` separates the parts of a state_dict key"
    if text in RESERVED:
        return f"`{text}` is a method of nn.Module and cannot name a submodule"
    return None


def snake(name: str) -> str:
    """BasicBlock -> basic_block; SEBlock -> se_block."""
    out = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
    return out if out.isidentifier() and out not in RESERVED and not keyword.iskeyword(out) else f"{out}_"


def camel(name: str) -> str:
    """resnet34 -> Resnet34, mobilenet_v2 -> MobilenetV2; names with capitals are kept (ResNet)."""
    if any(c.isupper() for c in name):
        return name[0].upper() + name[1:]
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or "Network"


def unique(base: str, taken: set[str], counters: dict[str, int] | None = None) -> str:
    """`base` if free, else base_1, base_2, ...; the result is added to `taken`. Pass the same
    `counters` for many names in one scope: a scope of 20,000 `relu`s then takes linear time."""
    k = counters.get(base, 0) if counters is not None else 0
    name = base if k == 0 else f"{base}_{k}"
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    if counters is not None:
        counters[base] = k
    taken.add(name)
    return name


class Nameable(Protocol):
    """An item of a scope, as naming sees it."""

    label: str | None  # written in the spec (`conv1: ...`), or None
    span: Span | None
    inputs: list[int]  # the values it reads
    output: int  # the value it makes

    @property
    def default_name(self) -> str: ...  # its op, its block in snake_case, or "group"

    @property
    def inline(self) -> bool: ...  # an op written inline in forward() (add, concat...): no module


def is_plain_chain(input: int, items: Sequence[Nameable], output: int) -> bool:
    """True when every item reads exactly the previous item's output and the last one is the scope's
    output: such a scope compiles to nn.Sequential."""
    previous = input
    for item in items:
        if item.inputs != [previous]:
            return False
        previous = item.output
    return previous == output


def module_names(items: Sequence[Nameable], sequential: bool) -> list[str | None]:
    """The module name of every item of one scope, by the rule above; None for inline ops."""
    taken = {item.label for item in items if item.label}
    counters: dict[str, int] = {}
    names: list[str | None] = []
    for index, item in enumerate(items):
        if item.label:
            if item.label.isdigit() and not sequential:
                raise ElaborationError(
                    f"`{item.label}` is a number; only layers of a plain chain are numbered",
                    item.span,
                    "use a name that starts with a letter",
                    "E304",
                )
            names.append(item.label)
        elif sequential:
            names.append(str(index))
        elif item.inline:
            names.append(None)
        else:
            names.append(unique(item.default_name, taken, counters))
    return names
