"""The marketer's reference stays true: its examples compile to the JSON it shows."""

from __future__ import annotations

import itertools
import re

import pytest

from offerlang import compile_source
from offerlang.diagnostics import CODES
from offerlang.jsonout import dumps, loads

from .conftest import ROOT

LANGUAGE_MD = (ROOT / "docs" / "language.md").read_text("utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
BLOCKS = FENCE.findall(LANGUAGE_MD)
# An `offer` block directly followed by a `json` block shows what that offer compiles to.
PAIRS = [(a[1], b[1]) for a, b in itertools.pairwise(BLOCKS) if (a[0], b[0]) == ("offer", "json")]


def _complete(source: str) -> str:
    """Doc snippets show one construct; give them the buyer and item a session needs."""
    if not re.search(r"^(account|contact)\b", source, re.M):
        source = "account abCdE1FGH2Hij3KLMnOpqR\n" + source
    if not re.search(r"^item\b", source, re.M):
        source += "item basic-laptop\n"
    return source


def test_the_reference_has_examples():
    assert len(PAIRS) >= 15


@pytest.mark.parametrize(("source", "shown"), PAIRS, ids=[f"example-{i}" for i in range(len(PAIRS))])
def test_example_compiles_to_the_json_shown(source, shown):
    result = compile_source(_complete(source), "docs/language.md")
    assert result.ok, [d.message for d in result.errors]
    fragment = loads(shown)
    payload = result.payload
    if "product" in fragment:
        assert payload["items"][0] == fragment
    elif "items" in fragment:
        assert payload["items"] == fragment["items"]
    else:
        assert {k: payload[k] for k in fragment} == fragment
    # The docs show amounts exactly as the payload writes them (9.90, not 9.9).
    compact = dumps(payload, None)
    for key, amount in re.findall(r'"([A-Z]{3})": ([0-9.]+)', shown):
        assert f'"{key}":{amount}' in compact


def test_every_code_is_documented():
    table = dict(re.findall(r"^\| ([EW]\d{3}) \| \w+ \| (.+?) \|$", LANGUAGE_MD, re.M))
    assert table == CODES
