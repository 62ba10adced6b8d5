"""`offer preview PATH [--port N] [--open]`: the offer card, reloaded on every save."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from offerlang.cli import EXIT_OK
from offerlang.cli.common import InputError
from offerlang.cli.storeopts import make_stores, store_options
from offerlang.cli.targeting import resolve_target, target_option


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both stop the server cleanly. SIGINT is set explicitly: a shell
    without job control starts a background command with it ignored."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)


@click.command("preview")
@click.argument("path", default=".", metavar="[PATH]")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port on 127.0.0.1 to serve on; 0 picks a free one.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
@store_options
@target_option
def command(
    path: str, port: int, open_browser: bool, catalog: str | None, isolated: bool, target_flag: str | None
) -> int:
    """Serve the offer card of PATH (an offer file, or every *.offer under a folder; default:
    the current one) on http://127.0.0.1:PORT, and update the page whenever an offer file is
    saved. A file that does not compile (for --target) shows its problems instead of its card
    until it is fixed.

    Only this computer can see it (loopback only, and only under its own address). Ctrl-C
    stops it.
    """
    from offerlang.review.preview import PreviewServer

    root = Path(path)
    if not root.exists():
        raise InputError(f"{path}: no such file or directory")
    make_stores(catalog, isolated)  # a --catalog that is not a file is a usage error now
    server = PreviewServer(
        root,
        port,
        stores=lambda: make_stores(catalog, isolated),
        target=resolve_target(target_flag, (path,), isolated=isolated),
    )
    try:
        server.start()
    except OSError as exc:
        raise InputError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    forever = threading.Event()
    # Signals are taken before the address is printed, and everything after it is inside the
    # try: a Ctrl-C that arrives as soon as someone reads the address still stops cleanly.
    _stop_on_signals()
    try:
        click.echo(f"offer preview: {server.url} (watching {path}; Ctrl-C stops)")
        if open_browser:
            import webbrowser

            webbrowser.open(server.url)
        while not forever.wait(3600):  # a timed wait, so Ctrl-C is delivered at once
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    click.echo("offer preview: stopped")
    return EXIT_OK
