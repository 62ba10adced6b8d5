"""A campaign from checked rows to sessions: what `offer compile --rows` and `offer send --rows`
do once their options are parsed. Printing, and what the outcomes mean to a shell, are the CLI's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from offerlang.campaign.rows import Row, RowProblems, RowSet
from offerlang.jsonout import dumps

if TYPE_CHECKING:
    from offerlang.campaign.ledger import Entry
    from offerlang.campaign.runner import Client, Progress, Summary


def check_rows(row_set: RowSet) -> RowProblems:
    """The first pass: every row bound and checked, nothing kept but the keys seen."""
    problems = RowProblems(row_set.path)
    for _row in row_set.rows(problems):
        pass
    return problems


def write_payloads(row_set: RowSet, fh: TextIO) -> RowProblems:
    """One payload per line; once a row is bad, nothing will be kept: the rest are only checked."""
    problems = RowProblems(row_set.path)
    for row in row_set.rows(problems):
        if problems.ok:
            fh.write(dumps(row.payload, None) + "\n")
    return problems


def write_checked_payloads(row_set: RowSet, fh: TextIO) -> RowProblems:
    """For an output that cannot be taken back (standard output): every row is checked before
    the first is written, and none is written if one is bad."""
    problems = check_rows(row_set)
    return write_payloads(row_set, fh) if problems.ok else problems


@dataclass
class DryRunPlan:
    """What a real run with the ledger as it is would do, by the runner's own decision."""

    counts: dict[str, int]  # rows per decision, labelled for people; "send" first
    first: Row | None  # the first row it would send


class _RetryCounter:
    """Counts the client's retries from every worker thread."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def __call__(self, *_args: object) -> None:
        with self._lock:
            self.value += 1


@dataclass(frozen=True)
class ClientHooks:
    """What the send client must call for a campaign (FastSpringClient's keyword arguments of
    the same names): wait for the rate limiter before every attempt, slow it down when the store
    says so, count the retries."""

    before_attempt: Callable[[], None]
    on_rate_limited: Callable[[float], None]
    on_retry: Callable[..., None]


@dataclass
class Campaign:
    """`offer send OFFER --rows ROWS` once every row is checked: its pace, its ledger, its retries.

    Make the client with `client_hooks()`; then `dry_run()` or `run()` (both raise LedgerError
    for a ledger that cannot be used: nothing was sent)."""

    row_set: RowSet
    ledger_path: str
    per_minute: float
    concurrency: int
    retry_uncertain: bool
    state: dict[str, Entry] = field(default_factory=dict)  # the ledger's, after run()

    def __post_init__(self) -> None:
        from offerlang.campaign.ratelimit import RateLimiter

        self.stop = threading.Event()  # Ctrl-C ends the rate limiter's waits too
        self.limiter = RateLimiter(self.per_minute, stop=self.stop)
        self.retries = _RetryCounter()

    def client_hooks(self) -> ClientHooks:
        return ClientHooks(self.limiter, self.limiter.on_rate_limited, self.retries)

    def dry_run(self, warn: Callable[[str], None]) -> DryRunPlan:
        from offerlang.campaign.ledger import check_header, done_hashes, read_state
        from offerlang.campaign.runner import (
            SEND,
            SKIP_CHANGED,
            SKIP_DONE,
            SKIP_DUPLICATE,
            SKIP_UNCERTAIN,
            plan,
        )

        read = read_state(self.ledger_path)
        check_header(Path(self.ledger_path), read.header, self.row_set.template.path, self.row_set.key)
        for line in damage_warnings(self.ledger_path, read.damaged, read.damaged_keys):
            warn(line)
        state = read.rows
        labels = {
            SEND: "send",
            SKIP_DONE: "already done",
            SKIP_CHANGED: "done but changed since (kept)",
            SKIP_UNCERTAIN: "uncertain (not sent without --retry-uncertain)",
            SKIP_DUPLICATE: "done under another key",
        }
        counts = dict.fromkeys(labels.values(), 0)
        first = None
        problems = RowProblems(self.row_set.path)
        for row, _hash, decision in plan(
            self.row_set, problems, state, done_hashes(state), self.retry_uncertain
        ):
            counts[labels[decision]] += 1
            if decision == SEND and first is None:
                first = row
        return DryRunPlan(counts, first)

    def run(
        self, client: Client, progress: Callable[[int], Progress], warn: Callable[[str], None]
    ) -> Summary:
        """Send every row not done yet; returns when every worker has finished, Ctrl-C or not.

        LedgerError when the ledger cannot be used (nothing was sent). Once sending has begun,
        whatever fails (a full disk closing the ledger, a bug) is in the summary's errors: the
        summary and links.csv are still made from what is known."""
        from offerlang.campaign.ledger import Ledger
        from offerlang.campaign.runner import Runner

        journal = Ledger(self.ledger_path, self.row_set.template.path, self.row_set.key)
        for line in damage_warnings(self.ledger_path, journal.damaged, journal.damaged_keys):
            warn(line)
        runner = Runner(
            self.row_set,
            client,
            journal,
            concurrency=self.concurrency,
            retry_uncertain=self.retry_uncertain,
            progress=progress,
            wait_turn=self.limiter.acquire_ahead,
            stop=self.stop,
        )
        summary = runner.run()
        # Only after every worker finished (run() waits for them, Ctrl-C or not).
        try:
            journal.close()
        except OSError as exc:
            reason = exc.strerror or exc
            summary.unclosed = f"the ledger {self.ledger_path} could not be closed ({reason})"
        self.state = journal.state
        summary.rows_file_changed = self.row_set.changed_on_disk()
        return summary


def damage_warnings(path: str, damaged: list, damaged_keys: dict[int, str]) -> list[str]:
    """One warning per damaged line of a ledger, saying what became of the row it names."""
    out = []
    for damage in damaged:
        line = f"{path}:{damage.line}: warning: damaged record ({damage.reason}); ignored"
        key = damaged_keys.get(damage.line)
        if key is not None:
            line += f"; the row {key} is uncertain (it may have a session)"
        out.append(line)
    return out
