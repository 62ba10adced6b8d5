"""`explain` and `diff` with a catalog: the catalog's values instead of "set in the catalog",
timelines with catalog amounts, overrides against catalog prices, and waivers shown."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from offerlang.review.catalogview import through_catalog
from offerlang.review.diff import diff_payloads
from offerlang.review.explain import explain

from .conftest import run

pytestmark = pytest.mark.usefixtures("plain_output_from_the_root")

REVIEW = "tests/fixtures/store/review"
BASE, OVERRIDE = f"{REVIEW}/base.offer", f"{REVIEW}/override.offer"


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
@pytest.mark.parametrize("offer", [BASE, OVERRIDE], ids=["base", "override"])
def test_explain_with_the_catalog(offer, fmt, capsys, snapshot):
    code, out, _ = run(capsys, "explain", "--format", fmt, offer)
    assert code == 0
    assert out == snapshot


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_diff_with_the_catalog(fmt, capsys, snapshot):
    code, out, _ = run(capsys, "diff", "--format", fmt, BASE, OVERRIDE)
    assert code == 0
    assert out == snapshot


def test_explain_states_catalog_values_where_it_said_set_in_the_catalog(capsys):
    _, out, _ = run(capsys, "explain", BASE)
    assert "EUR 82.90, USD 89.90 (catalog)" in out
    assert "the catalog's price" not in out
    _, isolated, _ = run(capsys, "explain", "--isolated", BASE)
    assert "price     the catalog's price, and every other term as in the catalog" in isolated


def test_diff_shows_the_catalog_price_against_the_override(capsys):
    _, out, _ = run(capsys, "diff", BASE, OVERRIDE)
    assert "prime-sub: price USD 89.90 (catalog) → 8.99 (override, −90.0%)" in out
    assert "prime-sub: waiver P103 price-range added" in out


def test_waivers_are_in_the_json_of_explain_and_diff(capsys):
    _, out, _ = run(capsys, "explain", "--format", "json", OVERRIDE)
    [offer] = json.loads(out)["offers"]
    [waiver] = offer["waivers"]
    assert waiver["codes"] == ["P103", "P102"] and waiver["item"] == "prime-sub"
    assert sorted(waiver["used"]) == ["P102", "P103"]
    _, out, _ = run(capsys, "diff", "--format", "json", BASE, OVERRIDE)
    changes = json.loads(out)["offers"][0]["changes"]
    waived = [c for c in changes if c["field"] == "waiver"]
    assert [(c["item"], c["key"], c["new"]) for c in waived] == [
        ("prime-sub", "P103", "launch price agreed by finance, ticket FIN-123"),
        ("prime-sub", "P102", "launch price agreed by finance, ticket FIN-123"),
    ]


# ---- the reading, on its own ----------------------------------------------------------------

CATALOG = {
    "prime-sub": {
        "display": {"en": "Prime"},
        "pricing": {
            "price": {"USD": Decimal("89.90"), "EUR": Decimal("82.90")},
            "interval": "month",
            "intervalLength": 1,
            "quantityDiscounts": {"10": 5},
        },
    }
}


def test_fields_the_session_does_not_give_come_from_the_catalog():
    item = {"product": "prime-sub", "pricing": {"price": {"USD": Decimal("8.99")}}}
    seen = through_catalog(item, CATALOG)
    assert seen.item["pricing"] == {
        "price": {"USD": Decimal("8.99")},  # an override replaces the price map as a whole
        "interval": "month",
        "intervalLength": 1,
        "quantityDiscounts": {"10": 5},
        "discountType": "percent",
    }
    assert seen.marks == {"interval", "intervalLength", "quantityDiscounts", "discountType"}
    assert through_catalog({"product": "other"}, CATALOG).known is False


def test_the_session_discount_replaces_the_catalogs():
    item = {
        "product": "prime-sub",
        "pricing": {"discountType": "amount", "quantityDiscounts": {"1": {"USD": Decimal("1.00")}}},
    }
    pricing = through_catalog(item, CATALOG).item["pricing"]
    assert pricing["discountType"] == "amount" and pricing["quantityDiscounts"] == {
        "1": {"USD": Decimal("1.00")}
    }


def test_explain_timeline_is_computed_with_catalog_values():
    e = explain(
        {"account": "x", "items": [{"product": "prime-sub", "quantity": 10}]}, "x.offer", catalog=CATALOG
    )
    [usd, eur] = e.items[0].timelines
    # 5% off 89.90 is 85.405, rounded half up once to 85.41, times the quantity.
    assert usd.currency == "USD" and usd.charges[0].amount == Decimal("854.10")
    assert usd.charges[0].basis == "catalog price 89.90 − 5% = 85.41 each × 10 (catalog discount)"
    assert eur.charges[0].amount is not None


def test_diff_without_a_catalog_is_unchanged():
    old = {"account": "x", "items": [{"product": "prime-sub"}]}
    new = {
        "account": "x",
        "items": [{"product": "prime-sub", "pricing": {"price": {"USD": Decimal("8.99")}}}],
    }
    assert [c.text for c in diff_payloads(old, new)] == ["price USD 8.99 added"]
    assert [c.text for c in diff_payloads(old, new, CATALOG)][:2] == [
        "price USD 89.90 (catalog) → 8.99 (override, −90.0%)",
        "price EUR 82.90 (catalog) → none: the override leaves EUR out",
    ]
