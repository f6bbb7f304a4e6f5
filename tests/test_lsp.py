"""The language server end to end: a real LSP client (pytest-lsp) drives `archdsl lsp` over stdio.

One server process serves the whole module; each test opens the documents it needs.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

import archdsl
from archdsl.source import Source

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
ON_THE_SERVER = pytest.mark.asyncio(loop_scope="module")  # the tests that share the module's server
SERVER = ["sh", "-c", f'cd "{ROOT}" && exec "{sys.executable}" -m archdsl lsp']


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER, server_env=dict(os.environ)))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=SPECS.as_uri())
    )
    yield
    await lsp_client.shutdown_session()


def uri(path: Path) -> str:
    return path.resolve().as_uri()


async def published(client: LanguageClient, doc: str, timeout: float = 30) -> list[types.Diagnostic]:
    """Wait for the next diagnostics of `doc` (the caller pops the old ones first)."""
    for _ in range(int(timeout / 0.02)):
        if doc in client.diagnostics:
            return list(client.diagnostics[doc])
        await asyncio.sleep(0.02)
    raise AssertionError(f"no diagnostics for {doc} within {timeout} s")


async def open_doc(client: LanguageClient, path: Path, text: str | None = None) -> list[types.Diagnostic]:
    doc = uri(path)
    client.diagnostics.pop(doc, None)
    text = path.read_text() if text is None else text
    language = "yaml" if path.suffix == ".yaml" else "archdsl"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=doc, language_id=language, version=1, text=text)
        )
    )
    return await published(client, doc)


def find(path: Path, needle: str, nth: int = 0, text: str | None = None) -> tuple[int, int]:
    """The 1-based line and column where `needle` starts (its `nth` occurrence) in a spec, so the tests
    follow the shipped specs when `archdsl fmt` or an edit moves their lines."""
    text = path.read_text() if text is None else text
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def at(line: int, col: int) -> types.Position:
    """A 1-based line and column, as the compiler and the CLI count them."""
    return types.Position(line=line - 1, character=col - 1)


async def hover_text(client: LanguageClient, path: Path, line: int, col: int) -> str:
    result = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri(path)), position=at(line, col))
    )
    assert result is not None
    return result.contents.value


BAD_OP = "network bad():\n    input 3x32x32\n    stem: convv(16, 3)\n    flatten\n"


@ON_THE_SERVER
async def test_diagnostics_match_the_cli(client: LanguageClient, tmp_path: Path):
    spec = tmp_path / "bad.arch"
    text = "network bad():\n    input 3x32x32\n    a: conv(8, 3)\n    a: conv(8, 3)\n    flatten\n"
    spec.write_text(text)
    [diagnostic] = await open_doc(client, spec)
    with pytest.raises(archdsl.ArchError) as raised:
        archdsl.check(spec)
    cli = raised.value.to_json()
    assert (diagnostic.code, diagnostic.message) == (
        cli["code"],
        cli["message"] + (f"\nhelp: {cli['hint']}" if cli["hint"] else ""),
    )
    assert diagnostic.code == "E206" and diagnostic.severity == types.DiagnosticSeverity.Error
    assert (
        (diagnostic.range.start.line + 1, diagnostic.range.start.character + 1) == (cli["line"], cli["col"]) == (4, 5)
    )
    [note] = diagnostic.related_information
    assert note.message == cli["notes"][0]["message"] == "first used here"
    assert (note.location.uri, note.location.range.start.line + 1) == (uri(spec), 3)


@ON_THE_SERVER
async def test_diagnostics_on_change_are_debounced_to_the_last_edit(client: LanguageClient, tmp_path: Path):
    """Three edits sent at once: edits that arrive while a check runs are coalesced, so fewer than three
    results are published, and the last one is for the last edit."""
    spec = tmp_path / "edit.arch"
    good = (SPECS / "families" / "densenet.arch").read_text()  # a check long enough to coalesce edits
    assert await open_doc(client, spec, good) == []
    doc = uri(spec)
    client.diagnostics.pop(doc, None)
    typos = [good.replace("conv(", "con(", 1), good.replace("conv(", "conx(", 1), good.replace("conv(", "convv(", 1)]
    for version, text in enumerate(typos, 2):
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
    seen: list[str] = []
    for _ in range(3000):
        current = client.diagnostics.get(doc)
        if current and (not seen or current[0].message != seen[-1]):
            seen.append(current[0].message)
        if seen and "`convv`" in seen[-1]:
            break
        await asyncio.sleep(0.002)
    assert seen and seen[-1].startswith("unknown op or block `convv`") and len(seen) < 3
    [diagnostic] = client.diagnostics[doc]
    line, col = find(spec, "conv(", text=good)
    assert diagnostic.code == "E202" and (diagnostic.range.start.line + 1, diagnostic.range.start.character + 1) == (
        line,
        col,
    )
    stale = await hover_text(client, spec, *find(spec, "norm2:", text=good))  # shapes from the last good check
    assert "output **128x56x56**" in stale and "last check without errors" in stale


@ON_THE_SERVER
async def test_yaml_diagnostics(client: LanguageClient, tmp_path: Path):
    spec = tmp_path / "net.yaml"
    spec.write_text("networks:\n  net:\n    body:\n      - input: [3, 32, 32]\n      - stem: convv(8, 3)\n")
    [diagnostic] = await open_doc(client, spec)
    assert diagnostic.code == "E202" and "`convv`" in diagnostic.message
    assert diagnostic.range.start.line == 4


@ON_THE_SERVER
async def test_error_in_an_imported_file_shows_on_the_import_line(client: LanguageClient, tmp_path: Path):
    (tmp_path / "family.arch").write_text("block Stem(c):\n    conv(c, 3) -> batchnrm\n")
    spec = tmp_path / "variant.arch"
    spec.write_text('"""A variant."""\nimport "family.arch"\n\nnetwork variant():\n    input 3x8x8\n    Stem(4)\n')
    [diagnostic] = await open_doc(client, spec)
    assert diagnostic.code == "E201" and "`batchnrm`" in diagnostic.message
    assert diagnostic.range.start.line == 1  # the import line
    assert "family.arch:2:19" in diagnostic.message
    assert any(
        r.location.uri == uri(tmp_path / "family.arch") and r.location.range.start.line == 1
        for r in diagnostic.related_information
    )


@ON_THE_SERVER
async def test_hover_label_op_block_and_input(client: LanguageClient):
    await open_doc(client, SPECS / "densenet121.arch")
    family = SPECS / "families" / "densenet.arch"
    await open_doc(client, family)
    label = await hover_text(client, family, *find(family, "conv1: conv("))  # in DenseLayer
    assert "58 instances" in label and "`features.denseblock1.denselayer1.conv1`" in label
    assert "output **128x56x56**, 8,192 params, 25,690,112 MACs" in label
    line, col = find(family, "conv1: conv(")
    op = await hover_text(client, family, line, col + 7)
    assert "conv2d(out, kernel, stride=1, padding=0" in op and "2-d convolution" in op
    block = await hover_text(client, family, *find(family, "DenseLayer(growth_rate, bn_size, drop_rate)"))
    assert "block DenseLayer(growth_rate, bn_size=4, drop_rate=0)" in block and "bottleneck" in block
    line, col = find(family, "concat(in, new)")
    inputs = await hover_text(client, family, line, col + 7)  # `in` of `concat(in, new)`
    assert "- `features.denseblock1.denselayer1`: 64x56x56" in inputs
    assert "- `features.denseblock1.denselayer2`: 96x56x56" in inputs
    value = await hover_text(client, family, line, col + 11)  # `new`: `new = conv2` (drop_rate 0)
    assert (
        f"`new` as bound on line {find(family, 'new = conv2')[0]}" in value
        and "`features.denseblock1.denselayer1.conv2`: 32x56x56" in value
    )


@ON_THE_SERVER
async def test_definition_of_imported_block_label_and_import_path(client: LanguageClient):
    variant, family = SPECS / "resnet34.arch", SPECS / "families" / "resnet.arch"
    await open_doc(client, variant)
    await open_doc(client, family)

    async def definition(path: Path, line: int, col: int) -> list[types.Location]:
        return await client.text_document_definition_async(
            types.DefinitionParams(text_document=types.TextDocumentIdentifier(uri=uri(path)), position=at(line, col))
        )

    [block] = await definition(variant, *find(variant, "BasicBlock"))  # in resnet34.arch
    line, col = find(family, "block BasicBlock")
    assert (block.uri, block.range.start.line + 1, block.range.start.character + 1) == (uri(family), line, col + 6)
    [network] = await definition(variant, *find(variant, "ResNet("))  # the network the variant aliases
    network_line = (
        family.read_text()
        .splitlines()
        .index(next(line for line in family.read_text().splitlines() if line.startswith("network ResNet(")))
        + 1
    )
    assert (network.uri, network.range.start.line + 1, network.range.start.character + 1) == (
        uri(family),
        network_line,
        9,
    )
    line, col = find(family, "add(bn2, shortcut)")
    [label] = await definition(family, line, col + 4)  # `bn2` in `add(bn2, shortcut)`
    assert (label.range.start.line + 1, label.range.start.character + 1) == find(family, "bn2: batchnorm")
    values = await definition(family, line, col + 9)  # `shortcut`, bound twice
    assert [v.range.start.line + 1 for v in values] == [find(family, "shortcut = in", n)[0] for n in (0, 1)]
    [imported] = await definition(variant, find(variant, '"families')[0], 12)
    assert imported.uri == uri(family)


@ON_THE_SERVER
async def test_references_of_block_and_label(client: LanguageClient):
    variant, family = SPECS / "resnet34.arch", SPECS / "families" / "resnet.arch"
    await open_doc(client, variant)
    await open_doc(client, family)

    async def references(line: int, col: int) -> set[tuple[str, int]]:
        found = await client.text_document_references_async(
            types.ReferenceParams(
                text_document=types.TextDocumentIdentifier(uri=uri(family)),
                position=at(line, col),
                context=types.ReferenceContext(include_declaration=True),
            )
        )
        return {(Path(types_uri(r.uri)).name, r.range.start.line + 1) for r in found}

    uses = find(SPECS / "resnet34.arch", "block=BasicBlock")[0]
    assert await references(8, 10) == {("resnet.arch", 8), ("resnet34.arch", uses)}
    assert await references(13, 6) == {("resnet.arch", 13), ("resnet.arch", 17)}  # label bn2


def types_uri(value: str) -> str:
    return value.removeprefix("file://")


VERSIONS: dict[str, int] = {}


async def completions(client: LanguageClient, path: Path, text: str, line: int, col: int) -> dict[str, str]:
    doc = uri(path)
    VERSIONS[doc] = VERSIONS.get(doc, 1) + 1
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=VERSIONS[doc]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=doc), position=at(line, col))
    )
    return {item.label: item.detail for item in result.items}


@ON_THE_SERVER
async def test_completion_ops_blocks_arguments_labels_and_paths(client: LanguageClient):
    family = SPECS / "families" / "resnet.arch"
    text = family.read_text()
    await open_doc(client, family, text)
    lines = text.splitlines()
    lines.insert(16, "    b")  # inside BasicBlock, before its last line
    names = await completions(client, family, "\n".join(lines) + "\n", 17, 6)
    assert {"bn2", "shortcut", "planes", "conv1"} <= set(names) and names["bn2"] == "label"
    assert {"conv", "batchnorm", "relu"} <= set(names) and names["Bottleneck"] == "block"
    lines[16] = "    conv(64, "
    arguments = await completions(client, family, "\n".join(lines) + "\n", 17, 14)
    assert arguments["stride="] == "1" and arguments["kernel="] == "required" and arguments["bias="] == "true"
    variant = SPECS / "resnet34.arch"
    await open_doc(client, variant)
    paths = await completions(
        client,
        variant,
        variant.read_text().replace('"families/resnet.arch"', '"families/'),
        find(variant, '"families/')[0],
        18,
    )
    assert {"resnet.arch", "densenet.arch"} <= set(paths)
    for path in (family, variant):  # leave the documents as they are on disk
        client.diagnostics.pop(uri(path), None)
        await completions(client, path, path.read_text(), 1, 1)
        await published(client, uri(path))


@ON_THE_SERVER
async def test_document_symbols_outline(client: LanguageClient):
    family = SPECS / "families" / "densenet.arch"
    await open_doc(client, family)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri(family)))
    )
    assert [(s.name, s.kind) for s in symbols] == [
        ("DenseLayer", types.SymbolKind.Class),
        ("Transition", types.SymbolKind.Class),
        ("init", types.SymbolKind.Constant),  # the family's initialisation table
        ("DenseNet", types.SymbolKind.Module),
    ]
    network = symbols[3]
    features = next(c for c in network.children if c.name == "features")
    assert {"conv0", "denseblock{...}", "norm5"} <= {c.name for c in features.children}
    line, col = find(family, "network DenseNet(")
    assert network.selection_range.start == at(line, col + 8)


@ON_THE_SERVER
async def test_semantic_tokens(client: LanguageClient):
    family = SPECS / "families" / "resnet.arch"
    await open_doc(client, family)
    result = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=types.TextDocumentIdentifier(uri=uri(family)))
    )
    legend = ["keyword", "function", "class", "property", "parameter", "variable", "number", "string", "comment"]
    lines = family.read_text().splitlines()
    tokens, line, col = {}, 0, 0
    data = result.data
    for at_ in range(0, len(data), 5):
        line += data[at_]
        col = col + data[at_ + 1] if data[at_] == 0 else data[at_ + 1]
        tokens[(line + 1, lines[line][col : col + data[at_ + 2]])] = legend[data[at_ + 3]]
    assert tokens[(8, "block")] == "keyword" and tokens[(8, "BasicBlock")] == "class"
    assert tokens[(9, "conv1")] == "property" and tokens[(9, "conv")] == "function"
    assert tokens[(9, "planes")] == "parameter" and tokens[(9, "3")] == "number"
    assert tokens[(7, "# Two 3x3 convs; ResNet-18 and -34.")] == "comment"


@ON_THE_SERVER
async def test_formatting_goes_through_archdsl_fmt(client: LanguageClient, tmp_path: Path):
    spec = tmp_path / "messy.arch"
    text = "network messy( ):\n    input 3x8x8\n    stem:conv( 4,3 )\n    flatten\n"
    await open_doc(client, spec, text)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri(spec)),
            options=types.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )
    if importlib.util.find_spec("archdsl.fmt") is None:
        assert not edits  # no formatter installed: no edits, no error
        return
    from archdsl.fmt import format_text

    [edit] = edits
    assert edit.new_text == format_text(text, str(spec)) != text
    assert edit.range.start == at(1, 1) and edit.range.end.line == 4


@ON_THE_SERVER
async def test_did_you_mean_quick_fix(client: LanguageClient, tmp_path: Path):
    spec = tmp_path / "typo.arch"
    [diagnostic] = await open_doc(client, spec, BAD_OP)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(spec)),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    [action] = actions
    assert action.kind == types.CodeActionKind.QuickFix and action.title == "Replace with `conv`"
    [edit] = action.edit.changes[uri(spec)]
    assert (edit.range.start, edit.range.end, edit.new_text) == (at(3, 11), at(3, 16), "conv")
    # A client that does not send `data` back gets the same fix.
    bare = types.Diagnostic(range=diagnostic.range, message=diagnostic.message, code=diagnostic.code)
    [again] = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(spec)),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[bare]),
        )
    )
    assert again.edit == action.edit


@ON_THE_SERVER
async def test_a_failing_request_answers_an_error_and_the_server_keeps_serving(client: LanguageClient):
    with pytest.raises(JsonRpcException, match="is not open"):
        await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=(SPECS / "never-opened.arch").as_uri()),
                position=at(1, 1),
            )
        )
    family = SPECS / "families" / "resnet.arch"
    await open_doc(client, family)
    stem = family.read_text().splitlines().index("    conv1: conv(64, 7, stride=2, padding=3, bias=false)") + 1
    assert "output **64x112x112**" in await hover_text(client, family, stem, 6)


def test_the_server_never_imports_torch():
    """Diagnostics, hover and completion on a real spec, in a fresh interpreter: torch stays unloaded."""
    script = f"""
import os, sys
os.chdir({str(ROOT)!r})
from lsprotocol import types
from archdsl.lsp import server
from archdsl.lsp.documents import analyze
from archdsl.lsp import completion, diagnostics, hover
path = os.path.abspath("specs/families/resnet.arch")
variant = analyze("file://" + os.path.abspath("specs/resnet50.arch"), open("specs/resnet50.arch").read(), 1, None)
family = analyze("file://" + path, open(path).read(), 1, None)
line = open(path).read().splitlines().index("    conv1: conv(width, 1, bias=false)")
diagnostics.diagnostics(family)
assert hover.hover(family, [variant], types.Position(line=line, character=5)) is not None
completion.completion(family, types.Position(line=line, character=5))
server.make_server()
assert "torch" not in sys.modules, "the language server imported torch"
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def test_source_check_resolves_imports_next_to_its_path():
    """The server checks unsaved text under the document's path (`archdsl.check(Source(...))`)."""
    text = (SPECS / "resnet34.arch").read_text()
    checked = archdsl.check(Source(text=text, path=str(SPECS / "resnet34.arch")))
    assert checked.total_params == 21_797_672
