"""Structural questions about an IR graph that more than one consumer asks (the code generator, the
importer, the diagram and the explorer): one answer each, so that they agree."""

from __future__ import annotations

from .nodes import ScopeNode


def holds_one_block(scope: ScopeNode) -> bool:
    """Made only of instances of one block."""
    blocks = {item.block if isinstance(item, ScopeNode) else None for item in scope.items}
    return len(blocks) == 1 and None not in blocks


def is_stage(scope: ScopeNode) -> bool:
    """A group made only of instances of one block (ResNet's layer3, DenseNet's denseblock2)."""
    return scope.block is None and holds_one_block(scope)


def stage_blocks(root: ScopeNode) -> set[str]:
    """Blocks that are plain numbered chains of block instances whose length differs between uses, like
    EfficientNet's `Stage` (1 to 4 MBConvs): the code generator writes them as `nn.Sequential(MBConv(...),
    ...)`, as torchvision does, rather than as one class per length, and the importer reads such a
    Sequential back as a group."""
    lengths: dict[str, set[int]] = {}
    for _, node in root.walk():
        if isinstance(node, ScopeNode) and node.block is not None:
            chain = node.sequential and all(isinstance(item, ScopeNode) for item in node.items)
            lengths.setdefault(node.block, set()).add(len(node.items) if chain else -1)
    return {block for block, seen in lengths.items() if len(seen) > 1 and -1 not in seen}
