"""`archdsl lsp`: a Language Server Protocol server for .arch and YAML specs, built on pygls.

Every feature reads the compiler's own output (`archdsl.check`'s typed IR and diagnostics,
`archdsl.load`'s AST, the op registry), so the editor shows what `archdsl check` prints. One module
per feature: diagnostics, hover, navigation (definition, references), completion, outline (document
symbols, semantic tokens), actions (quick fixes, formatting). `server.py` wires them to LSP requests.
Nothing here imports torch.
"""

from __future__ import annotations


def serve() -> None:
    """Run the server on stdin/stdout until the client says exit."""
    try:
        from .server import make_server
    except ImportError as error:
        if error.name not in ("pygls", "lsprotocol"):
            raise
        import sys

        sys.stderr.write("error: `archdsl lsp` needs pygls; install it with: pip install 'archdsl[lsp]'\n")
        raise SystemExit(1) from None
    make_server().start_io()
