"""The server: each LSP request is one small function that hands the document's last analysis to its
feature module. Checks run on one worker thread (see `schedule`), so requests are answered while one runs."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .. import __version__
from . import actions, completion, diagnostics, hover, navigation, outline
from .documents import Analysis, analyze, display_path, same_file

log = logging.getLogger(__name__)


class ArchServer(LanguageServer):
    """A pygls server that remembers each open document's last analysis."""

    def __init__(self) -> None:
        super().__init__("archdsl", __version__)
        self.analyses: dict[str, Analysis] = {}
        self.dirty: set[str] = set()  # documents edited since their check started
        self.running: dict[str, asyncio.Task] = {}
        self.checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archdsl-check")

    def analysis(self, uri: str) -> Analysis:
        """The last analysis of an open document; a request about any other is a client error."""
        if uri not in self.analyses:
            raise ValueError(f"{uri} is not open (send textDocument/didOpen first)")
        return self.analyses[uri]

    def others(self, uri: str) -> list[Analysis]:
        return [a for u, a in self.analyses.items() if u != uri]

    def schedule(self, uri: str) -> None:
        """Check the document's latest text. Debounced by coalescing: an edit after a quiet moment is
        checked at once; edits that arrive while a check runs make one more check of the text as it is
        then, and only the newest result is published."""
        self.dirty.add(uri)
        running = self.running.get(uri)
        if running is None or running.done():
            self.running[uri] = asyncio.ensure_future(self.check(uri))

    async def check(self, uri: str) -> None:
        loop = asyncio.get_running_loop()
        while uri in self.dirty:
            self.dirty.discard(uri)
            document = self.workspace.get_text_document(uri)
            try:
                analysis = await loop.run_in_executor(
                    self.checker, analyze, uri, document.source, document.version, self.analyses.get(uri)
                )
            except Exception as error:  # a bug in archdsl: say so, keep serving
                log.exception("checking %s failed", uri)
                self.window_log_message(
                    types.LogMessageParams(
                        type=types.MessageType.Error, message=f"archdsl: checking {uri} failed: {error!r}"
                    )
                )
                continue
            if uri in self.dirty or uri not in self.analyses:
                continue  # edited again while this check ran (check the newer text), or closed
            self.analyses[uri] = analysis
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=uri, version=analysis.version, diagnostics=diagnostics.diagnostics(analysis)
                )
            )


def make_server() -> ArchServer:
    server = ArchServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: ArchServer, params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        # Known at once, so requests sent before its first check are answered (with what is known).
        ls.analyses.setdefault(uri, Analysis(uri=uri, path=display_path(uri), text=params.text_document.text))
        ls.schedule(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: ArchServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: ArchServer, params: types.DidSaveTextDocumentParams) -> None:
        # Imports are read from disk: a saved family file changes what the open variants import.
        saved = ls.analysis(params.text_document.uri).path
        for other in ls.others(params.text_document.uri):
            if other.program is not None and any(same_file(path, saved) for path in other.program.files):
                ls.schedule(other.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: ArchServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.dirty.discard(uri)
        ls.analyses.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: ArchServer, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        return hover.hover(ls.analysis(uri), ls.others(uri), params.position)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: ArchServer, params: types.DefinitionParams) -> list[types.Location]:
        return navigation.definition(ls.analysis(params.text_document.uri), params.position)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def on_references(ls: ArchServer, params: types.ReferenceParams) -> list[types.Location]:
        uri = params.text_document.uri
        return navigation.references(
            ls.analysis(uri), ls.others(uri), params.position, params.context.include_declaration
        )

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["(", ",", '"', "/"]))
    def on_completion(ls: ArchServer, params: types.CompletionParams) -> types.CompletionList:
        uri = params.text_document.uri
        # Completion reads the live text (the analysis may be a keystroke behind) with the last AST.
        current = ls.analysis(uri)
        live = Analysis(
            uri=uri, path=current.path, text=ls.workspace.get_text_document(uri).source, program=current.program
        )
        return completion.completion(live, params.position)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def on_symbols(ls: ArchServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        return outline.document_symbols(ls.analysis(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, outline.LEGEND)
    def on_tokens(ls: ArchServer, params: types.SemanticTokensParams) -> types.SemanticTokens:
        return outline.semantic_tokens(ls.analysis(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def on_formatting(ls: ArchServer, params: types.DocumentFormattingParams) -> list[types.TextEdit]:
        uri = params.text_document.uri
        current = ls.analysis(uri)
        live = Analysis(uri=uri, path=current.path, text=ls.workspace.get_text_document(uri).source)
        return actions.formatting(live)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix])
    )
    def on_code_action(ls: ArchServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return actions.code_actions(ls.analysis(params.text_document.uri), params)

    return server
