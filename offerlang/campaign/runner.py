"""Sending a campaign: every row that is not done yet, by a few workers, recorded in the ledger.

The rows are streamed a second time (the first pass checked them all); at most
2 x concurrency rows wait in memory for a worker. The client calls the rate limiter before
every attempt (retries included), so it paces what reaches the store; a worker takes its
first slot before it records the row as started, so a kill during that wait leaves nothing
uncertain.
"""

from __future__ import annotations

import csv
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ..rows import Report, Row, RowSet
from .ledger import DONE, FAILED, UNCERTAIN, Ledger, payload_hash

FAILURES_SHOWN = 20


class Client(Protocol):
    def create_session(self, payload: dict[str, Any]) -> Any: ...


@dataclass
class Summary:
    rows: int = 0
    sent: int = 0  # sessions created in this run
    failed: int = 0  # rejected by FastSpring in this run
    network: int = 0  # gave up after retries: outcome unknown
    skipped_done: int = 0
    uncertain: list[str] = field(default_factory=list)  # keys not sent: maybe already have a session
    changed: list[str] = field(default_factory=list)  # done rows whose payload changed since
    failures: list[str] = field(default_factory=list)  # "key: message", the first FAILURES_SHOWN
    interrupted: bool = False
    stopped: str | None = None  # why the run stopped early (authentication refused)

    def lines(self) -> list[str]:
        out = [
            f"{self.rows:,} rows: {self.sent:,} sessions created, {self.skipped_done:,} already done, "
            f"{self.failed:,} rejected, {self.network:,} network failures, {len(self.uncertain):,} uncertain"
        ]
        if self.failures:
            out.append("rejected or failed rows:")
            out += [f"  {f}" for f in self.failures]
            hidden = self.failed + self.network - len(self.failures)
            if hidden > 0:
                out.append(f"  … and {hidden:,} more (see the ledger)")
        if self.uncertain:
            shown = ", ".join(self.uncertain[:FAILURES_SHOWN])
            hidden = len(self.uncertain) - FAILURES_SHOWN
            more = f" and {hidden:,} more" if hidden > 0 else ""
            out.append(
                f"uncertain (a request was started but its outcome is unknown): {shown}{more}; "
                "check the store, then run again with --retry-uncertain to send them"
            )
        if self.changed:
            shown = ", ".join(self.changed[:FAILURES_SHOWN])
            out.append(
                f"changed since their session was created (kept, not sent again): {shown}; "
                "use a new ledger to send them a new session"
            )
        if self.stopped:
            out.append(f"stopped: {self.stopped}")
        if self.interrupted:
            out.append("interrupted: the requests in flight were finished and recorded; run again to resume")
        return out


class Progress(Protocol):
    def advance(self, summary: Summary) -> None: ...
    def close(self) -> None: ...


class _Quiet:
    def advance(self, summary: Summary) -> None:
        pass

    def close(self) -> None:
        pass


class _Bar:
    """A rich progress bar on standard error: rows done, failed, rate, time left."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._started = time.monotonic()
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
        finished = summary.sent + summary.failed + summary.network
        self._progress.update(
            self._task,
            completed=finished,
            failed=summary.failed + summary.network,
            rate=f"{finished / elapsed * 60:.0f}",
        )

    def close(self) -> None:
        self._progress.stop()


def progress_for(total: int) -> Progress:
    return _Bar(total) if sys.stderr.isatty() else _Quiet()


class Runner:
    def __init__(
        self,
        row_set: RowSet,
        client: Client,
        ledger: Ledger,
        *,
        concurrency: int = 4,
        retry_uncertain: bool = False,
        progress: Callable[[int], Progress] = progress_for,
        wait_turn: Callable[[], None] | None = None,
    ) -> None:
        self.row_set = row_set
        self.client = client
        self.ledger = ledger
        self.concurrency = concurrency
        self.retry_uncertain = retry_uncertain
        self.summary = Summary()
        self._progress_factory = progress
        self._wait_turn = wait_turn  # the rate limiter's acquire_ahead, when the client uses it
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def run(self) -> Summary:
        """Send every row that needs it. Ctrl-C stops taking new rows, lets the requests in
        flight finish (and be recorded), and returns the summary with `interrupted` set."""
        total = self._count_to_send()
        progress = self._progress_factory(total)
        slots = threading.BoundedSemaphore(self.concurrency * 2)
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="offer-send")
        try:
            for row in self.row_set.rows(Report(self.row_set.path)):
                if self._stop.is_set():
                    break
                self.summary.rows += 1
                row_hash = payload_hash(row.result.payload)
                if not self._should_send(row, row_hash):
                    continue
                slots.acquire()
                future = pool.submit(self._send, row, row_hash, progress)
                future.add_done_callback(lambda _f: slots.release())
        except KeyboardInterrupt:
            self.summary.interrupted = True
            self._stop.set()
        finally:
            # After Ctrl-C, rows queued but not started are dropped (never marked started); rows
            # in flight finish and are recorded. A second Ctrl-C here leaves them uncertain.
            pool.shutdown(wait=True, cancel_futures=self._stop.is_set())
            progress.close()
        return self.summary

    def _count_to_send(self) -> int:
        done = sum(1 for e in self.ledger.state.values() if e.status == DONE)
        rows = sum(1 for _ in self.row_set.row_keys())
        return max(rows - done, 0)

    def _should_send(self, row: Row, row_hash: str) -> bool:
        entry = self.ledger.state.get(row.key)
        if entry is None or entry.status == FAILED:
            return True
        if entry.status == DONE:
            self.summary.skipped_done += 1
            if entry.hash != row_hash:
                self.summary.changed.append(row.key)
            return False
        if entry.status == UNCERTAIN and not self.retry_uncertain:
            self.summary.uncertain.append(row.key)
            return False
        return True

    def _send(self, row: Row, row_hash: str, progress: Progress) -> None:
        from ..send.client import SendError

        if self._stop.is_set():  # interrupted or refused while this row waited for a worker
            return
        if self._wait_turn is not None:
            self._wait_turn()
            if self._stop.is_set():
                return
        self.ledger.started(row.key, row.line, row_hash)
        try:
            created = self.client.create_session(row.result.payload)
        except SendError as exc:
            self.ledger.failed(row.key, row_hash, exc.kind, exc.status, exc.message)
            with self._lock:
                if exc.kind == "network":
                    self.summary.network += 1
                else:
                    self.summary.failed += 1
                if len(self.summary.failures) < FAILURES_SHOWN:
                    self.summary.failures.append(f"{row.key} (line {row.line}): {exc.message}")
                if exc.kind == "auth":
                    self.summary.stopped = f"FastSpring refused the credentials: {exc.message}"
                    self._stop.set()
        else:
            self.ledger.done(row.key, row_hash, created.id, created.url, created.expires_ms)
            with self._lock:
                self.summary.sent += 1
        with self._lock:
            progress.advance(self.summary)


def write_links(path: str, row_set: RowSet, ledger: Ledger) -> int:
    """links.csv in row order: key, session, url, expires (UTC), status. Returns rows written."""
    from ..cli.common import open_atomic

    count = 0
    with open_atomic(path) as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([row_set.key, "session", "url", "expires", "status"])
        for key in row_set.row_keys():
            entry = ledger.state.get(key)
            if entry is not None and entry.status == DONE:
                writer.writerow([key, entry.session, entry.url, _iso(entry.expires), DONE])
            else:
                writer.writerow([key, "", "", "", entry.status if entry is not None else "not sent"])
            count += 1
    return count


def _iso(epoch_ms: int | None) -> str:
    if epoch_ms is None:
        return ""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
