"""Latency of `offer lsp` as an editor sees it: didChange -> publishDiagnostics, and completion.

    pip install -e '.[test]'            # pygls, lsprotocol and pytest-lsp's client
    python bench/bench_lsp.py           # --edits 200

The server runs as a real subprocess (`offer lsp`) driven over stdio by pytest-lsp's client.
Each edit rewrites one price; its latency is from sending didChange to receiving the
publishDiagnostics that answers it (parse + checks + conversion + JSON-RPC both ways). The
debounce is set to 0 so every edit is measured; with the default (50 ms) a change after a pause
is answered just as fast, and a burst of keystrokes is coalesced into one run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types as t
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client

ROOT = Path(__file__).resolve().parent.parent
OFFER = Path(sys.executable).parent / "offer"
TYPICAL = ROOT / "examples" / "spring-promotion.offer"


def big_offer(lines: int = 2000) -> str:
    """A valid offer of about `lines` lines: an account and many items with terms."""
    out = ["# A large offer for the latency benchmark.", "account abCdE1FGH2Hij3KLMnOpqR", ""]
    i = 0
    while len(out) < lines - 8:
        out += [
            f"item product-{i} {{",
            f"  price USD {10 + i % 90}.99, EUR {9 + i % 90}.49",
            "  billed every 1 month",
            "  renew auto",
            "  discount 10% for 2 periods",
            "}",
        ]
        i += 1
    return "\n".join(out) + "\n"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


async def measure(text: str, edits: int) -> tuple[list[float], list[float], int]:
    client = make_test_lsp_client()
    await client.start_io(str(OFFER), "lsp")
    await client.initialize_session(
        t.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), initialization_options={"debounceMs": 0}
        )
    )
    uri = "file:///bench/offer.offer"
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "offer", 1, text)))
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    lines = text.split("\n")
    # The price line nearest the middle of the file.
    target = min(
        (i for i, s in enumerate(lines) if s.strip().startswith("price USD")),
        key=lambda i: abs(i - len(lines) // 2),
    )
    col = lines[target].index("USD ") + 4
    changes: list[float] = []
    for v in range(2, edits + 2):
        start = time.perf_counter()
        client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=v),
                content_changes=[
                    t.TextDocumentContentChangePartial(
                        range=t.Range(
                            start=t.Position(line=target, character=col),
                            end=t.Position(line=target, character=col + 2),
                        ),
                        text=f"{10 + v % 90}",
                    )
                ],
            )
        )
        await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        changes.append((time.perf_counter() - start) * 1000)
        assert list(client.diagnostics[uri]) == [], client.diagnostics[uri]
    completions: list[float] = []
    where = t.Position(
        line=target, character=len(lines[target])
    )  # after `…, EUR 9.49`: nothing; then `price `
    price_at = t.Position(line=target, character=lines[target].index("price ") + 6)
    for i in range(edits):
        start = time.perf_counter()
        result = await client.text_document_completion_async(
            t.CompletionParams(
                text_document=t.TextDocumentIdentifier(uri=uri), position=price_at if i % 2 else where
            )
        )
        completions.append((time.perf_counter() - start) * 1000)
        assert result is not None
    await client.shutdown_session()
    await client.stop()
    return changes, completions, len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--edits", type=int, default=200)
    args = parser.parse_args()
    print("| offer | lines | didChange → publishDiagnostics median | p95 | completion median | p95 |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, text in (
        ("typical (spring-promotion)", TYPICAL.read_text("utf-8")),
        ("2,000 lines", big_offer()),
    ):
        changes, completions, lines = asyncio.run(measure(text, args.edits))
        print(
            f"| {name} | {lines:,} | {statistics.median(changes):.1f} ms | {pct(changes, 0.95):.1f} ms "
            f"| {statistics.median(completions):.1f} ms | {pct(completions, 0.95):.1f} ms |"
        )


if __name__ == "__main__":
    main()
