"""`offer explain FILE... [--format text|markdown|json|html] [--set NAME=VALUE]...`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from offerlang.cli import EXIT_INVALID, EXIT_OK
from offerlang.cli.campaign import set_option
from offerlang.cli.common import (
    compile_for_review,
    echo_blocks,
    offer_files,
    print_diagnostics,
    review_format_option,
    template_parameters,
    values_of,
)
from offerlang.cli.storeopts import make_stores, problem_results, store_options
from offerlang.cli.targeting import resolve_target, target_option

if TYPE_CHECKING:
    from offerlang.compiler.pipeline import CompileResult
    from offerlang.review.html import Broken


def broken_offers(results: list[CompileResult]) -> list[Broken]:
    """The offers that do not compile, with their diagnostics as `offer check` prints them: the
    card is often read where standard error is not (a CI artifact, the preview)."""
    from offerlang.compiler.diagnostic_output import render_text
    from offerlang.review.html import Broken

    return [
        Broken(r.path, render_text(r.diagnostics, {r.path: r.text}, color=False)) for r in results if not r.ok
    ]


@click.command("explain")
@click.argument("paths", nargs=-1, required=True, metavar="FILE...")
@review_format_option
@set_option
@target_option
@store_options
def command(
    paths: tuple[str, ...],
    output_format: str,
    sets: tuple[str, ...],
    target_flag: str | None,
    catalog: str | None,
    isolated: bool,
) -> int:
    """Say in plain words what the buyer gets from each offer FILE (or every *.offer under a
    directory; - for standard input): who it is for, each item's price, trial, renewal,
    discounts and fees, and a timeline of what the buyer pays at signup and in each period.

    A template (an offer with parameters) is explained for one buyer with --set NAME=VALUE, or
    else with each parameter shown as $name; one whose parameter stands for an amount needs
    --set and is skipped with a note without it. With a catalog (the project config's, or
    --catalog), what the offer leaves to the catalog is stated with the catalog's values,
    marked "(catalog)"; policy waivers are listed. An offer that does not compile (for --target
    v2: one FastSpring's current Sessions API cannot carry) is reported with its problems; exit 1.
    """
    from offerlang.review.explain import explain, template_fact, to_blocks, to_json

    values = values_of(sets)
    target = resolve_target(target_flag, paths, isolated=isolated)
    stores = make_stores(catalog, isolated)
    results = [compile_for_review(f, values, target, stores) for f in offer_files(paths)]
    setup = problem_results(stores)
    print_diagnostics([d for r in [*setup, *results] for d in r.diagnostics], [*setup, *results])
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
        context = stores.for_path(r.path)
        records = context.records() if context is not None else None
        e = explain(r.payload, r.path, target, catalog=records, waivers=stores.waivers_json(r.path))
        if r.template_only:
            e = template_fact(e, template_parameters(r))
        explanations.append(e)
    if output_format == "json":
        click.echo(to_json(explanations), nl=False)
    elif output_format == "html":
        from offerlang.review.html import explain_page

        click.echo(explain_page(explanations, broken_offers(results)), nl=False)
    else:
        blocks = [b for e in explanations for b in to_blocks(e)]
        if blocks:
            echo_blocks(blocks, output_format)
    return EXIT_OK if all(r.ok for r in results) and not any(r.errors for r in setup) else EXIT_INVALID
