"""`offer check PATH... [--format text|json|github] [--catalog PATH] [--isolated] [--fix] [--diff]`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from offerlang.cli import EXIT_INVALID, EXIT_OK
from offerlang.cli.common import (
    InputError,
    compile_path,
    offer_files,
    print_diagnostics,
    unified_diff,
    write_atomic,
)
from offerlang.cli.storeopts import make_stores, problem_results, store_options
from offerlang.cli.targeting import resolve_target, target_option
from offerlang.compiler.diagnostic_output import render_github, render_json, summary
from offerlang.compiler.diagnostics import has_errors
from offerlang.compiler.pipeline import CompileResult
from offerlang.text import visible


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
@click.option("--fix", is_flag=True, help="Apply every suggested fix (did you mean …) in place, then check.")
@click.option("--diff", is_flag=True, help="Change nothing; print the fixes --fix would apply as a diff.")
@target_option
@store_options
def command(
    paths: tuple[str, ...],
    output_format: str,
    fail_on: str,
    fix: bool,
    diff: bool,
    target_flag: str | None,
    catalog: str | None,
    isolated: bool,
) -> int:
    """Check offer files, or every *.offer under a directory (default: the current one).

    Every problem in every file is reported in one run, including what the target API cannot
    carry (--target v2: FastSpring's current Sessions API). Exits 1 if any offer is invalid
    (with --fail-on warning, also if any has a warning). Where a project config (offers.toml,
    or [tool.offerlang] in pyproject.toml) or --catalog applies, offers are also checked
    against the store's catalog and the team's policy. With --fix, the suggestions diagnostics
    carry are applied first (atomic writes) and what is left is reported; --diff previews them
    (exit 1 when there is a fix to apply).
    """
    files = list(offer_files(paths or (".",)))
    if not files:
        raise InputError(f"no *.offer files under {', '.join(paths or ('.',))}")
    target = resolve_target(target_flag, paths or (".",), isolated=isolated)
    stores = make_stores(catalog, isolated)
    if fix and not diff and "-" in files:
        raise click.UsageError("--fix cannot rewrite standard input; use --diff to see the fixes")

    def check(path: str) -> CompileResult:
        return compile_path(path, unbound_ok=True, target=target, stores=stores)

    results = [check(f) for f in files]
    pending = 0
    if fix or diff:
        results, pending = _fixed(files, results, check, write=not diff)
    setup = problem_results(stores)
    diags = [d for r in [*setup, *results] for d in r.diagnostics]
    if output_format == "json":
        entries: list[dict[str, Any]] = [{"path": r.path, "valid": False} for r in setup]
        for r in results:
            entry: dict[str, Any] = {"path": r.path, "valid": r.ok}
            waivers = stores.waivers_json(r.path)
            if waivers:
                entry["waivers"] = waivers
            entries.append(entry)
        click.echo(render_json(diags, entries))
    elif output_format == "github":
        click.echo(render_github(diags), nl=False)
    elif not diff:
        print_diagnostics(diags, [*setup, *results], err=False)
        click.echo(summary(diags, len(results)))
    if has_errors(diags) or pending or (fail_on == "warning" and diags):
        return EXIT_INVALID
    return EXIT_OK


def _fixed(
    files: list[str], results: list[CompileResult], check: Callable[[str], CompileResult], *, write: bool
) -> tuple[list[CompileResult], int]:
    """Each file with its fixes applied (written, or shown as a diff), checked again; and how
    many fixes a preview found (0 once written)."""
    from offerlang.authoring.fixes import apply_fixes

    out: list[CompileResult] = []
    pending = 0
    for path, result in zip(files, results, strict=True):
        if result.text is None:
            out.append(result)
            continue
        text, fixed = apply_fixes(result.text, result.diagnostics)
        if not fixed:
            out.append(result)
            continue
        noun = f"{len(fixed)} fix{'es' * (len(fixed) != 1)}"
        if not write:
            click.echo(unified_diff(result.text, text, result.path), nl=False)
            click.echo(f"{visible(result.path)}: {noun} would be applied", err=True)
            pending += len(fixed)
            out.append(result)
            continue
        try:
            # The fixes and nothing else: a byte order mark the file began with stays (the
            # compiler reads past it; `offer fmt` is what drops it).
            write_atomic(path, ("\ufeff" if _has_bom(path) else "") + text)
        except InputError as exc:  # the original is still in place: report it as it is
            click.echo(f"{exc.format_message()}; left untouched", err=True)
            out.append(result)
            continue
        click.echo(f"{visible(result.path)}: {noun} applied", err=True)
        out.append(check(path))
    return out, pending


def _has_bom(path: str) -> bool:
    import codecs

    try:
        with open(path, "rb") as fh:
            return fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    except OSError:  # write_atomic says what is wrong with the path
        return False
