"""The buyer timeline, checked against amounts worked out by hand (docs/review.md states the rules)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from offerlang import compile_source
from offerlang.review.timeline import item_timelines, timeline, when
from offerlang.text import ordinal

ACCOUNT = "account abCdE1FGH2Hij3KLMnOpqR\n"


def charges(item_body: str, product: str = "prime-sub") -> dict[str, list[tuple[str, str, str]]]:
    """{currency: [(when, amount, how)]} for one item written in offer syntax."""
    return {
        t.currency: [(t.when(c), str(c.amount), c.basis) for c in t.charges]
        for t in item_timelines(_item(item_body, product))
    }


def amounts(item_body: str) -> dict[str, list[tuple[str, str]]]:
    return {cur: [(when, amount) for when, amount, _ in rows] for cur, rows in charges(item_body).items()}


def test_half_price_for_two_months_then_regular():
    # 9.99 / 2 = 4.995 -> 5.00 (half up); no trial, so signup pays the first discounted period.
    got = charges("price USD 9.99\nbilled every 1 month\ndiscount 50% for 2 periods")
    assert got == {
        "USD": [
            ("at signup", "5.00", "9.99 − 50% = 5.00 (if the catalog sets no trial)"),
            ("1st renewal", "5.00", "9.99 − 50% = 5.00"),
            ("2nd renewal on", "9.99", "regular price"),
        ]
    }


def test_free_trial_comes_first_and_the_discount_counts_billed_periods_only():
    got = amounts("price USD 9.99\nbilled every 1 month\ntrial 14 days free\ndiscount 50% for 2 periods")
    assert got == {
        "USD": [
            ("at signup (trial)", "0.00"),
            ("after the trial and 1st renewal", "5.00"),  # the same charge: one row
            ("2nd renewal on", "9.99"),
        ]
    }


def test_paid_trial_is_the_trial_price_times_quantity_and_a_discount_without_duration_never_ends():
    # trial 1.00 x 3 = 3.00; 20.00 - 25% = 15.00, x 3 = 45.00 in every period.
    got = charges(
        "quantity 3\nprice USD 20.00\nbilled every 1 month\ntrial 7 days paid\ntrial price USD 1.00\n"
        "discount 25%"
    )
    assert got == {
        "USD": [
            ("at signup (trial)", "3.00", "7-day paid trial at 1.00 × 3"),
            ("after the trial and every renewal", "45.00", "20.00 − 25% = 15.00 each × 3"),
        ]
    }


def test_amount_discount_subtracts_per_unit_and_never_goes_below_zero():
    # (9.99 - 3.00) x 2 = 13.98 for one period, then 9.99 x 2 = 19.98.
    assert amounts("quantity 2\nprice USD 9.99\nbilled every 1 month\ndiscount USD 3.00 for 1 period") == {
        "USD": [("at signup", "13.98"), ("every renewal", "19.98")]
    }
    assert amounts("price USD 9.99\nbilled every 1 month\ndiscount USD 15.00 for 1 period")["USD"][0] == (
        "at signup",
        "0.00",
    )


def test_amount_discount_without_the_currency_leaves_that_currency_at_the_regular_price():
    got = amounts("price USD 10.00, EUR 9.00\nbilled every 1 month\ndiscount USD 2.00")
    assert got["USD"][0] == ("at signup", "8.00")
    assert got["EUR"][0] == ("at signup", "9.00")


def test_zero_decimal_currency_rounds_to_whole_yen_half_up():
    # 1200 - 15% = 1020; 125 - 10% = 112.5 -> 113 (half up, not half even's 112).
    assert amounts("price JPY 1200\nbilled every 1 month\ndiscount 15% for 1 period")["JPY"][:2] == [
        ("at signup", "1020"),
        ("every renewal", "1200"),
    ]
    half = amounts("price JPY 125\nbilled every 1 month\ndiscount 10% for 1 period")
    assert half["JPY"][0] == ("at signup", "113")


def test_rounding_is_half_up_on_the_unit_price():
    # 0.05 - 50% = 0.025 -> 0.03 per unit (half even would say 0.02); x 3 = 0.09.
    got = amounts("quantity 3\nprice USD 0.05\nbilled every 1 month\ndiscount 50% for 1 period")
    assert got["USD"][0] == ("at signup", "0.09")


def test_quantity_tier_is_the_highest_minimum_at_or_below_the_quantity():
    tiers = "price USD 100.00\nbilled every 1 month\ndiscount 10%\ndiscount 20% on 5 or more"
    assert amounts(f"quantity 5\n{tiers}")["USD"][0] == ("at signup", "400.00")  # 80.00 x 5
    assert amounts(f"quantity 4\n{tiers}")["USD"][0] == ("at signup", "360.00")  # 90.00 x 4
    only_big = "quantity 2\nprice USD 100.00\nbilled every 1 month\ndiscount 20% on 10 or more"
    assert amounts(only_big)["USD"][0] == ("at signup", "200.00")


def test_default_quantity_counts_when_no_quantity_is_given():
    got = amounts("quantity default 2\nprice USD 5.00\nbilled every 1 month")
    assert got["USD"][0] == ("at signup", "10.00")


def test_setup_fee_is_added_once_at_signup():
    fee = "setup fee {\n price USD 25.00\n}"
    got = charges(f"quantity 2\nprice USD 10.00\nbilled every 1 month\n{fee}")["USD"]
    assert got[0] == (
        "at signup",
        "45.00",
        "regular price 10.00 × 2 (if the catalog sets no trial), plus setup fee 25.00",
    )
    assert got[1] == ("every renewal", "20.00", "regular price 10.00 × 2")


def test_a_long_discount_is_one_row_until_the_regular_price():
    got = amounts("price USD 10.00\nbilled every 1 month\ntrial 30 days free\ndiscount 10% for 24 periods")
    assert got["USD"] == [
        ("at signup (trial)", "0.00"),
        ("after the trial and renewals 1–23", "9.00"),
        ("24th renewal on", "10.00"),
    ]


def test_an_item_that_does_not_say_it_recurs_has_only_its_charge_at_signup():
    assert charges("price USD 10.00") == {
        "USD": [("at signup", "10.00", "regular price (if the catalog sets no trial)")]
    }


def test_without_a_price_override_nothing_is_invented():
    assert charges("trial 14 days free\nrenew auto") == {}


def test_a_trial_that_does_not_say_free_or_paid_is_the_catalogs():
    got = charges("price USD 9.99\nbilled every 1 month\ntrial 7 days")
    assert got["USD"][:2] == [
        ("at signup (trial)", "None", "7-day trial, free or paid as set in the catalog"),
        ("after the trial and every renewal", "9.99", "regular price"),
    ]


def test_a_paid_trial_without_this_currency_is_the_catalogs():
    got = charges("price USD 9.99, EUR 8.99\nbilled every 1 month\ntrial 7 days paid\ntrial price USD 1.00")
    assert got["EUR"][0] == ("at signup (trial)", "None", "7-day paid trial, EUR price set in the catalog")


def test_labels_name_each_charge_as_the_buyer_meets_it():
    # Without a trial signup is the first billed period and period N is the N-th renewal.
    assert when(0, 0, onward=False, trial=False) == "at signup"
    assert when(1, 1, onward=False, trial=False) == "1st renewal"
    assert when(3, 3, onward=True, trial=False) == "3rd renewal on"
    assert when(4, 24, onward=False, trial=False) == "renewals 4–24"
    # With a trial, period 1 is the first billed one and renewals start at period 2.
    assert when(0, 0, onward=False, trial=True) == "at signup (trial)"
    assert when(1, 1, onward=False, trial=True) == "after the trial"
    assert when(2, 2, onward=False, trial=True) == "1st renewal"
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th",
    ]  # fmt: skip


def test_sentence_labels_join_the_periods_without_a_one_period_range():
    def say(first: int, last: int, onward: bool = False, trial: bool | None = False) -> str:
        return when(first, last, onward=onward, trial=trial, sentence=True)

    assert say(0, 1) == "at signup and at the 1st renewal"
    assert say(0, 3) == "at signup and at renewals 1–3"
    assert say(0, 0, onward=True) == "at signup and at every renewal"
    assert say(2, 2, onward=True) == "from the 2nd renewal on"
    assert say(0, 2, trial=True) == "at signup (trial), after the trial and at the 1st renewal"
    assert say(1, 1, onward=True, trial=True) == "after the trial and at every renewal"
    # The two sides of a diff disagree on the trial: charges are counted, not named.
    assert say(0, 1, trial=None) == "at signup and at the 2nd charge"
    assert say(2, 2, onward=True, trial=None) == "from the 3rd charge on"


@given(
    price=st.decimals(min_value=0, max_value=100000, places=2),
    percent=st.integers(min_value=1, max_value=100),
    periods=st.integers(min_value=1, max_value=30),
)
def test_law_discounted_periods_then_the_regular_price_forever(price: Decimal, percent: int, periods: int):
    pricing = {
        "price": {"USD": price},
        "interval": "month",
        "intervalLength": 1,
        "discountType": "percent",
        "discountDuration": periods,
        "quantityDiscounts": {"1": percent},
    }
    t = timeline(pricing, 1, "USD")
    discounted = t.at(0)
    assert discounted is not None and Decimal(0) <= discounted <= price
    assert abs(discounted - price * (100 - percent) / 100) <= Decimal("0.005")
    assert all(t.at(p) == discounted for p in range(periods))
    assert all(t.at(p) == price for p in range(periods, periods + 40))


def test_a_huge_discount_duration_is_two_ranges_not_a_loop_over_every_period():
    # Building one row per period ran out of memory here; the rows come from change points.
    got = amounts("price USD 9.99\nbilled every 1 month\ndiscount 50% for 100000000 periods")
    assert got["USD"] == [
        ("at signup", "5.00"),
        ("renewals 1–99999999", "5.00"),
        ("100000000th renewal on", "9.99"),
    ]


def test_the_largest_numbers_an_offer_allows_are_exact():
    # The checks cap quantities and periods at 10 digits and amounts at 12; the timeline must
    # stay exact (and fast: a range, not one row per period) right up to those limits.
    got = amounts(
        "quantity 9999999999\nprice USD 999999999999.99\nbilled every 1 month\n"
        "trial 3650 days free\n"
        "discount 50% on 9999999999 or more for 9999999999 periods"
    )
    assert got["USD"][0] == ("at signup (trial)", "0.00")
    # 50% of 999999999999.99 is 499999999999.995, rounded half up to 500000000000.00 a unit.
    assert got["USD"][1] == ("after the trial and renewals 1–9999999998", "4999999999500000000000.00")
    assert got["USD"][-1] == ("9999999999th renewal on", "9999999998999900000000.01")


def test_a_trial_left_to_the_catalog_is_flagged_on_the_signup_row_not_assumed_away():
    rows = charges("price USD 9.99\nbilled every 1 month")["USD"]
    assert rows[0][2] == "regular price (if the catalog sets no trial)"
    assert all("catalog sets no trial" not in how for _, _, how in rows[1:])
    # An offer that says "no trial" (trial 0 days) is taken at its word.
    assert charges("price USD 9.99\nbilled every 1 month\ntrial 0 days")["USD"][0][2] == "regular price"


def test_a_known_setup_fee_and_free_trial_show_when_the_price_is_the_catalogs():
    fee = "setup fee {\n price USD 250.00, EUR 200.00\n}"
    # No price override: signup is the catalog's price plus the fee, renewals the catalog's.
    got = charges(f"billed every 1 month\ntrial 0 days\n{fee}")
    assert got["USD"][:2] == [
        ("at signup", "None", "the catalog's price, plus setup fee 250.00"),
        ("every renewal", "None", "the catalog's price"),
    ]
    assert list(got) == ["USD", "EUR"]
    # A fee currency the price override lacks still gets its timeline.
    got = charges(f"price USD 9.99\nbilled every 1 month\ntrial 14 days free\n{fee}")
    assert got["EUR"][0] == ("at signup (trial)", "200.00", "14-day free trial, plus setup fee 200.00")
    assert got["EUR"][1] == ("after the trial and every renewal", "None", "the catalog's price")
    shown = [
        c.shown("EUR") for c in item_timelines(_item(f"billed every 1 month\ntrial 0 days\n{fee}"))[1].charges
    ]
    assert shown[:2] == ["catalog + 200.00", "catalog"]


def test_hand_computed_paid_trial_with_setup_fee_and_quantity():
    # trial 0.99 x 3 = 2.97, plus fee 5.55 = 8.52; then 9.99 - 12.5% = 8.74125 -> 8.74, x 3 = 26.22
    # for 2 periods; then 9.99 x 3 = 29.97. JPY: 99 x 3 + 500 = 797; 1234 - 12.5% = 1079.75 -> 1080,
    # x 3 = 3240; then 3702.
    got = amounts(
        "quantity 3\nprice USD 9.99, JPY 1234\nbilled every 1 month\ntrial 7 days paid\n"
        "trial price USD 0.99, JPY 99\ndiscount 12.5% for 2 periods\nsetup fee {\n price USD 5.55, JPY 500\n}"
    )
    assert got["USD"] == [
        ("at signup (trial)", "8.52"),
        ("after the trial and 1st renewal", "26.22"),
        ("2nd renewal on", "29.97"),
    ]
    assert got["JPY"] == [
        ("at signup (trial)", "797"),
        ("after the trial and 1st renewal", "3240"),
        ("2nd renewal on", "3702"),
    ]


def test_hand_computed_amount_discount_in_yen():
    # (1500 - 300) x 2 = 2400 for the first period; then 1500 x 2 = 3000.
    got = amounts("quantity 2\nprice JPY 1500\nbilled every 1 month\ndiscount JPY 300 for 1 period")
    assert got["JPY"] == [("at signup", "2400"), ("every renewal", "3000")]


def test_the_issue_s_example_shows_the_rounded_unit_step():
    # Hand arithmetic on the whole charge gives 0.25 × 100 − 10.5% = 22.375; the unit price is
    # rounded first (0.22375 → 0.22) and the row says so.
    (row,) = charges("quantity 100\nprice USD 0.25\ndiscount 10.5%")["USD"]
    assert row == ("at signup", "22.00", "0.25 − 10.5% = 0.22 each × 100 (if the catalog sets no trial)")


def test_an_amount_discount_larger_than_the_price_says_it_stops_at_zero():
    rows = charges("price USD 9.99\nbilled every 1 month\ntrial 0 days\ndiscount USD 15.00 for 1 period")
    assert rows["USD"][0] == ("at signup", "0.00", "9.99 − 15.00 = 0.00 (never below 0)")


def test_an_adhoc_item_has_no_renewals():
    rows = charges("price USD 9.99\nbilled adhoc\ntrial 0 days")["USD"]
    assert rows == [("at signup", "9.99", "regular price")]


def test_an_adhoc_item_with_a_trial_charges_after_the_trial_not_twice_at_signup():
    rows = charges("price USD 10\nbilled adhoc\ntrial 7 days free\nsetup fee {\n  price USD 5\n}")["USD"]
    assert rows == [
        ("at signup (trial)", "5.00", "7-day free trial, plus setup fee 5.00"),
        ("after the trial", "10.00", "regular price"),
    ]
    # The charges are periods 0 and 1: no two rows for one period.
    [t] = item_timelines(_item("price USD 10\nbilled adhoc\ntrial 7 days free"))
    assert [(c.first, c.last) for c in t.charges] == [(0, 0), (1, 1)]


def test_eds_and_shipping_fees_are_added_to_the_charge_at_signup_like_the_setup_fee():
    from offerlang.compiler.targets.v2 import review_form

    body = "price USD 10\nbilled every 1 month\neds fee USD 2.50\nshipping fee USD 4.99, EUR 4.50"
    result = compile_source(f"item p {{\n{body}\nsetup fee {{\n  price USD 1\n}}\n}}\n", target="v2")
    assert result.ok, result.diagnostics
    usd, eur = item_timelines(review_form(result.payload)["items"][0])
    assert (usd.currency, eur.currency) == ("USD", "EUR")
    signup = usd.charges[0]
    assert signup.amount == Decimal("18.49")  # 10 + 1 + 2.50 + 4.99
    assert signup.basis.endswith("plus setup fee 1.00, plus EDS fee 2.50, plus shipping fee 4.99")
    assert usd.charges[1].amount == Decimal("10")  # once: not at renewals
    # No price in EUR: the catalog's, with the known shipping fee on top.
    assert (eur.charges[0].amount, eur.charges[0].plus) == (None, Decimal("4.50"))


@given(
    price=st.decimals(min_value=0, max_value=1000, places=2),
    percent=st.integers(min_value=1, max_value=100),
    periods=st.integers(min_value=1, max_value=30),
    trial=st.booleans(),
    fee=st.booleans(),
)
def test_law_adjacent_rows_never_charge_the_same_for_the_same_reason(price, percent, periods, trial, fee):
    pricing = {
        "price": {"USD": price},
        "interval": "month",
        "intervalLength": 1,
        "discountType": "percent",
        "discountDuration": periods,
        "quantityDiscounts": {"1": percent},
    }
    if trial:
        pricing.update(trial=7, paidTrial=False)
    if fee:
        pricing["setupFee"] = {"price": {"USD": Decimal("5.00")}}
    rows = timeline(pricing, 1, "USD").charges
    assert rows[0].first == rows[0].last == 0  # signup stands alone
    for a, b in itertools.pairwise(rows):
        assert (a.amount, a.plus, a.basis) != (b.amount, b.plus, b.basis)
        assert b.first == a.last + 1  # and no period is left out


def _item(item_body: str, product: str = "prime-sub") -> dict:
    result = compile_source(f"{ACCOUNT}item {product} {{\n{item_body}\n}}\n")
    assert result.ok, result.diagnostics
    return result.payload["items"][0]
