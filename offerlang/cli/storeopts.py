"""`--catalog PATH` and `--isolated`: how a command finds each offer's store (offerlang/store).

Every command that checks offers (check, compile, explain, diff, send) takes them. Without a
config file and without --catalog nothing changes: no store module is even imported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from offerlang.cli.common import InputError
from offerlang.compiler.pipeline import CompileResult

if TYPE_CHECKING:
    from offerlang.compiler.diagnostics import Diagnostic
    from offerlang.store.context import Stores


def store_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--isolated",
        is_flag=True,
        help="Ignore every config file (offers.toml, [tool.offerlang] in pyproject.toml): no policy, "
        "and no catalog unless --catalog names one.",
    )(command)
    return click.option(
        "--catalog",
        metavar="PATH",
        help="Check against this catalog file (from `offer catalog pull`) instead of the one the "
        "config names.",
    )(command)


def make_stores(catalog: str | None, isolated: bool) -> Stores:
    from offerlang.store.context import Stores

    if catalog is not None:
        path = Path(catalog)
        if path.is_dir():
            raise InputError(f"--catalog {catalog}: is a directory, not a catalog file")
        if path.exists() and not path.is_file():
            # A named pipe or a device: not a file to read a catalog from (a pipe would block).
            raise InputError(f"--catalog {catalog}: is not a regular file, not a catalog file")
        if not path.is_file():
            raise InputError(f"--catalog {catalog}: no such file (write one with `offer catalog pull`)")
    return Stores(catalog, isolated)


def problem_results(stores: Stores) -> list[CompileResult]:
    """The config and catalog files with problems, as results the renderers print like offers
    (their text gives each problem its source line)."""
    sources = stores.sources()
    by_file: dict[str, list[Diagnostic]] = {}
    for d in stores.problems():
        by_file.setdefault(d.path or "", []).append(d)
    return [CompileResult(path, sources.get(path), None, diags) for path, diags in by_file.items()]
