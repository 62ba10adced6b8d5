"""`offer compile FILE [-o OUT]`."""

from __future__ import annotations

import click

from ..jsonout import dumps
from . import EXIT_INVALID, EXIT_OK
from .common import compile_path, print_diagnostics, write_atomic


@click.command("compile")
@click.argument("file", metavar="FILE")
@click.option(
    "-o", "--output", "out", metavar="OUT", help="Write the payload to OUT instead of standard output."
)
def command(file: str, out: str | None) -> int:
    """Compile FILE (or - for standard input) to a Sessions v1 JSON payload.

    The payload is checked against the Sessions v1 JSON Schema before it is written.
    Problems go to standard error; nothing is written when the offer is invalid.
    """
    result = compile_path(file)
    print_diagnostics(result.diagnostics, [result])
    if not result.ok:
        return EXIT_INVALID
    text = dumps(result.payload) + "\n"
    if out:
        write_atomic(out, text)
    else:
        click.echo(text, nl=False)
    return EXIT_OK
