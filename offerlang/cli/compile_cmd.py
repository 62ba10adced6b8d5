"""`offer compile FILE [-o OUT] [--set NAME=VALUE]... [--rows ROWS [--key COLUMN]]`."""

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
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="Give parameter NAME the value VALUE (repeatable).",
)
@click.option(
    "--rows",
    metavar="ROWS",
    help="Compile one payload per row of ROWS (.csv with a header, or .jsonl), one JSON line each.",
)
@click.option("--key", metavar="COLUMN", help="The column that identifies a row (default: the first).")
def command(file: str, out: str | None, sets: tuple[str, ...], rows: str | None, key: str | None) -> int:
    """Compile FILE (or - for standard input) to a Sessions v1 JSON payload.

    The payload is checked against the Sessions v1 JSON Schema before it is written.
    Problems go to standard error; nothing is written when the offer is invalid.
    With --rows, every row is checked and nothing is written unless all of them are valid.
    """
    from ..rows import parse_set

    try:
        values = parse_set(sets)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if rows is not None:
        from .campaign import compile_rows

        return compile_rows(file, rows, key, values, out)
    if key is not None:
        raise click.UsageError("--key needs --rows")
    result = compile_path(file, values or None)
    print_diagnostics(result.diagnostics, [result])
    if not result.ok:
        return EXIT_INVALID
    text = dumps(result.payload) + "\n"
    if out:
        write_atomic(out, text)
    else:
        click.echo(text, nl=False)
    return EXIT_OK
