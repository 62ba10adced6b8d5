"""Sending a batch of compiled offers, one session each, recorded in receipts books.

The decisions live here: which books the offers go to, which payloads were already sent
(same sha256, same target, still valid), when a batch stops (bad credentials or an
unreachable FastSpring fail every other offer the same way), and that a session is recorded
before anyone is told about it. What is told, and how, is the caller's `BatchEvents`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from offerlang.errors import OfferlangError
from offerlang.send.receipts import Receipt, Receipts, default_path, offer_name, payload_sha256

if TYPE_CHECKING:
    from offerlang.compiler.pipeline import CompileResult
    from offerlang.send.client import FastSpringClient, SendError

# How a batch ended: every offer sent (or already sent), some rejected, or stopped early.
Outcome = Literal["ok", "rejected", "auth", "network"]


class ReceiptsUnusable(OfferlangError):
    """A receipts book that cannot be read or written: nothing was sent."""


class BatchEvents(Protocol):
    def begin(self, result: CompileResult) -> None:
        """`result` is the offer being dealt with from now on (named in retry messages)."""

    def unreadable_receipt(self, path: Path, line: int) -> None: ...
    def already_sent(self, result: CompileResult, receipt: Receipt) -> None: ...
    def created(self, result: CompileResult, receipt: Receipt) -> None: ...
    def not_recorded(self, path: Path, error: OSError) -> None:
        """The session about to be reported as created could not be written to `path`."""

    def failed(self, result: CompileResult, error: SendError) -> None: ...
    def skipped(self, result: CompileResult) -> None:
        """Not sent: the batch stopped after an error that would fail it the same way."""

    def interrupted(self, result: CompileResult, may_have_created: bool) -> None: ...


def open_books(results: list[CompileResult], receipts_path: str | None) -> list[Receipts]:
    """The receipts book of each result (one shared book per path), in order.

    Every receipts folder is created and every book read before the first request, so that one
    that cannot be used stops the run while nothing has been sent."""
    books: dict[Path, Receipts] = {}
    book_of: list[Receipts] = []
    for result in results:
        path = Path(receipts_path) if receipts_path else default_path(result.path)
        if path not in books:
            books[path] = book = Receipts(path)
            try:
                book.prepare_folder()
            except OSError as exc:
                raise ReceiptsUnusable(f"cannot write receipts to {path}: {exc.strerror or exc}") from None
            try:
                list(book.read())
            except OSError as exc:
                raise ReceiptsUnusable(f"cannot read receipts {path}: {exc.strerror or exc}") from None
        book_of.append(books[path])
    return book_of


def send_batch(
    client: FastSpringClient,
    results: list[CompileResult],
    books: list[Receipts],
    force: bool,
    events: BatchEvents,
) -> Outcome:
    """Send each result not already sent (unless `force`), recording each session in its book."""
    from offerlang.send.client import ErrorKind, SendError

    outcome: Outcome = "ok"
    warned: set[Path] = set()
    target = client.target
    for index, (result, book) in enumerate(zip(results, books, strict=True)):
        events.begin(result)
        payload = result.payload or {}
        sha256 = payload_sha256(payload)
        existing = book.find_valid(sha256, target)
        if book.path not in warned:
            warned.add(book.path)
            for number in book.unreadable_lines:
                events.unreadable_receipt(book.path, number)
        if existing is not None and not force:
            events.already_sent(result, existing)
            continue
        try:
            session = client.create_session(payload)
        except KeyboardInterrupt as interrupt:
            events.interrupted(result, getattr(interrupt, "may_have_created", True))
            raise
        except SendError as error:
            events.failed(result, error)
            if error.kind is ErrorKind.REJECTED:
                outcome = "rejected"
                continue
            # Bad credentials or an unreachable FastSpring fail every other offer the same way.
            for skipped in results[index + 1 :]:
                events.skipped(skipped)
            return "auth" if error.kind is ErrorKind.AUTH else "network"
        receipt = Receipt.new(
            offer_name(result.path),
            sha256,
            target,
            session_id=session.id,
            url=session.url,
            expires_ms=session.expires_ms,
        )
        # A Sessions v2 session adds what its answer said (warnings) to its receipt: send/v2.py.
        annotate = getattr(session, "annotate", None)
        if annotate is not None:
            receipt = annotate(receipt)
        # Recorded before it is reported: output that cannot be written (a closed pipe) must
        # not cost the only record of a session that exists.
        try:
            book.append(receipt)
        except OSError as exc:
            events.not_recorded(book.path, exc)
        events.created(result, receipt)
    return outcome
