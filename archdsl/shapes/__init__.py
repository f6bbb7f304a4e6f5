"""Static shapes: the batch dimension is implicit (symbolic `N`); a shape is the per-sample dims."""

from __future__ import annotations

Shape = tuple[int, ...]


class OpShapeError(Exception):
    """Raised by an op's shape rule; the elaborator adds the span and the producers of each input."""

    def __init__(self, message: str, hint: str | None = None, code: str = "E406"):
        super().__init__(message)
        self.message, self.hint, self.code = message, hint, code


def fmt(shape: Shape) -> str:
    """`64x56x56`, the way papers and archdsl's messages write shapes."""
    return "x".join(str(d) for d in shape) if shape else "scalar"


def fmt_outputs(shapes: dict[str, Shape]) -> str:
    """A network's outputs: `1000` for one, `logits 1000, aux_logits 1000` for named ones."""
    if len(shapes) == 1:
        return fmt(next(iter(shapes.values())))
    return ", ".join(f"{name} {fmt(shape)}" for name, shape in shapes.items())


def numel(shape: Shape) -> int:
    total = 1
    for dim in shape:
        total *= dim
    return total
