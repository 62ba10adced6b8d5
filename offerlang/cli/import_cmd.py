"""`offer import PAYLOAD.json [-o FILE]`."""

from __future__ import annotations

from pathlib import Path

import click

from offerlang.cli import EXIT_INVALID, EXIT_OK
from offerlang.cli.common import print_diagnostics, read_source, write_atomic
from offerlang.compiler.pipeline import CompileResult


@click.command("import")
@click.argument("payload", metavar="PAYLOAD.json")
@click.option(
    "-o",
    "--output",
    "out",
    metavar="FILE",
    help="Write the offer to FILE (- is standard output, the default).",
)
@click.option("--force", is_flag=True, help="Replace FILE when it already exists.")
def command(payload: str, out: str | None, force: bool) -> int:
    """Write offer source for a Sessions v1 or v2 request body (PAYLOAD.json, or - for standard
    input). Which API it is for is recognised from its shape (v2 has `cart` and `customer`).

    The offer is formatted and compiles back to exactly the same payload (for a v2 body, with
    --target v2); it is compiled to make sure before anything is written. A payload that is not
    JSON, breaks its API's schema or cannot be said in an offer is reported with its JSON path,
    and nothing is written.
    """
    from offerlang.authoring.importer import import_payload

    if out == "-":  # the usual spelling of standard output, not a file named `-`
        out = None
    if out and Path(out).is_dir():
        raise click.UsageError(f"{out}: is a directory; give the offer file to write")
    if out and not force and Path(out).exists():
        # An offer file is hand-edited source: never overwrite one by accident.
        raise click.UsageError(f"{out}: already exists; pass --force to replace it")
    src = read_source(payload, kind="JSON")
    if src.text is None:
        print_diagnostics(src.diagnostics, [CompileResult(src.path, None, None, [])])
        return EXIT_INVALID
    source, diags = import_payload(src.text, src.path)
    print_diagnostics(diags, [CompileResult(src.path, src.text, None, [])])
    if source is None:
        return EXIT_INVALID
    if out:
        try:
            write_atomic(out, source)
        except OSError as exc:
            raise click.UsageError(f"{out}: cannot be written ({exc.strerror or exc})") from None
    else:
        click.echo(source, nl=False)
    return EXIT_OK
