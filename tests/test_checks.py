"""The checks on their own, one family at a time: each rule fires where it should, with its
code, on the span that is wrong, and stays quiet where it should.

tests/test_invalid.py shows whole messages as a user reads them; here each test is a few lines
of offer and the (code, line) pairs the checker returns for them.
"""

from __future__ import annotations

import pytest

from offerlang.compiler.checks import check
from offerlang.compiler.parser import parse
from offerlang.language import EXPIRATION_DAYS, MAX_INTEGER_DIGITS, TAGS_SOFT_LIMIT

ACCOUNT = "account abCdE1FGH2Hij3KLMnOpqR"


def found(*lines: str) -> list[tuple[str, int]]:
    """(code, line) of every diagnostic the checks give for an offer of these lines."""
    offer, syntax = parse("\n".join(lines) + "\n")
    assert offer is not None and not syntax, syntax
    return [(d.code, d.span.line if d.span else 0) for d in check(offer)]


def item(*clauses: str, product: str = "basic-laptop") -> list[str]:
    """An offer with a buyer and one item holding `clauses` (they start on line 3)."""
    return [ACCOUNT, f"item {product} {{", *(f"  {c}" for c in clauses), "}"]


def test_a_complete_offer_has_no_problems():
    assert found(*item("price USD 9.99", "billed every 1 month", "renew auto", "discount 10%")) == []


# ---- the buyer -----------------------------------------------------------------------------------


def test_a_session_names_at_most_one_buyer():
    assert found("item a") == []  # none: the buyer enters their details at checkout
    contact = ["contact {", "  first A", "  last B", "  email a@b.co", "  country DE", "}"]
    assert found(ACCOUNT, *contact, "item a") == [("E209", 2)]


def test_a_contact_gives_some_detail_and_should_give_an_email_and_a_country():
    assert found("contact {", "}", "item a") == [("E240", 1)]
    assert found("contact {", "  first A", "}", "item a") == [("W306", 1), ("W301", 1)]
    assert found("contact {", "  email a@b", "  country DE", "}", "item a") == [("W305", 2)]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("country", "UK", "E203"), ("language", "english", "E204"), ("country", "DE", None)],
)
def test_contact_codes_are_iso_codes(field, value, code):
    contact = ["contact {", "  first A", "  last B", "  email a@b.co", f"  {field} {value}"]
    if field != "country":
        contact.append("  country DE")
    problems = found(*contact, "}", "item a")
    assert problems == ([(code, 5)] if code else [])


@pytest.mark.parametrize(
    ("account", "code"),
    [("abCdE1FGH2Hij3KLMnOpqR", None), ("ab cd", "E225"), ("short", "W304")],
)
def test_account_ids(account, code):
    problems = found(f'account "{account}"', "item a")
    assert problems == ([(code, 1)] if code else [])


def test_a_lookup_key_has_a_shape():
    assert found(ACCOUNT, "lookup ab", "item a") == [("E216", 2)]
    assert found(ACCOUNT, "lookup crm-10042", "item a") == []


# ---- the session ---------------------------------------------------------------------------------


def test_expiry_is_within_fastspring_limits():
    low, high = EXPIRATION_DAYS
    assert found(ACCOUNT, f"expires after {high} days", "item a") == []
    assert found(ACCOUNT, f"expires after {high + 1} days", "item a") == [("E207", 2)]
    assert found(ACCOUNT, f"expires after {low - 1} days", "item a") == [("E207", 2)]
    assert found(ACCOUNT, "expires after 1.5 days", "item a") == [("E218", 2)]


def test_a_session_clause_is_given_once():
    assert found(ACCOUNT, "coupon A", "coupon B", "item a") == [("E201", 3)]


def test_tags_have_unique_keys_and_a_sensible_length():
    assert found(ACCOUNT, "tag k 1", "tag k 2", "item a") == [("E226", 3)]
    long = "x" * (TAGS_SOFT_LIMIT + 1)
    assert found(ACCOUNT, f"tag k {long}", "item a") == [("W302", 2)]


def test_an_empty_file_is_one_problem():
    offer, _ = parse("# nothing yet\n")
    assert [d.code for d in check(offer)] == ["E004"]


def test_an_offer_needs_an_item():
    assert found(ACCOUNT) == [("E221", 1)]


# ---- items ---------------------------------------------------------------------------------------


def test_products_are_paths_and_listed_once():
    assert found(ACCOUNT, "item Basic_Laptop") == [("E217", 2)]
    assert found(ACCOUNT, "item a", "item a") == [("E208", 3)]


def test_counts_are_whole_numbers_in_range():
    assert found(*item("quantity 0")) == [("E218", 3)]
    assert found(*item("quantity 2.5")) == [("E218", 3)]
    assert found(*item("quantity 99999999999")) == [("E218", 3)]
    assert found(*item("quantity default 3", "quantity lock")) == []


def test_an_item_clause_is_given_once():
    assert found(*item("renew auto", "renew manual")) == [("E201", 4)]


@pytest.mark.parametrize(
    ("clause", "code"),
    [
        ("renew sometimes", "E219"),
        ("quantity hidden", "E219"),
        ("billed every 1 fortnight", "E219"),
        ("billed every month", "E213"),
        ("billed monthly", "E213"),
        ("billed sometimes", "E219"),
        ("billed adhoc", None),
        ("billed every 0 months", "E218"),
    ],
)
def test_billing_and_renewal_take_known_values(clause, code):
    assert found(*item(clause)) == ([(code, 3)] if code else [])


def test_attributes_have_unique_keys():
    assert found(*item("attribute k 1", "attribute k 2")) == [("E226", 4)]


# ---- money ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "code"),
    [
        ("USD 9.99", None),
        ("JPY 1200", None),
        ("XXY 9.99", "E202"),
        ("USD -1", "E205"),
        ("USD -0", "E205"),
        ("USD 9.999", "E206"),
        ("JPY 1200.5", "E206"),
        ("USD " + "9" * (MAX_INTEGER_DIGITS + 1), "E230"),
        ("USD 9.99, USD 8.99", "E220"),
    ],
)
def test_money(price, code):
    assert found(*item(f"price {price}")) == ([(code, 3)] if code else [])


def test_a_rounded_amount_is_suggested_half_up():
    offer, _ = parse("\n".join(item("price USD 9.985")) + "\n")
    [problem] = check(offer)
    assert problem.hint == "write it rounded: `9.99`"


# ---- trials --------------------------------------------------------------------------------------


def test_trial_rules():
    assert found(*item("trial 14 days paid")) == [("E212", 3)]
    assert found(*item("trial 14 days paid", "trial price USD 1.00")) == []
    assert found(*item("trial 14 days free", "trial price USD 1.00")) == [("W303", 4)]
    assert found(*item("trial")) == [("E224", 3)]
    assert found(*item("trial 4000 days")) == [("E218", 3)]


# ---- discounts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("discounts", "expected"),
    [
        (["discount 10%", "discount 20% on 5 or more"], []),
        (["discount 0%"], [("E214", 3)]),
        (["discount 101%"], [("E214", 3)]),
        (["discount 10%", "discount USD 1.00 on 5 or more"], [("E215", 4)]),
        (["discount 10% on 5 or more", "discount 20% on 5 or more"], [("E222", 4)]),
        (["discount 10% for 2 periods", "discount 20% on 5 or more for 3 periods"], [("E223", 4)]),
        (["discount 10% on 0 or more"], [("E218", 3)]),
    ],
)
def test_discounts(discounts, expected):
    assert found(*item("price USD 9.99", *discounts)) == [(code, line + 1) for code, line in expected]


# ---- setup fees ----------------------------------------------------------------------------------


def test_setup_fees():
    assert found(*item("setup fee {", "  price USD 10.00", '  title en "Setup"', "}")) == []
    assert found(*item("setup fee {", "}")) == [("E227", 3)]
    assert found(*item("setup fee {", '  title en "A"', '  title en "B"', "}")) == [("E226", 5)]
    assert found(*item("setup fee {", '  title xx "A"', "}")) == [("E204", 4)]
    assert found(*item("setup fee {", "  prize USD 1", "}")) == [("E104", 4)]


# ---- unknown keywords ----------------------------------------------------------------------------


def test_an_unknown_keyword_is_reported_where_it_stands_with_a_guess():
    offer, _ = parse("\n".join(item("pirce USD 4")) + "\n")
    [problem] = check(offer)
    assert (problem.code, problem.hint) == ("E104", "did you mean `price`?")


def test_a_keyword_in_the_wrong_block_says_where_it_belongs():
    offer, _ = parse(f"{ACCOUNT}\nprice USD 4\nitem a\n")
    [problem] = check(offer)
    assert problem.code == "E104" and "inside an `item" in (problem.hint or "")


def test_a_misspelt_buyer_is_not_also_a_missing_one():
    assert found("acount abCdE1FGH2Hij3KLMnOpqR", "item a") == [("E104", 1)]


# ---- parameters ----------------------------------------------------------------------------------


def test_parameters():
    assert found("param p text", ACCOUNT, "coupon $p", "item a") == []
    assert found(ACCOUNT, "coupon $p", "item a") == [("E228", 2)]
    assert found("param p text", "param p email", ACCOUNT, "item a") == [("E228", 2)]
    assert found("param p colour", ACCOUNT, "item a") == [("E228", 1)]
    assert found("param p text", ACCOUNT, "item a {", "  price USD $p", "}") == [("E228", 4)]
