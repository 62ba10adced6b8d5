"""`offer fmt [--check] [--diff] PATH...`."""

from __future__ import annotations

import os

import click

from offerlang.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from offerlang.cli.common import InputError, offer_files, print_diagnostics, read_source, unified_diff
from offerlang.compiler.pipeline import CompileResult
from offerlang.text import plural, visible


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

    A file keeps its mode and owner. One whose mode says read-only, or with several hard links,
    is left untouched and reported (exit 2); one that changes while it is formatted is left as
    it is and reported (exit 1).
    """
    from offerlang.authoring.formatter import format_source
    from offerlang.files import Changed, Fingerprint, Refused, open_atomic

    if "-" in paths and len(paths) > 1:
        # Standard input is formatted to standard output: it cannot share the run with files.
        raise click.UsageError("`-` (standard input) cannot be combined with other paths")
    files = list(offer_files(paths or (".",)))
    if not files:
        raise InputError(f"no *.offer files under {', '.join(paths or ('.',))}")
    changed: list[str] = []
    failed = 0
    refused = 0
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
            click.echo(visible(src.path))
        if not (check or diff):
            read = ("\ufeff" if src.bom else "") + (src.text or "")
            try:
                # Through a symlink to the offer it names (the user named that offer), never
                # over a file that changed since it was read: a change before this stat shows
                # in the content hash, one after it in the size or time as well.
                expect = Fingerprint.of(os.stat(path), read.encode("utf-8"))
                with open_atomic(path, follow_symlinks=True, expect=expect) as fh:
                    fh.write(formatted)
            except Changed:
                click.echo(
                    f"{visible(src.path)}: changed while it was being formatted; left as it is (run again)",
                    err=True,
                )
                changed.pop()
                failed += 1
                continue
            except Refused as exc:
                click.echo(f"{visible(src.path)}: {exc.strerror}; not formatted", err=True)
                changed.pop()
                refused += 1
                continue
            except OSError as exc:  # the write failed; the original is still in place
                click.echo(
                    f"{visible(src.path)}: cannot be written ({exc.strerror or exc}); left untouched",
                    err=True,
                )
                changed.pop()
                failed += 1
                continue
            click.echo(visible(src.path))
    if paths != ("-",):
        click.echo(_summary(len(files), len(changed), failed + refused, dry_run=check or diff), err=True)
    if refused:
        return EXIT_USAGE
    if failed or (changed and (check or diff)):
        return EXIT_INVALID
    return EXIT_OK


def _summary(total: int, changed: int, failed: int, *, dry_run: bool) -> str:
    def files(count: int) -> str:
        return plural(count, "file")

    verb = "would be reformatted" if dry_run else "reformatted"
    parts = [f"{files(changed)} {verb}", f"{files(total - changed - failed)} already formatted"]
    if failed:
        parts.append(f"{files(failed)} with errors left untouched")
    return ", ".join(parts)
