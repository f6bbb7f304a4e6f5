"""One epoch of training and one pass of evaluation: plain loops over a DataLoader, in the shape of
torchvision's references/classification/train.py. Sums (loss x samples, correct, samples) are returned so
the caller can add them up over processes."""

from __future__ import annotations

import contextlib
import itertools
import math
import signal
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.utils.data import DistributedSampler, Sampler

from .errors import DivergedError


@dataclass
class Tally:
    """Running sums over an epoch (or its remaining part after a resume)."""

    loss_sum: float = 0.0
    correct: float = 0.0
    count: float = 0.0
    steps: int = 0

    def add(self, loss: float, correct: float, count: int) -> None:
        self.loss_sum += loss * count
        self.correct += correct
        self.count += count
        self.steps += 1

    @property
    def loss(self) -> float:
        return self.loss_sum / self.count if self.count else float("nan")

    @property
    def accuracy(self) -> float:
        return self.correct / self.count if self.count else float("nan")


class Interrupted(Exception):
    """The run stopped on Ctrl-C or SIGTERM after saving last.pt (the CLI exits with 130)."""


class StopRequest:
    """Set by Ctrl-C or SIGTERM; the loop saves last.pt after the step under way and stops."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum, frame) -> None:
        self.requested = True

    @contextlib.contextmanager
    def installed(self):
        previous = {sig: signal.signal(sig, self) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class SkipSampler(Sampler):
    """A DistributedSampler (one process: num_replicas=1) whose first `skip` indices of the epoch are
    left out: resuming in the middle of an epoch sees exactly the batches the interrupted run had left."""

    def __init__(self, sampler: DistributedSampler):
        self.sampler, self.skip = sampler, 0

    def set_epoch(self, epoch: int, skip: int = 0) -> None:
        self.sampler.set_epoch(epoch)  # the order depends on (seed, epoch) only: resumable
        self.skip = skip

    def __iter__(self):
        return itertools.islice(iter(self.sampler), self.skip, None)

    def __len__(self) -> int:
        return max(0, len(self.sampler) - self.skip)


def autocast(device: torch.device, amp: bool):
    """bfloat16 on the CPU, float16 on CUDA; a no-op without --amp."""
    if not amp:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.float16 if device.type == "cuda" else torch.bfloat16)


def train_one_epoch(
    model,
    loader,
    optimizer,
    criterion,
    device: torch.device,
    epoch: int,
    *,
    tally: Tally,
    amp: bool = False,
    scaler=None,
    channels_last: bool = False,
    first_step: int = 0,
    should_stop: Callable[[], bool] = lambda: False,
    on_step: Callable[[Tally], None] | None = None,
) -> bool:
    """Train over `loader`, adding to `tally`; returns True when stopped early by `should_stop`.
    A NaN or infinite loss raises DivergedError naming the epoch and step."""
    model.train()
    memory = torch.channels_last if channels_last else torch.contiguous_format
    for step, (images, labels) in enumerate(loader, start=first_step + 1):
        images = images.to(device, non_blocking=True, memory_format=memory)
        labels = labels.to(device, non_blocking=True)
        with autocast(device, amp):
            outputs = model(images)
            if isinstance(outputs, tuple):  # a network with aux heads (GoogLeNet): train on its main output
                outputs = outputs[0]
            loss = criterion(outputs, labels)
        value = loss.item()
        if not math.isfinite(value):
            raise DivergedError(
                f"the loss is {value} at epoch {epoch}, step {step}: training diverged",
                hint=f"lower the learning rate (--lr {optimizer.param_groups[0]['lr'] / 10:g}), "
                "or try --scheduler cosine or another --optimizer",
            )
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        correct = (outputs.argmax(dim=1) == labels).sum().item()
        tally.add(value, correct, labels.shape[0])
        if on_step is not None:
            on_step(tally)
        if should_stop():
            return True
    return False


@torch.no_grad()
def evaluate(
    model, loader, criterion, device: torch.device, *, amp: bool = False, channels_last: bool = False
) -> Tally:
    model.eval()
    tally = Tally()
    memory = torch.channels_last if channels_last else torch.contiguous_format
    for images, labels in loader:
        images = images.to(device, non_blocking=True, memory_format=memory)
        labels = labels.to(device, non_blocking=True)
        with autocast(device, amp):
            outputs = model(images)
            loss = criterion(outputs.float(), labels)
        tally.add(loss.item(), (outputs.argmax(dim=1) == labels).sum().item(), labels.shape[0])
    return tally
