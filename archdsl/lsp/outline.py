"""The outline (document symbols: networks, blocks, constants, and their labels and values) and
semantic tokens (keywords, ops, blocks, labels, parameters, numbers, strings, comments)."""

from __future__ import annotations

import re

from lsprotocol import types

from ..ops.registry import get_op
from ..source import Span
from .documents import Analysis, to_range
from .index import Symbol, flatten_symbols

SYMBOL_KIND = {
    "block": types.SymbolKind.Class,
    "network": types.SymbolKind.Module,
    "const": types.SymbolKind.Constant,
    "label": types.SymbolKind.Field,
    "value": types.SymbolKind.Variable,
}

TOKEN_TYPES = ["keyword", "function", "class", "property", "parameter", "variable", "number", "string", "comment"]
LEGEND = types.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=[])
KEYWORDS = {
    "block",
    "network",
    "input",
    "import",
    "from",
    "if",
    "elif",
    "else",
    "for",
    "in",
    "and",
    "or",
    "not",
    "true",
    "false",
    "none",
    "pass",
    "x",
}
TOKEN = re.compile(
    r'(?P<comment>#.*)|(?P<string>"""[^"]*(?:"""|$)|"[^"\n]*"?)|(?P<number>\b\d+(?:\.\d+)?\b)'
    r"|(?P<name>[A-Za-z_]\w*)"
)


def document_symbols(analysis: Analysis) -> list[types.DocumentSymbol]:
    index = analysis.index()
    if index is None:
        return []
    return [_symbol(s, analysis) for s in index.definitions]


def _symbol(symbol: Symbol, analysis: Analysis) -> types.DocumentSymbol:
    whole = Span(
        line=symbol.line,
        col=1,
        end_line=symbol.end_line,
        end_col=len(analysis.text.splitlines()[symbol.end_line - 1]) + 1
        if symbol.end_line <= len(analysis.text.splitlines())
        else 1,
        path=symbol.span.path,
    )
    children = [_symbol(c, analysis) for c in symbol.children if c.kind in SYMBOL_KIND]
    selection = to_range(symbol.span)
    full = to_range(whole) if symbol.kind in ("block", "network", "const") else selection
    if symbol.kind == "label" and children:  # a group: its body's lines
        full = to_range(whole)
    return types.DocumentSymbol(
        name=symbol.name,
        kind=SYMBOL_KIND[symbol.kind],
        range=full,
        selection_range=selection,
        detail=symbol.kind,
        children=children or None,
    )


def semantic_tokens(analysis: Analysis) -> types.SemanticTokens:
    """Tokens of a .arch file, classified with the AST's index (YAML files get none: their editors
    highlight YAML, and the schema gives the rest)."""
    index = analysis.index()
    if analysis.is_yaml or index is None:
        return types.SemanticTokens(data=[])
    kinds: dict[str, str] = {}
    for symbol in flatten_symbols(index.definitions):
        kinds.setdefault(
            symbol.name,
            {"block": "class", "network": "class", "label": "property", "param": "parameter"}.get(
                symbol.kind, "variable"
            ),
        )
    labels = {(s.span.line, s.span.col) for s in flatten_symbols(index.definitions) if s.kind == "label"}
    calls = {u.name for u in index.uses if u.kind == "call"}
    data: list[int] = []
    last_line = last_col = 0
    for number, line in enumerate(analysis.text.splitlines()):
        for match in TOKEN.finditer(line):
            kind = match.lastgroup
            word = match.group()
            if kind == "name":
                if (number + 1, match.start() + 1) in labels:
                    kind = "property"
                elif word in KEYWORDS and not (word == "x" and word in kinds):  # `x n` repeats; x may be a name
                    kind = "keyword"
                elif word in kinds:
                    kind = kinds[word]
                elif get_op(word) is not None or word in calls:
                    kind = "function"
                else:
                    continue
            delta_col = match.start() - last_col if number == last_line else match.start()
            data += [number - last_line, delta_col, len(word), TOKEN_TYPES.index(kind), 0]
            last_line, last_col = number, match.start()
    return types.SemanticTokens(data=data)
