"""Sending a batch of compiled offers, one session each, recorded in receipts books.

The decisions live here: which books the offers go to, which payloads were already sent
(same sha256, same target, still valid) or may have been (an attempt without a known
outcome, perhaps in flight in another run), when a batch stops (bad credentials or an
unreachable FastSpring fail every other offer the same way), and that every outcome is
recorded before anyone is told about it. What is told, and how, is the caller's `BatchEvents`.

Ctrl-C and SIGTERM (taken as Ctrl-C, interrupts.py) do not abandon a request in flight: it runs
in a worker thread while the main thread, where signals arrive, waits for it. An interruption
lets that request finish (its attempt is bounded by the client's deadline), starts no retry and
no further offer, records the outcome as usual, and is then raised again (exit 130 or 143).
Abandoned, the request could create a session no receipt knows of.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from offerlang import interrupts
from offerlang.errors import OfferlangError
from offerlang.files import Refused
from offerlang.send.journal import Damage, uncertain
from offerlang.send.receipts import Receipt, Receipts, Unresolved, default_path, offer_name, payload_sha256

if TYPE_CHECKING:
    from offerlang.compiler.pipeline import CompileResult
    from offerlang.send.client import FastSpringClient, SendError, SessionCreated

# How a batch ended: every offer sent (or already sent), some rejected, some left uncertain
# (not sent: an earlier attempt may have created their session), or stopped early.
Outcome = Literal["ok", "rejected", "uncertain", "auth", "network"]


class ReceiptsUnusable(OfferlangError):
    """A receipts book that cannot be read or written: nothing was sent."""


class BatchEvents(Protocol):
    def begin(self, result: CompileResult) -> None:
        """`result` is the offer being dealt with from now on (named in retry messages)."""

    def damaged_receipt(self, path: Path, damage: Damage) -> None: ...
    def already_sent(self, result: CompileResult, receipt: Receipt) -> None: ...
    def unresolved(self, result: CompileResult, attempt: Unresolved) -> None:
        """Not sent: the latest attempt at this very request has no session to show for it."""

    def created(self, result: CompileResult, receipt: Receipt) -> None: ...
    def not_recorded(self, path: Path, error: OSError) -> None:
        """The session about to be reported as created could not be written to `path`."""

    def failed(self, result: CompileResult, error: SendError) -> None: ...
    def skipped(self, result: CompileResult) -> None:
        """Not sent: the batch stopped after an error that would fail it the same way."""

    def finishing(self, result: CompileResult) -> None:
        """Ctrl-C or SIGTERM arrived: the request in flight is finished, then the batch stops."""

    def interrupted(self, result: CompileResult, may_have_created: bool) -> None:
        """Stopped before a retry: whether an attempt before it may have created a session."""


class Stopper:
    """What the client calls before every attempt (its `before_attempt`): once the batch is
    interrupted, no further attempt starts. The KeyboardInterrupt it raises in the worker is
    what create_session turns into SendInterrupted, saying whether an attempt before may have
    created a session."""

    def __init__(self) -> None:
        self.stopping = threading.Event()

    def before_attempt(self) -> None:
        if self.stopping.is_set():
            raise KeyboardInterrupt


def open_books(results: list[CompileResult], receipts_path: str | None) -> list[Receipts]:
    """The receipts book of each result (one shared book per path), in order, open.

    Every book is opened and read before the first request, so that one that cannot be used
    stops the run while nothing has been sent."""
    books: dict[Path, Receipts] = {}
    book_of: list[Receipts] = []
    try:
        for result in results:
            path = Path(receipts_path) if receipts_path else default_path(result.path)
            if path not in books:
                books[path] = book = Receipts(path)
                try:
                    book.open_file()
                except Refused as exc:
                    raise ReceiptsUnusable(f"{path}: {exc.strerror}") from None
                except OSError as exc:
                    raise ReceiptsUnusable(
                        f"cannot write receipts to {path}: {exc.strerror or exc}"
                    ) from None
                try:
                    book.read_all()
                except OSError as exc:
                    raise ReceiptsUnusable(f"cannot read receipts {path}: {exc.strerror or exc}") from None
            book_of.append(books[path])
    except ReceiptsUnusable:
        close_books(list(books.values()))
        raise
    return book_of


def close_books(books: list[Receipts]) -> None:
    for book in dict.fromkeys(books):
        book.close()


def send_batch(
    client: FastSpringClient,
    results: list[CompileResult],
    books: list[Receipts],
    force: bool,
    events: BatchEvents,
    stopper: Stopper | None = None,
) -> Outcome:
    """Send each result not already sent (unless `force`), recording each outcome in its book.
    `stopper`: the one the client calls before each attempt (without it, an interruption still
    lets the attempt in flight finish, but a retry after it may start)."""
    from offerlang.send.client import ErrorKind, SendError, SendInterrupted

    stopper = stopper or Stopper()
    outcome: Outcome = "ok"
    warned: set[Path] = set()
    target = client.target
    for index, (result, book) in enumerate(zip(results, books, strict=True)):
        events.begin(result)
        payload = result.payload or {}
        sha256 = payload_sha256(payload)
        offer = offer_name(result.path)
        try:
            # Whole or not at all: a `started` record whose request never leaves would make the
            # next run take this offer for uncertain.
            with interrupts.deferred():
                decision = book.begin(sha256, target, offer=offer, force=force)
        except OSError as exc:  # a full disk, say: without its `started` record it is not sent
            reason = exc.strerror or exc
            raise ReceiptsUnusable(
                f"cannot write receipts to {book.path}: {reason}; {result.path} was not sent"
            ) from None
        if book.path not in warned:
            warned.add(book.path)
            for damage in book.damaged:
                events.damaged_receipt(book.path, damage)
        if decision.action == "already-sent" and decision.receipt is not None:
            events.already_sent(result, decision.receipt)
            continue
        if decision.action == "unresolved" and decision.unresolved is not None:
            events.unresolved(result, decision.unresolved)
            if outcome == "ok":
                outcome = "uncertain"
            continue
        attempt = decision.attempt or ""
        answer, interrupt = _finish_in_flight(client, payload, stopper, partial(events.finishing, result))
        if isinstance(answer, SendInterrupted):
            # Stopped before a retry (or the client was interrupted some other way).
            may_have_created = answer.may_have_created
            with interrupts.deferred(), contextlib.suppress(OSError):
                # Unrecorded, the attempt stays without an outcome: as uncertain, which is safe.
                book.failed(attempt, "interrupted", None, uncertain=may_have_created)
            events.interrupted(result, may_have_created)
            raise interrupt or KeyboardInterrupt()
        if isinstance(answer, SendError):
            error = answer
            with interrupts.deferred(), contextlib.suppress(OSError):
                book.failed(
                    attempt,
                    error.kind.value,
                    error.status,
                    uncertain=uncertain(error.kind.value, error.status, error.may_have_created),
                )
            events.failed(result, error)
            if interrupt is not None:
                raise interrupt
            if error.kind is ErrorKind.REJECTED:
                outcome = "rejected"
                continue
            # Bad credentials or an unreachable FastSpring fail every other offer the same way.
            for skipped in results[index + 1 :]:
                events.skipped(skipped)
            return "auth" if error.kind is ErrorKind.AUTH else "network"
        if isinstance(answer, BaseException):
            raise answer  # a bug: the attempt stays without an outcome, as uncertain (safe)
        session = answer
        receipt = Receipt.new(
            offer,
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
        with interrupts.deferred():
            try:
                book.created(attempt, receipt)
            except OSError as exc:
                events.not_recorded(book.path, exc)
        events.created(result, receipt)
        if interrupt is not None:
            raise interrupt  # recorded and shown: now the interruption is taken
    return outcome


def _finish_in_flight(
    client: FastSpringClient, payload: dict[str, object], stopper: Stopper, finishing: Callable[[], None]
) -> tuple[SessionCreated | BaseException, KeyboardInterrupt | None]:
    """create_session's answer (or what it raised), and the Ctrl-C or SIGTERM that arrived while
    it ran, if any. The request runs in a worker thread; the main thread waits for it, and an
    interruption only stops retries: the request in flight finishes and its outcome is known."""
    box: list[SessionCreated | BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            box.append(client.create_session(payload))
        except BaseException as exc:  # handed to the main thread, which decides
            box.append(exc)
        finally:
            done.set()

    # Started whole: a Ctrl-C between the `started` record and the thread's start would leave
    # an attempt without an outcome although no request left.
    with interrupts.deferred():
        worker = threading.Thread(target=work, name="offer-send", daemon=True)
        worker.start()
    interrupt: KeyboardInterrupt | None = None
    while True:
        try:
            # Not Thread.join: a join cut short by Ctrl-C marks the thread finished (CPython).
            done.wait()
            break
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (interrupts.Terminated)
            if interrupt is None:
                interrupt = exc
                stopper.stopping.set()
                finishing()
            # A second one changes nothing: the request is finished, at most until its deadline.
    return box[0], interrupt
