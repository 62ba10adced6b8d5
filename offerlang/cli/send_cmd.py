"""`offer send FILE... --store STORE`: create FastSpring checkout sessions from offers.

Every offer is compiled and checked first; if any is invalid nothing is sent. Each session is
recorded in a receipts file before the next offer is sent, and an identical payload whose
session is still valid is not sent again without --force.
"""

from __future__ import annotations

from typing import Any

import click

from offerlang.cli import EXIT_INVALID, EXIT_NETWORK, EXIT_OK, EXIT_REJECTED, EXIT_WARNED
from offerlang.cli.campaign import CampaignOptions, campaign_options, set_values
from offerlang.cli.common import compile_path, offer_files, print_diagnostics
from offerlang.cli.sending import (
    Sender,
    SendOptions,
    api_url_option,
    credentials_or_exit,
    make_client,
    retry_policy,
    timeout_option,
    unless_stdout_closes,
    verbose_log,
)
from offerlang.cli.storeopts import make_stores, problem_results, store_options
from offerlang.cli.targeting import checkout_option, resolve_checkout, resolve_target, target_option
from offerlang.text import plural

# What each way a batch ends means to a shell.
EXIT_CODES = {
    "ok": EXIT_OK,
    "rejected": EXIT_REJECTED,
    "auth": EXIT_REJECTED,
    "uncertain": EXIT_NETWORK,
    "network": EXIT_NETWORK,
}


@click.command("send")
@click.argument("paths", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "--store",
    metavar="STORE",
    help="FastSpring store id: the STORE in STORE.onfastspring.com (for v2, --checkout names it).",
)
@click.option("--test-store", is_flag=True, help="Build checkout links for the store's test mode.")
@api_url_option("Where to POST /sessions")
@click.option("--dry-run", is_flag=True, help="Print the exact request (credentials redacted); send nothing.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json prints one object per offer on its own line.",
)
@click.option(
    "--receipts",
    "receipts_path",
    metavar="PATH",
    help="Receipts file (JSON Lines). Default: .offer/receipts.jsonl beside each offer.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Send even when an identical session is still valid, or the last attempt has no known outcome.",
)
@timeout_option
@click.option("-v", "--verbose", is_flag=True, help="Log each attempt to standard error.")
@target_option
@checkout_option
@campaign_options
@store_options
def command(
    paths: tuple[str, ...],
    store: str | None,
    test_store: bool,
    api_url: str,
    dry_run: bool,
    output_format: str,
    receipts_path: str | None,
    force: bool,
    timeout: float,
    verbose: bool,
    target_flag: str | None,
    checkout_flag: str | None,
    catalog: str | None,
    isolated: bool,
    **campaign: Any,
) -> int:
    """Create a FastSpring checkout session for each FILE and print its links.

    Credentials come from FASTSPRING_API_USERNAME and FASTSPRING_API_PASSWORD. Requests are
    retried on 429, 404 (FastSpring's rate-limit answer), 5xx, timeouts and dropped
    connections; never on 400, 401 or 403.

    \b
    Exit codes:
      0  every offer sent, or already sent and still valid
      1  an offer is invalid (nothing is sent)
      2  usage error, or missing credentials (nothing is sent); with --rows also: --out
         could not be written, or the ledger closed, at the end (every outcome is in the ledger)
      3  FastSpring rejected a request (400, 401, 403)
      4  network failure, retries exhausted, an unreadable answer, or an
         earlier attempt without a known outcome (not sent without --force)
      5  sent (or sent before), but FastSpring warned about a session or priced it otherwise
         than the offer (--target v2: e.g. a coupon it did not apply)
      130 interrupted (Ctrl-C); 143 terminated (SIGTERM): the request in flight finishes
          and is recorded, then offerlang stops
      141 standard output was closed (sessions created are in the receipts)

    With --target v2 (FastSpring's current Sessions API), sessions are created in the checkout
    --checkout STORE/TYPE-NAME names, e.g. acme/web-main.

    With --rows, FILE is a campaign: one session per row, recorded in --ledger, resumable.
    A project config or --catalog adds the store's catalog and policy checks: an offer they
    find invalid is not sent either.
    """
    from offerlang.interrupts import sigterm_as_interrupt
    from offerlang.send.batch import ReceiptsUnusable, Stopper, close_books, open_books, send_batch
    from offerlang.send.client import check_api_url, check_store

    target = resolve_target(target_flag, paths, isolated=isolated)
    checkout = None
    if target == "v2":
        checkout = resolve_checkout(checkout_flag, paths, isolated=isolated)
        if checkout is None:
            raise click.UsageError(
                "--target v2 sends to a checkout: give --checkout STORE/TYPE-NAME (e.g. acme/web-main), "
                "or `checkout` in the repository config"
            )
        if store is not None and check_store(store) != checkout.store:
            raise click.UsageError(f"--store {store} is not the store of --checkout {checkout}")
        if test_store:
            raise click.UsageError(
                "--test-store is for Sessions v1: with --target v2 the link comes from FastSpring "
                "(a checkout in test mode gives a .test. link)"
            )
        store = checkout.store
    elif checkout_flag is not None:
        raise click.UsageError("--checkout is for --target v2 (Sessions v1 has no checkouts)")
    if store is None:
        raise click.UsageError("Missing option '--store'.")
    try:
        store = check_store(store)
        api_url = check_api_url(api_url)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    send = SendOptions(
        store, test_store, api_url, retry_policy(), timeout, dry_run, verbose, target, checkout
    )
    values = set_values(campaign)
    rows = CampaignOptions.given(campaign)
    stores = make_stores(catalog, isolated)
    if rows is not None:
        from offerlang.cli.campaign import send_campaign

        with sigterm_as_interrupt():
            return unless_stdout_closes(lambda: send_campaign(paths, send, values, rows, stores), dry_run)

    results = [compile_path(f, values or None, target=target, stores=stores) for f in offer_files(paths)]
    if not results:
        raise click.UsageError(f"no *.offer files under {', '.join(paths)}")
    setup = problem_results(stores)
    print_diagnostics([d for r in [*setup, *results] for d in r.diagnostics], [*setup, *results])
    if any(r.errors for r in setup):
        click.echo("offer send: the project config or catalog is invalid; nothing was sent", err=True)
        return EXIT_INVALID
    if not all(r.ok for r in results):
        bad = sum(not r.ok for r in results)
        click.echo(f"offer send: {plural(bad, 'invalid offer')}; nothing was sent", err=True)
        return EXIT_INVALID

    credentials = credentials_or_exit(dry_run)
    if isinstance(credentials, int):
        return credentials

    sender = Sender(output_format)
    stopper = Stopper()  # Ctrl-C or SIGTERM: the request in flight finishes, no retry starts
    client = make_client(
        send,
        credentials,
        before_attempt=stopper.before_attempt,
        on_retry=lambda info: click.echo(f"{sender.current}: {info}", err=True),
    )

    def run() -> int:
        with client, verbose_log(verbose):
            if dry_run:
                for result in results:
                    sender.dry_run(client, result)
                return EXIT_OK
            try:
                books = open_books(results, receipts_path)
            except ReceiptsUnusable as exc:
                raise click.UsageError(str(exc)) from None
            try:
                outcome = send_batch(client, results, books, force, sender, stopper)
            except ReceiptsUnusable as exc:
                raise click.UsageError(str(exc)) from None
            finally:
                close_books(books)
            if outcome == "ok" and sender.warned:
                count = sender.warned
                them = "it before handing out its link" if count == 1 else "them before handing out the links"
                earlier = f"; {sender.warned_before} sent in an earlier run" if sender.warned_before else ""
                click.echo(
                    f"offer send: {count} session{'s' * (count != 1)} created with warnings (see above"
                    f"{earlier}): check {them}",
                    err=True,
                )
                return EXIT_WARNED
            return EXIT_CODES[outcome]

    with sigterm_as_interrupt():
        return unless_stdout_closes(run, dry_run)
