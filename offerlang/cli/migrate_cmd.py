"""`offer migrate --to v2 [--check] PATH...`: what offers would lose moving to Sessions v2.

A report, never a rewrite: for each offer, every statement Sessions v2 cannot carry, at its
line, with why and what to do instead (the same diagnostics `offer check --target v2` gives).
An offer that does move is compiled for both APIs and the two compared in buyers' terms
(offer diff's sentences): a migration must not change what buyers see, and if it would, that
is reported too.
"""

from __future__ import annotations

from collections import Counter

import click

from offerlang.cli import EXIT_INVALID, EXIT_OK
from offerlang.cli.common import InputError, compile_path, offer_files, print_diagnostics
from offerlang.compiler.diagnostics import CODES, Diagnostic
from offerlang.compiler.pipeline import CompileResult
from offerlang.text import visible


@click.command("migrate")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "--to",
    "to",
    type=click.Choice(["v2"]),
    required=True,
    help="The API to move to: v2, FastSpring's current Sessions API.",
)
@click.option(
    "--check",
    is_flag=True,
    help="For CI: the same report and exit code (migrate never rewrites a file, with or without it).",
)
def command(paths: tuple[str, ...], to: str, check: bool) -> int:
    """Report, per offer file (or every *.offer under a directory; default: the current one),
    what cannot move to Sessions v2 and why, and what to write instead.

    Nothing is rewritten. Exits 1 if any offer cannot move as it is (or does not compile for
    Sessions v1 in the first place), 0 when every one can.
    """
    from offerlang.compiler.targets import Target

    files = list(offer_files(paths or (".",)))
    if not files:
        raise InputError(f"no *.offer files under {', '.join(paths or ('.',))}")
    target = Target(to)
    reasons: Counter[str] = Counter()
    clean = 0
    for path in files:
        moved, codes = _report(path, target)
        clean += moved
        reasons.update(codes)
    click.echo(_summary(len(files), clean, reasons, target))
    return EXIT_OK if clean == len(files) else EXIT_INVALID


def _report(path: str, target) -> tuple[bool, set[str]]:
    """Print one file's report; (does it move as it is, the codes of what stops it)."""
    before = compile_path(path, unbound_ok=True)
    if not before.ok:
        click.echo(
            f"{visible(path)}: does not compile for Sessions v1; fix it first (offer check {visible(path)})"
        )
        _show(before.errors, before)
        return False, {"v1"}
    after = compile_path(path, unbound_ok=True, target=target)
    lost = [d for d in after.diagnostics if d.is_error]
    if lost:
        count = len(lost)
        click.echo(
            f"{visible(path)}: cannot move to {target.short}: {count} statement{'s' * (count != 1)} to change"
        )
        _show(lost, after)
        _notes(after)
        return False, {d.code for d in lost}
    changes = _changes(before, after)
    if changes:
        click.echo(f"{visible(path)}: moves to {target.short}, but buyers would see a change:")
        for line in changes:
            click.echo(f"  {line}")
        _notes(after)
        return False, {"changes"}
    click.echo(f"{visible(path)}: moves to {target.short} as it is")
    _notes(after)
    return True, set()


def _notes(after: CompileResult) -> None:
    """What FastSpring does differently with the same offer on v2, though the offer says the
    same: a contact without a country is billed as US on v1, and located by the buyer's IP
    address on v2 (W301 marks such a contact)."""
    for d in after.diagnostics:
        if d.code == "W301" and d.span is not None:
            click.echo(
                f"  {after.path}:{d.span.line}:{d.span.column}: note: this contact has no country: "
                "Sessions v1 bills such a buyer as US, in USD; Sessions v2 infers the country from the "
                "buyer's IP address (add `country US` to keep v1's behaviour)"
            )


def _show(diagnostics: list[Diagnostic], result: CompileResult) -> None:
    print_diagnostics(diagnostics, [result], err=False)


def _changes(before: CompileResult, after: CompileResult) -> list[str]:
    """What buyers would see change between the v1 and the v2 compilation (a template, which
    has no payload without its values, is compared statement by statement only)."""
    if before.payload is None or after.payload is None:
        return []
    from offerlang.compiler.targets.v2 import review_form
    from offerlang.review.diff import diff_payloads

    return [c.line for c in diff_payloads(before.payload, review_form(after.payload))]


def _summary(total: int, clean: int, reasons: Counter[str], target) -> str:
    files = f"{total:,} file{'s' * (total != 1)}"
    moves = "moves" if clean == 1 else "move"
    line = f"{files}: {clean:,} {moves} to {target.short} as {'it is' if clean == 1 else 'they are'}"
    stuck = total - clean
    if not stuck:
        return line
    why = ", ".join(
        f"{_reason(code)} ({n:,} file{'s' * (n != 1)})"
        for code, n in sorted(reasons.items(), key=lambda r: (-r[1], r[0]))
    )
    return f"{line}; {stuck:,} cannot: {why}"


def _reason(code: str) -> str:
    if code == "v1":
        return "does not compile for Sessions v1"
    if code == "changes":
        return "buyers would see a change"
    return f"{code} {CODES.get(code, '')}".strip()
