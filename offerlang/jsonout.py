"""Deterministic JSON text with exact decimals: the one way offerlang writes and reads payloads.

The standard json module turns Decimal into float (or refuses it); here a Decimal is written
with exactly its digits, so `19.99` leaves as the JSON number `19.99`.
"""

from __future__ import annotations

import json
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


def loads(text: str) -> Any:
    """Parse JSON keeping every fractional number as an exact Decimal."""
    return json.loads(text, parse_float=Decimal)
