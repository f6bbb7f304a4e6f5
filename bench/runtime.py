"""Forward latency of archdsl-compiled models against torchvision's, same weights, CPU, eval, no_grad.

    python bench/runtime.py [--repeats 30] [--models resnet50,densenet121,...] [--no-compile]

For each model and batch size (1 and 16, 224x224), the two models run alternately. Each round gives
one paired ratio (archdsl / torchvision; 1.00 means equal), which cancels the machine's slow drifts;
the table reports the median ratio and its interquartile range, for eager mode and torch.compile.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, interleaved, machine, median, table  # noqa: E402

MODELS = {
    "resnet50": "resnet50",
    "densenet121": "densenet121",
    "mobilenet_v2": "mobilenet_v2",
    "efficientnet_b0": "efficientnet_b0",
}


def load_pair(name: str):
    import torch
    import torchvision

    import archdsl

    reference = getattr(torchvision.models, MODELS[name])().eval()
    ours = archdsl.build(ROOT / "specs" / f"{name}.arch").eval()
    try:
        ours.load_state_dict(reference.state_dict(), strict=True)
    except RuntimeError:
        archdsl.transfer_weights(reference, ours)
    return torch, ours, reference


def dispatched(torch, model, x) -> tuple[Counter, int]:
    """The aten ops one eval forward pass dispatches, and how many nn.Module calls it makes: a
    noise-free account of the work each model does per call (timing cannot separate a 1% difference
    from this machine's jitter; these counts can)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops = Counter()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.ops[str(func.overloadpacket)] += 1
            return func(*args, **(kwargs or {}))

    calls = [0]
    handle = torch.nn.modules.module.register_module_forward_pre_hook(
        lambda module, inputs: calls.__setitem__(0, calls[0] + 1)
    )
    try:
        with torch.no_grad(), Count() as counter:
            model(x)
    finally:
        handle.remove()
    return counter.ops, calls[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--batches", default="1,16")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile rows")
    parser.add_argument("--work-only", action="store_true", help="only count dispatched ops and module calls")
    args = parser.parse_args()
    rows = []
    work = []
    for name in args.models.split(","):
        torch, ours, reference = load_pair(name)
        sample = torch.randn(1, 3, 224, 224)
        (ours_ops, ours_calls), (ref_ops, ref_calls) = (
            dispatched(torch, ours, sample),
            dispatched(torch, reference, sample),
        )
        extra = ours_ops - ref_ops
        missing = ref_ops - ours_ops
        differs = ", ".join([f"+{n} {op}" for op, n in extra.items()] + [f"-{n} {op}" for op, n in missing.items()])
        work.append(
            [
                name,
                f"{sum(ours_ops.values())} / {sum(ref_ops.values())}",
                f"{ours_calls} / {ref_calls}",
                differs or "none",
            ]
        )
        if args.work_only:
            continue
        modes = [("eager", ours, reference)]
        if not args.no_compile:
            modes.append(("compile", torch.compile(ours), torch.compile(reference)))
        for batch in (int(b) for b in args.batches.split(",")):
            x = torch.randn(batch, 3, 224, 224)
            for mode, a, b in modes:
                with torch.no_grad():
                    assert torch.allclose(a(x), b(x), atol=1e-4), f"{name}: outputs differ"
                    repeats = args.repeats if batch == 1 else max(args.repeats // 3, 5)
                    times = interleaved(
                        {"archdsl": lambda a=a, x=x: a(x), "torchvision": lambda b=b, x=x: b(x)}, repeats, warmup=3
                    )
                ours_ms, ref_ms = median(times["archdsl"]) * 1e3, median(times["torchvision"]) * 1e3
                ratios = sorted(a / b for a, b in zip(times["archdsl"], times["torchvision"]))
                low, high = ratios[len(ratios) // 4], ratios[(3 * len(ratios)) // 4]
                rows.append(
                    [
                        name,
                        batch,
                        mode,
                        f"{ours_ms:.2f}",
                        f"{ref_ms:.2f}",
                        f"{median(ratios):.3f}",
                        f"{low:.3f}-{high:.3f}",
                    ]
                )
                print(f"{name} batch {batch} {mode}: {ours_ms:.2f} ms vs {ref_ms:.2f} ms", file=sys.stderr)
    print(f"Machine: {machine()}\n")
    print("Work per eval forward pass at batch 1 (archdsl / torchvision):\n")
    print(table(["model", "aten ops", "module calls", "ops that differ"], work))
    print("\nLatency, interleaved (ratio = archdsl / torchvision, median of paired rounds):\n")
    print(table(["model", "batch", "mode", "archdsl ms", "torchvision ms", "ratio", "IQR"], rows))


if __name__ == "__main__":
    main()
