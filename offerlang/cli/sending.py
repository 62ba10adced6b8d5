"""What `offer send` and `offer send --rows` share on the terminal: credentials and client from
the command line, the sessions and failures printed, and a closed standard output; and what
`offer catalog pull` shares with them: the options that say how to reach FastSpring, the
client's timeouts and retries, and --verbose's log."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from offerlang.cli import EXIT_BROKEN_PIPE, EXIT_OK, EXIT_USAGE, silence_stdout
from offerlang.cli.common import print_diagnostics
from offerlang.jsonout import dumps
from offerlang.text import and_more, visible

if TYPE_CHECKING:
    from offerlang.compiler.pipeline import CompileResult
    from offerlang.compiler.targets import Checkout
    from offerlang.send.client import FastSpringClient, RetryInfo, RetryPolicy, SendError
    from offerlang.send.journal import Damage
    from offerlang.send.receipts import Receipt, Unresolved

# Seconds before the first retry, for the tests only (so that none waits for a real backoff):
# the leading underscore marks it private, and it is deliberately not documented.
RETRY_BASE_ENV = "_OFFERLANG_TEST_RETRY_BASE"
# offerlang.send.client.DEFAULT_API_URL, spelt out: importing the client (ssl, ipaddress) only
# to show `--help` would slow every command that has the option.
DEFAULT_API_URL = "https://api.fastspring.com"


def api_url_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--api-url, for a command that talks to FastSpring; WHAT says what is done at the URL."""
    return click.option(
        "--api-url",
        default=DEFAULT_API_URL,
        show_default=True,
        metavar="URL",
        help=f"{what} (a proxy or a local stand-in). Plain http only for loopback hosts.",
    )


timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0.001),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds each attempt may take, from connecting to the answer's last byte (connecting has "
    "10 seconds at most).",
)


def attempt_timeouts(seconds: float) -> dict[str, Any]:
    """The client's timeouts for --timeout SECONDS: the whole of each attempt (connecting, sending,
    the answer's last byte) within SECONDS, connecting within 10 seconds at most."""
    import httpx

    return {"timeout": httpx.Timeout(seconds, connect=min(10.0, seconds)), "attempt_timeout": seconds}


# Lines of FastSpring's price preview printed after a v2 send; the rest are counted.
PRICE_LINES_SHOWN = 50


def unless_stdout_closes(run: Callable[[], int], dry_run: bool = False) -> int:
    """Run the sending part; a closed standard output (`offer send ... | head -0`) stops it.

    Sessions are recorded before they are printed, so none is lost; but the links were not
    shown, which is not a success, so the exit code says so (128 + SIGPIPE, as shells report).
    A dry run sends nothing: it ends quietly, like every command that only prints.
    """
    try:
        return run()
    except BrokenPipeError:
        silence_stdout()
        if dry_run:
            return EXIT_OK
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
    from offerlang.send.client import MissingCredentials, credentials_from_env

    try:
        return credentials_from_env()
    except MissingCredentials as exc:
        if not dry_run:
            click.echo(f"offer send: error: {exc}; nothing was sent", err=True)
            return EXIT_USAGE
        click.echo(f"offer send: note: {exc}; a real send would stop here", err=True)
        return "", ""


def retry_policy() -> RetryPolicy:
    from offerlang.send.client import RetryPolicy

    raw = os.environ.get(RETRY_BASE_ENV)
    if raw is None:
        return RetryPolicy()
    try:
        return RetryPolicy(base_delay=float(raw))
    except ValueError:
        raise click.UsageError(f"{RETRY_BASE_ENV}={raw!r} is not a number of seconds") from None


@dataclass(frozen=True)
class SendOptions:
    """What `offer send` was told about where and how to send (checked), for one offer or a
    campaign alike."""

    store: str
    test_store: bool
    api_url: str
    retry: RetryPolicy
    timeout: float  # the read timeout of each attempt, in seconds
    dry_run: bool
    verbose: bool
    target: str = "v1"
    checkout: Checkout | None = None  # Sessions v2: the checkout sessions are created in


def make_client(
    options: SendOptions,
    credentials: tuple[str, str],
    *,
    before_attempt: Callable[[], None] | None = None,
    on_retry: Callable[[RetryInfo], None] | None = None,
    on_rate_limited: Callable[[float], None] | None = None,
) -> FastSpringClient:
    """The Sessions v1 client, or with a checkout (Sessions v2) the v2 one."""
    from offerlang.send.client import FastSpringClient

    username, password = credentials
    common: dict[str, Any] = {
        "test_store": options.test_store,
        "username": username,
        "password": password,
        "api_url": options.api_url,
        "retry": options.retry,
        **attempt_timeouts(options.timeout),
        "before_attempt": before_attempt,
        "on_retry": on_retry,
        "on_rate_limited": on_rate_limited,
    }
    try:
        if options.checkout is not None:
            from offerlang.send.v2 import SessionsV2Client

            return SessionsV2Client(checkout=options.checkout, **common)
        return FastSpringClient(store=options.store, **common)
    except ValueError as exc:  # a proxy from the environment that cannot be used, say
        raise click.UsageError(str(exc)) from None


def local_time(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).astimezone()


class Sender:
    """Prints a dry run's requests, and what send.batch.send_batch reports (its BatchEvents):
    sessions on standard output, warnings and errors on standard error; as text or JSON lines."""

    def __init__(self, output_format: str) -> None:
        self.output_format = output_format  # "text" or "json"
        self.current = ""  # the offer being sent, named in retry messages
        self.shown = 0  # dry-run requests printed so far, to separate them with a blank line
        self.warned = 0  # Sessions v2: sessions with warnings (their own exit code)
        self.warned_before = 0  # of those, sessions sent in an earlier run (the duplicate guard's)

    def dry_run(self, client: FastSpringClient, result: CompileResult) -> None:
        method, url, headers, body = client.describe_request(result.payload or {})
        if self.output_format == "json":
            request = {"method": method, "url": url, "headers": headers, "body": result.payload}
            click.echo(dumps({"offer": result.path, "status": "dry-run", "request": request}, None))
            return
        if self.shown:
            click.echo("")
        self.shown += 1
        click.echo(f"# {visible(result.path)}: not sent (--dry-run)")
        click.echo(f"{method} {url}")
        for name, value in headers:
            click.echo(f"{name}: {value}")
        click.echo("")
        click.echo(body.decode("utf-8"))

    # The events of send.batch.send_batch, printed.
    def begin(self, result: CompileResult) -> None:
        self.current = result.path

    def damaged_receipt(self, path: Path, damage: Damage) -> None:
        click.echo(
            f"{visible(str(path))}:{damage.line}: warning: not a receipt ({damage.reason}); ignored", err=True
        )

    def unresolved(self, result: CompileResult, attempt: Unresolved) -> None:
        from offerlang.send.receipts import INTERRUPTED, UNANSWERED, UNREADABLE

        started = datetime.fromisoformat(attempt.at).astimezone()
        when = f"{started:%Y-%m-%d %H:%M:%S %Z}" + (f" by process {attempt.pid}" if attempt.pid else "")

        why = {
            UNREADABLE: "got an answer that may hide a session (see the error it printed)",
            INTERRUPTED: "was interrupted (Ctrl-C or SIGTERM) after an attempt that got no answer, and "
            "may have created a session",
            UNANSWERED: "got no answer it could read (a timeout, a lost connection) and may have created "
            "a session",
        }.get(
            attempt.outcome,
            "has no recorded outcome: it may still be in flight in another run, or was cut off and may "
            "have created a session",
        )
        click.echo(
            f"{visible(result.path)}: not sent: the last attempt at this very request (started {when}) "
            f"{why}; check the store, then use --force to send it anyway",
            err=True,
        )
        if self.output_format == "json":
            click.echo(dumps({"offer": result.path, "status": "uncertain", "started": attempt.at}, None))

    def finishing(self, result: CompileResult) -> None:
        click.echo(f"{visible(result.path)}: finishing the request in flight, then stopping…", err=True)

    def interrupted(self, result: CompileResult, may_have_created: bool) -> None:
        if may_have_created:
            outcome = (
                "an attempt got no answer, so FastSpring may have created a session; the attempt is "
                "recorded as uncertain in the receipts and is not sent again without --force (check the "
                "store first)"
            )
        else:
            outcome = "no session was created (FastSpring was not reached, or answered that it created none)"
        click.echo(f"{visible(result.path)}: interrupted while sending: {outcome}", err=True)

    def not_recorded(self, path: Path, error: OSError) -> None:
        click.echo(
            f"{visible(str(path))}: warning: the session below was created but could not be recorded "
            f"({error.strerror or error}); keep its link",
            err=True,
        )

    def created(self, result: CompileResult, receipt: Receipt) -> None:
        self._session(result.path, receipt, "created", f"{visible(result.path)}: session created", result)

    def already_sent(self, result: CompileResult, receipt: Receipt) -> None:
        offer = result.path
        sent = datetime.fromisoformat(receipt.created).astimezone()
        headline = (
            f"{visible(offer)}: already sent on {sent:%Y-%m-%d %H:%M:%S %Z}; that session is still valid"
        )
        # A v2 session keeps what FastSpring said of it: shown again, with its exit code, since
        # the link handed out now is the same one it warned about.
        self._session(offer, receipt, "already-sent", headline, result)
        click.echo(f"{visible(offer)}: note: not sent again; use --force to create another session", err=True)

    def _session(
        self, offer: str, receipt: Receipt, status: str, headline: str, result: CompileResult | None = None
    ) -> None:
        from offerlang.send.client import popup_snippet

        expires = local_time(receipt.expires_ms)
        popup = popup_snippet(receipt.id)
        answer = _AnswerV2.of(result, receipt)
        if answer is not None and (answer.warnings or answer.mismatches):
            self.warned += 1
            self.warned_before += status == "already-sent"
        if self.output_format == "json":
            record = {
                "offer": offer,
                "status": status,
                "id": receipt.id,
                "url": receipt.url,
                "popup": popup,
                "expires": expires.isoformat(timespec="seconds"),
                "expires_ms": receipt.expires_ms,
            }
            if answer is not None:
                record |= answer.as_json()
            click.echo(dumps(record, None))
            if answer is not None:
                answer.print_diagnostics()
            return
        click.echo(headline)
        click.echo(f"  id       {receipt.id}")
        click.echo(f"  expires  {expires:%Y-%m-%d %H:%M:%S %Z}")
        click.echo(f"  url      {receipt.url}")
        click.echo(f"  popup    {popup}")
        if answer is not None:
            answer.print_prices()
            answer.print_diagnostics()

    def failed(self, result: CompileResult, error: SendError) -> None:
        from offerlang.send.client import ErrorKind
        from offerlang.send.rejections import item_exists_diagnostic

        located = item_exists_diagnostic(result, error)
        if located is not None:
            print_diagnostics([located], [result])
        else:
            lead = {
                ErrorKind.REJECTED: f"FastSpring rejected the session (HTTP {error.status})",
                ErrorKind.AUTH: f"FastSpring refused the credentials (HTTP {error.status})",
            }.get(error.kind, "not sent")
            click.echo(f"{visible(result.path)}: error: {lead}: {error.message}", err=True)
            if error.params:
                click.echo(f"  params: {dumps(list(error.params), None)}", err=True)
            if error.hint:
                click.echo(f"  help: {error.hint}", err=True)
        if self.output_format == "json":
            failure = {
                "kind": error.kind.value,
                "status": error.status,
                "message": error.message,
                "params": list(error.params),
                "hint": error.hint,
            }
            click.echo(dumps({"offer": result.path, "status": "failed", "error": failure}, None))

    def skipped(self, result: CompileResult) -> None:
        click.echo(f"{visible(result.path)}: not sent (stopped after the error above)", err=True)
        if self.output_format == "json":
            click.echo(dumps({"offer": result.path, "status": "skipped"}, None))


class _AnswerV2:
    """What a Sessions v2 answer adds to a created session: FastSpring's warnings (W510, at the
    statement the warning's field came from), its computed prices, and where they differ from
    the offer's own timeline (W511)."""

    def __init__(self, result: CompileResult, receipt: Receipt, answer: dict[str, Any]) -> None:
        from offerlang.review.answer import compare, preview
        from offerlang.send.v2 import warnings_of

        self.result = result
        self.warnings = warnings_of(receipt)
        self.preview = preview(answer)
        self.mismatches = compare(result.payload or {}, answer)

    @staticmethod
    def of(result: CompileResult | None, receipt: Receipt) -> _AnswerV2 | None:
        from offerlang.send.v2 import answer_of

        answer = answer_of(receipt)
        if result is None or answer is None:
            return None
        return _AnswerV2(result, receipt, answer)

    def as_json(self) -> dict[str, Any]:
        return {
            "warnings": self.warnings,
            "prices": self.preview.raw if self.preview is not None else None,
            "priceMismatches": [
                {
                    "product": m.product,
                    "currency": m.currency,
                    "offer": m.ours,
                    "fastspring": m.theirs,
                    "fastspringDisplay": m.shown,
                }
                for m in self.mismatches
            ],
        }

    def print_prices(self) -> None:
        p = self.preview
        if p is None:
            return
        tax = {True: "tax included", False: "tax not included", None: "tax not stated"}[p.tax_included]
        currency = f" in {p.currency}" if p.currency else ""
        totals = ", ".join(f"{words} {amount}" for words, amount in p.totals)
        click.echo(f"  prices   FastSpring's preview{currency} ({tax}){': ' + totals if totals else ''}")
        # The answer's lines, as many as a reader takes in (FastSpring's answer is the server's
        # to size: --format json has every one).
        lines = p.lines[:PRICE_LINES_SHOWN]
        width = max((len(product) for product, _ in lines), default=0)
        for product, shown in lines:
            click.echo(
                f"    {product:<{width}}  " + ", ".join(f"{words} {amount}" for words, amount in shown)
            )
        if len(p.lines) > len(lines):
            click.echo(f"    … {and_more(len(p.lines) - len(lines), 'line')}")

    def print_diagnostics(self) -> None:
        from offerlang.compiler.diagnostics import warning
        from offerlang.language import V2_ANSWER_GAPS, V2_WARNING_CODES

        diags = []
        for w in self.warnings:
            code, where = str(w.get("code")), w.get("field")
            span = self._span(_pointer_of(where))
            if code in V2_ANSWER_GAPS and code != "OFFERLANG_UNREADABLE_WARNING":
                # Not FastSpring's warning: what offerlang assumed for what its answer lacked.
                message = f"FastSpring created the session, but: {w.get('message')}"
                diags.append(warning("W512", message, None, V2_ANSWER_GAPS[code]).at(self.result.path))
                continue
            if code == "OFFERLANG_UNREADABLE_WARNING":
                message = (
                    f"FastSpring created the session but {str(w.get('message')).removeprefix('FastSpring ')}"
                )
                hint = V2_ANSWER_GAPS[code]
            else:
                said = f"FastSpring created the session but warned {code}"
                message = f"{said}: {w.get('message')}" if w.get("message") else said
                hint = V2_WARNING_CODES.get(
                    code, "check the session in the FastSpring app before sending its link"
                )
            diags.append(warning("W510", message, span, hint).at(self.result.path))
        for m in self.mismatches:
            hint = "check the catalog and the offer: the buyer sees FastSpring's price"
            diags.append(warning("W511", m.message, self._span(m.pointer), hint).at(self.result.path))
        print_diagnostics(diags, [self.result])

    def _span(self, pointer: str | None):
        pointers = self.result.pointers
        while pointer:
            if pointer in pointers:
                return pointers[pointer]
            pointer = pointer.rsplit("/", 1)[0]
        return None


def _pointer_of(field: Any) -> str | None:
    """A v2 warning's `field` (`cart.couponCode`, `cart.lineItems[0].quantity`) as a JSON pointer."""
    if not isinstance(field, str) or not field:
        return None
    import re

    return "/" + "/".join(re.sub(r"\[(\d+)\]", r".\1", field).split("."))


@contextmanager
def verbose_log(enabled: bool, command: str = "offer send") -> Iterator[None]:
    """With --verbose, the client's log lines go to standard error for the length of the command,
    each after the command's name."""
    if not enabled:
        yield
        return
    logger = logging.getLogger("offerlang")  # every module logs under __name__
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{command}: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
