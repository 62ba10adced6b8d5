"""The parser on its own: the tree it builds, and how it recovers from syntax errors.

tests/test_invalid.py shows the messages as a user reads them; these tests pin the mechanics
behind them: which line is blanked, what the checks are told was lost, when recovery stops.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from offerlang.compiler import nodes as n
from offerlang.compiler.parser import parse
from offerlang.language import MAX_BLOCK_DEPTH, MAX_SYNTAX_ERRORS, TrialKind

ACCOUNT = "account abCdE1FGH2Hij3KLMnOpqR\n"


def codes(diagnostics) -> list[tuple[str, int]]:
    return [(d.code, d.span.line if d.span else 0) for d in diagnostics]


# ---- the tree ----------------------------------------------------------------------------------


def test_a_clean_offer_becomes_typed_nodes_in_source_order():
    offer, diags = parse(
        ACCOUNT
        + "item prime-sub {\n"
        + "  price USD 9.90, EUR $eur\n"
        + "  trial 14 days free, no card required\n"
        + "  discount 10% on 5 or more for 2 periods\n"
        + "}\n"
    )
    assert diags == []
    assert offer is not None
    account, item = offer.clauses
    assert isinstance(account, n.Account) and account.value.value == "abCdE1FGH2Hij3KLMnOpqR"
    assert isinstance(item, n.Item) and item.has_body
    price, trial, discount = item.clauses
    assert isinstance(price, n.Price)
    usd, eur = price.amounts
    assert (usd.currency.value, usd.amount.text, usd.amount.value) == ("USD", "9.90", Decimal("9.90"))
    assert isinstance(eur.amount, n.ParamRef) and eur.amount.name == "eur"
    assert isinstance(trial, n.Trial)
    assert (trial.days.value, trial.kind, trial.card) == (14, TrialKind.FREE, False)
    assert isinstance(discount, n.Discount)
    assert (discount.percent.value, discount.from_quantity.value, discount.periods.value) == (10, 5, 2)
    assert discount.amounts is None


def test_spans_are_one_based_and_end_exclusive():
    offer, _ = parse(ACCOUNT + "coupon SPRING10\n")
    coupon = offer.clauses[1]
    assert (coupon.value.span.line, coupon.value.span.column, coupon.value.span.end_column) == (2, 8, 16)
    assert (ACCOUNT + "coupon SPRING10\n")[coupon.value.span.start : coupon.value.span.end] == "SPRING10"


def test_an_unknown_keyword_is_a_node_for_the_checks_not_a_syntax_error():
    offer, diags = parse(ACCOUNT + "item a {\n  pirce USD 4\n}\n")
    assert diags == []
    unknown = offer.items[0].clauses[0]
    assert isinstance(unknown, n.Unknown) and (unknown.name.value, unknown.args) == ("pirce", ["USD", "4"])


def test_comments_are_kept_with_their_spans():
    offer, _ = parse("# first\n" + ACCOUNT + "item a # trailing\n")
    assert [(c.text, c.span.line, c.span.column) for c in offer.comments] == [
        ("# first", 1, 1),
        ("# trailing", 3, 8),
    ]


def test_strings_are_unescaped_and_unknown_escapes_reported():
    offer, diags = parse(ACCOUNT + 'tag "a\\"b\\u{1F600}" "x\\qy"\nitem a\n')
    tag = offer.clauses[1]
    assert tag.key.value == 'a"b😀' and tag.key.quoted
    assert tag.value.value == "x\\qy"  # an unknown escape stays as written…
    assert codes(diags) == [("E106", 2)]  # …and is reported


# ---- recovery ----------------------------------------------------------------------------------


def test_independent_syntax_errors_are_all_reported_and_the_rest_is_still_parsed():
    text = ACCOUNT + "coupon\nitem a {\n  price USD 10 EUR 9\n}\nitem b\n"
    offer, diags = parse(text)
    assert [code for code, _ in codes(diags)] == ["E102", "E102"]
    assert [line for _, line in codes(diags)] == [2, 4]
    assert offer is not None, "the blanked text parses, so the checks still run on the rest"
    assert [_product(i) for i in offer.items] == ["a", "b"]


def test_a_blanked_statement_is_named_so_the_checks_do_not_call_it_missing():
    # `trial price` cut short by the block's `}`: the whole statement is blanked, and the checks
    # are told a `trial` was written (so "a paid trial needs a trial price" is not said on top).
    offer, diags = parse(ACCOUNT + "item a {\n  trial price }\n")
    assert codes(diags) == [("E102", 3)]
    assert offer is not None and offer.items[0].clauses == []
    assert offer.blanked == frozenset({"trial"})


def test_a_blanked_line_keeps_its_length_so_later_spans_stay_true():
    text = ACCOUNT + "expires after 2 days days\ncoupon X\n"
    offer, diags = parse(text)
    assert codes(diags) == [("E102", 2)]
    coupon = offer.clauses[-1]
    assert text[coupon.value.span.start : coupon.value.span.end] == "X"


def test_a_stray_closing_brace_is_dropped_and_the_rest_parsed():
    offer, diags = parse(ACCOUNT + "item a\n}\nitem b\n")
    assert codes(diags) == [("E102", 3)]
    assert [_product(i) for i in offer.items] == ["a", "b"]


def test_a_missing_closing_brace_is_found_before_the_next_item():
    _, diags = parse(ACCOUNT + "item a {\n  quantity 1\nitem b {\n  quantity 2\n}\n")
    [missing] = diags
    assert (missing.code, missing.span.line) == ("E105", 4)
    assert "line 2" in missing.message


def test_recovery_stops_after_a_fixed_number_of_errors():
    text = ACCOUNT + "".join(f"coupon {i} {i}\n" for i in range(MAX_SYNTAX_ERRORS + 5))
    offer, diags = parse(text)
    assert offer is None
    assert len(diags) == MAX_SYNTAX_ERRORS


def test_an_error_at_the_end_of_the_file_ends_recovery():
    offer, diags = parse(ACCOUNT + "item a {\n  price USD\n")
    assert offer is None
    assert [d.code for d in diags][-1] == "E105"


def test_blocks_nested_too_deep_are_refused_before_parsing():
    offer, diags = parse(ACCOUNT + "item a " + "{ x " * (MAX_BLOCK_DEPTH + 1) + "}" * (MAX_BLOCK_DEPTH + 1))
    assert offer is None
    assert codes(diags) == [("E107", 2)]


@pytest.mark.parametrize(
    ("line", "code", "says"),
    [
        ('coupon "SPRING', "E103", "not closed"),
        ("tag \u201ccampaign name\u201d spring", "E102", "unexpected `spring`"),
        ("coupon\u00a0SPRING", "E101", "no-break space"),
        ("item a {\n  trial 14 dayss\n}", "E102", "`dayss`"),
        ("item a {\n  price USD 9.99,\n}", "E102", "`,` is not followed"),
        ("item a {\n  price USD 9.99 EUR 8\n}", "E102", "`,` is missing before `EUR`"),
    ],
)
def test_each_kind_of_syntax_error_is_named(line, code, says):
    _, diags = parse(ACCOUNT + line + "\n")
    assert diags and diags[0].code == code
    assert says in diags[0].message


def test_a_syntax_error_on_a_line_with_curly_quotes_says_to_straighten_them():
    _, diags = parse(ACCOUNT + "tag \u201ccampaign name\u201d spring\n")
    assert "straight quotes" in (diags[0].hint or "")


def _product(item: n.Item) -> str:
    assert isinstance(item.product, n.Text)
    return item.product.value
