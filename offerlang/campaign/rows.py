"""Buyers for a campaign: `--set NAME=VALUE` and `--rows FILE` (CSV with a header, or JSON Lines).

Rows are streamed, never loaded: a pass over 100,000 buyers holds one row at a time, plus
the keys seen so far (to refuse a duplicate key). Every problem is reported against the rows
file as `buyers.csv:17: column "email": …`, with the file's physical line numbers.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from offerlang.campaign.snapshot import Snapshot
from offerlang.compiler.diagnostics import Diagnostic, did_you_mean_hint
from offerlang.compiler.emit import Payload
from offerlang.compiler.pipeline import CompileResult, Template
from offerlang.compiler.source import NotRegularFile
from offerlang.errors import OfferlangError
from offerlang.language import BUYER_KEYWORDS, ParamType
from offerlang.text import and_more, plural, shown

CSV_SUFFIXES = (".csv",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
PROBLEMS_SHOWN = 50
# Excel's "CSV UTF-8" format; its plain "CSV" is the system's code page (Latin-1 and the like).
SAVE_AS_UTF8 = '; save it as "CSV UTF-8 (Comma delimited)"'


# Characters of one problem's line: a rows file is a spreadsheet someone else filled, so its
# words (keys, column names, values) in a message are escaped (text.shown) and a 5 MB cell
# does not become a 5 MB line.
PROBLEM_SHOWN = 1000


class RowsError(OfferlangError):
    """The rows file cannot be used at all (unreadable, no header, unknown key column). Its
    message quotes the file's words: escaped and capped, like every line about the rows."""

    def __init__(self, message: str) -> None:
        super().__init__(shown(message, PROBLEM_SHOWN))


class _Unreadable(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def parse_set(items: Iterable[str]) -> dict[str, str]:
    """`--set NAME=VALUE` options -> {name: value}. Raises ValueError with the reason."""
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().removeprefix("$")
        if not sep or not name:
            raise ValueError(f"--set {item!r}: write NAME=VALUE, e.g. --set email=ada@example.com")
        if name in values:
            raise ValueError(f"--set {name}: given twice")
        values[name] = value
    return values


@dataclass(frozen=True, slots=True)
class Row:
    """A good row: bound, checked and emitted."""

    line: int  # physical line where the record starts
    key: str
    payload: Payload  # what is sent for this row (result.payload, never None here)
    result: CompileResult  # the whole compilation: diagnostics (warnings), pointers, path


@dataclass
class RowProblems:
    """One pass over the rows: the rows counted, their problems counted and the first
    PROBLEMS_SHOWN of them kept as text (`buyers.csv:17: column "email": …`)."""

    path: str
    limit: int = PROBLEMS_SHOWN
    shown: list[str] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    rows: int = 0
    bad_rows: int = 0
    columns_wrong: bool = False  # the header does not fit the offer: no row was checked

    def add(self, line: int, column: str | None, message: str, warning: bool = False) -> None:
        if warning:
            self.warnings += 1
        else:
            self.errors += 1
        if len(self.shown) < self.limit:
            where = f' column "{column}":' if column is not None else ""
            self.shown.append(shown(f"{self.path}:{line}:{where} {message}", PROBLEM_SHOWN))

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def lines(self) -> list[str]:
        hidden = self.errors + self.warnings - len(self.shown)
        more = [f"… {and_more(hidden, 'problem')} in {self.path}"] if hidden > 0 else []
        return self.shown + more

    def summary(self) -> str:
        if self.columns_wrong:
            return (
                f"{self.path}: the columns do not fit the offer "
                f"({plural(self.errors, 'error', grouped=True)}); no row was checked"
            )
        return (
            f"{self.path}: {plural(self.rows, 'row', grouped=True)}, "
            f"{self.bad_rows:,} with errors ({plural(self.errors, 'error', grouped=True)})"
        )


class RowSet:
    """A rows file bound to a template. Each call to `rows()` streams the file once more."""

    def __init__(
        self,
        path: str | Path,
        template: Template,
        key: str | None = None,
        fixed: Mapping[str, str] | None = None,
    ) -> None:
        self.path = str(path)
        self.template = template
        self.fixed = dict(fixed or {})
        for name in self.fixed:
            # Once, against --set: binding would report it again for every row.
            if name not in template.declared:
                hint = did_you_mean_hint(name, template.declared)
                raise RowsError(
                    f"--set {name}: not a parameter of {template.path}" + (f"; {hint}" if hint else "")
                )
        self._columns_line = 1
        self._snapshot: Snapshot | None = None
        suffix = Path(self.path).suffix.lower()
        if suffix in CSV_SUFFIXES:
            self._records = self._csv_records
        elif suffix in JSONL_SUFFIXES:
            self._records = self._jsonl_records
        else:
            raise RowsError(
                f"{self.path}: rows must be a .csv file (with a header row) "
                "or .jsonl (one JSON object a line)"
            )
        try:
            # Every pass (check, send, links.csv) reads this one copy: only checked rows are sent.
            self._snapshot = Snapshot(self.path)
        except NotRegularFile as exc:  # a named pipe, a device: refused, never waited for
            raise RowsError(str(exc)) from None
        except OSError as exc:
            raise RowsError(f"{self.path}: {exc.strerror or exc}") from None
        self.columns = self._first_columns()
        if not self.columns:
            raise RowsError(f"{self.path}: no columns: the first line must name them")
        if self._records == self._csv_records and len(self.columns) == 1 and ";" in self.columns[0]:
            # A spreadsheet set to a comma-decimal locale saves "CSV" separated by semicolons.
            raise RowsError(
                f"{self.path}:{self._columns_line}: one column named {self.columns[0]!r}: the file is "
                "separated by semicolons; save it with commas (CSV UTF-8), or as .jsonl"
            )
        self._column_set = set(self.columns)
        self._template_diagnostics = set(template.diagnostics)
        self.key = key if key is not None else self.columns[0]
        key_param = template.declared.get(self.key)
        self._email_key = key_param is not None and key_param.type.value == ParamType.EMAIL
        if self.key not in self.columns:
            hint = did_you_mean_hint(self.key, self.columns, f"columns: {', '.join(self.columns)}")
            raise RowsError(f"{self.path}: --key {self.key!r} is not a column; {hint}")

    # ---- reading ------------------------------------------------------------------------------

    def _lines(self) -> Iterator[str]:
        """The file's physical lines, decoded one by one, so that a bad byte is reported on its
        own line. Raises _Unreadable there."""
        assert self._snapshot is not None
        with self._snapshot.open() as fh:
            for number, raw in enumerate(fh, start=1):
                if number == 1 and _utf16(raw):
                    raise _Unreadable(number, f"UTF-16 text, not UTF-8{SAVE_AS_UTF8}")
                nul = raw.find(b"\x00")
                if nul != -1:
                    raise _Unreadable(
                        number, f"a NUL byte (byte {nul + 1} of the line): a binary file, not text"
                    )
                try:
                    # utf-8-sig: spreadsheets often save CSV with a byte order mark.
                    yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    reason = f"not UTF-8 text (byte {exc.start + 1} of the line){SAVE_AS_UTF8}"
                    raise _Unreadable(number, reason) from None

    def _first_columns(self) -> list[str]:
        for line, fields, problem in self._records():
            if problem is not None:
                raise RowsError(f"{self.path}:{line}: {problem}")
            return list(fields or {})
        return []

    def _csv_records(self) -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
        """(line, {column: value}, problem) per record; the first one is the header."""
        reader = csv.reader(self._lines())
        try:
            header = next(reader, None)
            if header is None:
                return
            header = [h.strip() for h in header]
            # Counted once each (header.count() per column was quadratic: 40,000 columns, 19 s).
            twice = sorted(h for h, n in Counter(header).items() if n > 1)
            if twice:
                yield reader.line_num, None, f'column "{twice[0]}" appears twice'
                return
            self._columns_line = reader.line_num
            yield reader.line_num, dict.fromkeys(header, ""), None
            previous = reader.line_num
            for record in reader:
                line, previous = previous + 1, reader.line_num
                if not record:  # a blank line
                    continue
                if len(record) != len(header):
                    yield line, None, f"the row has {len(record)} fields, the header has {len(header)}"
                    continue
                yield line, dict(zip(header, record, strict=True)), None
        except _Unreadable as exc:
            yield exc.line, None, f"cannot read the rest of the file: {exc.reason}"
        except csv.Error as exc:
            reason = str(exc)
            if "new-line character seen in unquoted field" in reason:
                # Lines are split at LF: a CR left in a field without quotes means lines that end
                # with a CR alone (the old Mac format), not a newline Python failed to translate.
                reason = (
                    "a carriage return inside a line, outside quotes: lines that end with a carriage "
                    f"return alone (the old Mac format) cannot be read{SAVE_AS_UTF8}"
                )
            yield reader.line_num, None, f"cannot read the rest of the file: {reason}"

    def _jsonl_records(self) -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
        first = True
        try:
            for line, text in enumerate(self._lines(), start=1):
                if not text.strip():
                    continue
                record, problem = _json_record(text)
                if first and record is not None:
                    # The columns of a JSON Lines file are the keys of its first object.
                    self._columns_line = line
                    yield line, dict.fromkeys(record, ""), None
                    first = False
                yield line, record, problem
        except _Unreadable as exc:
            yield exc.line, None, f"cannot read the rest of the file: {exc.reason}"

    # ---- checking and binding -----------------------------------------------------------------

    def rows(self, problems: RowProblems) -> Iterator[Row]:
        """Every good row, bound and emitted, in file order; every problem goes to `problems`.

        With a problem in the columns themselves no row is bound: each would fail the same way.
        """
        declared = self.template.declared
        wanted = set(declared) & self.template.parameters.used
        header_ok = self._check_columns(problems, self.columns, self._columns_line)
        if not header_ok:
            problems.columns_wrong = True
            return
        # One index, by the key folded to lower case: a key that differs from an earlier one
        # only in case is the same buyer for an email key (folded already, so a duplicate) and
        # probably a mistake for any other key (a warning). Only keys that are not in lower
        # case already (rare: emails are folded) need their spelling kept beside the index.
        seen: dict[str, int] = {}
        spelled: dict[str, str] = {}
        case_variants: dict[str, int] = {}
        sessions: dict[bytes, int] = {}  # payloads naming a buyer, by digest: the line of each
        records = self._records()
        next(records, None)  # the column names
        for line, fields, problem in records:
            problems.rows += 1
            errors_before = problems.errors
            if problem is not None:
                problems.add(line, None, problem)
            elif fields is not None and self._columns_fit(problems, fields, line):
                key = self._identity(fields)
                folded = key.casefold()
                first_line = seen.get(folded)
                if not key:
                    problems.add(line, self.key, "the key is empty: every row needs one")
                elif first_line is None:
                    seen[folded] = line
                    if key != folded:
                        spelled[folded] = key
                elif spelled.get(folded, folded) == key:
                    problems.add(line, self.key, f'key "{key}" is already used on line {first_line}')
                elif key in case_variants:
                    problems.add(line, self.key, f'key "{key}" is already used on line {case_variants[key]}')
                else:
                    case_variants[key] = line
                    first_key = spelled.get(folded, folded)
                    problems.add(
                        line,
                        self.key,
                        f'key "{key}" differs only in case from "{first_key}" on line {first_line}',
                        warning=True,
                    )
                values = {k: v for k, v in fields.items() if k in wanted}
                values.update(self.fixed)
                result = self.template.bind(values)
                self._add_diagnostics(problems, result.diagnostics, line)
                if problems.errors == errors_before and result.payload is not None:
                    first = _same_session(result.payload, line, sessions)
                    if first is not None:
                        problems.add(
                            line,
                            None,
                            f"the same session as line {first}: the payload is identical and names "
                            "the same buyer, who would get two sessions; remove one of the rows",
                        )
                    else:
                        yield Row(line, key, result.payload, result)
            if problems.errors > errors_before:
                problems.bad_rows += 1

    def changed_on_disk(self) -> bool:
        """Whether the file no longer holds the rows read from it (all passes read that copy)."""
        return self._snapshot is not None and self._snapshot.changed()

    def row_keys(self) -> Iterator[str]:
        """The key of every row, in file order (for rows already checked by `rows()`)."""
        records = self._records()
        next(records, None)
        for _line, fields, _problem in records:
            if fields is not None:
                yield self._identity(fields)

    def _identity(self, fields: dict[str, str]) -> str:
        """The row's key as the ledger knows it: an email key in lower case, since
        Ada@Example.com and ada@example.com are one buyer."""
        key = fields.get(self.key, "").strip()
        return key.lower() if self._email_key else key

    def _check_columns(self, problems: RowProblems, columns: Iterable[str], line: int) -> bool:
        """Unknown, unused and missing columns, against the template's parameters."""
        declared = self.template.declared
        used = self.template.parameters.used
        errors_before = problems.errors
        columns = list(columns)
        for column in columns:
            if column == self.key and column not in declared:
                continue
            if column in self.fixed:
                problems.add(line, column, f"is also given by --set {column}=…; give it once")
            elif column not in declared:
                hint = did_you_mean_hint(column, declared)
                problems.add(
                    line,
                    column,
                    f"is not a parameter of {self.template.path}" + (f"; {hint}" if hint else ""),
                )
            elif column not in used:
                problems.add(
                    line, column, f"is unused: {self.template.path} declares ${column} but never uses it"
                )
        for name in declared:
            if name in used and name not in columns and name not in self.fixed:
                problems.add(line, name, f"is missing: ${name} needs a value (or --set {name}=…)")
        return problems.errors == errors_before

    def _columns_fit(self, problems: RowProblems, fields: dict[str, str], line: int) -> bool:
        if fields.keys() == self._column_set:
            return True
        # JSON Lines: each object names its own keys.
        return self._check_columns(problems, fields, line)

    def _add_diagnostics(self, problems: RowProblems, diags: list[Diagnostic], line: int) -> None:
        at = self.template.parameters.at
        for d in diags:
            if d in self._template_diagnostics:
                continue  # the template's own warning, reported once already, not once per row
            message = f"{d.severity.value}[{d.code}]: {d.message}" + (f" ({d.hint})" if d.hint else "")
            column = at.get((d.span.line, d.span.column)) if d.span is not None else None
            if column is None and d.span is not None:
                message = f"{self.template.path}:{d.span.line}:{d.span.column}: {message}"
            problems.add(line, column, message, warning=not d.is_error)


def _same_session(payload: dict | None, line: int, sessions: dict[bytes, int]) -> int | None:
    """The line of an earlier row with this very payload, if it names a buyer (an account, a
    contact or a lookup key); None otherwise. A payload without a buyer gives an anonymous link,
    and several identical ones may be wanted."""
    if not payload or not any(field in payload for field in BUYER_KEYWORDS):
        return None
    # repr, not the JSON text: as exact (str, int, Decimal, lists and dicts in order) and written
    # in C, where JSON writing would be a fifth of the time a row takes. 16 bytes of SHA-256:
    # no collision in any campaign, and a third of the memory of the text.
    digest = hashlib.sha256(repr(payload).encode("utf-8", "surrogatepass")).digest()[:16]
    first = sessions.get(digest)
    if first is None:
        sessions[digest] = line
    return first


def _utf16(line: bytes) -> bool:
    """A first line in UTF-16: a byte order mark, or ASCII text with a NUL beside every letter
    (one stray NUL is a damaged or binary file, not UTF-16)."""
    if line.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return len(line) >= 4 and line.count(b"\x00") * 3 >= len(line)


def _json_record(text: str) -> tuple[dict[str, str] | None, str | None]:
    from offerlang import jsonout

    try:
        # The shared reader: a key given twice, a number of 5,000 digits, nesting 100,000 deep or
        # a lone surrogate is a located problem of this row, never a crash.
        data = jsonout.loads(text, unique_keys=True, refuse_lone_surrogates=True)
    except jsonout.DuplicateKey as exc:
        return None, (
            f'column "{exc.key}": given twice in the row (column {exc.pos + 1}); JSON readers keep '
            "only one of them, so which value counts is unknown"
        )
    except json.JSONDecodeError as exc:
        # One line per record: the position in it is the column, counted from 1.
        return None, f"not a JSON object: {exc.msg} (column {exc.pos + 1})"
    if not isinstance(data, dict):
        return None, "not a JSON object: each line must be one {…}"
    out: dict[str, str] = {}
    for k, v in data.items():
        if isinstance(v, str):
            out[k] = v
        elif isinstance(v, int | Decimal) and not isinstance(v, bool):
            out[k] = str(v)
        else:
            return None, f'column "{k}": must be a string or a number, not {json.dumps(v)}'
    return out, None
