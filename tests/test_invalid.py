"""Invalid offers: each fixture's diagnostics, rendered as the user reads them, are a snapshot.

The fixtures in tests/fixtures/invalid are named for what is wrong with them. Review a changed
snapshot as a marketer would: is the caret under the right thing, are the words plain, does
the help line say what to do?
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offerlang import compile_bytes, compile_file, compile_source
from offerlang.compiler import schema
from offerlang.compiler.diagnostic_output import render_text
from offerlang.compiler.diagnostics import CODES
from offerlang.compiler.pipeline import parse_source
from offerlang.compiler.source import MAX_BYTES

from .conftest import FIXTURES, ROOT

INVALID = sorted((FIXTURES / "invalid").glob("*.offer"))
TARGET_FIXTURES = sorted((FIXTURES / "targets").glob("*.offer"))

# Bytes that cannot be stored as a readable fixture file: generated here instead.
GENERATED: dict[str, bytes] = {
    # the first bad byte is the lone 0xE9 (Latin-1 "é") on line 3, column 13 (é before it is fine)
    "invalid-utf8": b"account abCdE1FGH2Hij3KLMnOpqR\n\ntag caf\xc3\xa9 caf\xe9\nitem basic-laptop\n",
    "binary": b"account abCdE1FGH2Hij3KLMnOpqR\nitem \x00\x01\x02\xff",
    "too-large": b"# " + b"x" * MAX_BYTES + b"\n",
    "utf-16": "\ufeffaccount abCdE1FGH2Hij3KLMnOpqR\nitem basic-laptop\n".encode("utf-16-le"),
    "utf-32": "\ufeffaccount abCdE1FGH2Hij3KLMnOpqR\nitem basic-laptop\n".encode("utf-32-be"),
}

# Fixtures that show a warning on an otherwise valid offer: they compile, with the warning.
WARNING_FIXTURES = (
    "contact-without-country",
    "tags-too-long",
    "trial-price-on-free-trial",
    "account-id-wrong-length",
    "email-looks-wrong",
    "contact-without-email",
    "escape-in-a-word",
    "trial-price-without-paid-or-free",
)


def _rendered(result) -> str:
    return render_text(result.diagnostics, {result.path: result.text}, color=False)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_offer_diagnostics(path, text_snapshot):
    result = compile_file(_relative(path))
    assert result.diagnostics, "an invalid fixture must report something"
    if not path.stem.startswith(WARNING_FIXTURES):
        assert not result.ok
    assert _rendered(result) == text_snapshot


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_unreadable_bytes_diagnostics(name, text_snapshot):
    result = compile_bytes(GENERATED[name], f"{name}.offer")
    assert not result.ok and result.text is None
    assert _rendered(result) == text_snapshot


def test_invalid_utf8_is_reported_at_the_first_bad_byte():
    (diag,) = compile_bytes(GENERATED["invalid-utf8"], "x.offer").diagnostics
    assert (diag.code, diag.span.line, diag.span.column) == ("E001", 3, 13)


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n  \n# a note\n", b"\xef\xbb\xbf# a note"])
def test_an_empty_file_is_one_error_at_1_1(data):
    (diag,) = compile_bytes(data, "empty.offer").diagnostics
    assert (diag.code, diag.span.line, diag.span.column, diag.span.end_line) == ("E004", 1, 1, 1)


@pytest.mark.parametrize("amount", ["-0", "-0.00", "-1"])
@pytest.mark.parametrize(
    "clause", ["price USD {}", "trial price USD {}", "discount USD {}", "setup fee {{\n price USD {}\n}}"]
)
def test_no_amount_may_carry_a_minus_sign(clause, amount):
    text = f"account abCdE1FGH2Hij3KLMnOpqR\nitem basic-laptop {{\n  {clause.format(amount)}\n}}\n"
    assert [d.code for d in compile_source(text).errors] == ["E205"]


def test_decimals_are_not_counted_for_an_unknown_currency():
    text = "account abCdE1FGH2Hij3KLMnOpqR\nitem basic-laptop {\n  price XYZ 10.001\n}\n"
    assert [d.code for d in compile_source(text).errors] == ["E202"]


def test_every_diagnostic_has_a_help_line():
    missing = {d.code for p in INVALID for d in compile_file(p).diagnostics if not d.hint}
    assert missing == set()


def test_syntax_errors_on_different_lines_are_all_reported_in_one_run():
    result = compile_file(FIXTURES / "invalid" / "several-syntax-errors.offer")
    lines = [d.span.line for d in result.diagnostics]
    assert len(lines) == len(set(lines)) == 4


def test_every_problem_of_a_file_is_reported_in_one_run():
    result = compile_file(FIXTURES / "invalid" / "several-problems.offer")
    assert [d.code for d in result.diagnostics] == ["E207", "E217", "E202", "E205", "E219", "E214"]


def test_a_syntax_error_does_not_hide_the_other_problems():
    result = compile_file(FIXTURES / "invalid" / "syntax-error-and-other-problems.offer")
    assert [d.code for d in result.diagnostics] == ["E207", "E102", "E206", "E202", "E219"]
    assert not result.ok and result.payload is None


def test_recovery_keeps_the_braces_of_a_line_with_a_syntax_error():
    result = compile_file(FIXTURES / "invalid" / "space-in-product-path.offer")
    assert [d.code for d in result.diagnostics] == ["E102", "E205", "E214"]


def test_a_statement_lost_to_a_syntax_error_is_not_also_reported_missing():
    result = compile_file(FIXTURES / "invalid" / "syntax-error-on-only-item.offer")
    assert [d.code for d in result.diagnostics] == ["E207", "E102"]  # no E221 "no items"


def test_a_file_with_a_syntax_error_is_not_formatted():
    from offerlang.authoring.formatter import format_source

    text = (FIXTURES / "invalid" / "syntax-error-and-other-problems.offer").read_text("utf-8")
    formatted, blocking = format_source(text)
    assert formatted is None and [d.code for d in blocking] == ["E102"]


def test_carets_line_up_after_tabs():
    result = compile_file(FIXTURES / "invalid" / "tabs-before-error.offer")
    source_line, carets = _rendered(result).splitlines()[2:4]
    start = carets.index("^")
    assert source_line[start : start + len("899.001")] == "899.001"
    assert carets.count("^") == len("899.001")


def test_carets_line_up_after_wide_characters():
    result = compile_file(FIXTURES / "invalid" / "wide-characters-before-error.offer")
    source_line, carets = _rendered(result).splitlines()[2:4]
    # キャンペーン and 春 take two columns each on a terminal
    wide = sum(1 for ch in source_line[: source_line.index("extra")] if ord(ch) > 0x3000)
    assert carets.index("^") == source_line.index("extra") + wide


def test_every_code_is_exercised():
    reported = {d.code for p in INVALID for d in compile_file(p).diagnostics}
    reported |= {d.code for data in GENERATED.values() for d in compile_bytes(data).diagnostics}
    # What one target cannot carry (tests/fixtures/targets), checked for both targets.
    reported |= {
        d.code for p in TARGET_FIXTURES for t in ("v1", "v2") for d in compile_file(p, target=t).diagnostics
    }
    # E901 and E530 are the schema gates behind the checks: no offer file should reach them
    # (tested below). E6xx and W520 are about JSON payloads given to `offer import`
    # (tests/test_import.py, tests/test_import_v2.py); W510 to W512 about FastSpring's answer to
    # a v2 send (tests/test_send_v2.py).
    from_json = {code for code in CODES if code.startswith("E6")} | {"W520", "W521"}
    from_sending = {"W510", "W511", "W512"}
    # E4xx, W4xx and P1xx are the store's (a catalog, a config, a policy): exercised by
    # tests/test_store_checks.py::test_every_store_code_is_exercised.
    store = {code for code in CODES if code[:2] in ("E4", "W4") or code.startswith("P")}
    assert set(CODES) - {"E901", "E530"} - from_json - from_sending - store - reported == set()
    assert reported <= set(CODES), "every reported code has a title in diagnostics.CODES"


def test_each_warning_fixture_shows_only_its_warning():
    for stem in WARNING_FIXTURES:
        result = compile_file(FIXTURES / "invalid" / f"{stem}.offer")
        assert result.ok and len(result.diagnostics) == 1, stem
        assert result.diagnostics[0].code.startswith("W"), stem


def test_the_schema_gate_reports_at_the_source_span_that_produced_the_field():
    # What the checks would never let through: a hand-broken payload with a pointer map.
    result = compile_file(ROOT / "examples" / "spring-promotion.offer")
    payload = {**result.payload, "expiration": 8}
    payload["items"] = [{**result.payload["items"][0], "quantity": Decimal("1.5")}]
    diags = schema.validate(payload, result.pointers)
    assert {d.code for d in diags} == {"E901"}
    by_line = {d.span.line: d.message for d in diags}
    assert set(by_line) == {5, 9}  # `expires after 7 days`, `quantity 2`
    assert "/expiration" in by_line[5] and "/items/0/quantity" in by_line[9]


# Pieces of the language, glued at random: reaches deep into the parser's error recovery.
_PIECES = [
    *'{},%$"#\n\t \r\\',
    "account",
    "contact",
    "item",
    "price",
    "trial",
    "discount",
    "setup fee",
    "billed every",
    "USD",
    "JPY",
    "10.00",
    "-1",
    "basic-laptop",
    '"campaign name"',
    "\u00a0",
    "\u201c",
    "キャンペーン",
]


@given(st.one_of(st.text(max_size=80), st.lists(st.sampled_from(_PIECES), max_size=40).map(" ".join)))
def test_any_text_gets_diagnostics_never_an_exception(text):
    result = compile_source(text, "fuzz.offer")
    assert result.ok or result.errors
    rendered = render_text(result.diagnostics, {"fuzz.offer": text})
    for d in result.diagnostics:
        assert d.code in CODES
        assert d.span is not None and d.span.line >= 1 and d.span.column >= 1
    assert "Traceback" not in rendered


def test_text_with_a_byte_order_mark_compiles():
    text = "\ufeffaccount abCdE1FGH2Hij3KLMnOpqR\nitem basic-laptop\n"
    assert compile_source(text).ok
    offer, diags = parse_source(text)
    assert offer is not None and diags == []


def test_expected_words_after_a_price_are_those_of_a_price():
    (diag,) = compile_file(FIXTURES / "invalid" / "amount-with-exponent.offer").diagnostics
    assert "'for'" not in diag.message and "'on'" not in diag.message
    assert "','" in diag.message


def test_a_block_inside_an_unclosed_block_is_blamed_on_its_own_line():
    (diag,) = compile_file(FIXTURES / "invalid" / "missing-brace-before-next-item.offer").diagnostics
    assert (diag.code, diag.span.line, diag.span.column) == ("E105", 6, 1)
    assert "missing before line 6" in diag.message


@pytest.mark.parametrize(
    "text",
    [
        'account "abCdE1FGH2Hij3KLMnOpqR\nitem basic-laptop\n',
        'contact {\n  first Jane\n  last Doe\n  email "jane@example.com\n  country DE\n}\nitem a\n',
        'account abCdE1FGH2Hij3KLMnOpqR\nitem basic-laptop {\n  trial paid\n  trial price USD 1.00 "x\n}\n',
    ],
)
def test_only_the_syntax_error_is_reported_for_a_statement_it_made_unreadable(text):
    assert [d.code for d in compile_source(text).errors] == ["E103"]


def test_an_unknown_escape_is_reported_where_it_is_and_kept_as_written():
    text = 'account abCdE1FGH2Hij3KLMnOpqR\nitem basic-laptop {\n  attribute "é\\q" "a\\u{1F600}\\x"\n}\n'
    offer, diags = parse_source(text)
    assert [(d.code, d.span.line, d.span.column, d.span.end_column) for d in diags] == [
        ("E106", 3, 15, 17),
        ("E106", 3, 30, 32),
    ]
    (attribute,) = offer.items[0].clauses
    assert (attribute.key.value, attribute.value.value) == ("é\\q", "a\U0001f600\\x")


@pytest.mark.parametrize(("amount", "rounded"), [("9.985", "9.99"), ("9.975", "9.98"), ("0.005", "0.01")])
def test_too_many_decimals_suggests_the_amount_rounded_half_up(amount, rounded):
    text = f"account abCdE1FGH2Hij3KLMnOpqR\nitem basic-laptop {{\n  price USD {amount}\n}}\n"
    (diag,) = compile_source(text).errors
    assert (diag.code, diag.hint) == ("E206", f"write it rounded: `{rounded}`")
