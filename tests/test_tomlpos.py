"""The TOML locator: for any document tomllib reads, every key is found where it is written."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from offerlang.store.tomlpos import locate

BARE = st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True)
QUOTED = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=6)
KEY = st.one_of(BARE, QUOTED)
SCALAR = st.one_of(
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEY, inner, max_size=3),
    max_leaves=6,
)
BARE_RE = re.compile(r"[A-Za-z0-9_-]+")
DOC = st.dictionaries(KEY, st.one_of(VALUE, st.dictionaries(KEY, VALUE, min_size=1, max_size=3)), max_size=5)


def _basic(text: str) -> str:
    """A TOML basic string (JSON's escapes, and DEL escaped too, which JSON leaves as it is)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(k: str) -> str:
    return k if BARE_RE.fullmatch(k) else _basic(k)


def _value(v: Any, style: int) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        literal = style % 2 == 0 and "'" not in v and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in v)
        return f"'{v}'" if literal else _basic(v)
    if isinstance(v, list):
        sep = ",\n  " if style % 3 == 0 else ", "
        return "[" + sep.join(_value(x, style + 1) for x in v) + ("," if v and style % 5 == 0 else "") + "]"
    return "{" + ", ".join(f"{_key(k)} = {_value(x, style + 1)}" for k, x in v.items()) + "}"


def _toml(doc: dict[str, Any], style: int) -> str:
    """A document written with top-level pairs first, then a [table] per table value (or, in
    some styles, the table as dotted keys), comments between."""
    out: list[str] = ["# a comment at the top"]
    tables = []
    for k, v in doc.items():
        if isinstance(v, dict) and v and style % 2 == 0:
            tables.append((k, v))
        else:
            out.append(f"{_key(k)} = {_value(v, style)}  # trailing")
    for k, v in tables:
        out.append(f"\n[{_key(k)}]")
        for kk, vv in v.items():
            out.append(f"{_key(kk)} = {_value(vv, style)}")
    return "\n".join(out) + "\n"


def _leaves(value: Any, path: tuple) -> list[tuple[tuple, Any]]:
    out = [(path, value)]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _leaves(v, (*path, i))
    return out


@given(DOC, st.integers(0, 29))
def test_every_value_is_found_where_it_is_written(doc, style):
    """The law: the text at a value's span reads back (with tomllib) as exactly that value, and
    the text at a key's span is the key as written."""
    text = _toml(doc, style)
    assert tomllib.loads(text) == doc
    found = locate(text)
    for path, value in _leaves(doc, ())[1:]:
        where = found[path]
        written = text[where.value.start : where.value.end]
        if isinstance(value, dict) and written.startswith("["):
            assert written == f"[{_key(path[-1])}]"  # a [table] header stands for its table
        else:
            assert tomllib.loads(f"x = {written}")["x"] == value, (path, written)
        if isinstance(path[-1], str):
            assert where.key is not None
            assert text[where.key.start : where.key.end] == _key(path[-1])


def test_keys_and_values_of_a_config():
    text = (
        'store = "acme"  # x\n\n[policy.max-trial]\ndays = 30\n'
        '[policy.price-endings]\nUSD = [".99",\n  ".9"]\n'
    )
    found = locate(text)
    assert (found[("store",)].key.line, found[("store",)].value.column) == (1, 9)
    assert (found[("policy", "max-trial")].key.line, found[("policy", "max-trial")].key.column) == (3, 9)
    assert (found[("policy", "max-trial", "days")].value.column) == 8
    element = found[("policy", "price-endings", "USD", 1)].value
    assert (element.line, element.column, element.end_column) == (7, 3, 7)


def test_dotted_keys_inline_tables_and_arrays_of_tables():
    text = (
        'a.b."c d" = { x = 1, y = [1, {z = 2}] }\n[[arr]]\nk = 1\n'
        '[[arr]]\nk = """two\nlines"""\n[arr.sub]\nq = true\n'
    )
    found = locate(text)
    assert found[("a", "b", "c d", "y", 1, "z")].value.column == 35
    assert found[("arr", 1, "k")].value.line == 5
    assert found[("arr", 1, "sub")].key.line == 7
    assert found[("arr", 1, "sub", "q")].value.line == 8


def test_text_it_cannot_follow_gives_what_it_found_so_far():
    found = locate('a = 1\nb = "unterminated\n')
    assert ("a",) in found and ("b",) not in found
