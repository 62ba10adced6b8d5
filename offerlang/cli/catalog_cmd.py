"""`offer catalog pull [--store STORE] [-o FILE] [--check]`: the store's catalog snapshot."""

from __future__ import annotations

import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from offerlang.cli import (
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
)
from offerlang.cli.common import write_atomic
from offerlang.cli.sending import api_url_option, timeout_option
from offerlang.text import and_more
from offerlang.text import shown as escaped

if TYPE_CHECKING:
    from offerlang.store.catalog import Catalog
    from offerlang.store.config import Config

DEFAULT_OUTPUT = "offers.catalog.json"
# Paths the listing gave that no offer can name, each warned about; past this many, counted.
SKIPPED_SHOWN = 20


@click.group("catalog")
def command() -> None:
    """The store's catalog snapshot: what it sells, as a file offers are checked against."""


@command.command("pull")
@click.option(
    "--store",
    metavar="STORE",
    help="FastSpring store id: the STORE in STORE.onfastspring.com (default: the config's `store`).",
)
@click.option(
    "-o",
    "--output",
    "out",
    metavar="FILE",
    help=f"The catalog file (default: the config's `catalog`, else {DEFAULT_OUTPUT}).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing: exit 1 when the file differs from the store (for a scheduled CI job).",
)
@api_url_option("FastSpring's API base URL")
@timeout_option
@click.option("--isolated", is_flag=True, help="Ignore config files: --store (and -o) say everything.")
@click.option("-v", "--verbose", is_flag=True, help="Log each request to standard error.")
def pull(
    store: str | None,
    out: str | None,
    check: bool,
    api_url: str,
    timeout: float,
    isolated: bool,
    verbose: bool,
) -> int:
    """Read the store's products from FastSpring into a catalog file to commit and review.

    A read-only call: it only reads products (GET /products), it changes nothing in the store.
    Credentials come from FASTSPRING_API_USERNAME and FASTSPRING_API_PASSWORD, as for
    `offer send`, with the same retries; they are never written to the file.

    The file is deterministic (sorted, exact amounts), so a price change in the store is a
    one-line diff; a pull that finds nothing changed leaves it untouched.

    \b
    Exit codes:
      0  written, unchanged, or (--check) up to date
      1  --check: the file is stale (or missing, or unreadable)
      2  usage error: no store, missing credentials, a wrong --api-url, or a config
         whose errors leave its store or catalog in doubt (nothing is read or written)
      3  FastSpring refused the credentials or the request
      4  network failure, retries exhausted, or an answer that cannot be read
    """
    from offerlang.cli.sending import attempt_timeouts, retry_policy, verbose_log
    from offerlang.send.client import (
        FastSpringReader,
        MissingCredentials,
        SendError,
        SendInterrupted,
        check_api_url,
        credentials_from_env,
    )
    from offerlang.store.config import shown_path
    from offerlang.store.pull import Unreadable
    from offerlang.store.pull import pull as pull_catalog

    config = None if isolated else _config(store_given=store is not None, out_given=out is not None)
    if isinstance(config, int):
        return config
    store = store or (config.store if config is not None else None)
    if store is None:
        raise click.UsageError("give --store STORE (or set `store` in offers.toml)")
    target = Path(out) if out else (config.catalog if config is not None and config.catalog else None)
    target = target or Path(DEFAULT_OUTPUT)
    shown = out or shown_path(target)
    _refuse_target(target, shown, check)
    try:
        api_url = check_api_url(api_url)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        username, password = credentials_from_env()
    except MissingCredentials as exc:
        click.echo(f"offer catalog pull: error: {exc}", err=True)
        return EXIT_USAGE

    try:
        reader = FastSpringReader(
            store=store,
            test_store=False,
            username=username,
            password=password,
            retry=retry_policy(),
            **attempt_timeouts(timeout),
            on_retry=lambda info: click.echo(f"offer catalog pull: {info}", err=True),
            api_url=api_url,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        with reader, verbose_log(verbose, "offer catalog pull"):
            pulled = pull_catalog(reader, reader.store, note=lambda text: _note(text, verbose))
    except SendInterrupted:
        click.echo("offer catalog pull: interrupted; nothing was written", err=True)
        return EXIT_INTERRUPTED
    except SendError as exc:
        lead = {
            "auth": f"FastSpring refused the credentials (HTTP {exc.status}): ",
            "rejected": f"FastSpring refused the request (HTTP {exc.status}): ",
            "url": "",
        }.get(exc.kind, "could not read the products: ")
        click.echo(f"offer catalog pull: error: {lead}{exc.message}; nothing was written", err=True)
        if exc.hint:
            click.echo(f"  help: {exc.hint}", err=True)
        return {"auth": EXIT_REJECTED, "rejected": EXIT_REJECTED, "url": EXIT_USAGE}.get(
            exc.kind, EXIT_NETWORK
        )
    except Unreadable as exc:
        click.echo(
            f"offer catalog pull: error: FastSpring's answer cannot be read: {exc}; nothing was written",
            err=True,
        )
        return EXIT_NETWORK

    # Paths from the answer (escaped and capped by the pull), as many as a reader takes in.
    for path, why in pulled.skipped[:SKIPPED_SHOWN]:
        click.echo(f"offer catalog pull: warning: `{path}` left out: {why}", err=True)
    if len(pulled.skipped) > SKIPPED_SHOWN:
        hidden = len(pulled.skipped) - SKIPPED_SHOWN
        click.echo(f"offer catalog pull: warning: … {and_more(hidden, 'product')} left out", err=True)
    text = pulled.catalog.to_text()
    count = f"{len(pulled.catalog):,} product{'s' * (len(pulled.catalog) != 1)}"
    before = _read(target)
    if check:
        if before == text:
            click.echo(f"{shown}: up to date with store {store} ({count})")
            return EXIT_OK
        click.echo(f"{shown}: stale: {_what_changed(before, pulled.catalog, shown)}")
        click.echo(f"  update it: offer catalog pull --store {store} -o {shown}, then commit it")
        return EXIT_INVALID
    if before == text:
        click.echo(f"{shown}: unchanged ({count} of store {store})")
        return EXIT_OK
    write_atomic(target, text)
    click.echo(f"{shown}: written ({count} of store {store})")
    return EXIT_OK


def _config(*, store_given: bool, out_given: bool) -> Config | int | None:
    """The config of the current folder (None: there is none), its problems printed; or an exit
    code when its errors leave the store or the catalog file it names in doubt. A pull takes
    from the config only `store` and `catalog`: errors elsewhere (a misspelt policy rule) do not
    change which store is read or which file is written, but a pull must never write a file the
    config did not mean (`catalgo = …` would otherwise send it to offers.catalog.json)."""
    from offerlang.cli.common import use_color
    from offerlang.compiler.diagnostic_output import render_text
    from offerlang.store.config import find_config, load_config

    found = find_config(Path.cwd())
    if found is None:
        return None
    config = load_config(found)
    if config.diagnostics:
        shown = render_text(config.diagnostics, {config.shown: config.text}, use_color(sys.stderr))
        click.echo(shown, err=True, nl=False)
    if config.ok:
        return config
    needed = [key for key, given in (("store", store_given), ("catalog", out_given)) if not given]
    if not needed:
        return None  # --store and -o say everything: nothing is taken from the config
    if config.reliable(*needed):
        click.echo(
            f"offer catalog pull: note: {config.shown} has errors (above), none of them in "
            f"{' or '.join(f'`{key}`' for key in needed)}: pulling as it says",
            err=True,
        )
        return config
    doubtful = [key for key in needed if key in config.broken] or needed  # or it could not be read
    click.echo(
        f"offer catalog pull: error: {config.shown} has errors (above) that leave its "
        f"{' and '.join(f'`{key}`' for key in doubtful)} in doubt; nothing was read or written",
        err=True,
    )
    click.echo("  help: fix the config, or give --store STORE and -o FILE", err=True)
    return EXIT_USAGE


def _refuse_target(target: Path, shown: str, check: bool) -> None:
    """A catalog file that is a link, a named pipe, a device (or, to be replaced, read-only) is
    refused before any request: reading a named pipe would wait forever."""
    from offerlang.files import Refused, check_replaceable, refuse_symlink

    try:
        if not check:
            check_replaceable(target)
            return
        st = refuse_symlink(target)
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise Refused(target, "is not a regular file")
    except OSError as exc:
        raise click.UsageError(
            f"{shown}: cannot be {'read' if check else 'written'} ({exc.strerror or exc})"
        ) from None


def _read(path: Path) -> str | None:
    """The catalog file's text; None if it cannot be read. Opened without blocking: a named pipe
    put there since the check is refused, not waited for."""
    from offerlang.compiler.source import UnreadableFile, open_regular

    try:
        with open_regular(path) as fh:
            return fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError, UnreadableFile):
        return None


def _what_changed(before: str | None, pulled: Catalog, shown: str) -> str:
    """Which products differ between the file and the store, in a line."""
    from offerlang.store.catalog import parse
    from offerlang.store.pull import differences

    if before is None:
        return "the file does not exist (or cannot be read)"
    old, problems = parse(before.encode("utf-8"), shown)
    if old is None:
        # The file's words (a key, a store): anyone's text, so escaped and capped like a server's.
        return "it cannot be read as a catalog: " + escaped("; ".join(p.message for p in problems))
    added, removed, changed = differences(old, pulled)
    parts = []
    for label, paths in (("changed", changed), ("added", added), ("removed", removed)):
        if paths:
            listed = ", ".join(paths[:5]) + (", …" if len(paths) > 5 else "")
            parts.append(f"{len(paths)} {label} ({listed})")
    if old.store != pulled.store:
        parts.insert(0, f"it is a snapshot of store {escaped(old.store, 100)}")
    return "; ".join(parts) if parts else "the same products, written differently (hand-edited?)"


def _note(text: str, verbose: bool) -> None:
    if verbose:
        click.echo(f"offer catalog pull: {text}", err=True)
