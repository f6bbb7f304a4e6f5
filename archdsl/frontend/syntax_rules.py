"""Facts about the `.arch` language that more than one module needs, each written once.

The parser groups operators with these precedence levels and the unparser brackets by them; syntax
errors, error recovery and the YAML reader know the keywords from here. `tests/test_parser.py` checks
KEYWORDS against the terminals of `grammar.lark`.
"""

from __future__ import annotations

# Binding strength of operators, loosest first (Python's order). `compare` stands for == != < <= > >=;
# `unary` for prefix - and +.
PRECEDENCE = {
    "ifexp": 1,
    "or": 2,
    "and": 3,
    "not": 4,
    "compare": 5,
    "+": 6,
    "-": 6,
    "*": 7,
    "/": 7,
    "//": 7,
    "%": 7,
    "unary": 8,
    "**": 9,
}
ATOM = 11  # binds tighter than any operator (names, numbers, calls, brackets)
POSTFIX = 10  # `.attr` and `[index]`

COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})


def _level(op: str) -> int:
    return PRECEDENCE["compare" if op in COMPARISONS else op]


# For precedence climbing: (left, right) binding power of each binary operator. A left-associative operator
# binds its right operand one level tighter; `**` is right-associative.
BINARY_POWER = {
    op: (_level(op), _level(op) if op == "**" else _level(op) + 1)
    for op in ("or", "and", *sorted(COMPARISONS), "+", "-", "*", "/", "//", "%", "**")
}
# The power a prefix operator parses its operand with: `not a == b` is `not (a == b)`, `-2 ** 2` is `-(2 ** 2)`.
PREFIX_POWER = {"not": PRECEDENCE["not"], "-": PRECEDENCE["unary"], "+": PRECEDENCE["unary"]}

# Words the grammar reserves: none of them can name a value, a layer, a block or a parameter.
KEYWORDS = frozenset(
    {
        "and",
        "as",
        "block",
        "elif",
        "else",
        "false",
        "for",
        "from",
        "if",
        "import",
        "in",
        "input",
        "network",
        "none",
        "not",
        "or",
        "pass",
        "return",
        "true",
        "x",
        "True",
        "False",
        "None",
    }
)
# Words that start a line ending in `:` and an indented body.
HEADERS = ("block", "network", "if", "elif", "else", "for")
