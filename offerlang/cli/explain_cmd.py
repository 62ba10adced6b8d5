"""`offer explain FILE... [--format text|markdown|json]`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from offerlang.cli import EXIT_INVALID, EXIT_OK
from offerlang.cli.campaign import set_option
from offerlang.cli.common import compile_for_review, offer_files, print_diagnostics, template_parameters

if TYPE_CHECKING:
    from offerlang.compiler.pipeline import CompileResult
    from offerlang.review.document import Block
    from offerlang.review.html import Broken

FORMATS = ["text", "markdown", "json", "html"]


def format_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        help="text for people (tables on a terminal), markdown for a pull-request comment, "
        f"json for {what}, html for a self-contained offer card with charts (one file, no network).",
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


def values_of(sets: tuple[str, ...]) -> dict[str, str]:
    from offerlang.campaign.rows import parse_set

    try:
        return parse_set(sets)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def broken_offers(results: list[CompileResult]) -> list[Broken]:
    """The offers that do not compile, with their diagnostics as `offer check` prints them: the
    card is often read where standard error is not (a CI artifact, the preview)."""
    from offerlang.compiler.render import render_text
    from offerlang.review.html import Broken

    return [
        Broken(r.path, render_text(r.diagnostics, {r.path: r.text}, color=False)) for r in results if not r.ok
    ]


@click.command("explain")
@click.argument("paths", nargs=-1, required=True, metavar="FILE...")
@format_option("tools (versioned)")
@set_option
def command(paths: tuple[str, ...], fmt: str, sets: tuple[str, ...]) -> int:
    """Say in plain words what the buyer gets from each offer FILE (or every *.offer under a
    directory; - for standard input): who it is for, each item's price, trial, renewal,
    discounts and fees, and a timeline of what the buyer pays at signup and in each period.

    A template (an offer with parameters) is explained for one buyer with --set NAME=VALUE, or
    else with each parameter shown as $name; one whose parameter stands for an amount needs
    --set and is skipped with a note without it. An offer that does not compile is reported
    with its problems; exit 1.
    """
    from offerlang.review.explain import explain, template_fact, to_blocks, to_json

    values = values_of(sets)
    results = [compile_for_review(f, values) for f in offer_files(paths)]
    print_diagnostics([d for r in results for d in r.diagnostics], results)
    explanations = []
    for r in results:
        if not r.ok:
            continue
        if r.payload is None:
            names = ", ".join(template_parameters(r))
            click.echo(
                f"{r.path}: not explained: a template whose parameters ({names}) include an amount; "
                "give values with --set NAME=VALUE",
                err=True,
            )
            continue
        e = explain(r.payload, r.path)
        if r.template_only:
            e = template_fact(e, template_parameters(r))
        explanations.append(e)
    if fmt == "json":
        click.echo(to_json(explanations), nl=False)
    elif fmt == "html":
        from offerlang.review.html import explain_page

        click.echo(explain_page(explanations, broken_offers(results)), nl=False)
    else:
        blocks = [b for e in explanations for b in to_blocks(e)]
        if blocks:
            echo_blocks(blocks, fmt)
    return EXIT_OK if all(r.ok for r in results) else EXIT_INVALID
