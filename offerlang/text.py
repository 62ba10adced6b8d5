"""Small helpers for the English offerlang writes: counts, lists, and values shown in a message.

One copy of each, so that every command counts, lists and quotes alike. Nothing here knows
about offers; it imports nothing from the rest of offerlang.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

# Characters that would start a new line, or move the cursor, in output that promises one line
# per fact or change: shown as escapes instead (`\n`, `\x1b`).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def plural(count: int, noun: str, many: str | None = None, *, grouped: bool = False) -> str:
    """`1 day`, `2 days`; `many` is the plural when it is not `noun` + s (`entry`, `entries`).
    `grouped` writes thousands with commas (`1,200 rows`), for counts of rows and problems."""
    number = f"{count:,}" if grouped else str(count)
    return f"{number} {noun if count == 1 else many or noun + 's'}"


def and_more(hidden: int, noun: str | None = None) -> str:
    """The end of a list cut short: `and 1,200 more problems`, or `and 3 more` without a noun."""
    if noun is None:
        return f"and {hidden:,} more"
    return "and " + plural(hidden, f"more {noun}", grouped=True)


def listed(items: Sequence[str], limit: int) -> str:
    """`a, b, c`, or the first `limit` of them and `and N more`."""
    shown = ", ".join(items[:limit])
    hidden = len(items) - limit
    return f"{shown} {and_more(hidden)}" if hidden > 0 else shown


def ordinal(n: int) -> str:
    """`1st`, `2nd`, `3rd`, `4th`, `11th`, `21st`."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def and_list(words: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def or_list(words: Sequence[str]) -> str:
    """`a, b or c`, for the choices in a message; a long list is cut after eight."""
    if not words:
        return "something else"
    if len(words) == 1:
        return words[0]
    if len(words) > 8:
        return ", ".join(words[:8]) + ", …"
    return ", ".join(words[:-1]) + " or " + words[-1]


def visible(text: str) -> str:
    """`text` with every control character written as an escape, so it stays on one line."""
    return _CONTROL.sub(lambda m: _escape(m[0]), text)


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def _escape(char: str) -> str:
    code = ord(char)
    return _ESCAPES.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def quote(value: str) -> str:
    """`value` in double quotes, its quotes, backslashes and control characters escaped: how a
    value an author wrote is shown in a message. (An offer's own string syntax is the
    formatter's `offer_string`.)"""
    return visible(json.dumps(value, ensure_ascii=False))
