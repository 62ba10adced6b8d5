"""The language server's answers as plain functions (offerlang/lsp/analysis.py): no client,
no subprocess, every position of every example."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offerlang import language as checks
from offerlang.lsp import analysis as a
from offerlang.lsp import keywords

from .conftest import ALL_EXAMPLES, EXAMPLES, FIXTURES

INVALID = sorted((FIXTURES / "invalid").glob("*.offer"))


def _positions(text: str):
    for line, content in enumerate(text.split("\n")):
        for char in range(len(content) + 1):
            yield line, char


def test_every_keyword_and_value_word_has_a_doc():
    words = [*checks.TOP_KEYWORDS, *checks.ITEM_KEYWORDS, *checks.CONTACT_FIELDS, *checks.FEE_KEYWORDS]
    words += [*checks.RENEW_MODES, *checks.QUANTITY_BEHAVIORS, "fee", "every", "adhoc", "after", "default"]
    assert [w for w in words if not keywords.doc(w)] == []


@pytest.mark.parametrize("path", ALL_EXAMPLES + INVALID, ids=lambda p: p.stem)
def test_completion_and_hover_answer_every_position_of_every_prefix(path):
    text = path.read_bytes().decode("utf-8", "replace")
    for cut in range(0, len(text) + 1, 3):
        prefix = text[:cut]
        lines = prefix.split("\n")
        a.complete(prefix, len(lines) - 1, len(lines[-1]))
    for line, char in _positions(text):
        a.hover(text, line, char, lambda product: None)
        a.param_at(text, line, char)
    a.symbols(a.Analysis.of(text).offer)


def test_no_completion_inside_a_comment_or_a_string():
    assert a.complete("# price ", 0, 8) == (None, [])
    assert a.complete('tag "price ', 0, 11) == (None, [])
    ctx, found = a.complete('tag "a b" ', 0, 10)
    assert ctx is not None and found == []  # after a closed string: a tag value, nothing to offer


def test_completion_knows_the_block_it_is_in():
    text = "item x {\n  setup fee {\n    \n  }\n  \n}\ncontact {\n  \n}\n"
    labels = {line: [c.label for c in a.complete(text, line, 4 if line == 2 else 2)[1]] for line in (2, 4, 7)}
    assert labels[2][:2] == ["title", "price"]
    assert labels[4][:3] == ["quantity", "price", "trial"]
    assert labels[7][:3] == ["first", "last", "email"]


def test_a_currency_already_in_the_list_is_not_offered_again():
    text = "item x {\n  price USD 1, EUR 2, \n}\n"
    found = [c.label for c in a.complete(text, 1, 22)[1]]
    assert "USD" not in found and "EUR" not in found and "GBP" in found


def test_hover_on_an_item_uses_the_explanation_and_names_codes():
    text = (EXAMPLES / "spring-promotion.offer").read_text("utf-8")
    line = text.split("\n").index("item prime-sub {")
    seen = []
    hover = a.hover(text, line, 7, lambda product: seen.append(product) or "the timeline")
    assert seen == ["prime-sub"] and hover is not None and hover.markdown == "the timeline"
    md = a.explain_item_markdown(text, "spring.offer", "prime-sub")
    assert md is not None and "| 2nd renewal on | 9.99 | regular price |" in md
    assert a.explain_item_markdown(text, "spring.offer", "no-such-item") is None


def test_occurrences_skip_strings_and_comments():
    text = 'param code text\ncoupon $code\ntag note "$code"\n# $code\nattribute a $code\n'
    found = [(o.line, o.start, o.declaration) for o in a.occurrences(text, "code")]
    assert found == [(0, 6, True), (1, 8, False), (4, 13, False)]
    assert a.param_at(text, 1, 9) == "code" and a.param_at(text, 0, 7) == "code"
    assert a.param_at(text, 2, 11) is None


@given(
    st.lists(
        st.text(st.characters(exclude_characters="\n", exclude_categories=("Cs",)), max_size=12),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["utf-8", "utf-16", "utf-32"]),
    st.data(),
)
def test_positions_round_trip_in_every_encoding(lines, encoding, data):
    text = "\n".join(lines)
    pos = a.Positions(text, encoding)
    line = data.draw(st.integers(0, len(lines) - 1))
    char = data.draw(st.integers(0, len(lines[line])))
    client = pos.to_client(line, char)
    unit = {"utf-8": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}[encoding]
    width = {"utf-8": 1, "utf-16": 2, "utf-32": 4}[encoding]
    assert client == (line, len(lines[line][:char].encode(unit)) // width)
    assert pos.from_client(*client) == (line, char)


# ---- didChange: where an edit lands ---------------------------------------------------------

_LSP_BREAK = re.compile(r"\r\n|\r|\n")
_UNIT = {"utf-8": ("utf-8", 1), "utf-16": ("utf-16-le", 2), "utf-32": ("utf-32-le", 4)}


def _client_position(text: str, offset: int, encoding: str) -> tuple[int, int]:
    """Where a client puts an offset: lines broken at \\n, \\r\\n and \\r only (LSP's rule)."""
    breaks = list(_LSP_BREAK.finditer(text, 0, offset))
    begin = breaks[-1].end() if breaks else 0
    codec, width = _UNIT[encoding]
    return len(breaks), len(text[begin:offset].encode(codec)) // width


@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x85", "😀", "é"]
            ),
            st.characters(exclude_categories=("Cs",)),
        ),
        max_size=40,
    ).map("".join),
    st.text(max_size=5),
    st.sampled_from(["utf-8", "utf-16", "utf-32"]),
    st.data(),
)
def test_a_change_lands_where_the_client_put_it(text, new, encoding, data):
    # Offsets between a \r and its \n are not positions a client can name.
    offsets = [i for i in range(len(text) + 1) if i == 0 or text[i - 1 : i + 1] != "\r\n"]
    first = data.draw(st.sampled_from(offsets))
    last = data.draw(st.sampled_from([o for o in offsets if o >= first]))
    start, end = _client_position(text, first, encoding), _client_position(text, last, encoding)
    assert a.apply_change(text, start, end, new, encoding) == text[:first] + new + text[last:]


def test_a_change_past_the_end_of_a_line_or_of_the_text_is_clamped():
    # LSP: a character past the line's length means the end of the line (pygls took the one
    # before it on the last line), a line past the text the end of the text.
    text = "account abCdE1FGH2Hij3KLMnOpqR\ncoupon X"
    assert a.apply_change(text, (1, 0), (1, 999), "coupon Y") == "account abCdE1FGH2Hij3KLMnOpqR\ncoupon Y"
    assert a.apply_change(text, (0, 999), (0, 999), " #") == "account abCdE1FGH2Hij3KLMnOpqR #\ncoupon X"
    assert a.apply_change(text, (7, 0), (9, 3), "\n") == text + "\n"
    # Reversed ends are the same range.
    assert a.apply_change("abc", (0, 2), (0, 1), "X") == "aXc"
