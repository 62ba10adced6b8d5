"""The command line of campaigns (`offer compile --rows`, `offer send --rows`): their options,
loading a template and its rows, and printing what offerlang.campaign.flow did."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from offerlang import interrupts
from offerlang.campaign.flow import check_rows, write_checked_payloads, write_payloads
from offerlang.campaign.rows import RowProblems, RowsError, RowSet, parse_set
from offerlang.cli import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    EXIT_WARNED,
)
from offerlang.cli.common import open_atomic, print_diagnostics, read_source
from offerlang.compiler.pipeline import CompileResult, Template, compile_template
from offerlang.text import plural

if TYPE_CHECKING:
    from offerlang.campaign.runner import Summary
    from offerlang.cli.sending import SendOptions
    from offerlang.store.context import Stores

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


def campaign_options(command: Callable[..., Any]) -> Callable[..., Any]:
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


def load_rows(
    file: str,
    rows: str,
    key: str | None,
    values: dict[str, str],
    target: str = "v1",
    stores: Stores | None = None,
) -> RowSet | None:
    """The template, checked once for `target`, and its rows file opened. None (after printing
    why) when the template is invalid; a rows file that cannot be used at all is a usage error.
    `stores`: every row is also checked against the offer's catalog and policy."""
    from offerlang.cli.storeopts import problem_results

    src = read_source(file)
    template: Template | None = None
    diags = src.diagnostics
    if src.text is not None:
        checks = stores.for_path(src.path) if stores is not None else None
        template, diags = compile_template(src.text, src.path, target, checks=checks)
    setup = problem_results(stores) if stores is not None else []
    shown = [*setup, CompileResult(src.path, src.text, None, diags)]
    print_diagnostics([d for r in shown for d in r.diagnostics], shown)
    if template is None or any(r.errors for r in setup):
        return None
    try:
        return RowSet(rows, template, key, values)
    except RowsError as exc:
        raise click.UsageError(str(exc)) from None


def print_problems(problems: RowProblems) -> None:
    for line in problems.lines():
        click.echo(line, err=True)
    if not problems.ok:
        click.echo(problems.summary(), err=True)


def compile_rows(
    file: str,
    rows: str,
    key: str | None,
    values: dict[str, str],
    out: str | None,
    target: str = "v1",
    stores: Stores | None = None,
) -> int:
    refuse_same_file(out, "-o", {"--rows": rows, "offer": file})
    row_set = load_rows(file, rows, key, values, target, stores)
    if row_set is None:
        return EXIT_INVALID
    if out is None:
        problems = write_checked_payloads(row_set, sys.stdout)
        print_problems(problems)
        return EXIT_OK if problems.ok else EXIT_INVALID
    problems = RowProblems(row_set.path)
    try:
        with open_atomic(out) as fh:
            problems = write_payloads(row_set, fh)
            if not problems.ok:
                raise _RowsInvalid
    except _RowsInvalid:
        pass
    except OSError as exc:
        raise click.UsageError(f"{out}: {exc.strerror or exc}") from None
    print_problems(problems)
    if problems.ok:
        click.echo(f"{out}: {plural(problems.rows, 'payload', grouped=True)}", err=True)
    return EXIT_OK if problems.ok else EXIT_INVALID


@dataclass(frozen=True)
class CampaignOptions:
    """The campaign options of `offer send` (see campaign_options), for a run with --rows."""

    rows: str
    key: str | None
    ledger: str | None
    out: str | None
    concurrency: int
    rate: str
    retry_uncertain: bool

    @staticmethod
    def given(options: dict[str, Any]) -> CampaignOptions | None:
        """From the command's keyword arguments (after set_values); None without --rows."""
        if options["rows"] is None:
            return None
        return CampaignOptions(
            rows=options["rows"],
            key=options["key"],
            ledger=options["ledger"],
            out=options["out"],
            concurrency=options["concurrency"],
            rate=options["rate"],
            retry_uncertain=options["retry_uncertain"],
        )


def send_campaign(
    paths: tuple[str, ...],
    send: SendOptions,
    values: dict[str, str],
    options: CampaignOptions,
    stores: Stores | None = None,
) -> int:
    """`offer send OFFER --rows ROWS`: check every row, then send those not done yet (for
    Sessions v2, in the checkout `send` names)."""
    from offerlang.campaign.flow import Campaign
    from offerlang.campaign.ledger import LedgerError
    from offerlang.campaign.ratelimit import parse_rate
    from offerlang.campaign.runner import progress_for
    from offerlang.cli.sending import Sender, credentials_or_exit, make_client, verbose_log

    rows, out = options.rows, options.out
    if len(paths) != 1:
        raise click.UsageError("--rows sends one offer: give exactly one FILE")
    ledger_path = options.ledger or str(Path(rows).with_suffix(".ledger.jsonl"))
    refuse_same_file(ledger_path, "--ledger", {"--rows": rows, "offer": paths[0]})
    refuse_same_file(out, "--out", {"--rows": rows, "--ledger": ledger_path, "offer": paths[0]})
    refuse_unwritable(out, "--out")
    try:
        per_minute = parse_rate(options.rate)
    except ValueError as exc:
        raise click.UsageError(f"--rate: {exc}") from None
    row_set = load_rows(paths[0], rows, options.key, values, send.target, stores)
    if row_set is None:
        click.echo("offer send: the offer is invalid; nothing was sent", err=True)
        return EXIT_INVALID
    problems = check_rows(row_set)
    print_problems(problems)
    if not problems.ok:
        click.echo("offer send: fix the rows above; nothing was sent", err=True)
        return EXIT_INVALID

    credentials = credentials_or_exit(send.dry_run)
    if isinstance(credentials, int):
        return credentials
    campaign = Campaign(row_set, ledger_path, per_minute, options.concurrency, options.retry_uncertain)
    hooks = campaign.client_hooks()
    client = make_client(
        send,
        credentials,
        before_attempt=hooks.before_attempt,
        on_retry=hooks.on_retry,
        on_rate_limited=hooks.on_rate_limited,
    )
    with client, verbose_log(send.verbose):
        if send.dry_run:
            try:
                dry = campaign.dry_run(warn=lambda line: click.echo(line, err=True))
            except LedgerError as exc:
                raise click.UsageError(str(exc)) from None
            if dry.first is not None:
                Sender("text").dry_run(client, dry.first.result)
            counts = dict(dry.counts)
            would = counts.pop("send")
            skipped = "".join(f", {n:,} {label}" for label, n in counts.items() if n)
            click.echo(
                f"# {row_set.path}: {problems.rows:,} rows checked; {would:,} would be sent "
                f"(at most {options.rate}, {options.concurrency} at a time){skipped}; ledger {ledger_path}; "
                "nothing was sent (--dry-run)"
            )
            return EXIT_OK
        try:
            summary = campaign.run(
                client,
                progress=lambda total: progress_for(total, per_minute),
                warn=lambda line: click.echo(line, err=True),
            )
        except LedgerError as exc:
            raise click.UsageError(str(exc)) from None
        # The report is written whatever arrives now: a second Ctrl-C or SIGTERM waits for it.
        with interrupts.deferred():
            out_written = out is None or _write_links(
                out, row_set, campaign.state, warnings=send.target == "v2"
            )
            for line in summary.lines():
                click.echo(line, err=True)
            if campaign.retries.value:
                retried = campaign.retries.value
                click.echo(f"{retried:,} attempts retried (rate limits, 5xx, dropped connections)", err=True)
    code = _exit_code(summary)
    return EXIT_USAGE if code == EXIT_OK and not out_written else code


def refuse_unwritable(out: str | None, option: str) -> None:
    """An output that will be refused at the end (a link, read-only) is refused before any work."""
    from offerlang.files import check_replaceable

    if out is None or out == "-":
        return
    try:
        check_replaceable(out)
    except OSError as exc:
        raise click.UsageError(f"{option} {out}: {exc.strerror or exc}") from None


def _write_links(out: str, row_set: RowSet, state: dict, warnings: bool) -> bool:
    """links.csv, or a message saying why it could not be written (the ledger has every outcome)."""
    from offerlang.campaign.runner import write_links

    try:
        with open_atomic(out) as fh:
            written = write_links(fh, row_set, state, warnings=warnings)
    except (OSError, RowsError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        click.echo(
            f"offer send: {out} could not be written ({reason}); every outcome is in the ledger: "
            "run the same command again to write it",
            err=True,
        )
        return False
    click.echo(f"{out}: {plural(written, 'row', grouped=True)}", err=True)
    return True


def _exit_code(summary: Summary) -> int:
    if summary.errors:
        return EXIT_INTERNAL
    if summary.unclosed:
        return EXIT_USAGE  # the machine's problem (a full disk), like an --out that cannot be written
    if summary.rows_changed:
        return EXIT_INVALID
    if summary.interrupted:
        return EXIT_TERMINATED if summary.terminated else EXIT_INTERRUPTED
    if summary.failed or summary.stopped:
        return EXIT_REJECTED
    if summary.network or summary.uncertain:
        return EXIT_NETWORK
    if summary.warned:
        return EXIT_WARNED
    return EXIT_OK
