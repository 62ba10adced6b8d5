"""Where each key and value of a TOML document stands: tomllib parses but gives no positions.

`locate(text)` maps every key path (`("policy", "max-trial", "days")`, array elements by index)
to the span of its key and of its value, so that a config problem can be reported at
`offers.toml:line:col` like a problem in an offer file. It reads only text that tomllib has
already accepted, so it is a scanner of valid TOML, not a validator: on anything unexpected it
stops early (and the caller falls back to the table's or the file's position) rather than guess.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from offerlang.compiler.nodes import Span

KeyPath = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
# A number, boolean or date: up to the next separator (a date may hold a space).
_SCALAR = re.compile(r"[^,\]}#\r\n]+")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\", "e": "\x1b"}


@dataclass(frozen=True, slots=True)
class Located:
    key: Span | None  # the last key segment as written; None for an array element
    value: Span  # the value, or the whole header of a table


class _Stop(Exception):
    """The text is not what a valid TOML document holds here: keep what was found so far."""


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.found: dict[KeyPath, Located] = {}
        self.arrays: dict[KeyPath, int] = {}  # array-of-tables path -> entries seen so far
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    # ---- positions ------------------------------------------------------------------------------

    def span(self, start: int, end: int) -> Span:
        line = bisect.bisect_right(self._starts, start)
        end_line = bisect.bisect_right(self._starts, max(start, end - 1)) if end > start else line
        end_col = end - self._starts[end_line - 1] + 1
        return Span(line, start - self._starts[line - 1] + 1, end_line, end_col, start, end)

    def record(self, path: KeyPath, key: Span | None, value: Span) -> None:
        self.found.setdefault(path, Located(key, value))

    # ---- lexing ---------------------------------------------------------------------------------

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def skip_blank(self, newlines: bool) -> None:
        """Spaces and tabs, comments, and with `newlines` also line breaks."""
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t" or (newlines and ch in "\r\n"):
                self.pos += 1
            elif ch == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return

    def expect(self, token: str) -> None:
        if not self.text.startswith(token, self.pos):
            raise _Stop
        self.pos += len(token)

    def key_part(self) -> tuple[str, Span]:
        start = self.pos
        ch = self.peek()
        if ch == '"':
            value = self.basic_string()
        elif ch == "'":
            end = self.text.find("'", self.pos + 1)
            if end < 0:
                raise _Stop
            value, self.pos = self.text[self.pos + 1 : end], end + 1
        else:
            m = _BARE.match(self.text, self.pos)
            if not m:
                raise _Stop
            value, self.pos = m.group(), m.end()
        return value, self.span(start, self.pos)

    def dotted_key(self) -> list[tuple[str, Span]]:
        parts = [self.key_part()]
        while True:
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.pos += 1
            self.skip_blank(newlines=False)
            parts.append(self.key_part())

    def basic_string(self) -> str:
        """A one-line "..." string, decoded (keys may be quoted and hold escapes)."""
        self.expect('"')
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                return "".join(out)
            if ch == "\\":
                code = text[self.pos + 1 : self.pos + 2]
                if code in ("u", "U"):
                    digits = 4 if code == "u" else 8
                    out.append(chr(int(text[self.pos + 2 : self.pos + 2 + digits], 16)))
                    self.pos += 2 + digits
                    continue
                out.append(_ESCAPES.get(code, code))
                self.pos += 2
                continue
            if ch == "\n":
                raise _Stop
            out.append(ch)
            self.pos += 1
        raise _Stop

    def skip_multiline(self, quote: str) -> None:
        """Past the closing `\"\"\"` or `'''` (up to two more quotes belong to the content)."""
        text = self.text
        self.pos += 3
        while self.pos < len(text):
            if quote == '"' and text[self.pos] == "\\":
                self.pos += 2
                continue
            if text.startswith(quote * 3, self.pos):
                self.pos += 3
                extra = 0
                while extra < 2 and self.peek() == quote:
                    self.pos += 1
                    extra += 1
                return
            self.pos += 1
        raise _Stop

    # ---- the document ---------------------------------------------------------------------------

    def document(self) -> dict[KeyPath, Located]:
        table: KeyPath = ()
        try:
            while True:
                self.skip_blank(newlines=True)
                if self.pos >= len(self.text):
                    break
                if self.peek() == "[":
                    table = self.header()
                else:
                    self.pair(table)
                self.skip_blank(newlines=False)
                if self.pos < len(self.text) and self.peek() not in "\r\n":
                    raise _Stop
        except (_Stop, ValueError, IndexError):
            pass
        return self.found

    def resolve(self, keys: list[str]) -> KeyPath:
        """A header's keys as a path: an array of tables on the way adds its current index."""
        path: KeyPath = ()
        for key in keys:
            path = (*path, key)
            if path in self.arrays:
                path = (*path, self.arrays[path] - 1)
        return path

    def header(self) -> KeyPath:
        start = self.pos
        array = self.peek(2) == "[["
        self.pos += 2 if array else 1
        self.skip_blank(newlines=False)
        parts = self.dotted_key()
        self.expect("]]" if array else "]")
        whole = self.span(start, self.pos)
        keys = [k for k, _ in parts]
        if array:
            parent = self.resolve(keys[:-1])
            base = (*parent, keys[-1])
            self.arrays[base] = self.arrays.get(base, 0) + 1
            self.record(base, parts[-1][1], whole)
            path: KeyPath = (*base, self.arrays[base] - 1)
        else:
            path = self.resolve(keys)
        self.record(path, parts[-1][1], whole)
        for i in range(1, len(keys)):
            self.record(self.resolve(keys[:i]), parts[i - 1][1], whole)
        return path

    def pair(self, table: KeyPath) -> None:
        parts = self.dotted_key()
        self.skip_blank(newlines=False)
        self.expect("=")
        self.skip_blank(newlines=False)
        path: KeyPath = table
        for key, span in parts[:-1]:
            path = (*path, key)
            self.record(path, span, span)
        path = (*path, parts[-1][0])
        start = self.pos
        self.value(path)
        self.record(path, parts[-1][1], self.span(start, self.pos))

    def value(self, path: KeyPath) -> None:
        """Past one value; what it holds (array elements, inline tables) is recorded."""
        ch = self.peek()
        if self.peek(3) in ('"""', "'''"):
            self.skip_multiline(ch)
        elif ch == '"':
            self.basic_string()
        elif ch == "'":
            end = self.text.find("'", self.pos + 1)
            if end < 0:
                raise _Stop
            self.pos = end + 1
        elif ch == "[":
            self.array(path)
        elif ch == "{":
            self.inline_table(path)
        else:
            m = _SCALAR.match(self.text, self.pos)
            if not m:
                raise _Stop
            self.pos = m.start() + len(m.group().rstrip(" \t"))

    def array(self, path: KeyPath) -> None:
        self.expect("[")
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "]":
                self.pos += 1
                return
            start = self.pos
            self.value((*path, index))
            self.record((*path, index), None, self.span(start, self.pos))
            index += 1
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "]":
                raise _Stop

    def inline_table(self, path: KeyPath) -> None:
        self.expect("{")
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "}":
                self.pos += 1
                return
            self.pair(path)
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                raise _Stop


def locate(text: str) -> dict[KeyPath, Located]:
    """Every key path of a document tomllib accepted -> where its key and value are written."""
    return _Scanner(text).document()


def nearest(found: dict[KeyPath, Located], path: KeyPath) -> Located | None:
    """Where `path` is written, else where its closest written parent is (a key the document
    does not have is reported at the table it is missing from)."""
    while True:
        if path in found:
            return found[path]
        if not path:
            return None
        path = path[:-1]
