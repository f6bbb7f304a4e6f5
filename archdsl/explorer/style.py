"""The static diagram's colours, shared with the explorer so both draw the same legend."""

from __future__ import annotations

from typing import Any


def palette() -> dict[str, Any]:
    """Family colours (fill, border, legend text), the skip-edge colour, box fills and merge symbols."""
    from ..backends import dot as backend

    return {
        "families": {family: list(colours) for family, colours in backend.PALETTE.items()},
        "skip": backend.SKIP_COLOUR,
        "clusters": list(backend.CLUSTER_FILLS),
        "merges": dict(backend.MERGE_SYMBOLS),
    }
