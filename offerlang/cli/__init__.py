"""`offer`: a thin click layer over the library API.

Sub-commands live in their own modules and are imported only when run, so `offer --help`
and `offer check` never pay for httpx, jsonschema or rich.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import traceback
from typing import Any

import click

from offerlang import __version__

# Exit codes, documented in `offer --help` and the README.
EXIT_OK = 0
EXIT_INVALID = 1  # an offer (or input file) is invalid
EXIT_USAGE = 2  # bad command line, missing file
EXIT_REJECTED = 3  # FastSpring rejected a request
EXIT_NETWORK = 4  # network failure, or retries exhausted
EXIT_WARNED = 5  # Sessions v2: every session created, but FastSpring warned about one or priced one otherwise
EXIT_INTERNAL = 70  # a bug in offerlang (EX_SOFTWARE)
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # `offer send` could not print (128 + SIGPIPE, as a shell reports a closed pipe)
EXIT_TERMINATED = 143  # `offer send` stopped by SIGTERM (128 + SIGTERM), after recording what it did

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module, short help shown by `offer --help` without importing the module)
    "compile": ("compile_cmd", "Compile an offer to a Sessions v1 (or --target v2) JSON payload."),
    "check": ("check_cmd", "Check offer files and report every problem."),
    "explain": ("explain_cmd", "Say in plain words what the buyer gets and pays."),
    "diff": ("diff_cmd", "Show what buyers would see change between two versions of offers."),
    "preview": ("preview_cmd", "Serve the offer card on 127.0.0.1 and update it on every save."),
    "send": ("send_cmd", "Create FastSpring checkout sessions from offers."),
    "fmt": ("fmt_cmd", "Rewrite offer files in the one canonical layout."),
    "import": ("import_cmd", "Write offer source for a Sessions v1 or v2 JSON payload."),
    "migrate": ("migrate_cmd", "Report what offers would lose moving to Sessions v2."),
    "catalog": ("catalog_cmd", "Pull the store's catalog snapshot (offer catalog pull)."),
    "lsp": ("lsp_cmd", "Run the language server for editors (needs offerlang[lsp])."),
}

EPILOG = """\b
Exit codes:
  0   success (warnings allowed)
  1   an offer is invalid (or --check/--exit-code found a change)
  2   usage error: bad option, missing or unreadable file
  3   FastSpring rejected a request (send, catalog pull)
  4   network failure or retries exhausted (send, catalog pull)
  5   sessions created, but FastSpring warned about one or priced one otherwise (send --target v2)
  70  internal error in offerlang (please report it)
  130 interrupted (Ctrl-C)
  141 send: standard output was closed (the sessions created are in the receipts)
  143 send: terminated (SIGTERM); requests in flight finished and recorded
"""


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"{__name__}.{COMMANDS[name][0]}")
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        # Sub-commands return their exit code. main() passes it on; click's standalone mode
        # (CliRunner, `python -m`) would drop it, so turn a non-zero code into an exit here.
        try:
            code = super().invoke(ctx)
        except BrokenPipeError:
            # The reader went away (`offer check | head`): not an error of ours. Caught here, as
            # click's main() would turn it into a silent exit 1.
            silence_stdout()
            return EXIT_OK
        if isinstance(code, int) and code != EXIT_OK:
            ctx.exit(code)
        return code

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            from offerlang.compiler.diagnostics import did_you_mean

            guess = did_you_mean(args[0], COMMANDS) if args else None
            if guess and "No such command" in str(exc):
                raise click.UsageError(f"{exc.message} Did you mean '{guess}'?", ctx) from None
            raise


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="offerlang")
def cli() -> None:
    """offerlang: write FastSpring checkout offers as reviewable files, compile them to
    Sessions v1 payloads, and send them."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; never lets a traceback reach the user."""
    _printable_paths()
    try:
        result = cli.main(args=argv, prog_name="offer", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:  # click's name for a KeyboardInterrupt that reached it
        return _interrupted()
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as exc:
        if os.environ.get("OFFERLANG_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"offer: internal error: {type(exc).__name__}. This is a bug in offerlang; "
            "run again with OFFERLANG_DEBUG=1 and report the output.",
            err=True,
        )
        return EXIT_INTERNAL
    return result if isinstance(result, int) else EXIT_OK


def _interrupted() -> int:
    from offerlang.interrupts import terminated

    if terminated():  # SIGTERM, taken like Ctrl-C while `offer send` runs
        click.echo("offer: terminated (SIGTERM)", err=True)
        return EXIT_TERMINATED
    click.echo("offer: interrupted", err=True)
    return EXIT_INTERRUPTED


def _printable_paths() -> None:
    """A file name that is not UTF-8 (`bad\\xff.offer`) reaches us with lone surrogates, which a
    strict UTF-8 stream refuses to print: shown escaped (`bad\\udcff.offer`) instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="backslashreplace")


def silence_stdout() -> None:
    """Point standard output at /dev/null after a closed pipe, so that flushing it at exit does not
    fail again (and print "Exception ignored")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # standard output is not a file (a test's capture): nothing will flush it at exit


def entry() -> None:
    sys.exit(main())
