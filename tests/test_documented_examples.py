"""Every request body FastSpring documents has an offer file that compiles to exactly it."""

from __future__ import annotations

import pytest

from offerlang import compile_file
from offerlang.jsonout import loads

from .conftest import DOCUMENTED, EXAMPLES


@pytest.mark.parametrize("doc", DOCUMENTED, ids=lambda p: p.stem)
def test_documented_body_is_reproduced(doc):
    offer = EXAMPLES / "fastspring" / f"{doc.stem}.offer"
    result = compile_file(offer)
    assert result.ok, result.diagnostics
    # Equal as JSON with exact decimals: 10.0 and 10.00 are the same amount.
    assert result.payload == loads(doc.read_text("utf-8"))
    assert not result.diagnostics, "documented examples compile without warnings"
