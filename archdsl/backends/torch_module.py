"""Build a torch module by executing the emitted source: the in-memory model and the `.py` file are
one code path, so they cannot drift apart (as Jinja compiles templates to Python and runs that)."""

from __future__ import annotations

import hashlib
import linecache
import sys
import types
from contextlib import nullcontext
from typing import Any


def load_source(source: str, name: str) -> types.ModuleType:
    """Execute generated source as a real module (registered in sys.modules, so pickling, tracebacks,
    `inspect.getsource` and torch.fx all work) and return it."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    module_name = f"archdsl_generated.{name}_{digest}"
    cached = sys.modules.get(module_name)
    if cached is not None:
        return cached
    filename = f"<archdsl:{name}:{digest}>"
    code = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType(module_name)
    module.__file__ = filename
    sys.modules.setdefault("archdsl_generated", types.ModuleType("archdsl_generated"))
    sys.modules[module_name] = module
    exec(code, module.__dict__)  # our own generated code; spec values never reach it unvalidated
    return module


def instantiate(source: str, factory: str, device: Any = None, dtype: Any = None, **kwargs: Any):
    """Run `factory(**kwargs)` from the generated source; `device="meta"` allocates no weights."""
    import torch

    module = load_source(source, factory)
    context = torch.device(device) if device is not None else nullcontext()
    with context:
        model = getattr(module, factory)(**kwargs)
    if dtype is not None:
        model = model.to(dtype=dtype)
    return model
