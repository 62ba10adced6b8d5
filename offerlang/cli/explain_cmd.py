"""`offer explain FILE... [--format text|markdown|json]`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from offerlang.cli import EXIT_INVALID, EXIT_OK
from offerlang.cli.common import compile_path, offer_files, print_diagnostics
from offerlang.cli.targeting import resolve_target, target_option

if TYPE_CHECKING:
    from offerlang.review.document import Block

FORMATS = ["text", "markdown", "json"]


def format_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        help=f"text for people (tables on a terminal), markdown for a pull-request comment, json for {what}.",
    )


def echo_blocks(blocks: list[Block], fmt: str) -> None:
    """Markdown, or text: rich tables on a terminal, plain columns when piped."""
    from offerlang.compiler.render import use_color
    from offerlang.review.document import print_rich, to_markdown, to_plain

    if fmt == "markdown":
        click.echo(to_markdown(blocks), nl=False)
    elif use_color(sys.stdout):
        print_rich(blocks, sys.stdout)
    else:
        click.echo(to_plain(blocks), nl=False)


@click.command("explain")
@click.argument("paths", nargs=-1, required=True, metavar="FILE...")
@format_option("tools (versioned)")
@target_option
def command(paths: tuple[str, ...], fmt: str, target_flag: str | None) -> int:
    """Say in plain words what the buyer gets from each offer FILE (or every *.offer under a
    directory; - for standard input): who it is for, each item's price, trial, renewal,
    discounts and fees, and a timeline of what the buyer pays at signup and in each period.

    An offer that does not compile (for --target v2: one FastSpring's current Sessions API
    cannot carry) is reported with its problems; exit 1.
    """
    from offerlang.review.explain import explain, to_blocks, to_json

    target = resolve_target(target_flag, paths)
    results = [compile_path(f, target=target) for f in offer_files(paths)]
    print_diagnostics([d for r in results for d in r.diagnostics], results)
    explanations = [explain(r.payload, r.path, target) for r in results if r.ok and r.payload is not None]
    if fmt == "json":
        click.echo(to_json(explanations), nl=False)
    else:
        blocks = [b for e in explanations for b in to_blocks(e)]
        if blocks:
            echo_blocks(blocks, fmt)
    return EXIT_OK if all(r.ok for r in results) else EXIT_INVALID
