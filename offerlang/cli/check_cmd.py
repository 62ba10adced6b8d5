"""`offer check PATH... [--format text|json|github] [--fix] [--diff]`."""

from __future__ import annotations

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
from offerlang.compiler.diagnostics import has_errors
from offerlang.compiler.pipeline import CompileResult
from offerlang.compiler.render import render_github, render_json, summary


@click.command("check")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "--format",
    "fmt",
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
def command(paths: tuple[str, ...], fmt: str, fail_on: str, fix: bool, diff: bool) -> int:
    """Check offer files, or every *.offer under a directory (default: the current one).

    Every problem in every file is reported in one run. Exits 1 if any offer is invalid
    (with --fail-on warning, also if any has a warning). With --fix, the suggestions
    diagnostics carry are applied first (atomic writes) and what is left is reported; --diff
    previews them (exit 1 when there is a fix to apply).
    """
    files = list(offer_files(paths or (".",)))
    if not files:
        raise InputError(f"no *.offer files under {', '.join(paths or ('.',))}")
    if fix and not diff and "-" in files:
        raise click.UsageError("--fix cannot rewrite standard input; use --diff to see the fixes")
    results = [compile_path(f, unbound_ok=True) for f in files]
    pending = 0
    if fix or diff:
        results, pending = _fixed(files, results, write=not diff)
    diags = [d for r in results for d in r.diagnostics]
    if fmt == "json":
        click.echo(render_json(diags, [{"path": r.path, "valid": r.ok} for r in results]))
    elif fmt == "github":
        click.echo(render_github(diags), nl=False)
    elif not diff:
        print_diagnostics(diags, results, err=False)
        click.echo(summary(diags, len(results)))
    if has_errors(diags) or pending or (fail_on == "warning" and diags):
        return EXIT_INVALID
    return EXIT_OK


def _fixed(files: list[str], results: list[CompileResult], *, write: bool) -> tuple[list[CompileResult], int]:
    """Each file with its fixes applied (written, or shown as a diff), checked again; and how
    many fixes a preview found (0 once written)."""
    from offerlang.authoring.fixes import apply_fixes
    from offerlang.compiler.pipeline import compile_source

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
            click.echo(f"{result.path}: {noun} would be applied", err=True)
            pending += len(fixed)
            out.append(result)
            continue
        try:
            write_atomic(path, text)
        except InputError as exc:  # the original is still in place: report it as it is
            click.echo(f"{exc.format_message()}; left untouched", err=True)
            out.append(result)
            continue
        click.echo(f"{result.path}: {noun} applied", err=True)
        out.append(compile_source(text, result.path, unbound_ok=True))
    return out, pending
