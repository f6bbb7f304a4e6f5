"""Data sets: scikit-learn's digits (offline, the default), torchvision's MNIST, Fashion-MNIST, CIFAR-10/100,
or a folder in ImageFolder layout. `open_data` reads a data set at its native size; `set_transforms`
then gives it the size and channels the network takes (chosen by `adapt.plan_input`) and normalises it
with the data set's own statistics."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset, Subset

from .errors import DataError

# Per-channel mean and std of each training set (computed once over the training images, as usual).
STATISTICS = {
    "mnist": ((0.1307,), (0.3081,)),
    "fashion-mnist": ((0.2860,), (0.3530,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}
# Where torchvision looks for each data set's files under the data folder.
EXPECTED_FILES = {
    "mnist": [
        "MNIST/raw/train-images-idx3-ubyte",
        "MNIST/raw/train-labels-idx1-ubyte",
        "MNIST/raw/t10k-images-idx3-ubyte",
        "MNIST/raw/t10k-labels-idx1-ubyte",
    ],
    "fashion-mnist": [
        "FashionMNIST/raw/train-images-idx3-ubyte",
        "FashionMNIST/raw/train-labels-idx1-ubyte",
        "FashionMNIST/raw/t10k-images-idx3-ubyte",
        "FashionMNIST/raw/t10k-labels-idx1-ubyte",
    ],
    "cifar10": [
        "cifar-10-batches-py/data_batch_1 ... data_batch_5",
        "cifar-10-batches-py/test_batch",
        "cifar-10-batches-py/batches.meta",
    ],
    "cifar100": ["cifar-100-python/train", "cifar-100-python/test", "cifar-100-python/meta"],
}
DIGITS_VAL_FRACTION = 0.2  # digits has no official split: a fixed, stratified 80/20 one
FOLDER_VAL_FRACTION = 0.2
STATS_SAMPLE = 512  # images read to estimate a folder's mean and std


@dataclass
class DataSet:
    """A data set at its native size, before `set_transforms`."""

    name: str
    train: Dataset
    val: Dataset
    classes: list[str]
    native_shape: tuple[int, int, int]  # CxHxW of the images as stored
    mean: tuple[float, ...]
    std: tuple[float, ...]
    standard_augment: bool  # random crop with padding + flip (CIFAR)
    same_size: bool = True  # every image has native_shape (False: a folder of mixed sizes)
    info: dict[str, Any] = field(default_factory=dict)  # for config.json
    notes: list[str] = field(default_factory=list)  # what was decided, for the user


def default_data_dir() -> Path:
    return Path(os.environ.get("ARCHDSL_DATA", Path.home() / ".cache" / "archdsl" / "data"))


def open_data(
    name: str, data_dir: str | None = None, download: bool = False, val_split: float | None = None, seed: int = 0
) -> DataSet:
    """The data set `name` (one of options.DATASETS, or a folder), read from `data_dir`."""
    if name == "digits":
        return _digits()
    if name in STATISTICS:
        return _torchvision(name, Path(data_dir) if data_dir else default_data_dir(), download)
    return _folder(Path(name), val_split, seed)


class TensorImages(Dataset):
    """Images held in one tensor (N, C, H, W) in [0, 1], with integer labels."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor):
        self.images, self.labels, self.transform = images, labels, None

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        image = self.images[index]
        return (self.transform(image) if self.transform else image), int(self.labels[index])

    def precompute(self) -> None:
        """Apply a deterministic transform once to every image (digits: the whole set is 460 KB)."""
        if self.transform is not None:
            self.images, self.transform = self.transform(self.images), None


def _digits() -> DataSet:
    import sklearn
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0  # pixel values are 0..16
    labels = torch.tensor(digits.target, dtype=torch.long)
    train_idx, val_idx = train_test_split(
        range(len(labels)), test_size=DIGITS_VAL_FRACTION, random_state=0, stratify=digits.target
    )
    train = TensorImages(images[train_idx], labels[train_idx])
    val = TensorImages(images[val_idx], labels[val_idx])
    mean, std = train.images.mean().item(), train.images.std().item()
    return DataSet(
        "digits",
        train,
        val,
        [str(d) for d in range(10)],
        (1, 8, 8),
        (mean,),
        (std,),
        False,
        info={
            "source": "sklearn.datasets.load_digits",
            "version": f"scikit-learn {sklearn.__version__}",
            "split": f"stratified {1 - DIGITS_VAL_FRACTION:.0%}/{DIGITS_VAL_FRACTION:.0%}, random_state=0",
        },
    )


def _torchvision(name: str, root: Path, download: bool) -> DataSet:
    import torchvision
    from torchvision import datasets

    cls = {
        "mnist": datasets.MNIST,
        "fashion-mnist": datasets.FashionMNIST,
        "cifar10": datasets.CIFAR10,
        "cifar100": datasets.CIFAR100,
    }[name]
    try:
        train = cls(str(root), train=True, download=download)
        val = cls(str(root), train=False, download=download)
    except RuntimeError as exc:
        if "not found" not in str(exc) and "corrupted" not in str(exc):
            raise
        expected = "\n".join(f"  {root / f}" for f in EXPECTED_FILES[name])
        raise DataError(
            f"{name} is not in {root}: torchvision expects\n{expected}",
            hint="add --download to fetch it (needs the internet), copy the files there, or point "
            "--data-dir (or ARCHDSL_DATA) at the folder that holds them",
        ) from None
    except OSError as exc:  # --download without a network
        raise DataError(
            f"cannot download {name} into {root}: {exc}",
            hint="copy the files there by hand; `archdsl train --help` lists the layout",
        ) from None
    channels = 1 if name in ("mnist", "fashion-mnist") else 3
    height, width = train.data.shape[1:3]
    mean, std = STATISTICS[name]
    return DataSet(
        name,
        train,
        val,
        list(train.classes),
        (channels, int(height), int(width)),
        mean,
        std,
        name.startswith("cifar"),
        info={
            "source": f"torchvision.datasets.{cls.__name__}",
            "root": str(root),
            "version": f"torchvision {torchvision.__version__}",
        },
    )


class ImageLoader:
    """Opens an image file as `mode` ("L" or "RGB"); an unreadable file is a DataError naming it.
    A class, not a closure, so DataLoader workers can pickle it."""

    def __init__(self, mode: str):
        self.mode = mode

    def __call__(self, path: str):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as image:
                return image.convert(self.mode)
        except (UnidentifiedImageError, OSError) as exc:
            raise DataError(
                f"cannot read image {path}: {exc}",
                hint="remove or replace the file; every file under a class folder must be an image",
            ) from None


def _image_folder(root: Path, mode: str):
    from torchvision.datasets import ImageFolder

    try:
        return ImageFolder(str(root), loader=ImageLoader(mode))
    except FileNotFoundError as exc:
        raise DataError(
            f"{root} has no images ({exc})",
            hint=f"a folder of data needs one subfolder per class holding its images, e.g. "
            f"{root}/cat/001.png; or train/ and val/ folders laid out that way",
        ) from None


def _folder(root: Path, val_split: float | None, seed: int) -> DataSet:
    from PIL import Image

    from .options import DATASETS

    if not root.is_dir():
        raise DataError(
            f"no such data set or folder: {root}",
            hint=f"--data takes {', '.join(DATASETS)}, or a folder in ImageFolder layout "
            "(train/ and val/ subfolders with one folder of images per class)",
        )
    train_root = root / "train" if (root / "train").is_dir() else root
    val_root = root / "val" if (root / "val").is_dir() else None
    probe = _image_folder(train_root, "RGB")
    first = probe.samples[0][0]
    try:
        with Image.open(first) as image:
            mode = "L" if image.mode in ("1", "L", "I", "I;16", "F") else "RGB"
            width, height = image.size
    except OSError as exc:
        raise DataError(f"cannot read image {first}: {exc}", hint="remove or replace the file") from None
    train = _image_folder(train_root, mode)
    notes = []
    if val_root is not None:
        val = _image_folder(val_root, mode)
        if val.classes != train.classes:
            from .errors import FitError

            missing = sorted(set(train.classes) ^ set(val.classes))
            raise FitError(
                f"{val_root} and {train_root} have different class folders: {', '.join(missing[:5])}",
                hint="both must hold one folder per class, with the same names",
            )
        split = "train/ and val/ folders"
    else:
        fraction = val_split if val_split is not None else FOLDER_VAL_FRACTION
        generator = torch.Generator().manual_seed(seed)
        order = torch.randperm(len(train), generator=generator).tolist()
        cut = max(1, round(len(order) * fraction))
        val = Subset(_image_folder(train_root, mode), order[:cut])
        train = Subset(train, order[cut:])
        split = f"{fraction:.0%} of {train_root} held out (seed {seed})"
        if val_split is None:
            notes.append(
                f"{root} has no val/ folder: holding out {fraction:.0%} of the images for validation "
                "(--val-split sets the fraction)"
            )
    channels = 1 if mode == "L" else 3
    mean, std, same = _folder_statistics(train, channels, (height, width))
    return DataSet(
        str(root),
        train,
        val,
        list(_base(train).classes),
        (channels, height, width),
        mean,
        std,
        False,
        same_size=same,
        notes=notes,
        info={"source": "torchvision.datasets.ImageFolder", "root": str(root), "split": split},
    )


def _base(dataset: Dataset):
    return dataset.dataset if isinstance(dataset, Subset) else dataset


def _folder_statistics(train: Dataset, channels: int, size: tuple[int, int]):
    """Mean and std per channel over up to STATS_SAMPLE training images, and whether all share `size`."""
    from torchvision.transforms.functional import pil_to_tensor

    folder = _base(train)
    indices = train.indices if isinstance(train, Subset) else range(len(folder))
    step = max(1, len(indices) // STATS_SAMPLE)
    total = torch.zeros(channels, dtype=torch.float64)
    squares = torch.zeros(channels, dtype=torch.float64)
    pixels, same = 0, True
    for index in list(indices)[::step]:
        image = folder.loader(folder.samples[index][0])
        same = same and image.size[::-1] == size
        values = pil_to_tensor(image).double() / 255.0
        total += values.sum(dim=(1, 2))
        squares += (values**2).sum(dim=(1, 2))
        pixels += values.shape[1] * values.shape[2]
    mean = total / pixels
    std = (squares / pixels - mean**2).clamp_min(1e-12).sqrt()
    return tuple(round(m, 4) for m in mean.tolist()), tuple(round(s, 4) for s in std.tolist()), same


class RepeatChannels(torch.nn.Module):
    """Grayscale to the 3 channels a spec expects, by repeating the one channel."""

    def __init__(self, channels: int):
        super().__init__()
        self.channels = channels

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return image.expand(*image.shape[:-3], self.channels, *image.shape[-2:])


def make_transform(data: DataSet, target: tuple[int, int, int], augment: bool, from_pil: bool):
    """Native images to the network's input: augmentation (at native size), resize, channels, normalisation."""
    from torchvision import transforms as T

    channels, height, width = data.native_shape
    steps: list = [T.ToTensor()] if from_pil else []
    if augment:
        steps += [T.RandomCrop((height, width), padding=4), T.RandomHorizontalFlip()]
    if (height, width) != tuple(target[1:]) or not data.same_size:
        steps.append(T.Resize(tuple(target[1:]), antialias=True))
    mean, std = data.mean, data.std
    if channels == 1 and target[0] > 1:
        steps.append(RepeatChannels(target[0]))
        mean, std = mean * target[0], std * target[0]
    elif channels == 3 and target[0] == 1:
        steps.append(T.Grayscale(1))
        luma = (0.299, 0.587, 0.114)  # the weights Grayscale uses
        mean = (sum(w * m for w, m in zip(luma, mean)),)
        std = (sum(w * s for w, s in zip(luma, std)),)
    steps.append(T.Normalize(mean, std))
    return T.Compose(steps)


def set_transforms(data: DataSet, target: tuple[int, int, int], augment: bool) -> None:
    """Give both splits the transform to `target` (augmenting only the training split)."""
    for split, train in ((data.train, True), (data.val, False)):
        base = _base(split)
        base.transform = make_transform(data, target, augment and train, not isinstance(base, TensorImages))
        if isinstance(base, TensorImages) and not (augment and train):
            base.precompute()
