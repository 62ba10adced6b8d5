"""What `offer compile --rows` and `offer send --rows` share: loading a template and its rows,
checking every row, and reporting the bad ones."""

from __future__ import annotations

import sys

import click

from ..api import CompileResult, Template, compile_template
from ..jsonout import dumps
from ..rows import Report, RowsError, RowSet
from . import EXIT_INVALID, EXIT_OK
from .common import open_atomic, print_diagnostics, read_path


class _RowsInvalid(Exception):
    """Raised inside an atomic write to throw the half-written output away."""


def load_rows(file: str, rows: str, key: str | None, values: dict[str, str]) -> RowSet | None:
    """The template, checked once, and its rows file opened. None (after printing why) when
    the template is invalid; a rows file that cannot be used at all is a usage error."""
    src = read_path(file)
    template: Template | None = None
    diags = src.diagnostics
    if src.text is not None:
        template, diags = compile_template(src.text, src.path)
    print_diagnostics(diags, [CompileResult(src.path, src.text, None, diags)])
    if template is None:
        return None
    try:
        return RowSet(rows, template, key, values)
    except RowsError as exc:
        raise click.UsageError(str(exc)) from None


def print_report(report: Report) -> None:
    for line in report.lines():
        click.echo(line, err=True)
    if not report.ok:
        click.echo(report.summary(), err=True)


def check_rows(row_set: RowSet) -> Report:
    """The first pass: every row bound and checked, nothing kept but the keys seen."""
    report = Report(row_set.path)
    for _row in row_set.rows(report):
        pass
    return report


def compile_rows(file: str, rows: str, key: str | None, values: dict[str, str], out: str | None) -> int:
    row_set = load_rows(file, rows, key, values)
    if row_set is None:
        return EXIT_INVALID
    if out is None:
        # Standard output cannot be taken back: check every row before writing the first.
        report = check_rows(row_set)
        if report.ok:
            report = Report(row_set.path)
            _write_payloads(row_set, report, sys.stdout)
        print_report(report)
        return EXIT_OK if report.ok else EXIT_INVALID
    report = Report(row_set.path)
    try:
        with open_atomic(out) as fh:
            _write_payloads(row_set, report, fh)
            if not report.ok:
                raise _RowsInvalid
    except _RowsInvalid:
        pass
    except OSError as exc:
        raise click.UsageError(f"{out}: {exc.strerror or exc}") from None
    print_report(report)
    return EXIT_OK if report.ok else EXIT_INVALID


def _write_payloads(row_set: RowSet, report: Report, fh) -> None:
    for row in row_set.rows(report):
        if report.ok:  # once a row is bad nothing will be kept: only go on checking
            fh.write(dumps(row.result.payload, None) + "\n")
