"""Tiny data sets written in each real on-disk format, so torchvision's own loaders read them in the
tests of `archdsl train`: MNIST's idx files, CIFAR's pickled batches, an ImageFolder of PNGs."""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np

TINY_SPEC = """\
network Tiny(num_classes=10):
    input 3x12x12
    conv(4, 3)
    relu
    maxpool(2)
    flatten
    output: linear(num_classes)
"""


def _pattern_images(count: int, classes: int, size: int, channels: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images a small network can learn: each class lights a different band, plus noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % classes
    images = rng.integers(0, 60, size=(count, size, size, channels), dtype=np.uint8)
    band = max(1, size // classes)
    for i, label in enumerate(labels):
        images[i, label * band : (label + 1) * band, :, :] = 255
    return images, labels.astype(np.uint8)


def write_mnist(root: Path, train: int = 128, test: int = 32, folder: str = "MNIST") -> Path:
    """root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte, uncompressed as torchvision reads them."""
    raw = root / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, count, seed in (("train", train, 0), ("t10k", test, 1)):
        images, labels = _pattern_images(count, 10, 28, 1, seed)
        with open(raw / f"{prefix}-images-idx3-ubyte", "wb") as handle:
            handle.write(struct.pack(">IIII", 2051, count, 28, 28) + images[..., 0].tobytes())
        with open(raw / f"{prefix}-labels-idx1-ubyte", "wb") as handle:
            handle.write(struct.pack(">II", 2049, count) + labels.tobytes())
    return root


def write_cifar10(root: Path, per_batch: int = 20, test: int = 20) -> Path:
    """root/cifar-10-batches-py/: data_batch_1..5, test_batch, batches.meta (pickled dicts, CHW rows)."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for seed, name in enumerate(names):
        images, labels = _pattern_images(per_batch if name != "test_batch" else test, 10, 32, 3, seed)
        rows = images.transpose(0, 3, 1, 2).reshape(len(labels), -1)
        with open(folder / name, "wb") as handle:
            pickle.dump({"data": rows, "labels": labels.tolist()}, handle)
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)]}, handle)
    return root


def write_image_folder(root: Path, classes: int = 3, per_class: int = 6, split: bool = True, size: int = 16) -> Path:
    """root/train/<class>/*.png (and root/val/<class>/*.png with split), RGB PNGs."""
    from PIL import Image

    parts = {"train": per_class, "val": max(2, per_class // 2)} if split else {"": per_class}
    for part, count in parts.items():
        images, labels = _pattern_images(count * classes, classes, size, 3, len(part))
        for index, (image, label) in enumerate(zip(images, labels)):
            folder = root / part / f"class{label}"
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(folder / f"{index}.png")
    return root
