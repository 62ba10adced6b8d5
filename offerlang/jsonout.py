"""Deterministic JSON text with exact decimals: the one way offerlang writes and reads payloads.

The standard json module turns Decimal into float (or refuses it); here a Decimal is written
with exactly its digits, so `19.99` leaves as the JSON number `19.99`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from offerlang.errors import OfferlangError
from offerlang.text import BIDI_CONTROLS

_encode_basestring = json.encoder.encode_basestring  # keeps non-ASCII text as written
# Characters JSON may hold as they are but a terminal or an editor acts on (C1 controls such as
# CSI, the line and paragraph separators, the bidirectional controls that reorder what is shown:
# offerlang.text.BIDI_CONTROLS) and lone surrogates (which no UTF-8 file can hold): written as
# \u escapes, the same JSON value, so that no JSON offerlang prints or writes carries them raw.
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff]")


def _encode_string(text: str) -> str:
    encoded = _encode_basestring(text)
    if _UNSAFE_IN_JSON.search(encoded):
        encoded = _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m[0]):04x}", encoded)
    return encoded


def dumps(value: Any, indent: int | None = 2) -> str:
    """JSON text for a payload: `indent` spaces per level, or one compact line for None. Control,
    bidi and separator characters in strings are written as \\u escapes (_UNSAFE_IN_JSON)."""
    out: list[str] = []
    _write(value, out, indent, 0, _encode_string)
    return "".join(out)


def canonical(value: Any) -> str:
    """The compact JSON text payload hashes are made of, as offerlang has always written it:
    characters outside _encode_basestring's escapes stay as they are. Never change it: the
    journals of earlier runs hold hashes of this text, which is how an identical request is
    known again (a different text would let it be sent twice)."""
    out: list[str] = []
    _write(value, out, None, 0, _encode_basestring)
    return "".join(out)


def _write(value: Any, out: list[str], indent: int | None, level: int, encode: Callable[[str], str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(encode(value))
    elif isinstance(value, Decimal):
        out.append(_decimal(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        # A float here is a bug upstream: money is Decimal end to end, and repr() would also
        # write NaN and Infinity, which are not JSON.
        raise TypeError(f"cannot write the float {value!r} as JSON: use Decimal or int")
    elif isinstance(value, dict):
        _container("{", "}", list(value.items()), out, indent, level, encode, is_dict=True)
    elif isinstance(value, list | tuple):
        _container("[", "]", list(value), out, indent, level, encode, is_dict=False)
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _container(
    open_: str,
    close: str,
    entries: list[Any],
    out: list[str],
    indent: int | None,
    level: int,
    encode: Callable[[str], str],
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
            out.append(encode(str(key)) + (": " if indent is not None else ":"))
            _write(val, out, indent, level + 1, encode)
        else:
            _write(entry, out, indent, level + 1, encode)
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


# Limits of what offerlang reads as JSON (payloads, answers, rows, journal records): every real
# document is far inside them; past them it is a damaged or hostile one, reported at its
# position like any other JSON error, never a crash.
# Deeper JSON is refused before it is parsed: the standard parser recurses once per level and
# would end in a RecursionError (an internal error) on `[[[[…` 100,000 deep.
MAX_DEPTH = 64
# Python's own limit on int(str) (sys.get_int_max_str_digits). Fractional numbers are held to
# the same magnitude, 1e±4300: `1e999999999` is a short text, but written out in full (as every
# amount is) it would be a gigabyte of zeros.
MAX_INT_DIGITS = 4300

# The tokens that matter to the checks below: strings (whole, so that brackets and digits in
# them are skipped), numbers, brackets and colons.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|[\[\]{}:]')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")


class DuplicateKey(json.JSONDecodeError, OfferlangError):
    """An object gives one key twice: JSON readers keep one of the two, so which one counts is
    unknown. Raised by `loads(..., unique_keys=True)`; `key` is the key."""

    def __init__(self, key: str, doc: str, pos: int) -> None:
        super().__init__(f"the key {json.dumps(key, ensure_ascii=False)} is given twice", doc, pos)
        self.key = key


class _OutOfRange(Exception):
    pass


def _decimal_in_range(text: str) -> Decimal:
    value = Decimal(text)
    if value and not -MAX_INT_DIGITS <= value.adjusted() <= MAX_INT_DIGITS:
        raise _OutOfRange
    return value


class _NotANumber(Exception):
    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


def _refuse_constant(word: str) -> Any:
    # NaN, Infinity and -Infinity: Python's reader takes them (as floats, which nothing offerlang
    # writes can hold: dumps refuses a float), but they are not JSON (RFC 8259).
    raise _NotANumber(word)


# Outside strings, these words can only be the constants Python's reader accepts.
_STRING_OR_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')

# What json.loads(text, parse_float=…) would build anew for every call (a journal of 300,000
# records spent a sixth of its reading time making decoders).
_DECODER = json.JSONDecoder(parse_float=_decimal_in_range, parse_constant=_refuse_constant)


def loads(
    text: str | bytes, *, unique_keys: bool = False, refuse_lone_surrogates: bool = False, **hooks: Any
) -> Any:
    """Parse JSON keeping every fractional number as an exact Decimal.

    Raises json.JSONDecodeError (a ValueError, with the position) for text that is not JSON and
    for JSON beyond what offerlang reads: nested deeper than MAX_DEPTH, an integer longer than
    MAX_INT_DIGITS digits, a number beyond 1e±MAX_INT_DIGITS, NaN or Infinity (which Python's
    reader takes, as floats, but JSON does not have); with `unique_keys` an object that
    gives a key twice (DuplicateKey); with `refuse_lone_surrogates` a string holding a lone
    UTF-16 surrogate (`"\\ud800"`: not a character, so not text a row can hold; the journal
    writes one on purpose for a key read from bytes that were not UTF-8, and reads it back).
    `hooks` go to the decoder (parse_constant, object_pairs_hook)."""
    if isinstance(text, bytes):  # as json.loads takes them
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    # Cheap tests first, so that the common document is read at the C parser's speed.
    if text.count("[") + text.count("{") > MAX_DEPTH:
        _check_depth(text)
    if unique_keys:
        hooks["object_pairs_hook"] = _unique_pairs
    if hooks:
        hooks.setdefault("parse_constant", _refuse_constant)
    decoder = json.JSONDecoder(parse_float=_decimal_in_range, **hooks) if hooks else _DECODER
    try:
        value = decoder.decode(text)
    except json.JSONDecodeError:
        raise
    except _NotANumber as exc:
        # The reader does not say where it is; the first such word outside a string is the one.
        where = next((m.start(1) for m in _STRING_OR_CONSTANT.finditer(text) if m.group(1)), 0)
        raise json.JSONDecodeError(f"{exc.word} is not a JSON number", text, where) from None
    except _Repeated as exc:
        raise DuplicateKey(exc.key, text, _repeated_key_at(text)) from None
    except _OutOfRange:
        raise json.JSONDecodeError(
            f"a number beyond 1e±{MAX_INT_DIGITS}", text, _number_at(text, _out_of_range) or 0
        ) from None
    except RecursionError:  # a caller already deep in its own stack: still bad input, not a crash
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
    except ValueError as exc:
        # int() refusing a number too long to convert (Python's guard against quadratic time).
        at = _number_at(text, _too_long)
        if at is None:
            raise json.JSONDecodeError(str(exc), text, 0) from None
        raise json.JSONDecodeError(f"a number with more than {MAX_INT_DIGITS:,} digits", text, at) from None
    if refuse_lone_surrogates and "\\u" in text and _SURROGATE_ESCAPE.search(text):
        at = _lone_surrogate_at(text)
        if at is not None:
            raise json.JSONDecodeError("a lone UTF-16 surrogate escape, which is not a character", text, at)
    return value


def _check_depth(text: str) -> None:
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", text, match.start())
        elif token in ("]", "}"):
            depth -= 1


class _Repeated(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Repeated(key)
            seen.add(key)
    return obj


def _out_of_range(number: str) -> bool:
    if not any(c in number for c in ".eE"):
        return False
    try:
        _decimal_in_range(number)
    except _OutOfRange:
        return True
    return False


def _too_long(number: str) -> bool:
    return not any(c in number for c in ".eE") and len(number.lstrip("-")) > MAX_INT_DIGITS


def _number_at(text: str, bad: Any) -> int | None:
    for m in _TOKEN.finditer(text):
        if m[0][0] in "-0123456789" and bad(m[0]):
            return m.start()
    return None


def _lone_surrogate_at(text: str) -> int | None:
    """Where the first escape of a lone surrogate is: a high one not followed by a low one, or
    a low one not preceded by a high one."""
    for m in _TOKEN.finditer(text):
        if m[0][0] != '"':
            continue
        high_end = -1  # where the last unpaired high surrogate escape ended
        for e in _ESCAPE.finditer(m[0]):
            code = int(e[1][1:], 16) if e[1][0] == "u" and len(e[1]) == 5 else None
            paired = high_end == e.start()
            if high_end != -1 and not (paired and code is not None and 0xDC00 <= code <= 0xDFFF):
                return m.start() + high_end - 6
            high_end = -1
            if code is None or paired:
                continue
            if 0xD800 <= code <= 0xDBFF:
                high_end = e.end()
            elif 0xDC00 <= code <= 0xDFFF:
                return m.start() + e.start()
        if high_end != -1:
            return m.start() + high_end - 6
    return None


def _repeated_key_at(text: str) -> int:
    """Where the first key given twice in its object is (keys are the strings before a colon)."""
    keys: list[set[str]] = []
    tokens = list(_TOKEN.finditer(text))
    for i, m in enumerate(tokens):
        token = m[0]
        if token == "{":
            keys.append(set())
        elif token == "[":
            keys.append(set())  # arrays have no keys; a placeholder keeps the stack in step
        elif token in "]}":
            if keys:
                keys.pop()
        elif token[0] == '"' and i + 1 < len(tokens) and tokens[i + 1][0] == ":" and keys:
            key = json.loads(token)
            if key in keys[-1]:
                return m.start()
            keys[-1].add(key)
    return 0
