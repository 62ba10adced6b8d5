"""The language server's answers as plain functions (offerlang/lsp/analysis.py): no client,
no subprocess, every position of every example."""

from __future__ import annotations

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
