"""Text offerlang did not write, made safe to print: the one helper for it.

A server's error message, a header, an HTML page, or a value typed into an offer can hold
characters that act on the terminal or on the reader instead of being read: ESC and OSC
sequences, a carriage return that rewrites the line, a clear-screen, and the bidirectional
controls that make text display in another order than it is stored (the "Trojan Source"
characters, U+202A-U+202E and U+2066-U+2069). `escape()` writes each of them as a visible escape
(`\\n`, `\\x1b`, `\\u202e`), so what is printed is one line that reads as what it holds;
`shown()` also caps it, since a server may answer with megabytes.
"""

from __future__ import annotations

import re

# The bidirectional formatting characters (embeddings, overrides, isolates) and marks.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Controls (C0, DEL, C1), the line and paragraph separators, the bidi controls, and lone
# surrogates (which no terminal can be sent: encoding them would fail).
UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Characters of someone else's text shown in one message: a session answer's message is a
# sentence; more is a page or a dump that would bury what offerlang has to say.
SHOWN = 500


def escape(text: str) -> str:
    """`text` with every unsafe character written as an escape, so it stays on one line and in
    the order it is stored."""
    return UNSAFE.sub(lambda m: escape_char(m[0]), text)


def escape_char(char: str) -> str:
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def shown(text: str, limit: int = SHOWN) -> str:
    """`text` escaped and cut to about `limit` characters, saying how many more there were:
    `first 500 characters… (4,999,500 more)`. Escapes are never cut in half."""
    if len(text) <= limit and not UNSAFE.search(text):
        return text
    out: list[str] = []
    size = 0
    for index, char in enumerate(text):
        piece = escape_char(char) if UNSAFE.match(char) else char
        if size + len(piece) > limit:
            return "".join(out) + f"… ({len(text) - index:,} more)"
        out.append(piece)
        size += len(piece)
    return "".join(out)
