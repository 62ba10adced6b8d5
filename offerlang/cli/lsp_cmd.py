"""`offer lsp`: start the language server on standard input and output (for editors)."""

from __future__ import annotations

import click

from offerlang.cli import EXIT_OK
from offerlang.cli.common import InputError

INSTALL = "pip install 'offerlang[lsp]'"


@click.command("lsp")
@click.option(
    "--stdio", is_flag=True, help="Talk over standard input and output (the default, and the only way)."
)
def command(stdio: bool) -> int:
    """Run the offerlang language server for an editor: diagnostics as you type, completion,
    hover, quick fixes, formatting, outline, and $parameter navigation (docs/editor.md).

    It needs the `lsp` extra: pip install 'offerlang[lsp]'.
    """
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        raise InputError(f"offer lsp needs the language server extra: {INSTALL}") from None
    from offerlang.lsp.server import serve

    serve()
    return EXIT_OK
