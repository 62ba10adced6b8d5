"""`offer check PATH... [--format text|json|github]`."""

from __future__ import annotations

import click

from offerlang.cli import EXIT_INVALID, EXIT_OK
from offerlang.cli.common import InputError, compile_path, offer_files, print_diagnostics
from offerlang.cli.targeting import resolve_target, target_option
from offerlang.compiler.diagnostic_output import render_github, render_json, summary
from offerlang.compiler.diagnostics import has_errors


@click.command("check")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for pull-request annotations.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="Exit 1 on errors only, or on warnings too (for CI that keeps offers warning-free).",
)
@target_option
def command(paths: tuple[str, ...], output_format: str, fail_on: str, target_flag: str | None) -> int:
    """Check offer files, or every *.offer under a directory (default: the current one).

    Every problem in every file is reported in one run, including what the target API cannot
    carry (--target v2: FastSpring's current Sessions API). Exits 1 if any offer is invalid
    (with --fail-on warning, also if any has a warning).
    """
    files = list(offer_files(paths or (".",)))
    if not files:
        raise InputError(f"no *.offer files under {', '.join(paths or ('.',))}")
    target = resolve_target(target_flag, paths or (".",))
    results = [compile_path(f, unbound_ok=True, target=target) for f in files]
    diags = [d for r in results for d in r.diagnostics]
    if output_format == "json":
        click.echo(render_json(diags, [{"path": r.path, "valid": r.ok} for r in results]))
    elif output_format == "github":
        click.echo(render_github(diags), nl=False)
    else:
        print_diagnostics(diags, results, err=False)
        click.echo(summary(diags, len(results)))
    if has_errors(diags) or (fail_on == "warning" and diags):
        return EXIT_INVALID
    return EXIT_OK
