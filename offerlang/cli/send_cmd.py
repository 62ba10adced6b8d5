"""`offer send FILE... --store STORE`: create FastSpring checkout sessions from offers.

Every offer is compiled and checked first; if any is invalid nothing is sent. Each session is
recorded in a receipts file before the next offer is sent, and an identical payload whose
session is still valid is not sent again without --force.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..jsonout import dumps
from . import (
    EXIT_BROKEN_PIPE,
    EXIT_INVALID,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    silence_stdout,
)
from .campaign import campaign_options, set_values
from .common import compile_path, offer_files, print_diagnostics

if TYPE_CHECKING:
    from ..api import CompileResult
    from ..diagnostics import Diagnostic
    from ..send.client import FastSpringClient, RetryPolicy, SendError
    from ..send.receipts import Receipt

# Seconds before the first retry. Only tests change it, so that no test waits for a real backoff.
RETRY_BASE_ENV = "OFFERLANG_RETRY_BASE"


@click.command("send")
@click.argument("paths", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "--store",
    required=True,
    metavar="STORE",
    help="FastSpring store id: the STORE in STORE.onfastspring.com.",
)
@click.option("--test-store", is_flag=True, help="Build checkout links for the store's test mode.")
@click.option(
    "--api-url",
    default="https://api.fastspring.com",
    show_default=True,
    metavar="URL",
    help="Where to POST /sessions (a proxy or a local stand-in). Plain http only for loopback hosts.",
)
@click.option("--dry-run", is_flag=True, help="Print the exact request (credentials redacted); send nothing.")
@click.option(
    "--format",
    "fmt",
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
@click.option("--force", is_flag=True, help="Send even when an identical session is still valid.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.001),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Read timeout of each attempt (connecting has 10 seconds at most).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log each attempt to standard error.")
@campaign_options
def command(
    paths: tuple[str, ...],
    store: str,
    test_store: bool,
    api_url: str,
    dry_run: bool,
    fmt: str,
    receipts_path: str | None,
    force: bool,
    timeout: float,
    verbose: bool,
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
      2  usage error, or missing credentials (nothing is sent)
      3  FastSpring rejected a request (400, 401, 403)
      4  network failure, retries exhausted, or an unreadable answer
      141 standard output was closed (sessions created are in the receipts)

    With --rows, FILE is a campaign: one session per row, recorded in --ledger, resumable.
    """
    from ..send.client import check_api_url, check_store

    try:
        store = check_store(store)
        api_url = check_api_url(api_url)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    retry = retry_policy()
    values = set_values(campaign)
    if campaign["rows"] is not None:
        from .campaign import send_campaign

        return _unless_stdout_closes(
            lambda: send_campaign(
                paths, store, test_store, api_url, retry, dry_run, timeout, verbose, values, **campaign
            )
        )

    results = [compile_path(f, values or None) for f in offer_files(paths)]
    if not results:
        raise click.UsageError(f"no *.offer files under {', '.join(paths)}")
    print_diagnostics([d for r in results for d in r.diagnostics], results)
    if not all(r.ok for r in results):
        bad = sum(not r.ok for r in results)
        click.echo(f"offer send: {bad} invalid offer{'s' * (bad != 1)}; nothing was sent", err=True)
        return EXIT_INVALID

    credentials = credentials_or_exit(dry_run)
    if isinstance(credentials, int):
        return credentials
    username, password = credentials

    sender = Sender(fmt)
    client = make_client(
        store=store,
        test_store=test_store,
        username=username,
        password=password,
        api_url=api_url,
        retry=retry,
        read_timeout=timeout,
        on_retry=lambda info: click.echo(f"{sender.current}: {info}", err=True),
    )

    def run() -> int:
        with client, verbose_log(verbose):
            if dry_run:
                for result in results:
                    sender.dry_run(client, result)
                return EXIT_OK
            return sender.send_all(client, results, receipts_path, force)

    return _unless_stdout_closes(run)


def _unless_stdout_closes(run: Callable[[], int]) -> int:
    """Run the sending part; a closed standard output (`offer send ... | head -0`) stops it.

    Sessions are recorded before they are printed, so none is lost; but the links were not
    shown, which is not a success, so the exit code says so (128 + SIGPIPE, as shells report).
    """
    try:
        return run()
    except BrokenPipeError:
        silence_stdout()
        # If standard error is gone too, the exit code is all that is left to say it.
        with suppress(OSError):
            click.echo(
                "offer send: standard output was closed; stopped sending. Every session created was "
                "recorded before it was printed: see the receipts",
                err=True,
            )
        return EXIT_BROKEN_PIPE


def credentials_or_exit(dry_run: bool) -> tuple[str, str] | int:
    """The API credentials from the environment, or the exit code when they are missing (a dry
    run goes on without them)."""
    from ..send.client import MissingCredentials, credentials_from_env

    try:
        return credentials_from_env()
    except MissingCredentials as exc:
        if not dry_run:
            click.echo(f"offer send: error: {exc}; nothing was sent", err=True)
            return EXIT_USAGE
        click.echo(f"offer send: note: {exc}; a real send would stop here", err=True)
        return "", ""


def retry_policy() -> RetryPolicy:
    from ..send.client import RetryPolicy

    raw = os.environ.get(RETRY_BASE_ENV)
    if raw is None:
        return RetryPolicy()
    try:
        return RetryPolicy(base_delay=float(raw))
    except ValueError:
        raise click.UsageError(f"{RETRY_BASE_ENV}={raw!r} is not a number of seconds") from None


def make_client(*, read_timeout: float, **options: Any) -> FastSpringClient:
    import httpx

    from ..send.client import FastSpringClient

    return FastSpringClient(timeout=httpx.Timeout(read_timeout, connect=min(10.0, read_timeout)), **options)


def local_time(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).astimezone()


class Sender:
    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.current = ""  # the offer being sent, named in retry messages
        self.shown = 0  # dry-run requests printed so far, to separate them with a blank line

    def dry_run(self, client: FastSpringClient, result: CompileResult) -> None:
        method, url, headers, body = client.describe_request(result.payload or {})
        if self.fmt == "json":
            request = {"method": method, "url": url, "headers": headers, "body": result.payload}
            click.echo(dumps({"offer": result.path, "status": "dry-run", "request": request}, None))
            return
        if self.shown:
            click.echo("")
        self.shown += 1
        click.echo(f"# {result.path}: not sent (--dry-run)")
        click.echo(f"{method} {url}")
        for name, value in headers:
            click.echo(f"{name}: {value}")
        click.echo("")
        click.echo(body.decode("utf-8"))

    def send_all(
        self, client: FastSpringClient, results: list[CompileResult], receipts_path: str | None, force: bool
    ) -> int:
        from ..send.client import SendError
        from ..send.receipts import Receipt, Receipts, default_path, offer_name, payload_sha256

        # Every receipts folder is created before the first request, so that one that cannot be
        # written stops the run while nothing has been sent.
        books: dict[Path, Receipts] = {}
        book_of: list[Receipts] = []
        for result in results:
            path = Path(receipts_path) if receipts_path else default_path(result.path)
            if path not in books:
                books[path] = book = Receipts(path)
                try:
                    book.prepare_folder()
                except OSError as exc:
                    raise click.UsageError(
                        f"cannot write receipts to {path}: {exc.strerror or exc}"
                    ) from None
                try:
                    list(book.read())
                except OSError as exc:
                    raise click.UsageError(f"cannot read receipts {path}: {exc.strerror or exc}") from None
            book_of.append(books[path])

        exit_code = EXIT_OK
        warned: set[Path] = set()
        target = {"store": client.store, "test_store": client.test_store, "api_url": client.api_url}
        for index, (result, book) in enumerate(zip(results, book_of, strict=True)):
            self.current = result.path
            payload = result.payload or {}
            sha256 = payload_sha256(payload)
            existing = book.find_valid(sha256, **target)
            if book.path not in warned:
                warned.add(book.path)
                for number in book.unreadable_lines:
                    click.echo(f"{book.path}:{number}: warning: not a receipt; ignored", err=True)
            if existing is not None and not force:
                self.already_sent(result.path, existing)
                continue
            try:
                session = client.create_session(payload)
            except KeyboardInterrupt as interrupt:
                if getattr(interrupt, "may_have_created", True):
                    outcome = "FastSpring may have created a session that is not in the receipts"
                else:
                    outcome = "no request reached FastSpring, so no session was created"
                click.echo(f"{result.path}: interrupted while sending: {outcome}", err=True)
                raise
            except SendError as error:
                self.failed(result, error)
                if error.kind == "rejected":
                    exit_code = max(exit_code, EXIT_REJECTED)
                    continue
                # Bad credentials or an unreachable FastSpring fail every other offer the same way.
                for skipped in results[index + 1 :]:
                    self.skipped(skipped)
                return EXIT_REJECTED if error.kind == "auth" else EXIT_NETWORK
            receipt = Receipt.new(
                offer_name(result.path),
                sha256,
                **target,
                session_id=session.id,
                url=session.url,
                expires_ms=session.expires_ms,
            )
            # Recorded before it is printed: output that cannot be written (a closed pipe) must
            # not cost the only record of a session that exists.
            try:
                book.append(receipt)
            except OSError as exc:
                click.echo(
                    f"{book.path}: warning: the session below was created but could not be recorded "
                    f"({exc.strerror or exc}); keep its link",
                    err=True,
                )
            self.created(result.path, receipt)
        return exit_code

    def created(self, offer: str, receipt: Receipt) -> None:
        self._session(offer, receipt, "created", f"{offer}: session created")

    def already_sent(self, offer: str, receipt: Receipt) -> None:
        sent = datetime.fromisoformat(receipt.created).astimezone()
        headline = f"{offer}: already sent on {sent:%Y-%m-%d %H:%M:%S %Z}; that session is still valid"
        self._session(offer, receipt, "already-sent", headline)
        click.echo(f"{offer}: note: not sent again; use --force to create another session", err=True)

    def _session(self, offer: str, receipt: Receipt, status: str, headline: str) -> None:
        from ..send.client import popup_snippet

        expires = local_time(receipt.expires_ms)
        popup = popup_snippet(receipt.id)
        if self.fmt == "json":
            record = {
                "offer": offer,
                "status": status,
                "id": receipt.id,
                "url": receipt.url,
                "popup": popup,
                "expires": expires.isoformat(timespec="seconds"),
                "expires_ms": receipt.expires_ms,
            }
            click.echo(dumps(record, None))
            return
        click.echo(headline)
        click.echo(f"  id       {receipt.id}")
        click.echo(f"  expires  {expires:%Y-%m-%d %H:%M:%S %Z}")
        click.echo(f"  url      {receipt.url}")
        click.echo(f"  popup    {popup}")

    def failed(self, result: CompileResult, error: SendError) -> None:
        located = item_exists_diagnostic(result, error)
        if located is not None:
            print_diagnostics([located], [result])
        else:
            lead = {
                "rejected": f"FastSpring rejected the session (HTTP {error.status})",
                "auth": f"FastSpring refused the credentials (HTTP {error.status})",
                "network": "not sent",
            }[error.kind]
            click.echo(f"{result.path}: error: {lead}: {error.message}", err=True)
            if error.params:
                click.echo(f"  params: {dumps(list(error.params), None)}", err=True)
            if error.hint:
                click.echo(f"  help: {error.hint}", err=True)
        if self.fmt == "json":
            failure = {
                "kind": error.kind,
                "status": error.status,
                "message": error.message,
                "params": list(error.params),
                "hint": error.hint,
            }
            click.echo(dumps({"offer": result.path, "status": "failed", "error": failure}, None))

    def skipped(self, result: CompileResult) -> None:
        click.echo(f"{result.path}: not sent (stopped after the error above)", err=True)
        if self.fmt == "json":
            click.echo(dumps({"offer": result.path, "status": "skipped"}, None))


def item_exists_diagnostic(result: CompileResult, error: SendError) -> Diagnostic | None:
    """FastSpring's 400 "Item exists." pointed at the item it most likely means.

    The compiler already refuses a product listed twice (E208), so FastSpring is speaking of a
    product and one of its variations, or two variations: it names the product in `params`
    when it names it at all; otherwise variations are usually named after their product
    (`falcon`, `falcon-monthly`), and failing that every item is a suspect.
    """
    from ..diagnostics import error as make_error

    if error.kind != "rejected" or error.message.strip().rstrip(".").lower() != "item exists":
        return None
    payload = result.payload or {}
    products = [item.get("product", "") for item in payload.get("items", [])]
    if not products:
        return None

    def span(i: int):
        return result.pointers.get(f"/items/{i}/product")

    def line(i: int) -> str:
        s = span(i)
        return str(s.line) if s is not None else "?"

    lead = 'FastSpring refused the session ("Item exists."):'
    rule = "a session may hold a product or one of its variations, once"
    named = {str(p) for p in error.params}
    for i in reversed(range(len(products))):
        if products[i] in named:
            message = f"{lead} `{products[i]}` is the repeated item"
            return _at(make_error("E208", message, span(i), rule), result)
    for i, later in enumerate(products):
        for j, earlier in enumerate(products[:i]):
            if later.startswith(earlier + "-") or earlier.startswith(later + "-"):
                message = f"{lead} `{later}` looks like a variation of `{earlier}` (line {line(j)})"
                return _at(make_error("E208", message, span(i), f"{rule}: keep one of them"), result)
    lines = ", ".join(line(i) for i in range(len(products)))
    message = f"{lead} two of these items are the same product or variations of one product"
    return _at(make_error("E208", message, span(0), f"{rule}: check the items on lines {lines}"), result)


def _at(diagnostic: Diagnostic, result: CompileResult) -> Diagnostic:
    from dataclasses import replace

    return replace(diagnostic, path=result.path)


@contextmanager
def verbose_log(enabled: bool) -> Iterator[None]:
    """With --verbose, the client's log lines go to standard error for the length of the command."""
    if not enabled:
        yield
        return
    logger = logging.getLogger("offerlang.send")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("offer send: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
