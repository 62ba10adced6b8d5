"""`offer lsp` end to end: a real LSP client (pytest-lsp) talking to the server over stdio."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import re
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

from offerlang import compile_source
from offerlang.authoring.formatter import format_source
from offerlang.cli.common import compile_path
from offerlang.compiler.pipeline import parse_source
from offerlang.review.document import to_markdown
from offerlang.review.explain import explain, timeline_table
from offerlang.store.context import Stores

from .conftest import EXAMPLES, FIXTURES, ROOT

OFFER = Path(sys.executable).parent / "offer"
DOCS = "https://example.com/offerlang/docs/language.md"
SPRING = EXAMPLES / "spring-promotion.offer"
CAMPAIGN = EXAMPLES / "campaign" / "annual-upgrade.offer"
UNKNOWN_CURRENCY = FIXTURES / "invalid" / "unknown-currency.offer"
SOURCE_FIX_ALL = "source.fixAll.offerlang"


def in_own_loop(test):
    """Run an async test on a fresh event loop in a thread of its own. Each test drives its own
    server; and other tests of the suite (the browser's, through Playwright's sync API) keep an
    event loop running on the main thread for the whole session, where no other can run."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        failure: list[BaseException] = []

        def body() -> None:
            try:
                asyncio.run(asyncio.wait_for(test(*args, **kwargs), 600))
            except BaseException as exc:  # re-raised on the test's own thread below
                failure.append(exc)

        worker = threading.Thread(target=body)
        worker.start()
        worker.join()
        if failure:
            raise failure[0]

    return run


@contextlib.asynccontextmanager
async def session(capabilities: t.ClientCapabilities | None = None, **options):
    """A client (pytest-lsp's) talking to `offer lsp` over stdio, initialized. VS Code's
    capabilities (UTF-16 positions, snippets) unless others are given; no debounce, so that
    each change is answered by its own publishDiagnostics and the tests need no timing."""
    client = make_test_lsp_client()
    await client.start_io(str(OFFER), "lsp")
    try:
        result = await client.initialize_session(
            t.InitializeParams(
                capabilities=capabilities or client_capabilities("visual-studio-code"),
                initialization_options={"debounceMs": 0, "docsUrl": DOCS, **options},
            )
        )
        client.encoding = result.capabilities.position_encoding  # type: ignore[attr-defined]
        yield client
    finally:
        # Also after a failed assertion: shut the server down, or end it, so that nothing waits.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), 30)
        server = client._server  # type: ignore[attr-defined]
        if server is not None and server.returncode is None:
            server.kill()
        await asyncio.wait_for(client.stop(), 30)


# ---- helpers ----------------------------------------------------------------------------------


def _uri(name: str) -> str:
    return f"file:///work/offers/{name}"


async def _open(client: LanguageClient, name: str, text: str) -> list[t.Diagnostic]:
    uri = _uri(name)
    client.text_document_did_open(
        t.DidOpenTextDocumentParams(t.TextDocumentItem(uri=uri, language_id="offer", version=1, text=text))
    )
    await _published(client)
    return list(client.diagnostics[uri])


async def _change(
    client: LanguageClient, name: str, version: int, start, end, text: str
) -> list[t.Diagnostic]:
    uri = _uri(name)
    client.text_document_did_change(
        t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                t.TextDocumentContentChangePartial(
                    range=t.Range(start=t.Position(*start), end=t.Position(*end)), text=text
                )
            ],
        )
    )
    await _published(client)
    return list(client.diagnostics[uri])


async def _published(client: LanguageClient) -> None:
    # A bound, so that a diagnostics run that never comes fails the test instead of hanging it.
    await asyncio.wait_for(client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 60)


def _offset(text: str, p: t.Position) -> int:
    # ASCII test documents: a UTF-16 character is a code point.
    lines = text.split("\n")
    return sum(len(line) + 1 for line in lines[: p.line]) + p.character


def _apply(text: str, edits: list[t.TextEdit]) -> str:
    spans = sorted(
        ((_offset(text, e.range.start), _offset(text, e.range.end), e.new_text) for e in edits), reverse=True
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def _pos(text: str, needle: str, delta: int = 0) -> t.Position:
    """The position just after the first `needle` (plus `delta` characters)."""
    offset = text.index(needle) + len(needle) + delta
    line = text.count("\n", 0, offset)
    return t.Position(line=line, character=offset - (text.rfind("\n", 0, offset) + 1))


# ---- diagnostics ------------------------------------------------------------------------------


@in_own_loop
async def test_diagnostics_after_open_are_those_of_offer_check():
    async with session() as client:
        text = UNKNOWN_CURRENCY.read_text()
        diagnostics = await _open(client, "currency.offer", text)
        _, expected = parse_source(text)
        assert [(d.code, d.message) for d in diagnostics] == [
            (e.code, e.message + (f"\nhelp: {e.hint}" if e.hint else "")) for e in expected
        ]
        first = diagnostics[0]
        assert first.severity == t.DiagnosticSeverity.Error
        assert first.source == "offerlang"
        assert first.code_description == t.CodeDescription(href=f"{DOCS}#e202")
        span = expected[0].span
        assert first.range == t.Range(
            start=t.Position(line=span.line - 1, character=span.column - 1),
            end=t.Position(line=span.end_line - 1, character=span.end_column - 1),
        )


@in_own_loop
async def test_diagnostics_follow_an_edit():
    async with session() as client:
        text = UNKNOWN_CURRENCY.read_text()
        before = await _open(client, "edit.offer", text)
        bad = next(d for d in before if "`EUO`" in d.message)
        after = await _change(
            client,
            "edit.offer",
            2,
            (bad.range.start.line, bad.range.start.character),
            (bad.range.end.line, bad.range.end.character),
            "EUR",
        )
        assert [d.message.split("\n")[0] for d in after] == [
            d.message.split("\n")[0] for d in before if d is not bad
        ]
        # And a new mistake is reported where it is typed.
        after = await _change(client, "edit.offer", 3, (0, 0), (0, 0), "coupn X\n")
        assert any(d.code == "E104" and d.range.start.line == 0 for d in after)


@in_own_loop
async def test_positions_are_utf16_by_default_and_utf8_when_offered():
    text = 'account abCdE1FGH2Hij3KLMnOpqR\ntag "€😀" x y\nitem falcon\n'
    prefix = 'tag "€😀" x '  # 11 code points, 12 UTF-16 units, 16 UTF-8 bytes
    assert (len(prefix.encode("utf-16-le")) // 2, len(prefix.encode())) == (12, 16)
    neovim = client_capabilities("neovim")
    neovim.general = t.GeneralClientCapabilities(
        position_encodings=[t.PositionEncodingKind.Utf16, t.PositionEncodingKind.Utf8]
    )
    for capabilities, encoding, width in (
        (None, t.PositionEncodingKind.Utf16, 12),
        (neovim, t.PositionEncodingKind.Utf8, 16),
    ):
        async with session(capabilities) as client:
            assert client.encoding == encoding  # type: ignore[attr-defined]
            diagnostics = await _open(client, "wide.offer", text)
            assert [(d.code, d.range.start.line, d.range.start.character) for d in diagnostics] == [
                ("E102", 1, width)
            ]


# ---- completion ---------------------------------------------------------------------------------

# `·` marks a space the cursor stands after (kept visible: editors strip trailing blanks).
COMPLETION_DOC = """\
param code text
account abCdE1FGH2Hij3KLMnOpqR
coupon $
expires after 3·
item basic-laptop {
  price USD 9.99,·
  renew·
  billed every 1·
  trial 14 days free·
  discount 10% for 2·
  setup fee {
    title·
  }
}
contact {
  country D
}
""".replace("·", " ")

# (after this text, a label to look for): ten places where the list must fit what can come.
COMPLETION_AT = [
    ("\ncoupon $", "$code"),
    ("expires after 3 ", "days"),
    ("item basic-laptop {\n", "quantity"),
    ("price USD 9.99, ", "EUR"),
    ("renew ", "auto"),
    ("billed every 1 ", "month"),
    ("trial 14 days free ", "no card required"),
    ("discount 10% for 2 ", "periods"),
    ("title ", "en"),
    ("country D", "DE"),
]


@in_own_loop
async def test_completion_at_ten_positions(snapshot):
    async with session() as client:
        await _open(client, "complete.offer", COMPLETION_DOC)
        seen = {}
        for needle, expected in COMPLETION_AT:
            position = _pos(COMPLETION_DOC, needle)
            result = await client.text_document_completion_async(
                t.CompletionParams(
                    text_document=t.TextDocumentIdentifier(uri=_uri("complete.offer")), position=position
                )
            )
            assert result is not None
            items = result.items if isinstance(result, t.CompletionList) else result
            labels = [i.label for i in sorted(items, key=lambda i: i.sort_text or i.label)]
            assert expected in labels, (needle, labels[:20])
            seen[needle.strip() or "block start"] = labels[:12] + (
                [f"… {len(labels)} in all"] if len(labels) > 12 else []
            )
        assert seen == snapshot


@in_own_loop
async def test_completion_replaces_the_word_being_typed_and_offers_block_snippets():
    async with session() as client:
        text = "account abCdE1FGH2Hij3KLMnOpqR\nite\n"
        await _open(client, "snippet.offer", text)
        result = await client.text_document_completion_async(
            t.CompletionParams(
                text_document=t.TextDocumentIdentifier(uri=_uri("snippet.offer")),
                position=t.Position(line=1, character=3),
            )
        )
        items = {i.label: i for i in result.items}
        assert items["item"].text_edit.range == t.Range(
            start=t.Position(line=1, character=0), end=t.Position(line=1, character=3)
        )
        snippet = items["item … { }"]
        assert snippet.insert_text_format == t.InsertTextFormat.Snippet
        assert snippet.text_edit.new_text.startswith("item ${1:product-path} {")


# ---- hover --------------------------------------------------------------------------------------


@in_own_loop
async def test_hover_explains_keywords_items_and_codes():
    async with session() as client:
        text = SPRING.read_text()
        await _open(client, "spring.offer", text)

        async def hover(needle: str, delta: int = -1) -> str | None:
            result = await client.text_document_hover_async(
                t.HoverParams(
                    text_document=t.TextDocumentIdentifier(uri=_uri("spring.offer")),
                    position=_pos(text, needle, delta),
                )
            )
            return None if result is None else result.contents.value  # type: ignore[union-attr]

        assert (
            await hover("renew")
            == "**renew**: How a subscription renews: `renew auto`, `manual`, `opt-auto` or `opt-manual`."
        )
        item = await hover("item prime-sub")
        assert item is not None and item.startswith("### item prime-sub")
        # The item's timelines exactly as `offer explain` tabulates them.
        explained = explain(compile_source(text).payload, "spring.offer")
        prime = next(it for it in explained.items if it.product == "prime-sub")
        assert len(prime.timelines) == 2
        for timeline in prime.timelines:
            assert to_markdown([timeline_table(timeline)]).strip() in item
        assert await hover("price USD 9.99, EUR") == "`EUR`: Euro (ISO 4217 currency code)"
        assert await hover("# Spring promotion") is None  # a comment


# ---- code actions and formatting ---------------------------------------------------------------


@in_own_loop
async def test_a_quick_fix_applies_the_suggestion():
    async with session() as client:
        text = UNKNOWN_CURRENCY.read_text()
        diagnostics = await _open(client, "fix.offer", text)
        bad = next(d for d in diagnostics if "`EUO`" in d.message)
        actions = await client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=t.TextDocumentIdentifier(uri=_uri("fix.offer")),
                range=bad.range,
                context=t.CodeActionContext(diagnostics=[bad], only=[t.CodeActionKind.QuickFix]),
            )
        )
        assert [a.title for a in actions] == ["Replace with `EUR`"]
        fixed = _apply(text, actions[0].edit.changes[_uri("fix.offer")])
        assert fixed == text.replace("EUO", "EUR")
        after = await _change(client, "fix.offer", 2, (0, 0), (len(text.split("\n")), 0), fixed)
        assert not any("`EUO`" in d.message for d in after)


@in_own_loop
async def test_formatting_gives_what_offer_fmt_gives():
    async with session() as client:
        messy = 'account   abCdE1FGH2Hij3KLMnOpqR\ncoupon "SPRING"\n' + (
            "item basic-laptop{\n   price USD 9.9,EUR 8   # launch\n\ttrial 14 day free\n}\n"
        )
        await _open(client, "messy.offer", messy)
        edits = await client.text_document_formatting_async(
            t.DocumentFormattingParams(
                text_document=t.TextDocumentIdentifier(uri=_uri("messy.offer")),
                options=t.FormattingOptions(tab_size=2, insert_spaces=True),
            )
        )
        assert edits
        assert _apply(messy, edits) == format_source(messy)[0]


@in_own_loop
async def test_formatting_refuses_a_file_with_syntax_errors():
    async with session() as client:
        await _open(client, "broken.offer", "account abCdE1FGH2Hij3KLMnOpqR\nitem x {\n  price USD\n")
        edits = await client.text_document_formatting_async(
            t.DocumentFormattingParams(
                text_document=t.TextDocumentIdentifier(uri=_uri("broken.offer")),
                options=t.FormattingOptions(tab_size=2, insert_spaces=True),
            )
        )
        assert edits is None
        # Sent before the answer, so already received.
        assert "syntax errors" in client.messages[-1].message


# ---- outline and $parameters ------------------------------------------------------------------


@in_own_loop
async def test_outline_and_parameter_navigation():
    async with session() as client:
        text = CAMPAIGN.read_text()
        uri = _uri("campaign.offer")
        await _open(client, "campaign.offer", text)
        doc = t.TextDocumentIdentifier(uri=uri)
        symbols = await client.text_document_document_symbol_async(t.DocumentSymbolParams(text_document=doc))
        assert [s.name for s in symbols] == [
            "$first",
            "$last",
            "$email",
            "$country",
            "contact",
            "annual-plan",
        ]

        use = _pos(text, "country $coun")
        definition = await client.text_document_definition_async(
            t.DefinitionParams(text_document=doc, position=use)
        )
        assert [(d.range.start.line, d.range.start.character) for d in definition] == [
            (5, 6)
        ]  # param country …

        refs = await client.text_document_references_async(
            t.ReferenceParams(
                text_document=doc, position=use, context=t.ReferenceContext(include_declaration=True)
            )
        )
        assert [(r.range.start.line, r.range.start.character) for r in refs] == [(5, 6), (11, 11)]

        edit = await client.text_document_rename_async(
            t.RenameParams(text_document=doc, position=use, new_name="$buyer_country")
        )
        renamed = _apply(text, edit.changes[uri])
        assert "param buyer_country country" in renamed and "country $buyer_country" in renamed
        assert parse_source(renamed)[1] == []


# ---- robustness ---------------------------------------------------------------------------------


@in_own_loop
async def test_every_prefix_of_three_examples_is_answered_without_a_crash():
    async with session() as client:
        for path in (SPRING, CAMPAIGN, EXAMPLES / "setup-fee.offer"):
            text = path.read_text()
            name = f"typing-{path.stem}.offer"
            uri = _uri(name)
            await _open(client, name, "")
            line, char = 0, 0
            for i, ch in enumerate(text, start=2):
                await _change(client, name, i, (line, char), (line, char), ch)
                line, char = (line + 1, 0) if ch == "\n" else (line, char + 1)
                here = t.Position(line=line, character=char)
                doc = t.TextDocumentIdentifier(uri=uri)
                await client.text_document_completion_async(
                    t.CompletionParams(text_document=doc, position=here)
                )
                if i % 7 == 0:
                    await client.text_document_hover_async(t.HoverParams(text_document=doc, position=here))
                    await client.text_document_document_symbol_async(
                        t.DocumentSymbolParams(text_document=doc)
                    )
                    await client.text_document_code_action_async(
                        t.CodeActionParams(
                            text_document=doc,
                            range=t.Range(start=t.Position(line=0, character=0), end=here),
                            context=t.CodeActionContext(diagnostics=[]),
                        )
                    )
            # The whole text typed: the same diagnostics as the file has (none).
            assert list(client.diagnostics[uri]) == []
        assert [m.message for m in client.log_messages if m.type == t.MessageType.Error] == []


@in_own_loop
async def test_an_internal_error_is_logged_and_the_server_goes_on():
    async with session() as client:
        # A request about a document that was never opened and does not exist on disk.
        ghost = t.TextDocumentIdentifier(uri="file:///nonexistent/ghost.offer")
        assert (
            await client.text_document_hover_async(
                t.HoverParams(text_document=ghost, position=t.Position(line=0, character=0))
            )
            is None
        )
        assert any(
            m.type == t.MessageType.Error and "internal error while hovering" in m.message
            for m in client.log_messages
        )
        assert await _open(client, "after.offer", SPRING.read_text()) == []


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


@in_own_loop
async def test_memory_is_stable_over_ten_thousand_edits():
    async with session() as client:
        text = SPRING.read_text()
        await _open(client, "memory.offer", text)
        price = _pos(text, "price USD 899", -3)
        pid = client._server.pid  # type: ignore[union-attr]

        async def edits(first: int, count: int) -> None:
            for v in range(first, first + count):
                new = f"{v % 1000:03d}"
                await _change(
                    client,
                    "memory.offer",
                    v,
                    (price.line, price.character),
                    (price.line, price.character + 3),
                    new,
                )

        await edits(2, 1000)
        warm = _rss_kib(pid)
        await edits(1002, 9000)
        grown = _rss_kib(pid) - warm
        assert grown < 8 * 1024, f"the server grew by {grown} KiB over 9,000 edits"


# ---- docs/editor.md shows the exact messages -------------------------------------------------


@in_own_loop
async def test_the_messages_in_docs_editor_md_are_what_the_server_sends():
    doc = (ROOT / "docs" / "editor.md").read_text("utf-8")
    offer = re.search(r"```offer\n(.*?)```", doc, re.S).group(1)
    published, request, answer = (json.loads(b) for b in re.findall(r"```json\n(.*?)```", doc, re.S)[:3])
    docs_url = published["params"]["diagnostics"][0]["codeDescription"]["href"].split("#")[0]
    capabilities = t.ClientCapabilities(
        general=t.GeneralClientCapabilities(position_encodings=[t.PositionEncodingKind.Utf16]),
        text_document=t.TextDocumentClientCapabilities(
            completion=t.CompletionClientCapabilities(
                completion_item=t.ClientCompletionItemOptions(snippet_support=True)
            )
        ),
    )
    async with session(capabilities, docsUrl=docs_url) as client:
        uri = published["params"]["uri"]
        client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                t.TextDocumentItem(uri=uri, language_id="offer", version=1, text=offer)
            )
        )
        await _published(client)
        converter = client.protocol._converter
        sent = [converter.unstructure(d) for d in client.diagnostics[uri]]
        assert sent == published["params"]["diagnostics"]
        result = await client.text_document_completion_async(
            converter.structure(request["params"], t.CompletionParams)
        )
        assert converter.unstructure(result) == answer["result"]


# ---- the store: a project config's catalog and policy ----------------------------------------

STORE = FIXTURES / "store"


@in_own_loop
async def test_a_project_config_brings_the_catalog_checks_and_product_completion():
    offer = STORE / "offers" / "unknown-product.offer"
    text = offer.read_text("utf-8")
    uri = offer.as_uri()
    async with session() as client:
        client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                t.TextDocumentItem(uri=uri, language_id="offer", version=1, text=text)
            )
        )
        await _published(client)
        # The same codes `offer check` reports for the file, store checks included.
        expected = compile_path(str(offer), unbound_ok=True, stores=Stores()).diagnostics
        assert any(d.code.startswith(("E4", "W4", "P")) for d in expected)
        assert sorted(d.code for d in client.diagnostics[uri]) == sorted(d.code for d in expected)
        # After `item `, the catalog's product paths.
        lines = text.split("\n")
        line = next(i for i, s in enumerate(lines) if s.startswith("item "))
        result = await client.text_document_completion_async(
            t.CompletionParams(
                text_document=t.TextDocumentIdentifier(uri=uri), position=t.Position(line=line, character=5)
            )
        )
        products = [i.label for i in result.items if i.kind == t.CompletionItemKind.Module]
        assert products == ["annual-plan", "basic-laptop", "enterprise-suite", "falcon", "prime-sub"]


# ---- what a marketer's editor does: line breaks, targets, configs, renames, big files ----------


@in_own_loop
async def test_an_incremental_edit_lands_where_the_editor_made_it():
    # A comment pasted from the web holds a line separator (U+2028) or a form feed: an editor
    # breaks lines at \n, \r\n and \r only, so the price is on line 3 for it; pygls counted it
    # on line 4 and wrote the edit into the line above. And a range ending past the end of the
    # last line (the client's "to the end of the line") replaces the whole line.
    for odd in ("\u2028", "\x0c", "\x85"):
        account = "account abCdE1FGH2Hij3KLMnOpqR"
        text = f"# pasted{odd}from a web page\n{account}\nitem basic-laptop {{\n  price USD 9.99\n}}"
        async with session() as client:
            await _open(client, "pasted.offer", text)
            after = await _change(client, "pasted.offer", 2, (3, 8), (3, 11), "EUO")
            assert [(d.code, d.range.start.line, d.range.start.character) for d in after] == [("E202", 3, 8)]
            after = await _change(client, "pasted.offer", 3, (4, 0), (4, 999), "} coupon")
            assert [d.code for d in after if d.range.start.line == 4] == ["E102"], after


def _project(folder: Path, config: str, files: dict[str, str]) -> dict[str, Path]:
    (folder / ".git").mkdir()  # the config search stops here
    if config:
        (folder / "offers.toml").write_text(config)
    out = {}
    for name, text in files.items():
        out[name] = folder / name
        out[name].write_text(text)
    return out


V2_OFFER = """\
account abCdE1FGH2Hij3KLMnOpqR
locale pt-BR
item basic-laptop {
  price USD 899.00
  display en "Laptop"
}
"""


@in_own_loop
async def test_the_project_configs_target_makes_the_server_check_for_v2(tmp_path):
    from offerlang.cli.targeting import resolve_target

    paths = _project(tmp_path, 'target = "sessions-v2"\n', {"v2.offer": V2_OFFER})
    offer = paths["v2.offer"]
    target = resolve_target(None, [str(offer)])
    expected = compile_path(str(offer), unbound_ok=True, target=target, stores=Stores()).diagnostics
    assert target == "v2" and expected == []  # what `offer check` says of it: valid for v2
    async with session() as client:
        uri = offer.as_uri()
        client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                t.TextDocumentItem(uri=uri, language_id="offer", version=1, text=V2_OFFER)
            )
        )
        await _published(client)
        assert list(client.diagnostics[uri]) == []  # was: two E510, "cannot be said on Sessions v1"
        hover = await client.text_document_hover_async(
            t.HoverParams(
                text_document=t.TextDocumentIdentifier(uri=uri), position=t.Position(line=2, character=2)
            )
        )
        assert hover is not None and hover.contents.value.startswith("### item basic-laptop")
    # The `target` setting wins over the config, as --target does.
    async with session(target="v1") as client:
        client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                t.TextDocumentItem(uri=uri, language_id="offer", version=1, text=V2_OFFER)
            )
        )
        await _published(client)
        assert [d.code for d in client.diagnostics[uri]] == ["E510", "E510"]


@in_own_loop
async def test_a_config_written_while_the_server_runs_is_read_on_the_next_change(tmp_path):
    text = (STORE / "offers" / "unknown-product.offer").read_text("utf-8")
    offer = _project(tmp_path, "", {"new.offer": text})["new.offer"]
    uri = offer.as_uri()
    async with session() as client:
        client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                t.TextDocumentItem(uri=uri, language_id="offer", version=1, text=text)
            )
        )
        await _published(client)
        assert list(client.diagnostics[uri]) == []  # no project yet: nothing to check the products against
        shutil.copy(STORE / "offers.toml", tmp_path / "offers.toml")
        shutil.copy(STORE / "catalog.json", tmp_path / "catalog.json")
        client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[t.TextDocumentContentChangeWholeDocument(text=text + "\n")],
            )
        )
        await _published(client)
        expected = compile_path(str(offer), unbound_ok=True, stores=Stores()).diagnostics
        assert sorted(d.code for d in client.diagnostics[uri]) == sorted(d.code for d in expected)
        assert "E401" in {d.code for d in expected}


@in_own_loop
async def test_a_rename_to_a_name_that_cannot_be_is_refused_with_the_reason(capfd):
    text = CAMPAIGN.read_text()
    uri = _uri("campaign.offer")
    doc = t.TextDocumentIdentifier(uri=uri)
    use = _pos(text, "country $coun")
    async with session() as client:
        await _open(client, "campaign.offer", text)
        for name, reason in (
            ("2x", "`2x` cannot name a parameter"),
            ("$", "`$` cannot name a parameter"),
            ("buyer country", "`buyer country` cannot name a parameter"),
            # Another declared parameter: the rename would merge two parameters into one.
            ("first", "`$first` is already a parameter of this offer"),
        ):
            with pytest.raises(JsonRpcException) as refused:
                await client.text_document_rename_async(
                    t.RenameParams(text_document=doc, position=use, new_name=name)
                )
            assert refused.value.code == t.LSPErrorCodes.RequestFailed
            assert reason in refused.value.message, refused.value.message
    # An answer for the user, not a fault: no traceback in the server's log.
    assert "Traceback" not in capfd.readouterr().err
    # An undeclared `$name` renamed to the declared one is fixing a typo: allowed.
    typo = text.replace("country $country", "country $cuntry")
    async with session() as client:
        await _open(client, "typo.offer", typo)
        typo_doc = t.TextDocumentIdentifier(uri=_uri("typo.offer"))
        edit = await client.text_document_rename_async(
            t.RenameParams(text_document=typo_doc, position=_pos(typo, "country $cun"), new_name="country")
        )
        assert parse_source(_apply(typo, edit.changes[_uri("typo.offer")]))[1] == []


def _big(lines: int) -> str:
    """A valid offer of about `lines` lines whose items `offer fmt` separates by blank lines."""
    out = ["account abCdE1FGH2Hij3KLMnOpqR"]
    i = 0
    while len(out) < lines:
        out += [
            f"item product-{i} {{",
            "  price USD 9.99, EUR 8.99",
            "  billed every 1 month",
            "  renew auto",
            "}",
        ]
        i += 1
    return "\n".join(out) + "\n"


@in_own_loop
async def test_whole_file_actions_are_made_when_chosen_and_equal_offer_fmt():
    # VS Code asks for code actions without a kind at every move of the cursor; "Format file"
    # was computed each time, and its line diff took 12 s for 2,000 lines (the server frozen).
    text = _big(2000)
    async with session() as client:
        await _open(client, "big.offer", text)
        actions = await client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=t.TextDocumentIdentifier(uri=_uri("big.offer")),
                range=t.Range(start=t.Position(line=5, character=2), end=t.Position(line=5, character=2)),
                context=t.CodeActionContext(diagnostics=[]),
            )
        )
        assert [(a.title, a.edit) for a in actions] == [("Format file", None)]
        resolved = await client.code_action_resolve_async(actions[0])
        assert _apply(text, resolved.edit.changes[_uri("big.offer")]) == format_source(text)[0]
    # A client that cannot resolve gets the edit at once.
    plain = client_capabilities("visual-studio-code")
    plain.text_document.code_action.resolve_support = None
    async with session(plain) as client:
        await _open(client, "plain.offer", UNKNOWN_CURRENCY.read_text())
        actions = await client.text_document_code_action_async(
            t.CodeActionParams(
                text_document=t.TextDocumentIdentifier(uri=_uri("plain.offer")),
                range=t.Range(start=t.Position(line=0, character=0), end=t.Position(line=0, character=0)),
                context=t.CodeActionContext(diagnostics=[], only=[SOURCE_FIX_ALL]),
            )
        )
        assert [a.title for a in actions] == ["Apply every suggested fix"] and actions[0].edit is not None


def test_the_line_diff_of_a_large_offer_is_not_quadratic():
    from offerlang.lsp.analysis import Positions
    from offerlang.lsp.server import _diff_edits

    text = _big(2000)
    formatted = format_source(text)[0]
    started = time.perf_counter()
    edits = _diff_edits(text, formatted, Positions(text))
    # Before: 12 s on this machine (each of the repeated lines an anchor); now ~0.1 s.
    assert time.perf_counter() - started < 3
    assert _apply(text, edits) == formatted
