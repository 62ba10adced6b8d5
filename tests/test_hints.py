"""Hints that understand what the author meant (issue 11, point 4), and the buyer rules (point 1).

The fixtures in tests/fixtures/invalid show each hint as the user reads it; these tests pin the
rules behind them over every keyword, block and code table.
"""

from __future__ import annotations

import pytest

from offerlang import compile_source
from offerlang.compiler.diagnostics import did_you_mean, did_you_mean_hint
from offerlang.language import BLOCK_KEYWORDS, BLOCK_PLACES, CONTACT_FIELDS

ACCOUNT = "account abCdE1FGH2Hij3KLMnOpqR\n"

# A statement for each keyword, as it would be written in its own block.
STATEMENTS = {
    "account": "account abCdE1FGH2Hij3KLMnOpqR",
    "contact": "contact {\n first Jane\n}",
    "lookup": "lookup crm-10042",
    "coupon": "coupon SPRING10",
    "expires": "expires after 3 days",
    "tag": "tag campaign spring",
    "item": "item other-product",
    "param": "param code text",
    "quantity": "quantity 2",
    "price": "price USD 9.99",
    "trial": "trial 14 days free",
    "billed": "billed every 1 month",
    "renew": "renew auto",
    "discount": "discount 10%",
    "attribute": "attribute segment education",
    "setup": "setup fee {\n price USD 5.00\n}",
    "first": "first Jane",
    "last": "last Doe",
    "email": "email jane@example.com",
    "company": "company Acme",
    "phone": "phone +1-555-0100",
    "country": "country DE",
    "language": "language de",
    "title": 'title en "Setup fee"',
    # Sessions v2 only (docs/targets.md)
    "locale": "locale pt-BR",
    "buyer": "buyer tag tier gold",
    "payment": "payment methods CARD",
    "hide": "hide payment methods WIRE",
    "eds": "eds fee USD 2.50",
    "shipping": "shipping fee USD 4.99",
    "display": 'display en "Prime"',
    "summary": 'summary en "Everything in Prime"',
    "instructions": 'instructions en "Your key arrives by email"',
    "image": "image https://cdn.example.com/prime.png",
}

# How to wrap a statement so that it stands in a block.
WRAP = {
    "top": "{}\nitem basic-laptop\n",
    "item": "item basic-laptop {{\n{}\n}}\n",
    "contact": "contact {{\n email jane@example.com\n country DE\n{}\n}}\nitem basic-laptop\n",
    "setup fee": "item basic-laptop {{\n setup fee {{\n  price USD 5.00\n{}\n }}\n}}\n",
}

# (keyword, a block that does not take it, the first block that does: its home)
MISPLACED = list(
    {
        (keyword, block): next(b for b, words in BLOCK_KEYWORDS.items() if keyword in words)
        for keywords in BLOCK_KEYWORDS.values()
        for keyword in keywords
        for block in BLOCK_KEYWORDS
        if keyword not in BLOCK_KEYWORDS[block]
    }.items()
)
MISPLACED = [(keyword, block, home) for (keyword, block), home in MISPLACED]


def test_every_keyword_has_a_statement_here():
    assert set(STATEMENTS) == {k for keywords in BLOCK_KEYWORDS.values() for k in keywords}


@pytest.mark.parametrize(("keyword", "block", "home"), MISPLACED, ids=lambda x: str(x))
def test_a_keyword_in_another_block_is_pointed_at_its_home(keyword, block, home):
    text = WRAP[block].format(STATEMENTS[keyword])
    wrong = [d for d in compile_source(text).errors if d.code == "E104"]
    assert len(wrong) == 1, [d.message for d in compile_source(text).diagnostics]
    (d,) = wrong
    assert d.message == f"`{keyword}` does not belong {BLOCK_PLACES[block][0]}"
    if (keyword, block) == ("item", "item"):
        return
    assert "did you mean" not in d.hint
    if home == "item" and block == "setup fee":
        assert "outside `setup fee" in d.hint
    else:
        assert BLOCK_PLACES[home][1] in d.hint, d.hint


# ---- the did-you-mean bar ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "choices", "meant"),
    [
        ("pirce", ["quantity", "price", "trial"], "price"),  # two letters swapped: 1 edit
        ("quantty", ["quantity", "price"], "quantity"),
        ("hidden", ["allow", "lock", "hide"], "hide"),  # 2 edits in 6 letters
        ("EUO", ["EUR", "USD"], "EUR"),
        ("automatic", ["auto", "manual", "opt-auto", "opt-manual"], "auto"),  # a synonym
        ("qty", ["quantity", "price"], "quantity"),
        ("intervalCount", ["interval", "intervalLength"], "intervalLength"),  # a synonym beats distance
        ("checkout", ["account", "contact", "coupon"], None),  # 5 edits: unrelated
        ("country", ["account", "contact", "coupon"], None),  # 4 edits in 7 letters
        ("intervalCount", ["interval", "renew"], None),
        ("opt-in", ["auto", "manual", "opt-auto", "opt-manual"], None),  # meaning, not spelling
        ("xy", ["en", "de"], None),
        ("XX", ["AX", "DE"], None),  # one edit in two letters is not close
    ],
)
def test_did_you_mean_suggests_only_what_is_close_or_a_known_synonym(typed, choices, meant):
    assert did_you_mean(typed, choices) == meant


def test_the_hint_falls_back_when_nothing_is_close():
    assert did_you_mean_hint("checkout", ["account"], "known here: account") == "known here: account"


def test_a_case_difference_is_always_a_match():
    assert did_you_mean("usd", ["EUR", "USD"]) == "USD"


# ---- codes written as names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "written", "meant"),
    [
        ("country", "Brazil", "BR"),
        ("country", '"United States"', "US"),
        ("country", "USA", "US"),
        ("country", "BRA", "BR"),
        ("country", '"Côte d\'Ivoire"', "CI"),
        ("country", '"South Korea"', "KR"),
        ("country", "UK", "GB"),
        ("country", "Russia", "RU"),
        ("language", "Portuguese", "pt"),
        ("language", "por", "pt"),
        ("language", "ger", "de"),
        ("language", "pt-BR", "pt"),
        ("language", "en_US", "en"),
        ("language", "zh-Hans-CN", "zh"),
        ("language", "Greek", "el"),
    ],
)
def test_an_english_name_or_tag_is_answered_with_its_code(field, written, meant):
    text = f"contact {{\n email j@example.com\n country DE\n {field} {written}\n}}\nitem a\n"
    if field == "country":
        text = text.replace(" country DE\n", "")
    (d,) = compile_source(text).errors
    assert d.hint.startswith(f"did you mean `{meant}`?"), d.hint


def test_a_code_with_nothing_like_it_gets_the_example():
    (d,) = compile_source("contact {\n email j@example.com\n country Atlantis\n}\nitem a\n").errors
    assert d.hint == "use the ISO 3166 country code, e.g. `DE`"


# ---- small hints ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "fix"),
    [
        ("price JPY 7,400", "7400"),
        ("price USD 1,299.00", "1299.00"),
        ("discount USD 1,000.00 on 5 or more", "1000.00"),
        ("price USD 9.99, EUR 12,345,678", "12345678"),
    ],
)
def test_a_thousands_separator_is_named(statement, fix):
    (d,) = compile_source(f"{ACCOUNT}item a {{\n  {statement}\n}}\n").errors
    assert d.hint == f"write `{fix}`"


@pytest.mark.parametrize(
    ("value", "warned"),
    [
        ('"email\\newsletter"', True),
        ('"web\\tform"', True),
        ('"line1\\nline2"', False),  # a digit before the escape: meant as a break
        ('"Dear Jane,\\nthanks"', False),  # prose with blanks: meant as a break
        ('"email\\\\newsletter"', False),  # the backslash itself
    ],
)
def test_an_escape_inside_a_word_is_questioned(value, warned):
    for where in (f"tag k {value}\nitem a\n", f"item a {{\n attribute {value} v\n}}\n"):
        codes = [d.code for d in compile_source(ACCOUNT + where).diagnostics]
        assert codes == (["W307"] if warned else []), where


@pytest.mark.parametrize("value", ['"email\\newsletter"', '"web\\tform"'])
def test_an_escape_inside_a_buyer_tag_is_questioned_too(value):
    for tag in (f"buyer tag k {value}", f"buyer tag {value} v"):
        diags = compile_source(f"{ACCOUNT}{tag}\nitem a\n", target="v2").diagnostics
        assert [d.code for d in diags] == ["W307"], tag


def test_an_escape_inside_a_setup_fee_title_is_questioned():
    text = f'{ACCOUNT}item a {{\n setup fee {{\n  title en "Set\\tup"\n  price USD 1.00\n }}\n}}\n'
    assert [d.code for d in compile_source(text).diagnostics] == ["W307"]


@pytest.mark.parametrize(
    ("trial", "warned"),
    [
        ("trial 7 days", True),
        ("trial 7 days paid", False),
        ("trial 7 days free", False),
        ("trial 0 days", False),
    ],
)
def test_a_trial_price_on_a_trial_that_is_neither_paid_nor_free_is_questioned(trial, warned):
    text = f"{ACCOUNT}item a {{\n {trial}\n trial price USD 1.00\n}}\n"
    codes = [d.code for d in compile_source(text).diagnostics]
    assert ("W308" in codes) == warned, codes


@pytest.mark.parametrize(
    ("mode", "meant"), [("opt-in", "opt-auto"), ("opt-out", "opt-manual"), ("optin", "opt-auto")]
)
def test_renew_opt_in_and_out_name_the_mode_by_meaning(mode, meant):
    (d,) = compile_source(f"{ACCOUNT}item a {{\n renew {mode}\n}}\n").errors
    assert d.hint.startswith(f"write `renew {meant}`: it renews")


@pytest.mark.parametrize(
    ("billed", "fix"),
    [
        ("billed biweekly", "billed every 2 weeks"),
        ("billed weekly", "billed every 1 week"),
        ("billed monthly", "billed every 1 month"),
        ("billed quarterly", "billed every 3 months"),
        ("billed yearly", "billed every 1 year"),
        ("billed annually", "billed every 1 year"),
        ("billed every two weeks", "billed every 2 weeks"),
        ("billed every other week", "billed every 2 weeks"),
        ("billed every three months", "billed every 3 months"),
        ("billed every fortnight", "billed every 2 weeks"),
        ("billed every 3 fortnights", "billed every 6 weeks"),
        ("billed every quarter", "billed every 3 months"),
        ("billed every month", "billed every 1 month"),
        ("billed every biweekly", "billed every 2 weeks"),
    ],
)
def test_billing_words_are_answered_with_the_interval(billed, fix):
    (d,) = compile_source(f"{ACCOUNT}item a {{\n {billed}\n}}\n").errors
    assert d.hint == f"write `{fix}`"


# ---- the buyer --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["item a\n", "lookup crm-10042\nitem a\n", "coupon X\nitem a\n"])
def test_a_session_without_a_buyer_is_valid(text):
    result = compile_source(text)
    assert result.ok and result.diagnostics == []
    assert "account" not in result.payload and "contact" not in result.payload


@pytest.mark.parametrize("field", CONTACT_FIELDS)
def test_a_contact_with_any_one_field_is_valid(field):
    value = {"email": "j@example.com", "country": "BR", "language": "pt"}.get(field, "Jane")
    result = compile_source(f"contact {{\n {field} {value}\n}}\nitem a\n")
    assert result.ok, result.errors
    assert result.payload["contact"] == {field: value}
    warned = {d.code for d in result.diagnostics}
    assert warned == {"W301", "W306"} - ({"W301"} if field == "country" else set()) - (
        {"W306"} if field == "email" else set()
    )


def test_account_and_contact_together_is_still_an_error():
    text = "account abCdE1FGH2Hij3KLMnOpqR\ncontact {\n email j@example.com\n}\nitem a\n"
    assert "E209" in [d.code for d in compile_source(text).errors]
