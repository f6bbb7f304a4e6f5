"""The flow rule: which statements move the value that flows from one statement to the next.

Only a bare statement moves the flow: a chain (`conv(64, 3) -> relu`, or a value on its own such as
`shortcut`), a labelled group, an `input` line, and the bare statements inside an `if` or `for`. An
assignment (`y = ...`) names a value and never moves the flow, whatever its right-hand side applies.

The rule is decided from syntax alone, so the elaborator (which moves the flow) and the diagnostics
(which poison the flow after a failed statement) cannot disagree, and a block's output never depends on
what an assignment in a branch happened to compute. docs/language.md, "Names: labels and values".
"""

from __future__ import annotations

from ..frontend import syntax


def moves_flow(stmt: syntax.Node) -> bool:
    """Whether running `stmt` may move the flowing value."""
    kind = stmt.kind
    if kind in ("assign", "pass", "return"):  # `return` ends the network; see elaborate.py
        return False
    if kind == "if":
        bodies = [branch.body for branch in stmt.branches] + [stmt.orelse or ()]
        return any(moves_flow(inner) for body in bodies for inner in body)
    if kind == "for":
        return any(moves_flow(inner) for inner in stmt.body)
    return True  # flow, group, input
