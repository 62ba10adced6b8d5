"""`offer diff OLD NEW` and `offer diff --base REV [PATH...]`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from offerlang.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from offerlang.cli.campaign import set_option
from offerlang.cli.common import (
    InputError,
    compile_for_review,
    print_diagnostics,
    review_format_option,
    template_parameters,
    values_of,
)
from offerlang.cli.storeopts import make_stores, problem_results, store_options
from offerlang.cli.targeting import resolve_target, target_option
from offerlang.compiler.diagnostics import Diagnostic
from offerlang.compiler.pipeline import CompileResult

if TYPE_CHECKING:
    from offerlang.review.revisions import Pair
    from offerlang.store.context import Stores

# With --exit-code: buyers would see a change (git diff's 1), whatever EXIT_INVALID means.
EXIT_CHANGED = 1


@click.command("diff")
@click.argument("paths", nargs=-1, metavar="OLD NEW | --base REV [PATH...]")
@click.option(
    "--base",
    metavar="REV",
    help="Compare the offers in the working tree with the same paths at git revision REV "
    "(for a pull request: --base origin/main). PATHs default to the current folder.",
)
@review_format_option
@set_option
@click.option(
    "--exit-code",
    is_flag=True,
    help="Like git diff: exit 1 when buyers would see a change, 2 on any error (an offer that "
    "does not compile included), 0 otherwise.",
)
@target_option
@store_options
def command(
    paths: tuple[str, ...],
    base: str | None,
    output_format: str,
    sets: tuple[str, ...],
    exit_code: bool,
    target_flag: str | None,
    catalog: str | None,
    isolated: bool,
) -> int:
    """Say what buyers would see change between two versions of offers: prices, trials,
    renewal, coupons, items, buyer, expiry, discounts, and what the buyer pays per period.

    Formatting and comment changes report "no change to what buyers see". An offer that does
    not compile on either side is reported with its problems, and the exit code is 1 (2 with
    --exit-code, where 1 means "buyers would see a change").

    Templates (offers with parameters) are compared for one buyer with --set NAME=VALUE (the
    same values on both sides), or else with each parameter shown as $name; one whose
    parameter stands for an amount needs --set and is skipped with a note without it.

    With a catalog (the project config's, or --catalog; the one of today, for both sides),
    prices left to the catalog are compared with its values; policy waivers added or removed
    are shown as changes.
    """
    from offerlang.review.diff import OfferDiff, diff_offers, to_blocks, to_json, to_plain
    from offerlang.review.document import to_markdown

    values = values_of(sets)
    target = resolve_target(target_flag, paths or (".",), isolated=isolated)
    stores = make_stores(catalog, isolated)
    if base is None:
        if len(paths) != 2:
            raise click.UsageError("give two offer files, OLD and NEW, or --base REV [PATH...]")
        pairs: list[Pair] = [
            (
                f"{paths[0]} → {paths[1]}",
                compile_for_review(paths[0], values, target, stores),
                compile_for_review(paths[1], values, target, stores),
            )
        ]
    else:
        pairs = _pairs_at(base, paths or (".",), values, target, stores)

    diffs: list[OfferDiff] = []
    broken: list[CompileResult] = []
    for label, old, new in pairs:
        invalid = [r for r in (old, new) if r is not None and not r.ok]
        unshown = [r for r in (old, new) if r is not None and r.ok and r.payload is None]
        old_path, new_path = (old.path if old else None), (new.path if new else None)
        if unshown and not invalid:
            names = ", ".join(dict.fromkeys(n for r in unshown for n in template_parameters(r)))
            click.echo(
                f"{label}: not compared: a template whose parameters ({names}) include an amount; "
                "give values with --set NAME=VALUE",
                err=True,
            )
            diffs.append(OfferDiff(label, "skipped", [], (), old_path, new_path))
            continue
        if invalid:
            broken += invalid
            problems = tuple(one_line(d) for r in invalid for d in r.errors)
            diffs.append(OfferDiff(label, "invalid", [], problems, old_path, new_path))
        else:
            waivers = (
                stores.waivers_json(old.path) if old is not None else [],
                stores.waivers_json(new.path) if new is not None else [],
            )
            records = _catalog_of(stores, [old, new])
            diffs.append(
                diff_offers(
                    label,
                    _view(old),
                    _view(new),
                    old_path,
                    new_path,
                    str(target),
                    catalog=records,
                    waivers=waivers,
                )
            )
    # The same broken file on both sides (`offer diff a.offer a.offer`) is reported once.
    shown = [*problem_results(stores), *{(r.path, r.text): r for r in broken}.values()]
    print_diagnostics([d for r in shown for d in r.diagnostics], shown)
    setup_broken = any(r.errors for r in problem_results(stores))

    if output_format == "json":
        labels = {id(r): label for label, *sides in pairs for r in sides if r is not None}
        diagnostics: dict[str, list[dict[str, Any]]] = {}
        for r in broken:
            diagnostics.setdefault(labels[id(r)], []).extend(d.to_dict() for d in r.diagnostics)
        click.echo(to_json(diffs, diagnostics), nl=False)
    elif output_format == "markdown":
        click.echo(to_markdown(to_blocks(diffs)), nl=False)
    elif output_format == "html":
        from offerlang.review.html import DiffEntry, diff_page

        entries = [
            DiffEntry(
                d, _payload(sides[0]), _payload(sides[1]), str(target), catalog=_catalog_of(stores, sides)
            )
            for d, (_, *sides) in zip(diffs, pairs, strict=True)
        ]
        click.echo(diff_page(entries), nl=False)
    else:
        click.echo(to_plain(diffs), nl=False)

    if exit_code:
        # git diff --exit-code's contract, which CI scripts test for: 1 is "different", and
        # an error must not look like one.
        if broken or setup_broken:
            return EXIT_USAGE
        return EXIT_CHANGED if any(d.changes for d in diffs) else EXIT_OK
    return EXIT_INVALID if broken or setup_broken else EXIT_OK


def _payload(side: CompileResult | None) -> dict[str, Any] | None:
    return side.payload if side is not None and side.ok else None


def _catalog_of(stores: Stores, sides: list[CompileResult | None]) -> Any:
    """The catalog both sides are read through: the one of the new side's folder (today's)."""
    either = next((r for r in reversed(sides) if r is not None), None)
    context = stores.for_path(either.path) if either is not None else None
    return context.records() if context is not None else None


def _view(result: CompileResult | None) -> dict[str, Any] | None:
    """What diff compares: the payload, a Sessions v2 body in its review form (the v1 shape)."""
    if result is None or result.payload is None:
        return None
    if result.target == "v2":
        from offerlang.compiler.targets.v2 import review_form

        return review_form(result.payload)
    return result.payload


def one_line(d: Diagnostic) -> str:
    """`path:line:col: error[CODE]: message`, for a pull-request comment that has no stderr."""
    where = d.path or "<input>"
    if d.span is not None:
        where += f":{d.span.line}:{d.span.column}"
    return f"{where}: {d.severity.value}[{d.code}]: {d.message}"


def _pairs_at(
    rev: str, paths: tuple[str, ...], values: dict[str, str], target: str, stores: Stores
) -> list[Pair]:
    from offerlang.compiler.source import UnreadableFile
    from offerlang.review.revisions import GitError, offer_pairs

    try:
        return offer_pairs(rev, paths, values, target, checks_for=stores.for_path)
    except GitError as exc:
        raise click.UsageError(str(exc)) from None
    except UnreadableFile as exc:
        raise InputError(str(exc)) from None
