"""`archdsl train`: a spec and a data set in, a run folder out. The stages, in order: processes
(distributed), data (data), the network fitted to the data (adapt), model / optimizer / scheduler,
then epochs of loop.train_one_epoch + loop.evaluate, each ending in a metrics line and a checkpoint
(rundir)."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, DistributedSampler, Subset

from .. import __version__, api
from . import rundir
from .adapt import InputPlan, plan_input
from .data import DataSet, open_data, set_transforms
from .distributed import World, any_rank, device_for, init_distributed, shutdown, sum_over_ranks
from .errors import CheckpointError, DataError, unwrap_worker_error
from .loop import Interrupted, SkipSampler, StopRequest, Tally, evaluate, train_one_epoch
from .options import SGD_MOMENTUM, TrainOptions
from .progress import Reporter

# What a resume may change; everything else comes from the run's config.json.
RESUME_OVERRIDES = ("epochs", "device", "workers", "progress", "out")


def make_optimizer(name: str, params, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    optim = torch.optim
    if name == "sgd-momentum":
        return optim.SGD(params, lr=lr, momentum=SGD_MOMENTUM, weight_decay=weight_decay)
    cls = {
        "adam": optim.Adam,
        "adamw": optim.AdamW,
        "adagrad": optim.Adagrad,
        "rmsprop": optim.RMSprop,
        "sgd": optim.SGD,
    }[name]
    return cls(params, lr=lr, weight_decay=weight_decay)


def make_scheduler(name: str, optimizer, epochs: int):
    """Stepped once per epoch. none: a constant rate (kept as a scheduler so checkpoints look alike)."""
    sched = torch.optim.lr_scheduler
    if name == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=max(1, epochs))
    if name == "step":
        return sched.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    return sched.LambdaLR(optimizer, lambda epoch: 1.0)


def seed_everything(seed: int) -> None:
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _resumed(options: TrainOptions) -> tuple[TrainOptions, dict[str, Any], Path]:
    """The options of the run to continue (with this call's RESUME_OVERRIDES), its last.pt, its folder."""
    given = Path(options.resume)
    file = given if given.is_file() else given / rundir.LAST
    if not file.exists():
        raise CheckpointError(
            f"nothing to resume in {given}: no {rundir.LAST}",
            hint="--resume takes a run folder written by `archdsl train`",
        )
    state = rundir.load_checkpoint(file)
    saved = TrainOptions.from_dict(state["config"]["options"])
    changes = {k: getattr(options, k) for k in RESUME_OVERRIDES if getattr(options, k) is not None}
    return replace(saved, **changes, resume=str(file)), state, file.parent


def _config(
    options: TrainOptions, plan: InputPlan, data: DataSet, world: World, device: torch.device, augment: bool
) -> dict[str, Any]:
    import torchvision

    checked = plan.checked
    sources = {path: rundir.sha256(source.text) for path, source in checked.sources.items()}
    main_source = checked.sources.get(checked.origin)
    config = {
        "format": rundir.FORMAT,
        "spec": {
            "path": options.spec,
            "name": checked.name,
            "text": main_source.text if main_source else "",
            "sha256": sources.get(checked.origin, ""),
            "sources": sources,
        },
        "sets": list(options.sets),
        "set_by_data": {k: v for k, v in plan.params.items() if k == "num_classes"},
        "params": {
            k: v if isinstance(v, int | float | str | bool) else str(v) for k, v in checked.graph.params.items()
        },
        "input_shape": list(plan.input_shape),
        "output_shape": list(checked.output_shape),
        "num_params": checked.total_params,
        "data": {
            "name": data.name,
            "classes": data.classes,
            "native_shape": list(data.native_shape),
            "train_size": len(data.train),
            "val_size": len(data.val),
            "mean": list(data.mean),
            "std": list(data.std),
            "augment": augment,
            "reasons": plan.reasons,
            **data.info,
        },
        "seed": options.seed,
        "options": options.to_dict(),
        "world_size": world.size,
        "global_batch_size": options.batch_size * world.size,
        "device": str(device),
        "versions": {
            "archdsl": __version__,
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return json.loads(json.dumps(config))  # plain types only (the IR's ints are subclasses): weights_only loads it


def _loaders(data: DataSet, options: TrainOptions, world: World, device: torch.device):
    sampler = SkipSampler(
        DistributedSampler(
            data.train, num_replicas=world.size, rank=world.rank, shuffle=options.shuffle, seed=options.seed
        )
    )
    # Validation: this rank's share, without the padding DistributedSampler adds, so sums are exact.
    val = Subset(data.val, range(world.rank, len(data.val), world.size)) if world.enabled else data.val
    # The loaders draw their workers' seeds from a generator of their own, reseeded each epoch: never from
    # the global RNG that dropout uses, so a run resumed mid-epoch draws the same numbers as one never stopped.
    generator = torch.Generator()
    common = {
        "generator": generator,
        "num_workers": options.workers,
        "pin_memory": device.type == "cuda",
        "persistent_workers": options.workers > 0,
    }
    train_loader = DataLoader(data.train, batch_size=options.batch_size, sampler=sampler, **common)
    val_loader = DataLoader(val, batch_size=options.batch_size * 2, shuffle=False, **common)
    return sampler, generator, train_loader, val_loader


def train_run(options: TrainOptions, print_line: Callable[[str], None] | None = None) -> Path:
    """Train as `options` say; returns the run folder. Raises TrainError (and ArchError) on user errors."""
    if not 0 < options.batch_size or options.epochs < 1:
        raise DataError("--epochs and --batch-size must be positive")
    state, folder = None, None
    if options.resume:
        options, state, folder = _resumed(options)
    device = device_for(options.device)
    world = init_distributed(device)
    try:
        return _train(options, state, folder, device, world, print_line or (lambda line: print(line, flush=True)))
    finally:
        shutdown(world)


def _train(options, state, folder, device, world, print_line) -> Path:
    seed_everything(options.seed)
    data = open_data(options.data, options.data_dir, options.download, options.val_split, options.seed)
    plan = plan_input(options, data)
    augment = data.standard_augment if options.augment is None else options.augment
    set_transforms(data, plan.input_shape, augment)
    model = api.build(plan.checked).to(device)  # build applies whatever initialisation the spec states
    if options.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(options.optimizer, model.parameters(), options.lr, options.weight_decay)
    scheduler = make_scheduler(options.scheduler, optimizer, options.epochs)
    scaler = torch.amp.GradScaler("cuda") if options.amp and device.type == "cuda" else None
    config = _config(options, plan, data, world, device, augment)
    start_epoch, first_step, metrics, partial = 1, 0, [], Tally()
    if state is not None:
        rundir.load_weights(model, state["model"], plan.checked.name, options.resume)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        rundir.set_rng_state(state["rng"])
        start_epoch, first_step = state["epoch"], state.get("step", 0)
        if first_step == 0:
            start_epoch += 1  # the saved epoch was complete
        else:
            partial = Tally(**state["partial"])
        metrics = rundir.read_metrics(folder)[: start_epoch - 1]
        config["resumed_from"] = {"epoch": state["epoch"], "step": first_step}
    folder = Path(options.out) if options.out else folder or rundir.default_run_dir(options.spec)
    if world.main:
        if state is None and (folder / rundir.CONFIG).exists():
            raise CheckpointError(
                f"{folder} already holds a run", hint=f"continue it with --resume {folder}, or choose another --out"
            )
        folder.mkdir(parents=True, exist_ok=True)
        rundir.write_config(folder, config)
        for reason in plan.reasons:
            print_line(f"note: {reason}")
        print_line(
            f"training {plan.checked.name} ({plan.checked.total_params:,} params) on {data.name}: "
            f"{len(data.train):,} train / {len(data.val):,} val images at {'x'.join(map(str, plan.input_shape))}, "
            f"{options.epochs} epochs, batch {options.batch_size * world.size}, {options.optimizer} "
            f"lr {options.lr:g}, {world.size} process{'es' if world.enabled else ''} on {device}; run folder {folder}"
        )
    raw_model = model
    if world.enabled:
        model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    if options.compile:
        model = torch.compile(model)
    criterion = torch.nn.CrossEntropyLoss()
    sampler, generator, train_loader, val_loader = _loaders(data, options, world, device)
    best = max((row["val_acc"] for row in metrics), default=-1.0)
    reporter = Reporter(options.progress, enabled=world.main)
    stop = StopRequest()

    def checkpoint(epoch: int, step: int, tally: Tally | None) -> dict[str, Any]:
        return {
            "model": raw_model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "epoch": epoch,
            "step": step,
            "rng": rundir.rng_state(),
            "partial": vars(tally) if tally else None,
            "spec_text": config["spec"]["text"],
            "config": config,
        }

    with stop.installed():
        for epoch in range(start_epoch, options.epochs + 1):
            sampler.set_epoch(epoch, first_step * options.batch_size)
            generator.manual_seed(options.seed + epoch)
            tally, first_step = partial, 0
            partial = Tally()
            started = time.perf_counter()
            with reporter.epoch(epoch, options.epochs, len(sampler) // options.batch_size + 1) as on_step:
                try:
                    stopped = train_one_epoch(
                        model,
                        train_loader,
                        optimizer,
                        criterion,
                        device,
                        epoch,
                        tally=tally,
                        amp=options.amp,
                        scaler=scaler,
                        channels_last=options.channels_last,
                        first_step=tally.steps,
                        should_stop=lambda: any_rank(stop.requested, world, device),
                        on_step=on_step,
                    )
                except DataError as error:
                    raise unwrap_worker_error(error) from None
            if stopped:
                if world.main:
                    rundir.save_checkpoint(folder / rundir.LAST, checkpoint(epoch, tally.steps, tally))
                    print_line(
                        f"stopped at epoch {epoch}, step {tally.steps}; saved {folder / rundir.LAST}. "
                        f"Continue with: archdsl train {options.spec} --resume {folder}"
                    )
                raise Interrupted(f"stopped at epoch {epoch}, step {tally.steps}")
            train_seconds = time.perf_counter() - started
            val = evaluate(model, val_loader, criterion, device, amp=options.amp, channels_last=options.channels_last)
            seconds = time.perf_counter() - started
            sums = sum_over_ranks(
                [tally.loss_sum, tally.correct, tally.count, val.loss_sum, val.correct, val.count], world, device
            )
            row = {
                "epoch": epoch,
                "train_loss": sums[0] / sums[2],
                "train_acc": sums[1] / sums[2],
                "val_loss": sums[3] / sums[5],
                "val_acc": sums[4] / sums[5],
                "lr": optimizer.param_groups[0]["lr"],
                "seconds": round(seconds, 3),
                "samples_per_s": round(sums[2] / train_seconds, 1) if train_seconds > 0 else None,
            }
            scheduler.step()
            metrics.append(row)
            if world.main:
                rundir.write_metrics(folder, metrics)
                rundir.save_checkpoint(folder / rundir.LAST, checkpoint(epoch, 0, None))
                if row["val_acc"] > best:
                    best = row["val_acc"]
                    rundir.save_checkpoint(folder / rundir.BEST, checkpoint(epoch, 0, None))
                rundir.plot_curves(folder, metrics)
                print_line(reporter.epoch_line(row, options.epochs))
    if world.main:
        print_line(f"best val accuracy {best:.2%}; wrote {folder}")
    return folder


def train(spec: str | Path, **options: Any) -> list[dict[str, Any]]:
    """Train a spec as `archdsl train` does and return its metrics, one dict per epoch.

    Keyword arguments are the fields of `archdsl.train.options.TrainOptions` (data="digits", epochs=20,
    batch_size=64, optimizer="adam", lr=1e-3, out=..., resume=..., ...). The run folder is written as
    with the CLI; `archdsl.load_run(folder)` reads it back."""
    folder = train_run(TrainOptions(spec=str(spec), **options))
    return rundir.read_metrics(folder)
