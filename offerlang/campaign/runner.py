"""Sending a campaign: every row that is not done yet, by a few workers, recorded in the ledger.

The rows are streamed a second time (the first pass checked them all; a problem the first pass
did not see means the file changed, and stops the campaign); at most 2 x concurrency rows wait
in memory for a worker. The client calls the rate limiter before every attempt (retries
included), so it paces what reaches the store; a worker takes its first slot before it records
the row as started, so a kill or Ctrl-C during that wait leaves nothing uncertain.

`decide()` is the one place that says what happens to a row; the dry run uses it too.
"""

from __future__ import annotations

import csv
import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from offerlang import interrupts
from offerlang.campaign.ledger import DONE, UNCERTAIN, Entry, Ledger, payload_hash
from offerlang.campaign.ratelimit import Stopped
from offerlang.campaign.rows import Row, RowProblems, RowSet
from offerlang.text import and_more, listed, plural, shown, visible

if TYPE_CHECKING:
    from offerlang.send.client import SendError

FAILURES_SHOWN = 20
# Distinct warning codes named in the summary line; the rest are counted (links.csv has every one).
WARNING_CODES_SHOWN = 10
# Characters of a row's key named in the summary.
KEY_SHOWN = 100
log = logging.getLogger(__name__)

# What `decide()` says about a row.
SEND = "send"
SKIP_DONE = "done"  # done, same payload
SKIP_CHANGED = "changed"  # done, but its payload changed since: kept, not sent twice
SKIP_UNCERTAIN = "uncertain"  # started without a known outcome, no --retry-uncertain
SKIP_DUPLICATE = "duplicate"  # this exact payload is done under another key


def decide(entry: Entry | None, row_hash: str, done_hashes: set[str], retry_uncertain: bool) -> str:
    if entry is not None and entry.status == DONE:
        return SKIP_DONE if entry.hash == row_hash else SKIP_CHANGED
    if entry is not None and entry.status == UNCERTAIN and not retry_uncertain:
        return SKIP_UNCERTAIN
    if row_hash in done_hashes:
        return SKIP_DUPLICATE
    return SEND


def plan(
    row_set: RowSet,
    problems: RowProblems,
    state: dict[str, Entry],
    done_hashes: set[str],
    retry_uncertain: bool,
) -> Iterator[tuple[Row, str, str]]:
    """(row, payload hash, decision) for every good row, in file order."""
    for row in row_set.rows(problems):
        row_hash = payload_hash(row.payload)
        yield row, row_hash, decide(state.get(row.key), row_hash, done_hashes, retry_uncertain)


class Client(Protocol):
    def create_session(self, payload: dict[str, Any]) -> Any: ...


@dataclass
class Summary:
    rows: int = 0  # rows dealt with: sent (whatever the outcome) or skipped
    sent: int = 0  # sessions created in this run
    failed: int = 0  # rejected by FastSpring in this run
    network: int = 0  # gave up after retries
    skipped_done: int = 0
    uncertain: list[str] = field(default_factory=list)  # keys not sent: maybe already have a session
    changed: list[str] = field(default_factory=list)  # done rows whose payload changed since
    duplicates: list[str] = field(default_factory=list)  # keys whose exact payload is done under another
    failures: list[str] = field(default_factory=list)  # "key: message", the first FAILURES_SHOWN
    errors: list[str] = field(default_factory=list)  # unexpected worker failures (a bug, a full disk)
    # The ledger could not be closed at the end (a full disk): not a bug, and nothing is lost, as
    # every record was fsynced when it was written.
    unclosed: str | None = None
    interrupted: bool = False
    terminated: bool = False  # the interruption was SIGTERM, not Ctrl-C
    stopped: str | None = None  # why the run stopped early (authentication refused)
    rows_changed: str | None = None  # a problem the first pass over the rows did not see
    rows_file_changed: bool = False  # the file on disk is no longer the copy that was sent
    without_session: int | None = None  # rows of the file with no session yet, after a stop
    warned: int = 0  # Sessions v2: sessions with warnings, created in this run or an earlier one
    warned_before: int = 0  # of those, created in an earlier run (a resumed campaign's done rows)
    warnings: Counter[str] = field(default_factory=Counter)  # their codes, counted

    @property
    def finished(self) -> int:
        """Rows dealt with, sent or skipped: the progress bar's count."""
        skipped = self.skipped_done + len(self.uncertain) + len(self.duplicates)
        return self.sent + self.failed + self.network + skipped

    def lines(self) -> list[str]:
        rows, sessions = plural(self.rows, "row", grouped=True), plural(self.sent, "session", grouped=True)
        out = [
            f"{rows}: {sessions} created, "
            f"{self.skipped_done:,} already done, {self.failed:,} rejected, "
            f"{plural(self.network, 'network failure', grouped=True)}, {len(self.uncertain):,} uncertain"
        ]
        if self.warned:
            # FastSpring's codes (escaped when recorded), as many as a line takes in.
            counted = [f"{visible(code)} {n:,}" for code, n in sorted(self.warnings.items())]
            codes = listed(counted, WARNING_CODES_SHOWN)
            earlier = f" ({self.warned_before:,} in an earlier run)" if self.warned_before else ""
            out.append(
                f"FastSpring warned about {plural(self.warned, 'session', grouped=True)} it created"
                f"{earlier}: {codes} (the warnings column of --out and the ledger say which rows)"
            )
        if self.failures:
            out.append("rejected or failed rows:")
            out += [f"  {f}" for f in self.failures]
            hidden = self.failed + self.network - len(self.failures)
            if hidden > 0:
                out.append(f"  … {and_more(hidden)} (see the ledger)")
        for label, keys, advice in (
            (
                "uncertain (a request was started but its outcome is unknown)",
                self.uncertain,
                "; check the store, then run again with --retry-uncertain to send them",
            ),
            (
                "changed since their session was created (kept, not sent again)",
                self.changed,
                "; use a new ledger to send them a new session",
            ),
            (
                "already have a session under another key (the same payload; not sent again)",
                self.duplicates,
                "",
            ),
        ):
            if keys:
                out.append(f"{label}: {listed([shown_key(k) for k in keys], FAILURES_SHOWN)}{advice}")
        out += [f"internal error: {e}" for e in self.errors]
        if self.unclosed:
            out.append(
                f"error: {self.unclosed}; every outcome was written to it and flushed to disk as it "
                "happened, so nothing is lost: make room, then run the same command again to resume"
            )
        if self.rows_changed:
            out.append(f"stopped: the rows changed since they were checked: {self.rows_changed}")
        if self.stopped:
            out.append(f"stopped: {self.stopped}")
        if self.interrupted:
            how = "terminated (SIGTERM)" if self.terminated else "interrupted"
            out.append(f"{how}: the requests in flight were finished and recorded; run again to resume")
        if self.rows_file_changed:
            out.append(
                "note: the rows file changed during the run: the rows as they were checked were sent, "
                "not the changes; run again to check and send those"
            )
        if self.without_session and (self.interrupted or self.stopped or self.errors or self.rows_changed):
            out.append(f"{plural(self.without_session, 'row', grouped=True)} of the file have no session yet")
        return out


def shown_key(key: str) -> str:
    """A row's key in a line for the terminal: the rows file is a spreadsheet someone else
    filled, so its words are escaped and capped (text.shown) like a server's."""
    return shown(key, KEY_SHOWN)


class Progress(Protocol):
    def advance(self, summary: Summary) -> None: ...
    def close(self) -> None: ...


class _Quiet:
    def advance(self, summary: Summary) -> None:
        pass

    def close(self) -> None:
        pass


class _Bar:
    """A rich progress bar on standard error: rows dealt with (skipped ones too, so that it
    completes), failed, the request rate (never shown above the cap: the first requests of a
    run are counted over a few milliseconds), time left."""

    def __init__(self, total: int, cap_per_minute: float) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._started = time.monotonic()
        self._cap = cap_per_minute
        self._progress = Progress(
            TextColumn("sending"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TextColumn("{task.fields[rate]}/min"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task = self._progress.add_task("send", total=total, failed=0, rate="0")
        self._progress.start()

    def advance(self, summary: Summary) -> None:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        requests = summary.sent + summary.failed + summary.network
        self._progress.update(
            self._task,
            completed=summary.finished,
            failed=summary.failed + summary.network,
            rate=f"{min(requests / elapsed * 60, self._cap):.0f}",
        )

    def close(self) -> None:
        self._progress.stop()


def progress_for(total: int, cap_per_minute: float) -> Progress:
    return _Bar(total, cap_per_minute) if sys.stderr.isatty() else _Quiet()


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Runner:
    def __init__(
        self,
        row_set: RowSet,
        client: Client,
        ledger: Ledger,
        *,
        concurrency: int = 4,
        retry_uncertain: bool = False,
        progress: Callable[[int], Progress] = lambda total: progress_for(total, float("inf")),
        wait_turn: Callable[[], None] | None = None,
        stop: threading.Event | None = None,
        say: Callable[[str], None] = _say,
    ) -> None:
        self.row_set = row_set
        self.client = client
        self.ledger = ledger
        self.concurrency = concurrency
        self.retry_uncertain = retry_uncertain
        self.summary = Summary()
        self._progress_factory = progress
        self._wait_turn = wait_turn  # the rate limiter's acquire_ahead, when the client uses it
        self._say = say
        self._lock = threading.Lock()
        self._stop = stop or threading.Event()  # shared with the rate limiter: its waits end too
        self._in_flight = 0
        self._pending = 0  # rows handed to the pool and not finished (or cancelled) yet
        self._idle = threading.Condition()

    def run(self) -> Summary:
        """Send every row that needs it. Ctrl-C or SIGTERM (wherever the main thread is) stops
        taking new rows, lets the requests in flight finish and be recorded, and returns the summary with
        `interrupted` set; the ledger stays open until every worker has finished."""
        total = sum(1 for _ in self.row_set.row_keys())
        progress = self._progress_factory(total)
        slots = threading.BoundedSemaphore(self.concurrency * 2)
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="offer-send")

        def finished(future: Future[None]) -> None:
            slots.release()
            if not future.cancelled() and future.exception() is not None:
                exc = future.exception()
                with self._lock:
                    self.summary.errors.append(f"{type(exc).__name__}: {exc}")
                self._stop.set()
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

        try:
            problems = RowProblems(self.row_set.path)
            state, hashes = self.ledger.state, self.ledger.done_hashes
            for row, row_hash, decision in plan(self.row_set, problems, state, hashes, self.retry_uncertain):
                if self._stop.is_set() or self._rows_changed(problems):
                    break
                if decision != SEND:
                    self._skipped(row, decision, progress, state.get(row.key))
                    continue
                slots.acquire()
                # Ctrl-C or SIGTERM held back until the handover ends: a row counted as pending
                # but never handed to the pool (or handed without the callback that counts it
                # finished) would be waited for forever.
                with interrupts.deferred():
                    with self._idle:
                        self._pending += 1
                    pool.submit(self._send, row, row_hash, progress).add_done_callback(finished)
            else:
                self._rows_changed(problems)
        except KeyboardInterrupt:
            self._interrupt()
        except Exception as exc:
            # Rows that cannot be read any more (a bug: they were read once, into a snapshot):
            # stop, and still wait for the rows in flight and report what happened.
            with self._lock:
                self.summary.errors.append(f"{type(exc).__name__}: {exc}")
            self._stop.set()
        # Wait on our own count of unfinished rows, not Thread.join: a join cut short by Ctrl-C
        # marks a running thread as finished (CPython), and the ledger would be closed under it.
        while True:
            try:
                if self._stop.is_set():
                    # Rows queued but not started are dropped (never marked started).
                    pool.shutdown(wait=False, cancel_futures=True)
                with self._idle:
                    while self._pending:
                        self._idle.wait()
                break
            except KeyboardInterrupt:
                self._interrupt()
        pool.shutdown(wait=False)  # every row has finished: the idle workers just exit
        progress.close()
        if self._stop.is_set():
            state = self.ledger.state
            self.summary.without_session = sum(
                1 for key in self.row_set.row_keys() if key not in state or state[key].status != DONE
            )
        return self.summary

    def _interrupt(self) -> None:
        if not self.summary.interrupted:
            with self._lock:
                in_flight = self._in_flight
            self._say(f"finishing {plural(in_flight, 'request', grouped=True)} in flight…")
        self.summary.interrupted = True
        self.summary.terminated = self.summary.terminated or interrupts.terminated()
        self._stop.set()

    def _rows_changed(self, problems: RowProblems) -> bool:
        if problems.ok:
            return False
        self.summary.rows_changed = problems.shown[0] if problems.shown else problems.summary()
        self._stop.set()
        return True

    def _skipped(self, row: Row, decision: str, progress: Progress, entry: Entry | None = None) -> None:
        with self._lock:
            self.summary.rows += 1
            if decision in (SKIP_DONE, SKIP_CHANGED):
                self.summary.skipped_done += 1
                if entry is not None and entry.warnings:
                    # Done in an earlier run, with warnings: its link is still the one FastSpring
                    # warned about, so a resumed campaign counts it (and exits 5) as the first run did.
                    self.summary.warned += 1
                    self.summary.warned_before += 1
                    self.summary.warnings.update(entry.warnings)
            if decision == SKIP_CHANGED:
                self.summary.changed.append(row.key)
            elif decision == SKIP_UNCERTAIN:
                self.summary.uncertain.append(row.key)
            elif decision == SKIP_DUPLICATE:
                self.summary.duplicates.append(row.key)
            progress.advance(self.summary)

    def _send(self, row: Row, row_hash: str, progress: Progress) -> None:
        from offerlang.send.client import ErrorKind, SendError

        if self._stop.is_set():  # interrupted or refused while this row waited for a worker
            return
        if self._wait_turn is not None:
            try:
                self._wait_turn()
            except Stopped:
                return
        with self._lock:
            self._in_flight += 1
            self.summary.rows += 1
        try:
            self.ledger.started(row.key, row.line, row_hash)
            log.debug("%s (line %d): sending", row.key, row.line)
            try:
                created = self.client.create_session(row.payload)
            except Stopped:
                # Stopped while waiting to retry: the attempt before may have created a session.
                self._failed(row, row_hash, SendError(ErrorKind.INTERRUPTED, "interrupted before a retry"))
            except SendError as exc:
                self._failed(row, row_hash, exc)
            else:
                # Sessions v2: a session created with warnings (send/v2.py) records them.
                warnings = [w.as_json() for w in getattr(created, "warnings", ())]
                extra = {"warnings": warnings} if warnings else {}  # a v1 session has none
                self.ledger.done(row.key, row_hash, created.id, created.url, created.expires_ms, **extra)
                log.debug("%s (line %d): session %s", row.key, row.line, created.id)
                with self._lock:
                    self.summary.sent += 1
                    if warnings:
                        self.summary.warned += 1
                        self.summary.warnings.update(str(w["code"]) for w in warnings)
        finally:
            with self._lock:
                self._in_flight -= 1
        with self._lock:
            progress.advance(self.summary)

    def _failed(self, row: Row, row_hash: str, exc: SendError) -> None:
        from offerlang.send.client import ErrorKind

        may_have_created = exc.may_have_created
        self.ledger.failed(
            row.key, row_hash, exc.kind.value, exc.status, exc.message, uncertain=may_have_created
        )
        log.debug("%s (line %d): %s", row.key, row.line, exc.message)
        with self._lock:
            if exc.kind is ErrorKind.INTERRUPTED or may_have_created:
                self.summary.uncertain.append(row.key)
                return
            if exc.kind is ErrorKind.NETWORK:
                self.summary.network += 1
            else:
                self.summary.failed += 1
            if len(self.summary.failures) < FAILURES_SHOWN:
                self.summary.failures.append(f"{shown_key(row.key)} (line {row.line}): {exc.message}")
            if exc.kind is ErrorKind.AUTH:
                self.summary.stopped = f"FastSpring refused the credentials: {exc.message}"
                self._stop.set()


# A cell a spreadsheet would take for a formula (`=HYPERLINK(…)`, `+1+1`, `-2+3`, `@SUM(…)`),
# including after a tab or a carriage return it skips: OWASP's "CSV injection".
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A cell that a spreadsheet shows as text, never evaluates: one that starts like a formula
    gets a leading `'` (OWASP's advice; the quote is not shown in Excel, LibreOffice or Sheets)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_links(fh: TextIO, row_set: RowSet, state: dict[str, Entry], warnings: bool = False) -> int:
    """links.csv in row order: key, session, url, expires (UTC), status, and with `warnings`
    (Sessions v2) the codes FastSpring warned with, space-separated. Returns rows written.
    Every cell goes through `csv_cell`: the keys come from a spreadsheet someone else filled."""
    count = 0
    writer = csv.writer(fh, lineterminator="\n")

    def row(*cells: str | None) -> None:
        writer.writerow([csv_cell(cell or "") for cell in cells])

    row(row_set.key, "session", "url", "expires", "status", *(["warnings"] if warnings else []))
    for key in row_set.row_keys():
        entry = state.get(key)
        if entry is not None and entry.status == DONE:
            cells = [key, entry.session, entry.url, _iso(entry.expires), DONE]
        else:
            cells = [key, "", "", "", entry.status if entry is not None else "not sent"]
        if warnings:
            cells.append(" ".join(entry.warnings) if entry is not None else "")
        row(*cells)
        count += 1
    return count


def _iso(epoch_ms: int | None) -> str:
    if epoch_ms is None:
        return ""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
