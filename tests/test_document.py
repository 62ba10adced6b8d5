"""Markdown that GitHub shows as typed: offer values in a pull-request comment mention nobody,
reference nothing and link nowhere (review/document.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offerlang.review.document import md_text, unlinked

JOINER = "\u2060"

# What GitHub turns into a mention, a reference or a link in rendered text, as far as a value
# in a comment can spell it (GFM's autolink extension and GitHub's references).
GITHUB_LINKS = re.compile(r"@[A-Za-z0-9]|#\d|://|(?<![A-Za-z0-9])www\.|(?<![A-Za-z0-9])gh-\d", re.IGNORECASE)


@pytest.mark.parametrize(
    "value",
    [
        "_www.evil.example",  # GFM links www. after `_`, `*`, `~` and `(`
        "*www.evil.example",
        "~www.evil.example",
        "(www.evil.example)",
        "see www.evil.example",
        "WWW.evil.example",
        "GH-12",  # GitHub's other spelling of #12
        "fixes gh-12",
        "_GH-12",
        "@octocat",
        "#12",
        "acme/offers#12",
        "https://evil.example",
        "a@b.example",
    ],
)
def test_github_finds_no_link_mention_or_reference(value):
    assert not GITHUB_LINKS.search(unlinked(value))
    assert not GITHUB_LINKS.search(md_text(value).replace("\\", ""))
    assert unlinked(value).replace(JOINER, "") == value


def test_words_that_merely_contain_www_or_gh_are_left_alone():
    for value in ("awww.example", "highGH-12", "www", "GH-x"):
        assert unlinked(value) == value


@given(st.text(alphabet="wgh@#:/._-*~( aG1", max_size=30))
def test_unlinked_only_adds_joiners_and_leaves_nothing_linkable(value):
    out = unlinked(value)
    assert out.replace(JOINER, "") == value
    assert not GITHUB_LINKS.search(out)
