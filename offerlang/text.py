"""Small helpers for the English offerlang writes: counts, lists, and values shown in a message.

One copy of each, so that every command counts, lists and quotes alike. Nothing here knows
about offers; it imports nothing from the rest of offerlang.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

# Text offerlang did not write (a server's message, a header, an HTML page, a value typed into an
# offer) can hold characters that act on the terminal or on the reader instead of being read:
# ESC and OSC sequences, a carriage return that rewrites the line, a clear-screen, and the
# bidirectional controls that make text display in another order than it is stored (the "Trojan
# Source" characters). `visible()` writes each as an escape (`\n`, `\x1b`, `\u202e`), so what is
# printed is one line that reads as what it holds; `shown()` also caps it.
# The bidirectional formatting characters (embeddings, overrides, isolates) and marks.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Controls (C0, DEL, C1), the line and paragraph separators, the bidi controls, and lone
# surrogates (which no terminal can be sent: encoding them would fail).
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Characters of someone else's text shown in one message: a session answer's message is a
# sentence; more is a page or a dump that would bury what offerlang has to say.
SHOWN = 500


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
    """`text` with every control and bidi character written as an escape, so it stays on one
    line and reads in the order it is stored."""
    return _CONTROL.sub(lambda m: _escape(m[0]), text)


def shown(text: str, limit: int = SHOWN) -> str:
    """`text` made visible and cut to about `limit` characters, saying how many more there
    were: `first 500 characters… (4,999,500 more)`. Escapes are never cut in half."""
    if len(text) <= limit and not _CONTROL.search(text):
        return text
    out: list[str] = []
    size = 0
    for index, char in enumerate(text):
        piece = _escape(char) if _CONTROL.match(char) else char
        if size + len(piece) > limit:
            return "".join(out) + f"… ({len(text) - index:,} more)"
        out.append(piece)
        size += len(piece)
    return "".join(out)


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
