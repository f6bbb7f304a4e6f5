"""Data parallelism through torch's DDP, launched by `torchrun` (as torchvision's references do):
torchrun sets RANK, WORLD_SIZE and LOCAL_RANK; gloo on CPU, NCCL on CUDA. `--devices N` only execs
torchrun; multi-node runs use torchrun's own rendezvous (docs/training.md)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.size > 1

    @property
    def main(self) -> bool:
        """Only rank 0 prints and writes the run folder."""
        return self.rank == 0


def init_distributed(device: torch.device) -> World:
    """Join the process group torchrun set up, or a world of one without it."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ or int(os.environ["WORLD_SIZE"]) < 2:
        return World()
    world = World(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return world


def device_for(name: str, world: World | None = None) -> torch.device:
    """auto: CUDA (this process's GPU under torchrun), else MPS, else the CPU."""
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    if name == "cuda":
        torch.cuda.set_device(local)
        return torch.device("cuda", local)
    return torch.device(name)


def sum_over_ranks(values: list[float], world: World, device: torch.device) -> list[float]:
    """Element-wise sum of `values` over every process (metrics: loss sums, correct counts, sizes)."""
    if not world.enabled:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()


def any_rank(flag: bool, world: World, device: torch.device) -> bool:
    """True on every rank as soon as one has it (a SIGTERM seen by one process stops all at the same step)."""
    if not world.enabled:
        return flag
    tensor = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item())


def shutdown(world: World) -> None:
    if world.enabled and dist.is_initialized():
        dist.destroy_process_group()


def exec_torchrun(processes: int, argv: list[str]) -> None:
    """Replace this process with `torchrun --standalone --nproc_per_node N -m archdsl train ...`."""
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={processes}",
        "-m",
        "archdsl",
        *argv,
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)
