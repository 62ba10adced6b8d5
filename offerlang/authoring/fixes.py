"""Apply the fixes diagnostics carry (`offer check --fix`, and the editor's "fix all").

A fix is a list of one-line edits in the diagnostic's own coordinates (1-based line and
column, counted in characters), so the same Fix serves the terminal, the JSON output and the
language server; only this module turns them into a new text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from offerlang.compiler.diagnostics import Diagnostic, Edit


def line_starts(text: str) -> list[int]:
    """The offset where each line begins (only `\\n` ends a line in an offer)."""
    return [0, *(m.end() for m in re.finditer("\n", text))]


def edit_offsets(starts: list[int], text: str, edit: Edit) -> tuple[int, int] | None:
    """The character offsets an edit replaces, or None when it does not fall inside the text
    (a fix made for another version of it)."""
    s = edit.span
    if not (1 <= s.line <= len(starts) and 1 <= s.end_line <= len(starts)):
        return None
    start = starts[s.line - 1] + s.column - 1
    end = starts[s.end_line - 1] + s.end_column - 1
    line_end = text.find("\n", starts[s.end_line - 1])
    limit = len(text) if line_end == -1 else line_end
    if not 0 <= start <= end <= limit:
        return None
    return start, end


def apply_fixes(text: str, diagnostics: Iterable[Diagnostic]) -> tuple[str, list[Diagnostic]]:
    """`text` with the first fix of each diagnostic applied, and the diagnostics it fixed.

    Fixes are applied together on the original text: one whose edits overlap an edit already
    taken is left out (the next `offer check --fix` run offers it again on the new text).
    """
    starts = line_starts(text)
    taken: list[tuple[int, int, str]] = []
    fixed: list[Diagnostic] = []
    for d in diagnostics:
        if not d.fixes:
            continue
        ranges = [edit_offsets(starts, text, e) for e in d.fixes[0].edits]
        if any(r is None for r in ranges):
            continue
        edits = [(r[0], r[1], e.new_text) for r, e in zip(ranges, d.fixes[0].edits, strict=True) if r]
        if any(_overlap(a, b) for a in edits for b in taken):
            continue
        taken.extend(edits)
        fixed.append(d)
    out = text
    for start, end, new in sorted(taken, reverse=True):
        out = out[:start] + new + out[end:]
    return out, fixed


def _overlap(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    # Two insertions at one point, or ranges that share a character, cannot both apply.
    return (a[0] < b[1] and b[0] < a[1]) or a[0] == b[0]
