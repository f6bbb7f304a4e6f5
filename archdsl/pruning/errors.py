"""Pruning's user errors: ordinary archdsl diagnostics, rendered and exited with 1 like any other."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ArchError


@dataclass
class PruneError(ArchError):
    """A bad amount, schedule or pattern, or a checkpoint that does not fit the spec."""

    code: str = "E911"
