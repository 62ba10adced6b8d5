"""`offer diff OLD NEW` and `offer diff --base REV [PATH...]`."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import click

from offerlang.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from offerlang.cli.campaign import set_option
from offerlang.cli.common import compile_for_review, print_diagnostics, review_loaded, template_parameters
from offerlang.cli.explain_cmd import format_option, values_of
from offerlang.compiler.diagnostics import Diagnostic
from offerlang.compiler.pipeline import CompileResult

# With --exit-code: buyers would see a change (git diff's 1), whatever EXIT_INVALID means.
EXIT_CHANGED = 1

# (what the reader sees as the offer's name, the old side, the new side); None: no such file.
Pair = tuple[str, CompileResult | None, CompileResult | None]


@click.command("diff")
@click.argument("paths", nargs=-1, metavar="OLD NEW | --base REV [PATH...]")
@click.option(
    "--base",
    metavar="REV",
    help="Compare the offers in the working tree with the same paths at git revision REV "
    "(for a pull request: --base origin/main). PATHs default to the current folder.",
)
@format_option("tools (versioned)")
@set_option
@click.option(
    "--exit-code",
    is_flag=True,
    help="Like git diff: exit 1 when buyers would see a change, 2 on any error (an offer that "
    "does not compile included), 0 otherwise.",
)
def command(
    paths: tuple[str, ...], base: str | None, fmt: str, sets: tuple[str, ...], exit_code: bool
) -> int:
    """Say what buyers would see change between two versions of offers: prices, trials,
    renewal, coupons, items, buyer, expiry, discounts, and what the buyer pays per period.

    Formatting and comment changes report "no change to what buyers see". An offer that does
    not compile on either side is reported with its problems, and the exit code is 1 (2 with
    --exit-code, where 1 means "buyers would see a change").

    Templates (offers with parameters) are compared for one buyer with --set NAME=VALUE (the
    same values on both sides), or else with each parameter shown as $name; one whose
    parameter stands for an amount needs --set and is skipped with a note without it.
    """
    from offerlang.review.diff import OfferDiff, diff_offers, to_blocks, to_json, to_plain
    from offerlang.review.document import to_markdown

    values = values_of(sets)
    if base is None:
        if len(paths) != 2:
            raise click.UsageError("give two offer files, OLD and NEW, or --base REV [PATH...]")
        pairs: list[Pair] = [
            (
                f"{paths[0]} → {paths[1]}",
                compile_for_review(paths[0], values),
                compile_for_review(paths[1], values),
            )
        ]
    else:
        pairs = git_pairs(base, paths or (".",), values)

    diffs: list[OfferDiff] = []
    broken: list[CompileResult] = []
    for label, old, new in pairs:
        invalid = [r for r in (old, new) if r is not None and not r.ok]
        unshown = [r for r in (old, new) if r is not None and r.ok and r.payload is None]
        if unshown and not invalid:
            names = ", ".join(dict.fromkeys(n for r in unshown for n in template_parameters(r)))
            click.echo(
                f"{label}: not compared: a template whose parameters ({names}) include an amount; "
                "give values with --set NAME=VALUE",
                err=True,
            )
            sides = (old.path if old else None, new.path if new else None)
            diffs.append(OfferDiff(label, "skipped", [], (), *sides))
            continue
        if invalid:
            broken += invalid
            problems = tuple(one_line(d) for r in invalid for d in r.errors)
            diffs.append(OfferDiff(label, "invalid", [], problems, old and old.path, new and new.path))
        else:
            payloads = (old and old.payload, new and new.payload)
            diffs.append(diff_offers(label, *payloads, old and old.path, new and new.path))
    # The same broken file on both sides (`offer diff a.offer a.offer`) is reported once.
    shown = list({(r.path, r.text): r for r in broken}.values())
    print_diagnostics([d for r in shown for d in r.diagnostics], shown)

    if fmt == "json":
        labels = {id(r): label for label, *sides in pairs for r in sides if r is not None}
        diagnostics: dict[str, list[dict]] = {}
        for r in broken:
            diagnostics.setdefault(labels[id(r)], []).extend(d.to_dict() for d in r.diagnostics)
        click.echo(to_json(diffs, diagnostics), nl=False)
    elif fmt == "markdown":
        click.echo(to_markdown(to_blocks(diffs)), nl=False)
    elif fmt == "html":
        from offerlang.review.html import DiffEntry, diff_page

        entries = [
            DiffEntry(d, *(r.payload if r is not None and r.ok else None for r in sides))
            for d, (_, *sides) in zip(diffs, pairs, strict=True)
        ]
        click.echo(diff_page(entries), nl=False)
    else:
        click.echo(to_plain(diffs), nl=False)

    if exit_code:
        # git diff --exit-code's contract, which CI scripts test for: 1 is "different", and
        # an error must not look like one.
        if broken:
            return EXIT_USAGE
        return EXIT_CHANGED if any(d.changes for d in diffs) else EXIT_OK
    return EXIT_INVALID if broken else EXIT_OK


def one_line(d: Diagnostic) -> str:
    """`path:line:col: error[CODE]: message`, for a pull-request comment that has no stderr."""
    where = d.path or "<input>"
    if d.span is not None:
        where += f":{d.span.line}:{d.span.column}"
    return f"{where}: {d.severity.value}[{d.code}]: {d.message}"


def git(*args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise click.UsageError("--base needs git, and git is not installed (or not on PATH)") from None


def git_pairs(rev: str, paths: tuple[str, ...], values: dict[str, str] | None = None) -> list[Pair]:
    """Each *.offer under `paths` that differs between `rev` and the working tree (renames
    paired, untracked files added, gitignored ones left out), compiled on both sides."""
    from offerlang.compiler.source import decode

    if rev.startswith("-"):
        # git would read it as an option, not a revision.
        raise click.UsageError(f"unknown git revision {rev!r}: a revision cannot start with '-'")
    if git("rev-parse", "--is-inside-work-tree").returncode != 0:
        raise click.UsageError("--base needs a git repository, and this folder is not in one")
    if git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode != 0:
        raise click.UsageError(f"unknown git revision {rev!r}; check the name (e.g. origin/main)")
    missing = [
        p
        for p in paths
        if not Path(p).exists() and not _names(git_out("ls-tree", "-r", "--name-only", rev, "--", p))
    ]
    if missing:
        raise click.UsageError(f"{missing[0]}: no such file or directory, here or at {rev}")

    def at_rev(path: str) -> bytes:
        shown = git("show", f"{rev}:./{path}")
        if shown.returncode != 0:
            reason = shown.stderr.decode(errors="replace").strip()
            raise click.UsageError(f"git show {rev}:{path}: {reason}")
        return shown.stdout

    # (old path at rev or None, new path here or None)
    sides: list[tuple[str | None, str | None]] = []
    fields = _names(
        git_out("diff", "--no-ext-diff", "--relative", "--name-status", "-M", "-z", rev, "--", *paths)
    )
    while fields:
        status = fields.pop(0)
        if status[0] in "RC":
            old, new = fields.pop(0), fields.pop(0)
            sides.append((old if status[0] == "R" else None, new))
        else:
            name = fields.pop(0)
            sides.append((None if status[0] == "A" else name, None if status[0] == "D" else name))
    untracked = _names(git_out("ls-files", "--others", "--exclude-standard", "-z", "--", *paths))
    sides += [(None, name) for name in untracked]
    sides = [(o if o and _is_offer(o) else None, n if n and _is_offer(n) else None) for o, n in sides]
    sides = _pair_moved_files([(o, n) for o, n in sides if o or n], at_rev, lambda n: Path(n).read_bytes())

    pairs: list[Pair] = []
    for old, new in sorted(sides, key=lambda s: s[1] or s[0] or ""):
        label = new or old or ""
        if old and new and old != new:
            label = f"{old} → {new}"
        old_result = review_loaded(decode(at_rev(old), f"{rev}:{old}"), values) if old else None
        pairs.append((label, old_result, compile_for_review(new, values) if new else None))
    return pairs


def _pair_moved_files(
    sides: list[tuple[str | None, str | None]],
    old_bytes: Callable[[str], bytes],
    new_bytes: Callable[[str], bytes],
) -> list[tuple[str | None, str | None]]:
    """git finds renames among tracked files only; a file moved without `git add` is a removed
    and an untracked file with the same bytes: pair those too, so a move is not a delete."""
    gone = [o for o, n in sides if o and not n]
    if not gone or all(o for o, _ in sides):
        return sides
    by_bytes: dict[bytes, list[str]] = {}
    for name in gone:
        by_bytes.setdefault(old_bytes(name), []).append(name)
    out: list[tuple[str | None, str | None]] = []
    for old, new in sides:
        if new and not old and by_bytes.get(data := new_bytes(new)):
            out.append((by_bytes[data].pop(0), new))
        elif new:
            out.append((old, new))
    left = {name for names in by_bytes.values() for name in names}
    return out + [(name, None) for name in gone if name in left]


def git_out(*args: str) -> bytes:
    done = git(*args)
    if done.returncode != 0:
        raise click.UsageError(f"git {args[0]}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _names(output: bytes) -> list[str]:
    return [os.path.normpath(n) for n in output.decode("utf-8", errors="surrogateescape").split("\0") if n]


def _is_offer(name: str) -> bool:
    return name.endswith(".offer") and not _hidden(name)


def _hidden(name: str) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in Path(name).parts[:-1])
