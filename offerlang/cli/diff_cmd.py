"""`offer diff OLD NEW` and `offer diff --base REV [PATH...]`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import click

from ..api import CompileResult
from ..diagnostics import Diagnostic
from . import EXIT_INVALID, EXIT_OK
from .common import compile_path, offer_files, print_diagnostics
from .explain_cmd import format_option

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
@click.option("--exit-code", is_flag=True, help="Exit 1 when buyers would see a change, like git diff.")
def command(paths: tuple[str, ...], base: str | None, fmt: str, exit_code: bool) -> int:
    """Say what buyers would see change between two versions of offers: prices, trials,
    renewal, coupons, items, buyer, expiry, discounts, and what the buyer pays per period.

    Formatting and comment changes report "no change to what buyers see". An offer that does
    not compile on either side is reported with its problems, and the exit code is 1.
    """
    from ..diff import OfferDiff, diff_offers, to_blocks, to_json, to_plain
    from ..report import to_markdown

    if base is None:
        if len(paths) != 2:
            raise click.UsageError("give two offer files, OLD and NEW, or --base REV [PATH...]")
        pairs: list[Pair] = [(f"{paths[0]} → {paths[1]}", compile_path(paths[0]), compile_path(paths[1]))]
    else:
        pairs = git_pairs(base, paths or (".",))

    diffs: list[OfferDiff] = []
    broken: list[CompileResult] = []
    for label, old, new in pairs:
        invalid = [r for r in (old, new) if r is not None and not r.ok]
        if invalid:
            broken += invalid
            problems = tuple(one_line(d) for r in invalid for d in r.errors)
            diffs.append(OfferDiff(label, "invalid", [], problems))
        else:
            diffs.append(diff_offers(label, old and old.payload, new and new.payload))
    print_diagnostics([d for r in broken for d in r.diagnostics], broken)

    if fmt == "json":
        labels = {id(r): label for label, *sides in pairs for r in sides if r is not None}
        diagnostics: dict[str, list[dict]] = {}
        for r in broken:
            diagnostics.setdefault(labels[id(r)], []).extend(d.to_dict() for d in r.diagnostics)
        click.echo(to_json(diffs, diagnostics), nl=False)
    elif fmt == "markdown":
        click.echo(to_markdown(to_blocks(diffs)), nl=False)
    else:
        click.echo(to_plain(diffs), nl=False)

    if broken:
        return EXIT_INVALID
    return EXIT_INVALID if exit_code and any(d.changes for d in diffs) else EXIT_OK


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


def git_pairs(rev: str, paths: tuple[str, ...]) -> list[Pair]:
    """Each *.offer under `paths` in the working tree or at `rev`, compiled on both sides."""
    if rev.startswith("-"):
        # git would read it as an option, not a revision.
        raise click.UsageError(f"unknown git revision {rev!r}: a revision cannot start with '-'")
    if git("rev-parse", "--is-inside-work-tree").returncode != 0:
        raise click.UsageError("--base needs a git repository, and this folder is not in one")
    if git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode != 0:
        raise click.UsageError(f"unknown git revision {rev!r}; check the name (e.g. origin/main)")

    listed = git("ls-tree", "-r", "--name-only", "-z", rev, "--", *paths)
    if listed.returncode != 0:
        raise click.UsageError(f"git ls-tree {rev}: {listed.stderr.decode(errors='replace').strip()}")
    at_rev = {
        os.path.normpath(name)
        for name in listed.stdout.decode("utf-8", errors="surrogateescape").split("\0")
        if name.endswith(".offer") and not _hidden(name)
    }
    here_paths = [p for p in paths if Path(p).exists()]
    missing = [p for p in paths if not Path(p).exists() and not any(_under(f, p) for f in at_rev)]
    if missing:
        raise click.UsageError(f"{missing[0]}: no such file or directory, here or at {rev}")
    in_tree = {os.path.normpath(f) for f in offer_files(here_paths)}

    pairs: list[Pair] = []
    for path in sorted(at_rev | in_tree):
        old = None
        if path in at_rev:
            from ..api import compile_bytes

            shown = git("show", f"{rev}:./{path}")
            if shown.returncode != 0:
                reason = shown.stderr.decode(errors="replace").strip()
                raise click.UsageError(f"git show {rev}:{path}: {reason}")
            old = compile_bytes(shown.stdout, f"{rev}:{path}")
        new = compile_path(path) if path in in_tree else None
        pairs.append((path, old, new))
    return pairs


def _hidden(name: str) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in Path(name).parts[:-1])


def _under(file: str, path: str) -> bool:
    path = os.path.normpath(path)
    return path == "." or file == path or file.startswith(path.rstrip("/") + "/")
