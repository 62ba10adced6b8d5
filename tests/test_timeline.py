"""The buyer timeline, checked against amounts worked out by hand (docs/review.md states the rules)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from offerlang import compile_source
from offerlang.timeline import item_timelines, timeline

ACCOUNT = "account abCdE1FGH2Hij3KLMnOpqR\n"


def charges(item_body: str, product: str = "prime-sub") -> dict[str, list[tuple[str, str, str]]]:
    """{currency: [(when, amount, how)]} for one item written in offer syntax."""
    result = compile_source(f"{ACCOUNT}item {product} {{\n{item_body}\n}}\n")
    assert result.ok, result.diagnostics
    return {
        t.currency: [(c.when, str(c.amount), c.basis) for c in t.charges]
        for t in item_timelines(result.payload["items"][0])
    }


def amounts(item_body: str) -> dict[str, list[tuple[str, str]]]:
    return {cur: [(when, amount) for when, amount, _ in rows] for cur, rows in charges(item_body).items()}


def test_half_price_for_two_months_then_regular():
    # 9.99 / 2 = 4.995 -> 5.00 (half up); no trial, so signup pays the first discounted period.
    got = charges("price USD 9.99\nbilled every 1 month\ndiscount 50% for 2 periods")
    assert got == {
        "USD": [
            ("signup", "5.00", "50% off 9.99"),
            ("period 1", "5.00", "50% off 9.99"),
            ("period 2 on", "9.99", "regular price"),
        ]
    }


def test_free_trial_comes_first_and_the_discount_counts_billed_periods_only():
    got = amounts("price USD 9.99\nbilled every 1 month\ntrial 14 days free\ndiscount 50% for 2 periods")
    assert got == {
        "USD": [("signup", "0.00"), ("period 1", "5.00"), ("period 2", "5.00"), ("period 3 on", "9.99")]
    }


def test_paid_trial_is_the_trial_price_times_quantity_and_a_discount_without_duration_never_ends():
    # trial 1.00 x 3 = 3.00; 20.00 - 25% = 15.00, x 3 = 45.00 in every period.
    got = charges(
        "quantity 3\nprice USD 20.00\nbilled every 1 month\ntrial 7 days paid\ntrial price USD 1.00\n"
        "discount 25%"
    )
    assert got == {
        "USD": [
            ("signup", "3.00", "7-day paid trial at 1.00 × 3"),
            ("period 1", "45.00", "25% off 20.00 × 3"),
            ("period 2", "45.00", "25% off 20.00 × 3"),
            ("period 3 on", "45.00", "25% off 20.00 × 3"),
        ]
    }


def test_amount_discount_subtracts_per_unit_and_never_goes_below_zero():
    # (9.99 - 3.00) x 2 = 13.98 for one period, then 9.99 x 2 = 19.98.
    assert amounts("quantity 2\nprice USD 9.99\nbilled every 1 month\ndiscount USD 3.00 for 1 period") == {
        "USD": [("signup", "13.98"), ("period 1", "19.98"), ("period 2 on", "19.98")]
    }
    assert amounts("price USD 9.99\nbilled every 1 month\ndiscount USD 15.00 for 1 period")["USD"][0] == (
        "signup",
        "0.00",
    )


def test_amount_discount_without_the_currency_leaves_that_currency_at_the_regular_price():
    got = amounts("price USD 10.00, EUR 9.00\nbilled every 1 month\ndiscount USD 2.00")
    assert got["USD"][0] == ("signup", "8.00")
    assert got["EUR"][0] == ("signup", "9.00")


def test_zero_decimal_currency_rounds_to_whole_yen_half_up():
    # 1200 - 15% = 1020; 125 - 10% = 112.5 -> 113 (half up, not half even's 112).
    assert amounts("price JPY 1200\nbilled every 1 month\ndiscount 15% for 1 period")["JPY"][:2] == [
        ("signup", "1020"),
        ("period 1", "1200"),
    ]
    half = amounts("price JPY 125\nbilled every 1 month\ndiscount 10% for 1 period")
    assert half["JPY"][0] == ("signup", "113")


def test_rounding_is_half_up_on_the_unit_price():
    # 0.05 - 50% = 0.025 -> 0.03 per unit (half even would say 0.02); x 3 = 0.09.
    got = amounts("quantity 3\nprice USD 0.05\nbilled every 1 month\ndiscount 50% for 1 period")
    assert got["USD"][0] == ("signup", "0.09")


def test_quantity_tier_is_the_highest_minimum_at_or_below_the_quantity():
    tiers = "price USD 100.00\nbilled every 1 month\ndiscount 10%\ndiscount 20% on 5 or more"
    assert amounts(f"quantity 5\n{tiers}")["USD"][0] == ("signup", "400.00")  # 80.00 x 5
    assert amounts(f"quantity 4\n{tiers}")["USD"][0] == ("signup", "360.00")  # 90.00 x 4
    only_big = "quantity 2\nprice USD 100.00\nbilled every 1 month\ndiscount 20% on 10 or more"
    assert amounts(only_big)["USD"][0] == ("signup", "200.00")


def test_default_quantity_counts_when_no_quantity_is_given():
    got = amounts("quantity default 2\nprice USD 5.00\nbilled every 1 month")
    assert got["USD"][0] == ("signup", "10.00")


def test_setup_fee_is_added_once_at_signup():
    fee = "setup fee {\n price USD 25.00\n}"
    got = charges(f"quantity 2\nprice USD 10.00\nbilled every 1 month\n{fee}")["USD"]
    assert got[0] == ("signup", "45.00", "regular price 10.00 × 2 + setup fee 25.00")
    assert got[1] == ("period 1", "20.00", "regular price 10.00 × 2")


def test_a_long_discount_collapses_after_the_first_three_paid_periods():
    got = amounts("price USD 10.00\nbilled every 1 month\ntrial 30 days free\ndiscount 10% for 24 periods")
    assert got["USD"] == [
        ("signup", "0.00"),
        ("period 1", "9.00"),
        ("period 2", "9.00"),
        ("period 3", "9.00"),
        ("periods 4–24", "9.00"),
        ("period 25 on", "10.00"),
    ]


def test_an_item_that_does_not_say_it_recurs_has_only_its_charge_at_signup():
    assert charges("price USD 10.00") == {"USD": [("signup", "10.00", "regular price")]}


def test_without_a_price_override_nothing_is_invented():
    assert charges("trial 14 days free\nrenew auto") == {}


def test_a_trial_that_does_not_say_free_or_paid_is_the_catalogs():
    got = charges("price USD 9.99\nbilled every 1 month\ntrial 7 days")
    assert got["USD"][:2] == [
        ("signup", "None", "7-day trial, free or paid: the catalog's"),
        ("period 1", "9.99", "regular price"),
    ]


def test_a_paid_trial_without_this_currency_is_the_catalogs():
    got = charges("price USD 9.99, EUR 8.99\nbilled every 1 month\ntrial 7 days paid\ntrial price USD 1.00")
    assert got["EUR"][0] == ("signup", "None", "7-day paid trial, no EUR trial price: the catalog's")


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
