"""Language server latency: a `didChange` on a spec until its diagnostics arrive, and a hover, with the
server warm, against a cold `archdsl check` of the same file, all in one run.

    python bench/lsp.py [--edits 50] [--cold 10] [--spec specs/densenet121.arch]

A real client (pygls) drives `python -m archdsl lsp` over stdio. Each edit appends a different comment,
so the server re-checks the whole spec (imports included) and publishes diagnostics for that version;
the time is from sending the change to receiving them (debounce included). Hovers: a network name in
the spec, and a label inside its family file (shapes of all its instances). Cold `archdsl check`
processes run between batches of edits. Goal: warm diagnostics at most 0.25x the cold check.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, median, table

FAMILY = ROOT / "specs" / "families" / "densenet.arch"


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("archdsl-bench", "1")
        self.arrived: dict[tuple[str, int | None], float] = {}
        self.news = asyncio.Event()


async def wait_for(client: Client, key: tuple[str, int | None], timeout: float = 60) -> float:
    """When the diagnostics of (uri, version) arrived (waiting on an event, not polling: no CPU stolen)."""
    while key not in client.arrived:
        client.news.clear()
        await asyncio.wait_for(client.news.wait(), timeout)
    return client.arrived[key]


async def hover_ms(client: Client, uri: str, line: int, col: int) -> float:
    start = time.perf_counter()
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=col)
        )
    )
    assert result is not None, "hover returned nothing"
    return (time.perf_counter() - start) * 1e3


def cold_check_ms(spec: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "archdsl", "check", str(spec)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    return (time.perf_counter() - start) * 1e3


async def run(spec: Path, edits: int, cold: int) -> dict[str, list[float]]:
    client = Client()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: types.PublishDiagnosticsParams) -> None:
        client.arrived[(params.uri, params.version)] = time.perf_counter()
        client.news.set()

    await client.start_io(sys.executable, "-m", "archdsl", "lsp", cwd=str(ROOT))
    await client.initialize_async(
        types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=ROOT.as_uri())
    )
    client.initialized(types.InitializedParams())
    uri, family_uri = spec.resolve().as_uri(), FAMILY.resolve().as_uri()
    text = spec.read_text()
    for doc, body in ((uri, text), (family_uri, FAMILY.read_text())):
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=doc, language_id="archdsl", version=1, text=body)
            )
        )
        await wait_for(client, (doc, 1))
    network_line = next(n for n, line in enumerate(text.splitlines()) if line.startswith("network"))
    times: dict[str, list[float]] = {
        "didChange -> diagnostics": [],
        "hover: network name": [],
        "hover: label in the family file (58 instances)": [],
        "cold `archdsl check`": [],
    }
    every = max(edits // cold, 1)
    for edit in range(edits):
        version = edit + 2
        start = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=f"{text}# edit {edit}\n")],
            )
        )
        arrived = await wait_for(client, (uri, version))
        times["didChange -> diagnostics"].append((arrived - start) * 1e3)
        times["hover: network name"].append(await hover_ms(client, uri, network_line, 25))
        times["hover: label in the family file (58 instances)"].append(await hover_ms(client, family_uri, 14, 5))
        if edit % every == 0 and len(times["cold `archdsl check`"]) < cold:
            times["cold `archdsl check`"].append(await asyncio.to_thread(cold_check_ms, spec))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--cold", type=int, default=10)
    parser.add_argument("--spec", type=Path, default=ROOT / "specs" / "densenet121.arch")
    args = parser.parse_args()
    times = asyncio.run(run(args.spec.resolve(), args.edits, args.cold))
    cold = median(times["cold `archdsl check`"])
    rows = [[name, len(t), f"{median(t):.1f}", f"{median(t) / cold:.3f}"] for name, t in times.items()]
    print(f"Machine: {machine()}\nSpec: {args.spec.relative_to(ROOT)}\n")
    print(table(["what", "runs", "median ms", "x cold check"], rows))


if __name__ == "__main__":
    main()
