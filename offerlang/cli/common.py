"""Pieces shared by the sub-commands: finding offer files, printing diagnostics, writing files."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TextIO

import click

from ..api import CompileResult
from ..diagnostics import Diagnostic
from ..render import render_text, use_color
from ..source import Source


def offer_files(paths: Iterable[str]) -> Iterator[str]:
    """Each path as given, and every *.offer below a directory, sorted for stable output."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(str(f) for f in p.rglob("*.offer") if f.is_file() and not _hidden(f, p))
            yield from found
        elif raw == "-" or p.exists():
            yield raw
        else:
            raise click.UsageError(f"{raw}: no such file or directory")


def _hidden(f: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in f.relative_to(root).parts[:-1])


def print_diagnostics(diags: list[Diagnostic], results: Iterable[CompileResult], err: bool = True) -> None:
    if not diags:
        return
    stream = sys.stderr if err else sys.stdout
    sources = {r.path: r.text for r in results}
    click.echo(render_text(diags, sources, color=use_color(stream)), file=stream, nl=False)


def write_atomic(path: str | Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: never a half-written file."""
    with open_atomic(path) as fh:
        fh.write(text)


@contextlib.contextmanager
def open_atomic(path: str | Path) -> Iterator[TextIO]:
    """A text file to stream into; it replaces `path` only when the block ends without an
    exception (then fsynced and renamed), and is removed otherwise."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def compile_path(
    path: str, values: Mapping[str, str] | None = None, *, unbound_ok: bool = False
) -> CompileResult:
    """Compile a file, or standard input for `-`. An unreadable path is a usage error.
    `values` bind the offer's parameters; `unbound_ok` checks a template without them."""
    from ..api import compile_loaded

    return compile_loaded(read_path(path), values, unbound_ok)


def read_path(path: str) -> Source:
    """A file's decoded text, or standard input's for `-`. An unreadable path is a usage error."""
    from ..source import UnreadableFile, decode, read_file

    if path == "-":
        return decode(click.get_binary_stream("stdin").read(), "<stdin>")
    try:
        return read_file(path)
    except UnreadableFile as exc:
        raise click.UsageError(str(exc)) from None
