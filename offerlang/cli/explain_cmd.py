"""`offer explain FILE... [--format text|markdown|json]`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from offerlang.cli import EXIT_INVALID, EXIT_OK
from offerlang.cli.common import (
    compile_path,
    echo_blocks,
    offer_files,
    print_diagnostics,
    review_format_option,
)

if TYPE_CHECKING:
    pass


@click.command("explain")
@click.argument("paths", nargs=-1, required=True, metavar="FILE...")
@review_format_option
def command(paths: tuple[str, ...], output_format: str) -> int:
    """Say in plain words what the buyer gets from each offer FILE (or every *.offer under a
    directory; - for standard input): who it is for, each item's price, trial, renewal,
    discounts and fees, and a timeline of what the buyer pays at signup and in each period.

    An offer that does not compile is reported with its problems; exit 1.
    """
    from offerlang.review.explain import explain, to_blocks, to_json

    results = [compile_path(f) for f in offer_files(paths)]
    print_diagnostics([d for r in results for d in r.diagnostics], results)
    explanations = [explain(r.payload, r.path) for r in results if r.ok and r.payload is not None]
    if output_format == "json":
        click.echo(to_json(explanations), nl=False)
    else:
        blocks = [b for e in explanations for b in to_blocks(e)]
        if blocks:
            echo_blocks(blocks, output_format)
    return EXIT_OK if all(r.ok for r in results) else EXIT_INVALID
