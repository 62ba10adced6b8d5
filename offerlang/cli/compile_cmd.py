"""`offer compile FILE [-o OUT] [--set NAME=VALUE]... [--rows ROWS [--key COLUMN]]`."""

from __future__ import annotations

import click

from offerlang.campaign.rows import parse_set
from offerlang.cli import EXIT_INVALID, EXIT_OK
from offerlang.cli.campaign import compile_rows, key_option, refuse_same_file, rows_option, set_option
from offerlang.cli.common import compile_path, print_diagnostics, write_atomic
from offerlang.cli.storeopts import make_stores, problem_results, store_options
from offerlang.cli.targeting import resolve_target, target_option
from offerlang.jsonout import dumps


@click.command("compile")
@click.argument("file", metavar="FILE")
@click.option(
    "-o", "--output", "out", metavar="OUT", help="Write the payload to OUT instead of standard output."
)
@set_option
@rows_option
@key_option
@target_option
@store_options
def command(
    file: str,
    out: str | None,
    sets: tuple[str, ...],
    rows: str | None,
    key: str | None,
    target_flag: str | None,
    catalog: str | None,
    isolated: bool,
) -> int:
    """Compile FILE (or - for standard input) to a Sessions v1 JSON payload, or with --target v2
    to the request body of FastSpring's current Sessions API.

    The payload is checked against its API's JSON Schema before it is written.
    Problems go to standard error; nothing is written when the offer is invalid.
    With --rows, every row is checked and nothing is written unless all of them are valid.
    A project config or --catalog adds the store's catalog and policy checks.
    """
    try:
        values = parse_set(sets)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    target = resolve_target(target_flag, [file], isolated=isolated)
    stores = make_stores(catalog, isolated)
    if rows is not None:
        return compile_rows(file, rows, key, values, out, target, stores)
    if key is not None:
        raise click.UsageError("--key needs --rows")
    refuse_same_file(out, "-o", {"offer": file})
    result = compile_path(file, values or None, target=target, stores=stores)
    setup = problem_results(stores)
    print_diagnostics([d for r in [*setup, result] for d in r.diagnostics], [*setup, result])
    if not result.ok or any(r.errors for r in setup):
        return EXIT_INVALID
    text = dumps(result.payload) + "\n"
    if out:
        write_atomic(out, text)
    else:
        click.echo(text, nl=False)
    return EXIT_OK
