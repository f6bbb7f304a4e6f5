"""Module names: which labels are allowed, and how unlabelled layers are named.

The rule (docs/language.md, "Names"): a scope that is a plain chain compiles to nn.Sequential and
numbers its unlabelled layers 0, 1, 2, ... like torch does; any other scope compiles to a class and
names an unlabelled layer after its op or block (`relu`, `relu_1`, `basic_block`).
"""

from __future__ import annotations

import keyword
import re

# Attributes of nn.Module / nn.Sequential: a submodule with one of these names would shadow a method.
RESERVED = frozenset("""
T_destination add_module append apply bfloat16 buffers call_super_init children compile cpu cuda double
dump_patches eval extend extra_repr float forward get_buffer get_extra_state get_parameter get_submodule half
insert ipu load_state_dict modules mtia named_buffers named_children named_modules named_parameters parameters
pop register_backward_hook register_buffer register_forward_hook register_forward_pre_hook
register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook
register_load_state_dict_pre_hook register_module register_parameter register_state_dict_post_hook
register_state_dict_pre_hook requires_grad_ set_extra_state set_submodule share_memory state_dict to to_empty
train training type xpu zero_grad
""".split())

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
