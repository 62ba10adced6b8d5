"""What `offer compile --rows` and `offer send --rows` share: loading a template and its rows,
checking every row, and reporting the bad ones."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..api import CompileResult, Template, compile_template
from ..jsonout import dumps
from ..rows import Report, RowsError, RowSet, parse_set
from . import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_NETWORK, EXIT_OK, EXIT_REJECTED
from .common import open_atomic, print_diagnostics, read_source

if TYPE_CHECKING:
    from ..campaign.runner import Summary
    from ..send.client import RetryPolicy

DEFAULT_CONCURRENCY = 4
DEFAULT_RATE = "120/min"


# Shared by `offer compile` and `offer send`.
set_option = click.option(
    "--set", "sets", multiple=True, metavar="NAME=VALUE", help="Give parameter NAME a value (repeatable)."
)
rows_option = click.option(
    "--rows", metavar="ROWS", help="One payload / session per row of ROWS (.csv with a header, or .jsonl)."
)
key_option = click.option("--key", metavar="COLUMN", help="The column naming a row (default: the first).")


def campaign_options(command: Callable) -> Callable:
    """The options `offer send` takes for a campaign (and --set, which also fills one offer)."""
    options = [
        set_option,
        rows_option,
        key_option,
        click.option(
            "--ledger",
            metavar="PATH",
            help="The campaign's journal, to resume from (default: buyers.ledger.jsonl beside buyers.csv).",
        ),
        click.option("--out", metavar="CSV", help="Write key, session, url, expiry per row, in row order."),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 64),
            default=DEFAULT_CONCURRENCY,
            show_default=True,
            help="Requests in flight at once.",
        ),
        click.option(
            "--rate",
            default=DEFAULT_RATE,
            show_default=True,
            metavar="N/min",
            help="Never start more requests than this in any minute (also N/s).",
        ),
        click.option(
            "--retry-uncertain",
            is_flag=True,
            help="Also send rows whose earlier request has no recorded outcome (may duplicate them).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def set_values(campaign: dict[str, Any]) -> dict[str, str]:
    """--set values; the campaign-only options without --rows are a usage error."""
    try:
        values = parse_set(campaign.pop("sets"))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if campaign["rows"] is None:
        given = [
            f"--{name.replace('_', '-')}"
            for name in ("key", "ledger", "out", "retry_uncertain")
            if campaign[name] not in (None, False)
        ]
        if given:
            raise click.UsageError(f"{', '.join(given)} only make sense with --rows")
    return values


def refuse_same_file(out: str | None, option: str, inputs: dict[str, str | None]) -> None:
    """An output that is one of the inputs would destroy it: a usage error, before any work."""
    if out is None or out == "-":
        return
    target = Path(out).resolve()
    for name, path in inputs.items():
        if path is None:
            continue
        try:
            same = os.path.samefile(out, path)
        except OSError:  # one of them does not exist (yet): compare where they would be
            same = Path(path).resolve() == target
        if same:
            raise click.UsageError(
                f"{option} {out} is the {name} file: it would be overwritten; choose another path"
            )


class _RowsInvalid(Exception):
    """Raised inside an atomic write to throw the half-written output away."""


def load_rows(file: str, rows: str, key: str | None, values: dict[str, str]) -> RowSet | None:
    """The template, checked once, and its rows file opened. None (after printing why) when
    the template is invalid; a rows file that cannot be used at all is a usage error."""
    src = read_source(file)
    template: Template | None = None
    diags = src.diagnostics
    if src.text is not None:
        template, diags = compile_template(src.text, src.path)
    print_diagnostics(diags, [CompileResult(src.path, src.text, None, diags)])
    if template is None:
        return None
    try:
        return RowSet(rows, template, key, values)
    except RowsError as exc:
        raise click.UsageError(str(exc)) from None


def print_report(report: Report) -> None:
    for line in report.lines():
        click.echo(line, err=True)
    if not report.ok:
        click.echo(report.summary(), err=True)


def check_rows(row_set: RowSet) -> Report:
    """The first pass: every row bound and checked, nothing kept but the keys seen."""
    report = Report(row_set.path)
    for _row in row_set.rows(report):
        pass
    return report


def compile_rows(file: str, rows: str, key: str | None, values: dict[str, str], out: str | None) -> int:
    refuse_same_file(out, "-o", {"--rows": rows, "offer": file})
    row_set = load_rows(file, rows, key, values)
    if row_set is None:
        return EXIT_INVALID
    if out is None:
        # Standard output cannot be taken back: check every row before writing the first.
        report = check_rows(row_set)
        if report.ok:
            report = Report(row_set.path)
            _write_payloads(row_set, report, sys.stdout)
        print_report(report)
        return EXIT_OK if report.ok else EXIT_INVALID
    report = Report(row_set.path)
    try:
        with open_atomic(out) as fh:
            _write_payloads(row_set, report, fh)
            if not report.ok:
                raise _RowsInvalid
    except _RowsInvalid:
        pass
    except OSError as exc:
        raise click.UsageError(f"{out}: {exc.strerror or exc}") from None
    print_report(report)
    if report.ok:
        click.echo(f"{out}: {report.rows:,} payload{'s' * (report.rows != 1)}", err=True)
    return EXIT_OK if report.ok else EXIT_INVALID


def _write_payloads(row_set: RowSet, report: Report, fh) -> None:
    for row in row_set.rows(report):
        if report.ok:  # once a row is bad nothing will be kept: only go on checking
            fh.write(dumps(row.result.payload, None) + "\n")


def send_campaign(
    paths: tuple[str, ...],
    store: str,
    test_store: bool,
    api_url: str,
    retry: RetryPolicy,
    dry_run: bool,
    timeout: float,
    verbose: bool,
    values: dict[str, str],
    *,
    rows: str,
    key: str | None,
    ledger: str | None,
    out: str | None,
    concurrency: int,
    rate: str,
    retry_uncertain: bool,
) -> int:
    """`offer send OFFER --rows ROWS`: check every row, then send those not done yet."""
    from ..campaign.ledger import Ledger, LedgerError, check_header, done_hashes, read_ledger
    from ..campaign.ratelimit import RateLimiter, parse_rate
    from ..campaign.runner import Runner, progress_for, write_links
    from .sending import credentials_or_exit, make_client

    if len(paths) != 1:
        raise click.UsageError("--rows sends one offer: give exactly one FILE")
    ledger_path = ledger or str(Path(rows).with_suffix(".ledger.jsonl"))
    refuse_same_file(ledger_path, "--ledger", {"--rows": rows, "offer": paths[0]})
    refuse_same_file(out, "--out", {"--rows": rows, "--ledger": ledger_path, "offer": paths[0]})
    stop = threading.Event()  # Ctrl-C ends the rate limiter's waits too
    try:
        per_minute = parse_rate(rate)
    except ValueError as exc:
        raise click.UsageError(f"--rate: {exc}") from None
    limiter = RateLimiter(per_minute, stop=stop)
    row_set = load_rows(paths[0], rows, key, values)
    if row_set is None:
        click.echo("offer send: the offer is invalid; nothing was sent", err=True)
        return EXIT_INVALID
    report = check_rows(row_set)
    print_report(report)
    if not report.ok:
        click.echo("offer send: fix the rows above; nothing was sent", err=True)
        return EXIT_INVALID

    credentials = credentials_or_exit(dry_run)
    if isinstance(credentials, int):
        return credentials
    retries = _Counter()
    client = make_client(
        store=store,
        test_store=test_store,
        username=credentials[0],
        password=credentials[1],
        api_url=api_url,
        retry=retry,
        read_timeout=timeout,
        before_attempt=limiter,
        on_rate_limited=limiter.on_rate_limited,
        on_retry=retries,
    )
    from .sending import Sender, verbose_log

    with client, verbose_log(verbose):
        if dry_run:
            try:
                header, state = read_ledger(ledger_path)
                check_header(Path(ledger_path), header, row_set.template.path, row_set.key)
            except LedgerError as exc:
                raise click.UsageError(str(exc)) from None
            counts, first = _dry_run_plan(row_set, state, done_hashes(state), retry_uncertain)
            if first is not None:
                Sender("text").dry_run(client, first.result)
            would = counts.pop("send")
            skipped = "".join(f", {n:,} {label}" for label, n in counts.items() if n)
            click.echo(
                f"# {row_set.path}: {report.rows:,} rows checked; {would:,} would be sent "
                f"(at most {rate}, {concurrency} at a time){skipped}; ledger {ledger_path}; "
                "nothing was sent (--dry-run)"
            )
            return EXIT_OK
        try:
            journal = Ledger(ledger_path, row_set.template.path, row_set.key)
        except LedgerError as exc:
            raise click.UsageError(str(exc)) from None
        try:
            runner = Runner(
                row_set,
                client,
                journal,
                concurrency=concurrency,
                retry_uncertain=retry_uncertain,
                progress=lambda total: progress_for(total, per_minute),
                wait_turn=limiter.acquire_ahead,
                stop=stop,
            )
            summary = runner.run()
        finally:
            # Only after every worker finished (run() waits for them, Ctrl-C or not).
            journal.close()
        if out:
            try:
                with open_atomic(out) as fh:
                    written = write_links(fh, row_set, journal.state)
            except OSError as exc:
                raise click.UsageError(f"{out}: {exc.strerror or exc}") from None
            click.echo(f"{out}: {written:,} row{'s' * (written != 1)}", err=True)
    for line in summary.lines():
        click.echo(line, err=True)
    if retries.value:
        click.echo(f"{retries.value:,} attempts retried (rate limits, 5xx, dropped connections)", err=True)
    return _exit_code(summary)


def _dry_run_plan(row_set: RowSet, state: dict, hashes: set[str], retry_uncertain: bool) -> tuple[dict, Any]:
    """What a real run with this ledger would do, by the runner's own decision, and the first
    row it would send."""
    from ..campaign.runner import SEND, SKIP_CHANGED, SKIP_DONE, SKIP_DUPLICATE, SKIP_UNCERTAIN, plan

    labels = {
        SEND: "send",
        SKIP_DONE: "already done",
        SKIP_CHANGED: "done but changed since (kept)",
        SKIP_UNCERTAIN: "uncertain (not sent without --retry-uncertain)",
        SKIP_DUPLICATE: "done under another key",
    }
    counts = dict.fromkeys(labels.values(), 0)
    first = None
    for row, _hash, decision in plan(row_set, Report(row_set.path), state, hashes, retry_uncertain):
        counts[labels[decision]] += 1
        if decision == SEND and first is None:
            first = row
    return counts, first


def _exit_code(summary: Summary) -> int:
    if summary.errors:
        return EXIT_INTERNAL
    if summary.rows_changed:
        return EXIT_INVALID
    if summary.interrupted:
        return EXIT_INTERRUPTED
    if summary.failed or summary.stopped:
        return EXIT_REJECTED
    if summary.network or summary.uncertain:
        return EXIT_NETWORK
    return EXIT_OK


class _Counter:
    """Counts the client's retries from every worker thread."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def __call__(self, *_args: object) -> None:
        with self._lock:
            self.value += 1
