"""Pieces shared by the sub-commands: finding offer files, printing diagnostics and review
documents (`--format`, colour), writing files."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

import click

from offerlang.compiler.diagnostic_output import SHOWN_PER_FILE, render_text
from offerlang.compiler.diagnostics import Diagnostic
from offerlang.compiler.pipeline import CompileResult, ExtraChecks
from offerlang.compiler.source import Source
from offerlang.files import open_atomic as open_atomic  # the commands' one way to write an output

if TYPE_CHECKING:
    from offerlang.review.document import Block
    from offerlang.store.context import Stores

# `offer explain` and `offer diff`: what their --format takes.
REVIEW_FORMATS = ["text", "markdown", "json", "html"]


class InputError(click.UsageError):
    """A path that cannot be read (missing, a directory, no permission): exit 2 like any usage
    error, but one line only; the command line itself was fine, so no usage text."""

    def show(self, file: IO[Any] | None = None) -> None:
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
    text = render_text(diags, sources, color=use_color(stream), per_file=SHOWN_PER_FILE)
    click.echo(text, file=stream, nl=False)


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org);
    FORCE_COLOR asks for it anywhere."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def review_format_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--format text|markdown|json` of `offer explain` and `offer diff`."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(REVIEW_FORMATS),
        default="text",
        show_default=True,
        help="text for people (tables on a terminal), markdown for a pull-request comment, "
        "json for tools (versioned), html for a self-contained offer card with charts (one file, "
        "no network).",
    )(command)


def echo_blocks(blocks: list[Block], output_format: str) -> None:
    """Markdown, or text: rich tables on a terminal, plain columns when piped."""
    from offerlang.review.document import print_rich, to_markdown, to_plain

    if output_format == "markdown":
        click.echo(to_markdown(blocks), nl=False)
    elif use_color(sys.stdout):
        print_rich(blocks, sys.stdout)
    else:
        click.echo(to_plain(blocks), nl=False)


def write_atomic(path: str | Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: never a half-written file, never
    through a symbolic link (offerlang/files.py). A path that cannot be written (no such folder,
    a directory, a link, read-only, no permission, a full disk) is an InputError."""
    try:
        with open_atomic(path) as fh:
            fh.write(text)
    except OSError as exc:
        raise _unwritable(path, exc) from None


def unified_diff(before: str, after: str, path: str) -> str:
    """What `--diff` prints: a unified diff of a file's text before and after a rewrite."""
    import difflib
    import re

    from offerlang.text import visible

    # Only `\n` ends a line in an offer; str.splitlines would also split at \x0c, \x1c, \u2028...
    def lines(text: str) -> list[str]:
        return re.findall(r"[^\n]*\n|[^\n]+$", text)

    out = []
    shown = visible(path)  # a file name is anyone's text: a folder walked may hold any
    for line in difflib.unified_diff(lines(before), lines(after), shown, shown):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _unwritable(path: str | Path, exc: OSError) -> InputError:
    return InputError(f"{path}: cannot be written ({exc.strerror or exc})")


def read_source(path: str, *, kind: str = "offer") -> Source:
    """A file's decoded text, or standard input's for `-`. An unreadable path is a usage error.
    `kind` names what the file should hold in messages ("offer", "JSON")."""
    from offerlang.compiler.source import NotRegularFile, UnreadableFile, decode, read_file

    if path == "-":
        with click.open_file("-", "rb") as stdin:  # the binary stream: bytes are decoded by us
            return decode(stdin.read(), "<stdin>", kind=kind)
    try:
        return read_file(path, kind=kind)
    except NotRegularFile as exc:
        raise InputError(f"{exc}; to read standard input, give - as the file") from None
    except UnreadableFile as exc:
        raise InputError(str(exc)) from None


def compile_path(
    path: str,
    values: Mapping[str, str] | None = None,
    *,
    unbound_ok: bool = False,
    target: str = "v1",
    stores: Stores | None = None,
) -> CompileResult:
    """Compile a file, or standard input for `-`. An unreadable path is a usage error.
    `values` bind the offer's parameters; `unbound_ok` checks a template without them;
    `target` is the API the payload is for (v1 or v2); `stores` adds the store checks of the
    offer's config and catalog (cli/storeopts.py)."""
    from offerlang.compiler.pipeline import compile_loaded

    checks = stores.for_path(path) if stores is not None else None
    return compile_loaded(read_source(path), values, unbound_ok, target, checks=checks)


def compile_for_review(
    path: str, values: Mapping[str, str] | None = None, target: str = "v1", stores: Stores | None = None
) -> CompileResult:
    """Compile a file (or standard input) for `offer explain` and `offer diff` (for `target`):
    see pipeline.compile_loaded_for_review. An unreadable path is a usage error. `stores`: the
    store checks of the offer's config and catalog run too."""
    checks = stores.for_path(path) if stores is not None else None
    return review_loaded(read_source(path), values, target, checks)


def review_loaded(
    src: Source,
    values: Mapping[str, str] | None = None,
    target: str = "v1",
    checks: ExtraChecks | None = None,
) -> CompileResult:
    """`compile_for_review` of what `read_source` (or git) read; `checks`: the offer's store
    checks (a StoreContext), or None."""
    from offerlang.compiler.pipeline import compile_loaded_for_review

    return compile_loaded_for_review(src, values, target, checks=checks)


def values_of(sets: tuple[str, ...]) -> dict[str, str]:
    """`--set NAME=VALUE` options as values; a malformed one is a usage error."""
    from offerlang.campaign.rows import parse_set

    try:
        return parse_set(sets)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def template_parameters(result: CompileResult) -> list[str]:
    """The `$name`s a template uses, in order."""
    from offerlang.compiler.params import analyse

    return [f"${name}" for name in analyse(result.offer).first_use] if result.offer is not None else []
