"""Pieces shared by the sub-commands: finding offer files, printing diagnostics, writing files."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TextIO

import click

from offerlang.compiler.diagnostics import Diagnostic
from offerlang.compiler.pipeline import CompileResult
from offerlang.compiler.render import render_text, use_color
from offerlang.compiler.source import Source


class InputError(click.UsageError):
    """A path that cannot be read (missing, a directory, no permission): exit 2 like any usage
    error, but one line only; the command line itself was fine, so no usage text."""

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", file=file, err=file is None)


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
            raise InputError(f"{raw}: no such file or directory")


def _hidden(f: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in f.relative_to(root).parts[:-1])


def print_diagnostics(diags: list[Diagnostic], results: Iterable[CompileResult], err: bool = True) -> None:
    if not diags:
        return
    stream = sys.stderr if err else sys.stdout
    sources = {r.path: r.text for r in results}
    click.echo(render_text(diags, sources, color=use_color(stream)), file=stream, nl=False)


def write_atomic(path: str | Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: never a half-written file.
    A path that cannot be written (no such folder, a directory, no permission, a full disk) is
    an InputError."""
    try:
        with open_atomic(path) as fh:
            fh.write(text)
    except OSError as exc:
        raise _unwritable(path, exc) from None


@contextlib.contextmanager
def open_atomic(path: str | Path) -> Iterator[TextIO]:
    """A text file to stream into; it replaces `path` only when the block ends without an
    exception (then fsynced and renamed), and is removed otherwise."""
    import tempfile  # here, not at the top: `offer check` never writes, so it does not pay for it

    # Through a symlink to the file it names: the link stays a link, the real file is replaced.
    target = Path(os.path.realpath(path))
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    replaced = False
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
        replaced = True
    finally:
        if not replaced:
            Path(tmp).unlink(missing_ok=True)


def unified_diff(before: str, after: str, path: str) -> str:
    """What `--diff` prints: a unified diff of a file's text before and after a rewrite."""
    import difflib
    import re

    # Only `\n` ends a line in an offer; str.splitlines would also split at \x0c, \x1c, \u2028...
    def lines(text: str) -> list[str]:
        return re.findall(r"[^\n]*\n|[^\n]+$", text)

    out = []
    for line in difflib.unified_diff(lines(before), lines(after), path, path):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _unwritable(path: str | Path, exc: OSError) -> InputError:
    return InputError(f"{path}: cannot be written ({exc.strerror or exc})")


def read_source(path: str, *, kind: str = "offer") -> Source:
    """A file's decoded text, or standard input's for `-`. An unreadable path is a usage error.
    `kind` names what the file should hold in messages ("offer", "JSON")."""
    from offerlang.compiler.source import UnreadableFile, decode, read_file

    if path == "-":
        with click.open_file("-", "rb") as stdin:  # the binary stream: bytes are decoded by us
            return decode(stdin.read(), "<stdin>", kind=kind)
    try:
        return read_file(path, kind=kind)
    except UnreadableFile as exc:
        raise InputError(str(exc)) from None


def compile_path(
    path: str, values: Mapping[str, str] | None = None, *, unbound_ok: bool = False
) -> CompileResult:
    """Compile a file, or standard input for `-`. An unreadable path is a usage error.
    `values` bind the offer's parameters; `unbound_ok` checks a template without them."""
    from offerlang.compiler.pipeline import compile_loaded

    return compile_loaded(read_source(path), values, unbound_ok)


def compile_for_review(path: str, values: Mapping[str, str] | None = None) -> CompileResult:
    """Compile a file for `offer explain` and `offer diff`. A template is bound with `values`
    when given; without them it comes back with a preview payload in which every parameter reads
    `$name` (still `template_only`), or without a payload when a parameter stands for an amount."""
    return review_loaded(read_source(path), values)


def review_loaded(src: Source, values: Mapping[str, str] | None = None) -> CompileResult:
    """`compile_for_review` of what `read_source` (or git) read."""
    from offerlang.compiler.pipeline import compile_loaded

    result = compile_loaded(src, None, True)
    if not result.template_only or result.offer is None:
        return result
    if values:
        return compile_loaded(src, values)
    from offerlang.compiler.emit import emit
    from offerlang.compiler.params import preview

    shown = preview(result.offer)
    if shown is not None:
        result.payload, _ = emit(shown)
    return result


def template_parameters(result: CompileResult) -> list[str]:
    """The `$name`s a template uses, in order."""
    from offerlang.compiler.params import analyse

    return [f"${name}" for name in analyse(result.offer).first_use] if result.offer is not None else []
