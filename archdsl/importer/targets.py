"""TARGET strings of `archdsl import` -> a module, and the parity check every import passes.

`torchvision:NAME`, `timm:NAME`, `path/to/file.py:attr`, `package.module:attr`. An attr that is a
class or a factory is called with `--kwargs`; a module object is used as is. Model files are never
unpickled: weights come only as a state_dict (`--weights`, loaded with weights_only=True).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from typing import Any

from .errors import ModelImportError

DEFAULT_INPUT = (3, 224, 224)


def load_target(target: str, kwargs: dict[str, Any]) -> tuple[Any, str, tuple[int, ...] | None]:
    """(module in eval mode, a name for the spec, the input shape the library declares if any)."""
    from torch import nn

    kind, _, name = target.partition(":")
    if not name:
        raise ModelImportError(
            f"cannot read the target {target!r}",
            "write torchvision:NAME, timm:NAME, path/to/file.py:attr or package.module:attr",
            "E847",
        )
    shape = None
    try:
        if kind == "torchvision":
            import torchvision

            model = torchvision.models.get_model(name, weights=None, **kwargs)
            shape = (3, 299, 299) if name == "inception_v3" else None
        elif kind == "timm":
            import timm

            model = timm.create_model(name, pretrained=False, **kwargs)
            shape = tuple(model.pretrained_cfg.get("input_size", ())) or None
        else:
            attr = _attribute(kind, name)
            model = attr if isinstance(attr, nn.Module) else attr(**kwargs)
    except ModelImportError:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's code or the library raised: say which target
        raise ModelImportError(f"cannot make {target}: {type(exc).__name__}: {exc}", code="E847") from None
    if not isinstance(model, nn.Module):
        raise ModelImportError(f"{target} is not a torch.nn.Module (got {type(model).__name__})", code="E847")
    spec_name = re.sub(r"\W", "_", name.rsplit(".", 1)[-1])
    return model.eval(), spec_name if spec_name[:1].isalpha() else f"model_{spec_name}", shape


def _attribute(location: str, attr: str) -> Any:
    if location.endswith(".py"):
        path = Path(location)
        if not path.is_file():
            raise ModelImportError(f"no such file: {location}", code="E847")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(location)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ModelImportError(f"{location} has no attribute `{attr}`", code="E847") from None


def randomise_norm_statistics(model) -> None:
    """Running means and variances far from 0 and 1, so a parity check sees every batchnorm."""
    import torch

    generator = torch.Generator().manual_seed(0)
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm) and module.running_mean is not None:
            module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=generator) * 0.5)
            module.running_var.copy_(torch.rand(module.running_var.shape, generator=generator) + 0.5)


def verify(model, text: str, input_shape: tuple[int, ...]) -> float:
    """Build the spec, load `model`'s state_dict strictly, and return max |diff| / max |output| (eval)."""
    import torch

    from ..api import build

    built = build(text).eval()
    try:
        built.load_state_dict(model.state_dict(), strict=True)
    except RuntimeError as exc:
        missing = set(model.state_dict()) - set(built.state_dict())
        if missing and not set(built.state_dict()) - set(model.state_dict()):
            unused = sorted({key.rsplit(".", 2)[0] for key in missing})
            raise ModelImportError(
                f"modules with weights are never called in eval mode: "
                f"{', '.join(unused[:4])}{' ...' if len(unused) > 4 else ''}; a spec has no "
                "unused modules",
                "build the model without them, e.g. --kwargs '{\"aux_logits\": false}' for auxiliary classifiers",
                "E848",
            ) from None
        raise ModelImportError(f"the imported spec does not load the model's state_dict: {exc}", code="E848") from None
    x = torch.randn(2, *input_shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, actual = model.eval()(x), built(x)
    return ((actual - expected).abs().max() / expected.abs().max().clamp_min(1e-12)).item()
