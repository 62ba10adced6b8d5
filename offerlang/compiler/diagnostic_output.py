"""Diagnostics as output: text for people (a terminal), a versioned JSON document for tools, and
GitHub annotations. Whether a terminal gets colour is the CLI's to decide (`color=`)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from offerlang import jsonout
from offerlang.compiler.diagnostics import Diagnostic, Severity
from offerlang.text import and_more, plural, visible

JSON_FORMAT_VERSION = 1

_COLORS = {
    "error": "\x1b[1;31m",
    "warning": "\x1b[1;33m",
    "help": "\x1b[1;36m",
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
    "reset": "\x1b[0m",
}


# Diagnostics shown per file on the terminal: past this many, one line says how many more there
# are (the summary still counts them all; --format json and github list every one).
SHOWN_PER_FILE = 200


def render_text(
    diags: Iterable[Diagnostic],
    sources: dict[str, str | None],
    color: bool = False,
    per_file: int | None = None,
) -> str:
    """Like a modern compiler: location, code, message, the source line, carets, a help line.

    With `per_file`, at most that many diagnostics of each file are shown, then one line says
    how many more there are. Each file's text is split into lines once, however many
    diagnostics it has (splitting it per diagnostic made 40,000 of them quadratic)."""
    c = _COLORS if color else {k: "" for k in _COLORS}
    out: list[str] = []
    lines_of: dict[str, list[str] | None] = {}
    count: dict[str | None, int] = {}
    hidden: dict[str | None, int] = {}
    previous: str | None = None

    def close_file(path: str | None) -> None:
        if hidden.get(path):
            # The same line as a rows file's list of problems, cut short.
            out.extend([f"… {and_more(hidden.pop(path), 'problem')} in {visible(path or '<input>')}", ""])

    for d in diags:
        if d.path != previous:
            close_file(previous)
            previous = d.path
        count[d.path] = count.get(d.path, 0) + 1
        if per_file is not None and count[d.path] > per_file:
            hidden[d.path] = hidden.get(d.path, 0) + 1
            continue
        sev = d.severity.value
        loc = visible(d.path or "<input>")
        if d.span is not None:
            loc += f":{d.span.line}:{d.span.column}"
        # The message and hint quote the author's words: escaped like any text we did not write.
        out.append(f"{c['bold']}{loc}{c['reset']}: {c[sev]}{sev}[{d.code}]{c['reset']}: {visible(d.message)}")
        key = d.path or ""
        if key not in lines_of:
            text = sources.get(key)
            lines_of[key] = text.split("\n") if text is not None else None
        lines = lines_of[key]
        if d.span is not None and lines is not None and 1 <= d.span.line <= len(lines):
            src = lines[d.span.line - 1].rstrip("\r")
            number = str(d.span.line)
            gutter = " " * len(number)
            start = d.span.column - 1
            end = d.span.end_column - 1 if d.span.end_line == d.span.line else len(src)
            src, start, end = _window(src, start, end)
            shown, cols = _display(src)
            caret_start = cols[min(start, len(src))]
            width = max(cols[min(max(end, start), len(src))] - caret_start, 1)
            out.append(f"{c['dim']}{gutter} |{c['reset']}")
            out.append(f"{c['dim']}{number} |{c['reset']} {shown}")
            out.append(
                f"{c['dim']}{gutter} |{c['reset']} {' ' * caret_start}{c[sev]}{'^' * width}{c['reset']}"
            )
        if d.hint:
            out.append(f"  {c['help']}help{c['reset']}: {visible(d.hint)}")
        out.append("")
    close_file(previous)
    for path in list(hidden):  # a file whose diagnostics were not all together
        close_file(path)
    return "\n".join(out) + ("\n" if out else "")


TAB_WIDTH = 4
# Longer source lines are shown as a window around the problem, so a minified or runaway line
# does not flood the terminal.
MAX_SHOWN = 100


def _window(src: str, start: int, end: int) -> tuple[str, int, int]:
    if len(src) <= MAX_SHOWN:
        return src, start, end
    a = max(0, min(start - 30, len(src) - MAX_SHOWN))
    b = min(len(src), a + MAX_SHOWN)
    prefix = "…" if a else ""
    suffix = "…" if b < len(src) else ""
    shift = len(prefix) - a
    return prefix + src[a:b] + suffix, start + shift, min(max(end, start), b) + shift


def _display(src: str) -> tuple[str, list[int]]:
    """The source line as a terminal shows it, and the screen column where each character
    starts (plus one past the end), so that carets sit under the right characters even after
    tabs, wide CJK characters and emoji. Control characters are shown as their symbols (U+2400)
    so that a stray carriage return cannot rewrite the line on screen; other invisible characters
    (a no-break or zero-width space) as `␣`, so that the caret under them points at something."""
    parts: list[str] = []
    cols = [0]
    for ch in src:
        invisible = ch != " " and unicodedata.category(ch) in ("Zs", "Zl", "Zp", "Cf")
        if ch == "\t":
            shown = " " * TAB_WIDTH
        elif ord(ch) < 0x20:
            shown = chr(0x2400 + ord(ch))
        elif invisible:
            shown = "␣"
        else:
            shown = ch
        parts.append(shown)
        if ch == "\t":
            width = TAB_WIDTH
        elif invisible:
            width = 1
        elif unicodedata.combining(ch):
            width = 0
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            width = 2
        else:
            width = 1
        cols.append(cols[-1] + width)
    return "".join(parts), cols


def summary(diags: list[Diagnostic], files: int) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diags)
    warnings = len(diags) - errors
    return f"{plural(files, 'file')} checked, {plural(errors, 'error')}, {plural(warnings, 'warning')}"


def render_json(diags: Iterable[Diagnostic], files: list[dict[str, Any]]) -> str:
    """A stable, versioned document: {"version": 1, "files": [...], "diagnostics": [...]}."""
    doc = {
        "version": JSON_FORMAT_VERSION,
        "files": files,
        "diagnostics": [d.to_dict() for d in diags],
    }
    # jsonout's writer: the same text as json.dumps(indent=2, ensure_ascii=False), but no C1,
    # bidi or separator character of an author's (or a catalog's) words raw in it.
    return jsonout.dumps(doc)


def escape_github(value: str, prop: bool = False) -> str:
    """`value` as the data (or, with `prop`, a property) of a GitHub workflow command: one line,
    and in a property no `:` or `,` that would end it early."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def render_github(diags: Iterable[Diagnostic]) -> str:
    """GitHub Actions workflow commands: each diagnostic becomes an annotation on the PR."""
    out = []
    for d in diags:
        kind = "error" if d.severity is Severity.ERROR else "warning"
        props = [f"file={escape_github(d.path or '', True)}"]
        if d.span is not None:
            props += [
                f"line={d.span.line}",
                f"col={d.span.column}",
                f"endLine={d.span.end_line}",
                f"endColumn={d.span.end_column}",
            ]
        props.append(f"title={escape_github(d.code, True)}")
        # Escaped like the text output (a CI log shows ANSI sequences), then for the command.
        message = visible(d.message) + (f"\n\nhelp: {visible(d.hint)}" if d.hint else "")
        out.append(f"::{kind} {','.join(props)}::{escape_github(message)}")
    return "\n".join(out) + ("\n" if out else "")
