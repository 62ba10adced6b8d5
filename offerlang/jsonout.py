"""Deterministic JSON text with exact decimals: the one way offerlang writes and reads payloads.

The standard json module turns Decimal into float (or refuses it); here a Decimal is written
with exactly its digits, so `19.99` leaves as the JSON number `19.99`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

_encode_string = json.encoder.encode_basestring  # keeps non-ASCII text as written


def dumps(value: Any, indent: int | None = 2) -> str:
    """JSON text for a payload: `indent` spaces per level, or one compact line for None."""
    out: list[str] = []
    _write(value, out, indent, 0)
    return "".join(out)


def _write(value: Any, out: list[str], indent: int | None, level: int) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_string(value))
    elif isinstance(value, Decimal):
        out.append(_decimal(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        # A float here is a bug upstream: money is Decimal end to end, and repr() would also
        # write NaN and Infinity, which are not JSON.
        raise TypeError(f"cannot write the float {value!r} as JSON: use Decimal or int")
    elif isinstance(value, dict):
        _container("{", "}", list(value.items()), out, indent, level, is_dict=True)
    elif isinstance(value, list | tuple):
        _container("[", "]", list(value), out, indent, level, is_dict=False)
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _container(
    open_: str,
    close: str,
    entries: list[Any],
    out: list[str],
    indent: int | None,
    level: int,
    *,
    is_dict: bool,
) -> None:
    if not entries:
        out.append(open_ + close)
        return
    out.append(open_)
    for i, entry in enumerate(entries):
        if i:
            out.append(",")
        if indent is not None:
            out.append("\n" + " " * (indent * (level + 1)))
        if is_dict:
            key, val = entry
            out.append(_encode_string(str(key)) + (": " if indent is not None else ":"))
            _write(val, out, indent, level + 1)
        else:
            _write(entry, out, indent, level + 1)
    if indent is not None:
        out.append("\n" + " " * (indent * level))
    out.append(close)


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    return format(value, "f")  # never exponent notation: 1E+2 -> 100


def json_pointer(parts: Iterable[str | int]) -> str:
    """The JSON pointer (RFC 6901) of a path: `~` and `/` inside a key become `~0` and `~1`."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


# Deeper JSON is refused before it is parsed: the standard parser recurses once per level and
# would end in a RecursionError (an internal error) on `[[[[…` 100,000 deep. Nothing offerlang
# reads (payloads, answers, rows, journal records) comes near it.
MAX_DEPTH = 64
# What json.loads(text, parse_float=Decimal) would build anew for every call (a journal of
# 300,000 records spent a sixth of its reading time making decoders).
_DECODER = json.JSONDecoder(parse_float=Decimal)
# A string, its escapes included (so brackets inside it do not count), or a bracket.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def loads(text: str | bytes) -> Any:
    """Parse JSON keeping every fractional number as an exact Decimal. A JSONDecodeError (a
    ValueError) for text that is not JSON, including JSON nested deeper than MAX_DEPTH."""
    if isinstance(text, bytes):  # as json.loads takes them
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    # Counting is cheap; only text with that many brackets is scanned for its real depth.
    if text.count("[") + text.count("{") > MAX_DEPTH:
        _check_depth(text)
    try:
        return _DECODER.decode(text)
    except RecursionError:  # a caller already deep in its own stack: still bad input, not a crash
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def _check_depth(text: str) -> None:
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", text, match.start())
        elif token in ("]", "}"):
            depth -= 1
