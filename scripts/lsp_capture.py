"""Text captures for docs/editors.md: what an editor receives from `archdsl lsp` for a few requests.

    python scripts/lsp_capture.py

A pygls client starts the server over stdio, opens specs, and prints the hover texts and the
diagnostics (as JSON, the way they travel) exactly as the server sends them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from lsprotocol import converters, types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parent.parent
FAMILY = ROOT / "specs" / "families" / "densenet.arch"
BROKEN = '''"""Two typos."""
import "families/resnet.arch"

network tiny(num_classes=10):
    input 3x32x32
    stem: conv(16, 3, padding=1) -> batchnorm -> relu
    layer1: BasicBlock(32, strid=2)
    pool: global_avgpool
    flaten
    fc: linear(num_classes)
'''


async def main() -> None:
    client = LanguageClient("capture", "1")
    published: dict[str, asyncio.Future] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: types.PublishDiagnosticsParams) -> None:
        future = published.get(params.uri)
        if future is not None and not future.done():
            future.set_result(params)

    async def open_doc(path: Path, text: str) -> types.PublishDiagnosticsParams:
        uri = path.resolve().as_uri()
        published[uri] = asyncio.get_running_loop().create_future()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="archdsl", version=1, text=text)
            )
        )
        return await published[uri]

    async def hover(path: Path, line: int, col: int, what: str) -> None:
        result = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=path.resolve().as_uri()),
                position=types.Position(line=line - 1, character=col - 1),
            )
        )
        print(f"### hover: {what} ({path.relative_to(ROOT)}:{line}:{col})\n\n{result.contents.value}\n")

    await client.start_io(sys.executable, "-m", "archdsl", "lsp", cwd=str(ROOT))
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    variant = ROOT / "specs" / "densenet121.arch"
    await open_doc(variant, variant.read_text())
    await open_doc(FAMILY, FAMILY.read_text())
    await hover(FAMILY, 15, 6, "a label inside a block")
    await hover(FAMILY, 42, 45, "a block name")
    await hover(FAMILY, 22, 12, "`in`")
    await hover(FAMILY, 18, 13, "an op name")
    broken = ROOT / "specs" / "tiny.arch"  # never written: the editor's unsaved buffer
    result = await open_doc(broken, BROKEN)
    payload = converters.get_converter().unstructure(result)
    print(f"### diagnostics: textDocument/publishDiagnostics for an unsaved specs/tiny.arch\n\n```\n{BROKEN}```\n")
    lines = [json.dumps(d) for d in payload["diagnostics"]]
    print(
        f'```json\n{{"uri": "{payload["uri"]}", "version": {payload["version"]}, "diagnostics": [\n  '
        + ",\n  ".join(lines)
        + "\n]}\n```"
    )
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


if __name__ == "__main__":
    asyncio.run(main())
