"""Training's user errors: ordinary archdsl diagnostics (E9xx), rendered and exited with 1 like any other."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ArchError


@dataclass
class TrainError(ArchError):
    """Base class of the errors `archdsl train` and `archdsl eval` report to the user."""


@dataclass
class DataError(TrainError):
    """The data set is missing, empty or unreadable."""

    code: str = "E901"


@dataclass
class FitError(TrainError):
    """The data and the network do not fit together (classes, channels, sizes)."""

    code: str = "E902"


@dataclass
class CheckpointError(TrainError):
    """A run folder or checkpoint is missing, unreadable, or holds weights of another network."""

    code: str = "E903"


@dataclass
class DivergedError(TrainError):
    """The loss became NaN or infinite."""

    code: str = "E904"


def unwrap_worker_error(error: DataError) -> DataError:
    """A DataError raised inside a DataLoader worker comes back with the worker's traceback as its
    message; keep only the original message."""
    marker = f"{type(error).__name__}: "
    if error.message.startswith("Caught ") and marker in error.message:
        return type(error)(error.message.rsplit(marker, 1)[1].strip())
    return error
