"""`offer diff --base REV`: the offers at a git revision against the working tree, paired.

Which *.offer files differ between REV and the working tree (renames paired, untracked files
added, gitignored and hidden ones left out), each side compiled. git is asked through its
command line; every way that can fail is a GitError with a message for the user.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from offerlang.compiler.pipeline import CompileResult, ExtraChecks, compile_loaded_for_review
from offerlang.compiler.source import decode, read_file
from offerlang.errors import OfferlangError

# (what the reader sees as the offer's name, the old side, the new side); None: no such file.
Pair = tuple[str, CompileResult | None, CompileResult | None]
# (old path at the revision, new path in the working tree); None: no such file on that side.
Sides = tuple[str | None, str | None]


class GitError(OfferlangError):
    """git is missing, this is not a repository, the revision is unknown, or a git command failed."""


def offer_pairs(
    rev: str,
    paths: Sequence[str],
    values: Mapping[str, str] | None = None,
    target: str = "v1",
    checks_for: Callable[[str], ExtraChecks | None] | None = None,
) -> list[Pair]:
    """Each *.offer under `paths` that differs between `rev` and the working tree, compiled on
    both sides for review (templates bound with `values`, for `target`), sorted by path. Raises
    GitError, or UnreadableFile for a working-tree file that cannot be read. `checks_for(path)`:
    the extra checks (the store's) of the offer at `path`, for both sides."""
    sides = changed_offers(rev, paths)
    pairs: list[Pair] = []
    for old, new in sorted(sides, key=lambda s: s[1] or s[0] or ""):
        label = new or old or ""
        if old and new and old != new:
            label = f"{old} → {new}"
        old_src = decode(show(rev, old), f"{rev}:{old}") if old else None
        old_checks = checks_for(old) if checks_for is not None and old else None
        new_checks = checks_for(new) if checks_for is not None and new else None
        old_side = None
        if old_src is not None:
            old_side = compile_loaded_for_review(old_src, values, target, checks=old_checks)
        new_side = None
        if new:
            new_side = compile_loaded_for_review(read_file(new), values, target, checks=new_checks)
        pairs.append((label, old_side, new_side))
    return pairs


def changed_offers(rev: str, paths: Sequence[str]) -> list[Sides]:
    """(old, new) for each *.offer under `paths` that differs between `rev` and the working tree."""
    if rev.startswith("-"):
        # git would read it as an option, not a revision.
        raise GitError(f"unknown git revision {rev!r}: a revision cannot start with '-'")
    if git("rev-parse", "--is-inside-work-tree").returncode != 0:
        raise GitError("--base needs a git repository, and this folder is not in one")
    if git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode != 0:
        raise GitError(f"unknown git revision {rev!r}; check the name (e.g. origin/main)")
    missing = [
        p
        for p in paths
        if not Path(p).exists() and not _names(git_out("ls-tree", "-r", "--name-only", rev, "--", p))
    ]
    if missing:
        raise GitError(f"{missing[0]}: no such file or directory, here or at {rev}")

    sides: list[Sides] = []
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
    return pair_moved_files(
        [(o, n) for o, n in sides if o or n], lambda name: show(rev, name), lambda n: Path(n).read_bytes()
    )


def pair_moved_files(
    sides: list[Sides], old_bytes: Callable[[str], bytes], new_bytes: Callable[[str], bytes]
) -> list[Sides]:
    """git finds renames among tracked files only; a file moved without `git add` is a removed
    and an untracked file with the same bytes: pair those too, so a move is not a delete."""
    gone = [o for o, n in sides if o and not n]
    if not gone or all(o for o, _ in sides):
        return sides
    by_bytes: dict[bytes, list[str]] = {}
    for name in gone:
        by_bytes.setdefault(old_bytes(name), []).append(name)
    out: list[Sides] = []
    for old, new in sides:
        if new and not old and by_bytes.get(data := new_bytes(new)):
            out.append((by_bytes[data].pop(0), new))
        elif new:
            out.append((old, new))
    left = {name for names in by_bytes.values() for name in names}
    return out + [(name, None) for name in gone if name in left]


def show(rev: str, path: str) -> bytes:
    """The bytes of `path` (relative to the current folder) at `rev`."""
    shown = git("show", f"{rev}:./{path}")
    if shown.returncode != 0:
        reason = shown.stderr.decode(errors="replace").strip()
        raise GitError(f"git show {rev}:{path}: {reason}")
    return shown.stdout


def git(*args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("--base needs git, and git is not installed (or not on PATH)") from None


def git_out(*args: str) -> bytes:
    done = git(*args)
    if done.returncode != 0:
        raise GitError(f"git {args[0]}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _names(output: bytes) -> list[str]:
    return [os.path.normpath(n) for n in output.decode("utf-8", errors="surrogateescape").split("\0") if n]


def _is_offer(name: str) -> bool:
    return name.endswith(".offer") and not _hidden(name)


def _hidden(name: str) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in Path(name).parts[:-1])
