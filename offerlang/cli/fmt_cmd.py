"""`offer fmt [--check] [--diff] PATH...`."""

from __future__ import annotations

import click

from offerlang.cli import EXIT_INVALID, EXIT_OK
from offerlang.cli.common import (
    InputError,
    offer_files,
    print_diagnostics,
    read_source,
    unified_diff,
    write_atomic,
)
from offerlang.compiler.pipeline import CompileResult


@click.command("fmt")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("--check", is_flag=True, help="Change nothing; list files that would change (exit 1 if any).")
@click.option("--diff", is_flag=True, help="Change nothing; print a unified diff (exit 1 if any).")
def command(paths: tuple[str, ...], check: bool, diff: bool) -> int:
    """Rewrite offer files in the canonical layout, in place (default: every *.offer under the
    current directory). `offer fmt -` reads standard input and writes standard output; `-`
    cannot be combined with other paths.

    A file with a syntax error or an unknown keyword, or one that cannot be read, is left
    untouched and reported, the other files are still formatted, and the exit code is 1.
    Formatting never changes what an offer compiles to.
    """
    from offerlang.authoring.fmt import format_source

    if "-" in paths and len(paths) > 1:
        # Standard input is formatted to standard output: it cannot share the run with files.
        raise click.UsageError("`-` (standard input) cannot be combined with other paths")
    files = list(offer_files(paths or (".",)))
    if not files:
        raise InputError(f"no *.offer files under {', '.join(paths or ('.',))}")
    changed: list[str] = []
    failed = 0
    for path in files:
        try:
            src = read_source(path)
        except InputError as exc:  # unreadable (permissions, vanished): the rest is still formatted
            click.echo(f"Error: {exc.format_message()}", err=True)
            failed += 1
            continue
        formatted, diags = format_source(src.text, src.path) if src.text is not None else (None, [])
        if formatted is None:
            failed += 1
            print_diagnostics(diags or src.diagnostics, [CompileResult(src.path, src.text, None, [])])
            continue
        if path == "-" and not (check or diff):
            click.echo(formatted, nl=False)
            continue
        if formatted == src.text and not src.bom:
            continue
        changed.append(src.path)
        if diff:
            before = ("\ufeff" if src.bom else "") + (src.text or "")
            click.echo(unified_diff(before, formatted, src.path), nl=False)
        if check:
            click.echo(src.path)
        if not (check or diff):
            try:
                write_atomic(path, formatted)
            except InputError as exc:  # the write failed; the original is still in place
                click.echo(f"{exc.format_message()}; left untouched", err=True)
                changed.pop()
                failed += 1
                continue
            click.echo(src.path)
    if paths != ("-",):
        click.echo(_summary(len(files), len(changed), failed, dry_run=check or diff), err=True)
    if failed or (changed and (check or diff)):
        return EXIT_INVALID
    return EXIT_OK


def _summary(total: int, changed: int, failed: int, *, dry_run: bool) -> str:
    def files(count: int) -> str:
        return f"{count} file{'s' * (count != 1)}"

    verb = "would be reformatted" if dry_run else "reformatted"
    parts = [f"{files(changed)} {verb}", f"{files(total - changed - failed)} already formatted"]
    if failed:
        parts.append(f"{files(failed)} with errors left untouched")
    return ", ".join(parts)
