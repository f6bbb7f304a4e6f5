"""Every option of a training run, with the study notes' setup as the defaults (20 epochs, batch 64,
Adam, lr 1e-3). A run folder's config.json stores these fields under "options"; no torch here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

OPTIMIZERS = ("adam", "adamw", "adagrad", "rmsprop", "sgd", "sgd-momentum")
SCHEDULERS = ("none", "cosine", "step")
DEVICES = ("auto", "cpu", "cuda", "mps")
DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10", "cifar100")  # or a folder in ImageFolder layout
SGD_MOMENTUM = 0.9


@dataclass
class TrainOptions:
    """One training run. `spec` is a path to a .arch or .yaml file; `sets` are `--set NAME=VALUE` strings."""

    spec: str
    data: str = "digits"  # one of DATASETS, or a folder with train/ (and val/, or use val_split)
    data_dir: str | None = None  # where torchvision data sets live (default: ~/.cache/archdsl/data)
    download: bool = False  # fetch a torchvision data set when its files are missing
    val_split: float | None = None  # fraction of a folder's train/ held out when it has no val/
    resize: int | None = None  # force HxW = resize x resize
    input: str | None = None  # force the network's input CxHxW, as `--input` elsewhere
    sets: list[str] = field(default_factory=list)
    network: str | None = None
    epochs: int = 20
    batch_size: int = 64  # per process; with N processes the global batch is N x batch_size
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    scheduler: str = "none"  # cosine: to 0 over the epochs; step: x0.1 every third of them
    seed: int = 0
    shuffle: bool = True
    augment: bool | None = None  # None: the data set's standard (crop + flip for CIFAR, none elsewhere)
    device: str = "auto"
    amp: bool = False  # bfloat16 autocast on CPU, float16 (with a grad scaler) on CUDA
    channels_last: bool = False
    compile: bool = False
    workers: int = 0
    out: str | None = None  # the run folder (default runs/<spec>-<timestamp>)
    resume: str | None = None  # a run folder (or its last.pt) to continue
    progress: str = "auto"  # auto (a bar on a terminal), bar, lines, none

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainOptions:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})
