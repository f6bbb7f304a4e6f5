"""Write a valid spec with N conv layers, residual adds and concat merges: `python bench/deep_spec.py N`.

The body is written out line by line (no repeats), so parsing, elaboration and validation all see N
layers. Every second layer adds a residual; every eighth concatenates the last two values and squeezes
them back with a 1x1 conv.
"""

from __future__ import annotations

import sys


def deep_spec(n: int, channels: int = 8, style: str = "flat") -> str:
    """`flat`: one line per conv layer. `blocks`: one line per residual unit of two convs."""
    if style == "blocks":
        return _blocks(n, channels)
    lines = [
        f'"""A synthetic network with {n} conv layers (bench/deep_spec.py)."""',
        "",
        "network deep(num_classes=10):",
        "    input 3x32x32",
        f"    c0: conv({channels}, 3, padding=1)",
    ]
    convs = 1
    index = 0
    while convs < n:
        index += 1
        lines.append(f"    c{index}: conv({channels}, 3, padding=1) -> relu")
        convs += 1
        if index % 2 == 0:
            lines.append(f"    r{index} = add(c{index}, c{index - 1})")
        if index % 8 == 0 and convs < n:
            lines.append(f"    j{index} = concat(r{index}, c{index - 2})")
            lines.append(f"    m{index}: conv({channels}, 1)")
            convs += 1
    lines += ["    global_avgpool", "    flatten", "    fc: linear(num_classes)", ""]
    return "\n".join(lines)


def _blocks(n: int, channels: int) -> str:
    lines = [
        f'"""A synthetic network with {n} conv layers in residual units (bench/deep_spec.py)."""',
        "",
        "block Unit(c):",
        "    a: conv(c, 3, padding=1) -> relu",
        "    b: conv(c, 3, padding=1)",
        "    add(in, b) -> relu",
        "",
        "network deep(num_classes=10):",
        "    input 3x32x32",
        f"    stem: conv({channels}, 3, padding=1)",
    ]
    convs, index = 1, 0
    while convs + 2 <= n:
        index += 1
        lines.append(f"    u{index}: Unit({channels})")
        convs += 2
        if index % 4 == 0 and convs < n:
            lines.append(f"    j{index} = concat(u{index}, u{index - 1})")
            lines.append(f"    m{index}: conv({channels}, 1)")
            convs += 1
    lines += ["    global_avgpool", "    flatten", "    fc: linear(num_classes)", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    style = sys.argv[2] if len(sys.argv) > 2 else "flat"
    sys.stdout.write(deep_spec(count, style=style))
