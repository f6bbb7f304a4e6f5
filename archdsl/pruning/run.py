"""`archdsl prune`: prune a trained run, retrain what is left, and write a new run folder with a report.

    trained run --load--> model + its data --mask (unstructured) or shrink (structured)--> evaluate
        --> (retrain --finetune-epochs, evaluate) x --steps --> folder: config, metrics, best/last.pt,
            prune.json, prune.md (+ pruned.arch and pruned.pt when structured)

The output folder is an ordinary run folder, so `archdsl eval`, `archdsl compare` and
`archdsl train --resume` read it like any other. It is written to a temporary folder first and renamed
into place at the end, so a failed prune never leaves a partial folder behind.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from ..training import rundir
from ..training.adapt import plan_input
from ..training.data import open_data, set_transforms
from ..training.loop import Tally, evaluate, train_one_epoch
from ..training.options import TrainOptions
from ..training.run import make_optimizer, make_scheduler, seed_everything
from . import magnitude, report
from .errors import PruneError
from .structured import StructuredResult, prune_structured


@dataclass
class PruneOptions:
    """One pruning run. `source` is a run folder from `archdsl train` (or one of its .pt files)."""

    source: str
    amount: float = 0.5
    structured: bool = False
    scope: str = "global"  # unstructured: one threshold over all layers, or "layer": the same fraction of each
    steps: int = 1  # reach `amount` in this many steps, retraining after each
    finetune_epochs: int = 0
    exclude: list[str] = field(default_factory=list)  # module-path globs left unpruned
    use_bn: bool = False  # structured: rank channels by BN scale too
    lr: float | None = None  # retraining overrides; default: the run's own settings
    optimizer: str | None = None
    batch_size: int | None = None
    out: str | None = None  # default: runs/<run>-pruned<amount>[-structured]


def validate(options: PruneOptions) -> None:
    if not 0 <= options.amount < 1:
        raise PruneError(
            f"--amount {options.amount:g} is outside [0, 1)",
            hint="give the fraction to remove: 0.5 removes half the weights, 0.9 nine in ten",
        )
    if options.steps < 1 or options.finetune_epochs < 0:
        raise PruneError("--steps must be at least 1 and --finetune-epochs at least 0")
    if options.scope not in ("global", "layer"):
        raise PruneError(f"--scope {options.scope} is not one of global, layer")


def prune_run(options: PruneOptions, print_line: Callable[[str], None] = print) -> dict[str, Any]:
    """Prune as `options` say; returns the report (also written as prune.json in the output folder)."""
    validate(options)
    run = rundir.load_run(options.source)
    train_options = _training_options(run.config["options"], options)
    seed_everything(train_options.seed)
    data = open_data(
        train_options.data, train_options.data_dir, train_options.download, train_options.val_split, train_options.seed
    )
    plan = plan_input(train_options, data)
    set_transforms(data, plan.input_shape, augment=run.config["data"].get("augment", False))
    loaders = _loaders(data, train_options)
    model = run.model
    checked = rundir.checked_for(run.config)
    magnitude.prunable_layers(model, options.exclude)  # an --exclude pattern that matches nothing is a typo
    history = [_accuracy("trained", model, loaders)]
    print_line(f"pruning {checked.name} from {run.checkpoint_path}: val accuracy {history[0]['val_acc']:.2%}")
    metrics: list[dict[str, Any]] = []
    structured: StructuredResult | None = None
    for step, sparsity in enumerate(magnitude.schedule(options.amount, options.steps), start=1):
        if options.structured:
            structured = prune_structured(
                structured.checked if structured else checked,
                model.state_dict(),
                sparsity if step == 1 else _step_fraction(options),
                options.exclude,
                options.use_bn,
            )
            model = structured.model
        else:
            layers = magnitude.prunable_layers(model, options.exclude)
            magnitude.prune_to(layers, sparsity, options.scope)
        history.append(_accuracy(f"step {step}: pruned", model, loaders))
        print_line(f"step {step}/{options.steps}: {history[-1]['val_acc']:.2%} after pruning")
        if options.finetune_epochs:
            metrics += _retrain(model, loaders, train_options, options.finetune_epochs, len(metrics), print_line)
            epochs = f"{options.finetune_epochs} epoch{'s' if options.finetune_epochs > 1 else ''}"
            history.append(
                {
                    "stage": f"step {step}: retrained {epochs}",
                    "val_acc": metrics[-1]["val_acc"],
                    "val_loss": metrics[-1]["val_loss"],
                }
            )
    if not options.structured:
        magnitude.make_permanent(magnitude.prunable_layers(model, options.exclude))
    final_checked = structured.checked if structured else checked
    rows, totals = report.sparsity_rows(final_checked.graph, model)
    result = {
        "network": checked.name,
        "source": str(run.checkpoint_path),
        "method": "structured (L1 filter norm, coupled channels)" if options.structured else "unstructured (L1)",
        "amount": options.amount,
        "scope": "channels" if options.structured else options.scope,
        "steps": options.steps,
        "finetune_epochs": options.finetune_epochs,
        "exclude": options.exclude,
        "accuracy": history,
        "totals": totals,
        "layers": rows,
        "params_before": checked.total_params,
        "params_after": final_checked.total_params,
        "checkpoint": report.checkpoint_sizes(model.state_dict()),
    }
    if structured:
        result["left_alone"] = structured.left_alone
    folder = Path(options.out) if options.out else _default_out(run.path, options)
    _write_folder(folder, run, model, metrics, result, train_options, structured)
    result["folder"] = str(folder)
    kept = f"{totals['params_nonzero']:,} non-zero parameters of {checked.total_params:,}"
    if options.structured:
        shrink = 1 - final_checked.total_params / checked.total_params
        kept = f"{final_checked.total_params:,} parameters of {checked.total_params:,} ({shrink:.1%} fewer)"
    else:
        kept = f"sparsity {totals['sparsity']:.2%}, {kept}"
    print_line(f"{kept}; val accuracy {history[-1]['val_acc']:.2%}; wrote {folder}")
    return result


def _step_fraction(options: PruneOptions) -> float:
    """Structured steps after the first remove the same fraction of what is left each time."""
    return 1 - (1 - options.amount) ** (1 / options.steps)


def _training_options(saved: dict[str, Any], options: PruneOptions) -> TrainOptions:
    base = TrainOptions.from_dict(saved)
    changes = {"lr": options.lr, "optimizer": options.optimizer, "batch_size": options.batch_size}
    return replace(base, resume=None, out=None, **{k: v for k, v in changes.items() if v is not None})


def _loaders(data, options: TrainOptions) -> tuple[DataLoader, DataLoader]:
    generator = torch.Generator().manual_seed(options.seed)
    train = DataLoader(data.train, batch_size=options.batch_size, shuffle=options.shuffle, generator=generator)
    return train, DataLoader(data.val, batch_size=options.batch_size * 2)


def _accuracy(stage: str, model: torch.nn.Module, loaders) -> dict[str, Any]:
    tally = evaluate(model, loaders[1], torch.nn.CrossEntropyLoss(), torch.device("cpu"))
    return {"stage": stage, "val_acc": tally.accuracy, "val_loss": tally.loss}


def _retrain(model, loaders, options: TrainOptions, epochs: int, done: int, print_line) -> list[dict[str, Any]]:
    """Retrain with the run's optimizer settings; masked weights stay zero (their masks are applied in
    every forward pass and their gradients are masked too)."""
    optimizer = make_optimizer(options.optimizer, model.parameters(), options.lr, options.weight_decay)
    criterion, device, rows = torch.nn.CrossEntropyLoss(), torch.device("cpu"), []
    for epoch in range(done + 1, done + epochs + 1):
        started, tally = time.perf_counter(), Tally()
        train_one_epoch(model, loaders[0], optimizer, criterion, device, epoch, tally=tally)
        val = evaluate(model, loaders[1], criterion, device)
        rows.append(
            {
                "epoch": epoch,
                "train_loss": tally.loss,
                "train_acc": tally.accuracy,
                "val_loss": val.loss,
                "val_acc": val.accuracy,
                "lr": optimizer.param_groups[0]["lr"],
                "seconds": round(time.perf_counter() - started, 3),
                "samples_per_s": None,
            }
        )
        print_line(f"  retrain epoch {epoch}: train loss {tally.loss:.4f}, val accuracy {val.accuracy:.2%}")
    return rows


def _default_out(run_path: Path, options: PruneOptions) -> Path:
    kind = "-structured" if options.structured else ""
    return run_path.parent / f"{run_path.name}-pruned{round(options.amount * 100)}{kind}"


def _write_folder(folder: Path, run, model, metrics, result, train_options, structured) -> None:
    if folder.exists():
        raise PruneError(f"{folder} already exists", hint="choose another --out, or remove it")
    config = json.loads(json.dumps(run.config))
    config["options"] = {**train_options.to_dict(), "epochs": len(metrics)}
    config["pruned"] = {k: result[k] for k in ("source", "method", "amount", "scope", "steps", "exclude")}
    config["pruned"]["sparsity"] = result["totals"]["sparsity"]
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent if folder.parent.exists() else None))
    try:
        if structured:
            spec_path = folder / "pruned.arch"
            (work / "pruned.arch").write_text(structured.text, encoding="utf-8")
            torch.save(state, work / "pruned.pt")
            digest = rundir.sha256(structured.text)
            config["spec"] = {
                "path": str(spec_path),
                "name": structured.checked.name,
                "text": structured.text,
                "sha256": digest,
                "sources": {str(spec_path): digest},
            }
            config["options"]["spec"] = str(spec_path)
            config["sets"], config["set_by_data"], config["params"] = [], {}, {}
            config["num_params"] = structured.checked.total_params
        # Fresh optimizer and scheduler states, so `archdsl train --resume` can continue the pruned run.
        optimizer = make_optimizer(
            train_options.optimizer, model.parameters(), train_options.lr, train_options.weight_decay
        )
        scheduler = make_scheduler(train_options.scheduler, optimizer, max(1, len(metrics)))
        checkpoint = {
            "model": state,
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "epoch": len(metrics),
            "step": 0,
            "rng": rundir.rng_state(),
            "spec_text": config["spec"]["text"],
            "config": config,
            "partial": None,
        }
        rundir.write_config(work, config)
        rundir.write_metrics(work, metrics)
        rundir.save_checkpoint(work / rundir.LAST, checkpoint)
        rundir.save_checkpoint(work / rundir.BEST, checkpoint)
        rundir.write_file(work / "prune.json", json.dumps(result, indent=2) + "\n")
        rundir.write_file(work / "prune.md", report.render_markdown(result))
        if metrics:
            rundir.plot_curves(work, metrics)
        folder.parent.mkdir(parents=True, exist_ok=True)
        work.rename(folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
