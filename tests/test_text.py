"""The text helpers every command writes its counts, lists and quoted values with."""

from __future__ import annotations

import pytest

from offerlang.text import and_list, and_more, listed, or_list, plural, quote, visible


@pytest.mark.parametrize(
    ("args", "kwargs", "written"),
    [
        ((1, "day"), {}, "1 day"),
        ((0, "day"), {}, "0 days"),
        ((3650, "day"), {}, "3650 days"),  # explain and diff never group digits
        ((1200, "row"), {"grouped": True}, "1,200 rows"),
        ((1, "entry", "entries"), {}, "1 entry"),
        ((2, "entry", "entries"), {}, "2 entries"),
    ],
)
def test_plural(args, kwargs, written):
    assert plural(*args, **kwargs) == written


def test_the_end_of_a_list_cut_short():
    assert and_more(1, "problem") == "and 1 more problem"
    assert and_more(1200, "problem") == "and 1,200 more problems"
    assert and_more(3) == "and 3 more"
    assert listed(["a", "b", "c"], 2) == "a, b and 1 more"
    assert listed(["a", "b"], 2) == "a, b"


def test_lists_in_a_sentence():
    assert [and_list(w) for w in (["a"], ["a", "b"], ["a", "b", "c"])] == ["a", "a and b", "a, b and c"]
    assert [or_list(w) for w in ([], ["a"], ["a", "b", "c"])] == ["something else", "a", "a, b or c"]
    assert or_list([str(i) for i in range(10)]) == "0, 1, 2, 3, 4, 5, 6, 7, …"


def test_a_quoted_value_stays_on_one_line():
    assert quote('say "hi"\n') == '"say \\"hi\\"\\n"'
    assert visible("a\x1bb\u2028c\x85") == "a\\x1bb\\u2028c\\x85"
