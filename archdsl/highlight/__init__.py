"""Syntax highlighting of `.arch` specs: a Pygments lexer, registered through the `pygments.lexers`
entry point (`pygmentize -l archdsl specs/resnet34.arch`) and used for the docs' ```archdsl blocks."""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

__all__ = ["ArchdslLexer"]


class ArchdslLexer(RegexLexer):
    """The .arch language (archdsl/frontend/grammar.lark)."""

    name = "archdsl"
    aliases = ("archdsl", "arch")
    filenames = ("*.arch",)
    mimetypes = ("text/x-archdsl",)

    tokens = {  # noqa: RUF012 - the form Pygments reads
        "root": [
            (r"[ \t\f]+", Whitespace),
            (r"\\\n|\n", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"""(?:[^"\\]|\\.|"(?!""))*"""', String.Doc),
            (r'"(?:[^"\\\n]|\\.)*"', String.Double),
            (r"'(?:[^'\\\n]|\\.)*'", String.Single),
            (r"(block|network)(\s+)([A-Za-z_]\w*)", bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (words(("import", "from"), suffix=r"\b"), Keyword.Namespace),
            (words(("if", "elif", "else", "for", "in", "as", "input", "pass", "return", "x"), suffix=r"\b"), Keyword),
            (words(("and", "or", "not"), suffix=r"\b"), Operator.Word),
            (words(("true", "false", "True", "False", "none", "None"), suffix=r"\b"), Keyword.Constant),
            (r"(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?(?=x\d)", Number),  # 3x224x224: the x is a keyword
            (r"(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", Number),
            (r"([A-Za-z_]\w*)(\s*)(?=:(?!=))", bygroups(Name.Label, Text)),
            (r"[A-Za-z_]\w*(?=\s*\()", Name.Function),
            (r"[A-Za-z_]\w*", Name),
            (r"->|\*\*|//|==|!=|<=|>=|[-+*/%<>=]", Operator),
            (r"[()\[\]{},.:]", Punctuation),
        ],
    }
