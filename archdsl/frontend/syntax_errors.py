"""Syntax errors in plain words.

Lark reports what it got and the set of terminals it could have taken. That is enough to name the
common mistakes precisely (the same idea as Lark's `match_examples`, keyed on the parser's expected
set, the previous symbol and the brackets still open): a missing `,` between arguments, a missing `->`
between layers, a missing `:` after a header, a bracket never closed or closed by the wrong kind, a
keyword used as a name. Each gets a message that says what is missing, where, and the corrected line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import Note, ParseError
from ..source import Source, Span
from .build_ast import token_span
from .syntax_rules import HEADERS, KEYWORDS

OPENERS = {"LPAR": "(", "LSQB": "[", "LBRACE": "{"}
CLOSERS = {"RPAR": ")", "RSQB": "]", "RBRACE": "}"}
MATCH = {"(": ")", "[": "]", "{": "}"}
# Terminals that can start an operand: seeing one right after a complete operand means a separator is missing.
OPERAND_START = {
    "NAME",
    "NUMBER",
    "STRING",
    "LPAR",
    "LSQB",
    "TRUE",
    "FALSE",
    "NONE",
    "IN",
    "TRUE_CAP",
    "FALSE_CAP",
    "NONE_CAP",
}
WORDS = {
    "_NL": "the end of the line",
    "_INDENT": "an indented body",
    "_DEDENT": "the end of the body",
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "COMPARE": "a comparison",
    "PLUS": "an operator",
    "MINUS": "an operator",
    "MUL_OP": "an operator",
    "POW": "an operator",
    "_ARROW": "`->`",
    "$END": "the end of the file",
}


@dataclass
class Context:
    """What the parser knew when it stopped."""

    source: Source
    open: list[Token]  # brackets open at the failure, innermost last
    offset: tuple[int, int] = (0, 0)  # where a YAML snippet starts in its file (lines, columns)

    def span(self, line: int, col: int, end_col: int | None = None) -> Span:
        return Span(line=line, col=col, end_line=line, end_col=end_col or col + 1, path=self.source.path)

    def where(self, token: Token) -> str:
        line = token.line + self.offset[0]
        col = token.column + (self.offset[1] if token.line == 1 else 0)
        return f"{line}:{col}"


def explain(
    source: Source, exc: UnexpectedInput, open_brackets: list[Token], offset: tuple[int, int] = (0, 0)
) -> ParseError:
    """A ParseError in plain words, located at the mistake."""
    ctx = Context(source, open_brackets, offset)
    if isinstance(exc, UnexpectedCharacters):
        return _bad_character(ctx, exc)
    token = exc.token if isinstance(exc, UnexpectedToken) else Token("$END", "")
    expected = set(getattr(exc, "expected", None) or ())
    at_end = token.type == "$END" or isinstance(exc, UnexpectedEOF)
    if token.type in CLOSERS and ctx.open and MATCH[OPENERS[ctx.open[-1].type]] != str(token):
        return _unclosed(ctx, ctx.open[-1], token)  # `[3, 3)`
    unclosed = _never_closed(ctx)
    if unclosed is not None and (at_end or (token.line or 0) > unclosed.line or token.type in CLOSERS):
        return _unclosed(ctx, unclosed, token)
    if token.type in CLOSERS:
        return _stray_closer(ctx, token)
    previous = _previous(exc)
    layout = _layout_mistake(ctx, token.end_line or token.line or 1) if not at_end else None
    if layout is not None:
        return layout
    if at_end:
        return _early_end(ctx, expected, previous)
    if token.type == "_INDENT":
        return _unexpected_indent(ctx, token)
    if (
        token.type == "_DEDENT"
        or "_INDENT" in expected
        or (getattr(previous, "type", None) == "_NL" and _header_above(ctx.source, token.line or 1))
    ):
        return _missing_body(ctx, token)
    if token.type == "_NL":
        return _line_ends_early(ctx, token, expected, previous)
    if token.type in OPERAND_START or str(token) in KEYWORDS:
        missing = _missing_separator(ctx, token, expected, previous)
        if missing is not None:
            return missing
    if token.type == "EQUAL" and "COMPARE" in expected:
        return ParseError(
            "`=` names a value; to compare, write `==`",
            token_span(token, source.path),
            hint=f"write `{_fixed(source, token, '=')}`",
            code="E101",
        )
    if token.type == "NUMBER" and getattr(previous, "type", None) == "DOT":
        return ParseError(
            "a module name cannot contain `.`",
            token_span(previous, source.path),
            hint="label the whole stage (`layer1: Block(64) x 3`): the copies of `x n` are numbered "
            "layer1.0, layer1.1, ... for you",
            code="E101",
        )
    if (
        token.type == "COLON"
        and str(previous) == "input"
        and re.match(r"\s*\d", source.line(token.line)[token.column :])
    ):
        shape = source.line(token.line)[token.column :].strip()  # `input: 3x32x32`, as YAML writes a key
        return ParseError(
            "`input` takes its shape without `:`",
            token_span(token, source.path),
            hint=f"write `input {shape}` (the `input: [3, 32, 32]` form is for YAML specs)",
            code="E101",
        )
    if (
        token.type in ("COLON", "EQUAL")
        and isinstance(previous, Token)
        and str(previous) in KEYWORDS
        and previous.type != "NAME"
    ):  # `input: conv(...)`, `x = ...` where `x` reads as a keyword
        return ParseError(
            f"`{previous}` is a keyword and cannot be used as a name",
            token_span(previous, source.path),
            hint=f"choose another name, e.g. `{previous}_`",
            code="E107",
        )
    if str(token) in KEYWORDS and "NAME" in expected:
        return ParseError(
            f"`{token}` is a keyword and cannot be used as a name",
            token_span(token, source.path),
            hint=f"choose another name, e.g. `{token}_`",
            code="E107",
        )
    if token.type == "COLON" and getattr(previous, "type", None) in ("NAME", "RPAR") and "LPAR" in expected:
        return ParseError(
            "expected `(` after the name",
            token_span(token, source.path),
            hint=f"write the parameters in brackets, even when there are none: `{_fixed(source, token, '()')}`",
            code="E106",
        )
    return ParseError(
        f"unexpected {_show(token)}", token_span(token, source.path), hint=_expected_words(expected), code="E101"
    )


# ----------------------------------------------------------------------------------------------
# the cases
# ----------------------------------------------------------------------------------------------


def _bad_character(ctx: Context, exc: UnexpectedCharacters) -> ParseError:
    line, col = exc.line, exc.column
    text = ctx.source.line(line)
    char = text[col - 1 : col] or "?"
    span = ctx.span(line, col)
    if char in "\"'":
        return ParseError(
            "this string is never closed",
            ctx.span(line, col, len(text) + 1),
            hint=f"end it with {char} on the same line",
            code="E104",
        )
    special = {
        "×": "write sizes with the letter `x`, e.g. `input 3x224x224`",
        ";": "put one statement per line; `;` is not used",
        "!": "write `not` for negation (`!=` compares)",
        "&": "write `and`",
        "|": "write `or`",
        "“": 'use straight quotes "..."',
        "”": 'use straight quotes "..."',
        "‘": "use straight quotes '...'",
        "’": "use straight quotes '...'",
        "\t": "indent with spaces",
    }
    hint = special.get(char)
    if hint is None and not char.isascii() and char.isalpha():
        hint = "names use ASCII letters, digits and `_`"
    shown = repr(char)[1:-1] if not char.isprintable() else char
    return ParseError(
        f"unexpected character `{shown}`",
        span,
        hint=hint or "names use letters, digits and `_`; comments start with `#`",
        code="E104",
    )


def _unclosed(ctx: Context, opener: Token, token: Token) -> ParseError:
    char = OPENERS[opener.type]
    closer = MATCH[char]
    what = _bracket_kind(ctx.source, opener)
    found = f", found `{token}`" if token.type in CLOSERS else ""
    line_text = ctx.source.line(opener.line).rstrip()
    span = Span(
        line=opener.line, col=opener.column, end_line=opener.line, end_col=len(line_text) + 1, path=ctx.source.path
    )
    if token.type in CLOSERS:
        hint = f"close it with `{closer}` before this `{token}`"
        span = token_span(token, ctx.source.path)
        notes_at = opener
    else:
        hint = f"add `{closer}` where the {what.split()[0]} ends, e.g. at the end of line {opener.line + ctx.offset[0]}"
        notes_at = None
    error = ParseError(
        f"expected `{closer}` to close the {what} opened at {ctx.where(opener)}{found}", span, hint=hint, code="E102"
    )
    if notes_at is not None:
        error.notes.append(Note(f"the {what} opens here", token_span(notes_at, ctx.source.path)))
    return error


def _stray_closer(ctx: Context, token: Token) -> ParseError:
    return ParseError(
        f"`{token}` does not close anything",
        token_span(token, ctx.source.path),
        hint="remove it, or add the matching opening bracket",
        code="E101",
    )


def _early_end(ctx: Context, expected: set[str], previous) -> ParseError:
    last = max(len(ctx.source.lines), 1)
    text = ctx.source.line(last)
    span = ctx.span(last, len(text) + 1)
    if "_INDENT" in expected:
        return ParseError(
            "the file ends where an indented body should start",
            span,
            hint="indent the statements of the body below the line ending with `:`",
            code="E105",
        )
    return ParseError("the file ends in the middle of a statement", span, hint=_expected_words(expected), code="E105")


def _unexpected_indent(ctx: Context, token: Token) -> ParseError:
    line = token.end_line or token.line or 1
    above = _line_above(ctx.source, line)
    span = Span(line=line, col=1, end_line=line, end_col=(token.end_column or 2), path=ctx.source.path)
    if above is not None and _is_bare_name(ctx.source.line(above)):
        name = ctx.source.line(above).strip()
        return ParseError(
            f"this line is indented, but `{name}` above it does not end with `:`",
            span,
            hint=f"to make a group of the lines below, write `{name}:` on line {above}",
            code="E106",
        )
    return ParseError(
        "unexpected indentation",
        span,
        hint="only the body of `block`, `network`, `if`, `for` or `label:` is indented; line this "
        "statement up with the one above",
        code="E103",
    )


def _missing_body(ctx: Context, token: Token) -> ParseError:
    header = _line_above(ctx.source, token.line or 1) or 1
    text = _code(ctx.source.line(header)).rstrip()
    start = len(text) - len(text.lstrip()) + 1
    return ParseError(
        "expected an indented body after this line",
        ctx.span(header, start, len(text) + 1),
        hint="indent the body's statements by 4 spaces, or write `pass` for an empty one",
        code="E103",
    )


def _line_ends_early(ctx: Context, token: Token, expected: set[str], previous) -> ParseError:
    line = token.line or 1
    text = ctx.source.line(line)
    stripped = _code(text).strip()
    end = len(_code(text).rstrip()) + 1
    span = ctx.span(line, end)
    first = stripped.split("(")[0].split()[0] if stripped else ""
    if "COLON" in expected and first in HEADERS:
        return ParseError(
            f"expected `:` at the end of the `{first}` line", span, hint=f"write `{stripped}:`", code="E106"
        )
    after = {
        "_ARROW": ("`->`", "a layer", "e.g. `-> relu`; or end the line without `->`"),
        "EQUAL": ("`=`", "a value", "e.g. `shortcut = in`"),
        "X": ("`x`", "a repeat count", "e.g. `x 3` or `x (n - 1)`"),
        "COLON": ("`:`", "a layer, or an indented body on the next lines", "e.g. `conv1: conv(64, 3)`"),
    }
    kind = getattr(previous, "type", None)
    if kind in after:
        what, need, example = after[kind]
        return ParseError(f"expected {need} after {what}", span, hint=example, code="E101")
    return ParseError("this line ends too early", span, hint=_expected_words(expected), code="E101")


def _missing_separator(ctx: Context, token: Token, expected: set[str], previous) -> ParseError | None:
    if previous is None or (isinstance(previous, str) and not isinstance(previous, Token)):
        return None  # a rule name: the parser is between statements
    path = ctx.source.path
    line_text = ctx.source.line(token.line or 1)
    inner = ctx.open[-1] if ctx.open else None
    if inner is not None and inner.type in ("LPAR", "LSQB") and token.value == "for":
        return ParseError(  # a Python comprehension: a comma would not fix it
            "a list cannot be built with `for` inside brackets",
            token_span(token, path),
            hint="write the items out, repeat a list (`[16] * 2 + [32]`), or loop over the layers with a `for` statement",
            code="E106",
        )
    if inner is not None and inner.type in ("LPAR", "LSQB") and "COMMA" in expected:
        fixed = _fixed(ctx.source, token, ", ", before=True)
        what = "arguments" if _bracket_kind(ctx.source, inner).startswith("call") else "items"
        return ParseError(
            f"missing `,` before {_show(token)}",
            token_span(token, path),
            hint=f"separate {what} with commas: `{fixed}`",
            code="E106",
        )
    if inner is None and line_text.strip().startswith("input ") and token.type == "NUMBER":
        return ParseError(
            "the input shape is written with `x` between sizes",
            token_span(token, path),
            hint="e.g. `input 3x224x224`",
            code="E106",
        )
    if inner is None and "_ARROW" in expected:
        fixed = _fixed(ctx.source, token, "-> ", before=True)
        return ParseError(
            f"missing `->` before {_show(token)}",
            token_span(token, path),
            hint=f"layers on one line are chained with `->`: `{fixed}`; or put each on its own line",
            code="E106",
        )
    return None


def _layout_mistake(ctx: Context, line: int) -> ParseError | None:
    """A tab among space indentation, or a body line pushed back to column 1: said in those words, with the
    line as written (tabs shown as `\\t`, which the caret line would show as spaces)."""
    source = ctx.source
    for number in (line, _line_above(source, line)):
        if number is None:
            continue
        text = source.line(number)
        lead = text[: len(text) - len(text.lstrip(" \t"))]
        spaces_elsewhere = any(other.startswith(" ") for other in source.lines if other.strip())
        if "\t" in lead and spaces_elsewhere:
            shown = text.rstrip().replace("\t", "\\t")
            return ParseError(
                f"a tab in the indentation of line {number}; the lines around it indent with spaces",
                ctx.span(number, 1, len(lead) + 1),
                hint=f"as written: `{shown}`; indent with spaces only (4 per level), since a tab's width is a guess",
                code="E103",
            )
    text = _code(source.line(line))
    above = _line_above(source, line)
    first = text.split("(")[0].split(":")[0].split()
    top_level = (
        not first
        or first[0] in ("block", "network", "import", "from")
        or text.rstrip().endswith(":")
        or re.match(r"[A-Za-z_]\w*\s*=", text)
    )
    if text[:1].strip() and above is not None and source.line(above)[:1] in (" ", "\t") and not top_level:
        body = next((n for n in range(above, 0, -1) if source.line(n).startswith(("network", "block"))), None)
        owner = f" of `{source.line(body).split('(')[0].strip()}` (line {body})" if body else ""
        return ParseError(
            f"this line starts at column 1, outside the body{owner}: check its indentation",
            ctx.span(line, 1, len(text.rstrip()) + 1),
            hint=f"indent it like the line above: `{source.line(above)[: len(source.line(above)) - len(source.line(above).lstrip())]}"
            f"{text.strip()}`",
            code="E103",
        )
    return None


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------

_SCAN = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|#[^\n]*|[()\[\]{}]')


def _never_closed(ctx: Context) -> Token | None:
    """The innermost bracket open at the failure that nothing in the rest of the text closes."""
    if not ctx.open:
        return None
    closed_by: dict[tuple[int, int], bool] = {}
    stack: list[tuple[int, int]] = []
    line_starts = [0]
    text = ctx.source.text
    for match in re.finditer(r"\n", text):
        line_starts.append(match.end())
    for match in _SCAN.finditer(text):
        char = match.group()
        if char in "([{":
            pos = match.start()
            line = _line_of(line_starts, pos)
            stack.append((line, pos - line_starts[line - 1] + 1))
        elif char in ")]}" and stack:
            opened = stack.pop()
            # A closer of the wrong kind closes nothing: `conv(64, [3, 3)` leaves both open.
            if MATCH[text[_offset(line_starts, opened)]] == char:
                closed_by[opened] = True
    for opener in reversed(ctx.open):
        if (opener.line, opener.column) not in closed_by:
            return opener
    return None


def _offset(starts: list[int], position: tuple[int, int]) -> int:
    return starts[position[0] - 1] + position[1] - 1


def _line_of(starts: list[int], pos: int) -> int:
    low, high = 0, len(starts)
    while high - low > 1:
        middle = (low + high) // 2
        if starts[middle] <= pos:
            low = middle
        else:
            high = middle
    return low + 1


def _bracket_kind(source: Source, opener: Token) -> str:
    char = OPENERS[opener.type]
    if char == "[":
        return "list"
    if char == "{":
        return "name part `{...}`"
    before = source.line(opener.line)[: opener.column - 1]
    name = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", before)
    if name and name.group(1) not in KEYWORDS:
        return f"call `{name.group(1)}(`"
    return "parenthesis"


def _previous(exc: UnexpectedInput):
    parser = getattr(exc, "interactive_parser", None)
    if parser is None:
        return None
    stack = parser.parser_state.value_stack
    return stack[-1] if stack else None


def _fixed(source: Source, token: Token, insert: str, before: bool = False) -> str:
    """The token's line with `insert` added before the token (or after it), stripped: the correction."""
    text = source.line(token.line or 1)
    if before:
        at = (token.column or 1) - 1
        head = text[:at].rstrip()
        joined = head + (" " if insert.startswith("->") and head else "") + insert + text[at:]
        return _code(joined).strip()
    at = (token.column or 1) - 1
    return _code(text[:at] + insert + text[at:]).strip()


def _code(line: str) -> str:
    """A line without its trailing comment (strings are not scanned: close enough for hints)."""
    return line.split("#", 1)[0] if "#" in line and '"' not in line and "'" not in line else line


def _line_above(source: Source, line: int) -> int | None:
    for number in range(line - 1, 0, -1):
        if _code(source.line(number)).strip():
            return number
    return None


def _header_above(source: Source, line: int) -> bool:
    above = _line_above(source, line)
    return above is not None and _code(source.line(above)).rstrip().endswith(":")


def _is_bare_name(text: str) -> bool:
    return bool(re.fullmatch(r"\s*[A-Za-z_][A-Za-z0-9_]*(\{[^}]*\}[A-Za-z0-9_]*)*\s*", _code(text)))


def _show(token: Token) -> str:
    if token.type == "_NL":
        return "the end of the line"
    return f"`{token}`"


def _expected_words(expected: set[str]) -> str | None:
    words: list[str] = []
    for name in sorted(expected):
        if name in ("_NL", "_DEDENT") and len(expected) > 2:
            continue
        word = WORDS.get(name)
        if word is None:
            word = f"`{_TERMINAL_TEXT.get(name, name.lower())}`"
        if word not in words:
            words.append(word)
    if not words:
        return None
    if len(words) > 5:
        words = words[:5] + ["..."]
    return "expected " + ", ".join(words)


_TERMINAL_TEXT = {
    "LPAR": "(",
    "RPAR": ")",
    "LSQB": "[",
    "RSQB": "]",
    "LBRACE": "{",
    "RBRACE": "}",
    "COLON": ":",
    "COMMA": ",",
    "EQUAL": "=",
    "DOT": ".",
    "X": "x",
    "TRUE_CAP": "True",
    "FALSE_CAP": "False",
    "NONE_CAP": "None",
}
