"""The catalog file: deterministic, exact, tolerant of what FastSpring sends, strict about itself,
and what its JSON Schema says."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from offerlang.jsonout import loads
from offerlang.store.catalog import (
    Catalog,
    CatalogProblem,
    Product,
    load,
    parse,
    product_from_fastspring,
)

from .conftest import FIXTURES, ROOT

SCHEMA = json.loads((ROOT / "offerlang" / "schemas" / "catalog.schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

CURRENCY = st.sampled_from(["USD", "EUR", "GBP", "JPY", "KRW"])


@st.composite
def products(draw) -> Product:
    path = draw(st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}", fullmatch=True))
    prices = {}
    for cur in draw(st.lists(CURRENCY, unique=True, max_size=3)):
        cents = draw(st.integers(0, 10**8))
        prices[cur] = Decimal(cents) if cur in ("JPY", "KRW") else Decimal(cents) / 100
    pricing: dict = {"price": prices} if prices else {}
    if draw(st.booleans()):
        pricing["interval"] = draw(st.sampled_from(["day", "week", "month", "year", "adhoc"]))
        pricing["intervalLength"] = draw(st.integers(1, 12))
        if draw(st.booleans()):
            pricing["trial"] = draw(st.integers(0, 90))
    if draw(st.booleans()):
        pricing["quantityDiscounts"] = {
            str(k): Decimal(draw(st.integers(1, 1000))) / 10
            for k in draw(st.lists(st.integers(1, 500), unique=True, min_size=1, max_size=3))
        }
    names = draw(st.dictionaries(st.sampled_from(["en", "de", "fr"]), st.text(max_size=10), max_size=2))
    return Product(path, names, pricing)


@given(st.lists(products(), max_size=6, unique_by=lambda p: p.path))
def test_the_file_is_deterministic_and_reads_back_as_written(items):
    text = Catalog.of("acme", items).to_text()
    shuffled = list(items)
    random.Random(len(items)).shuffle(shuffled)
    assert Catalog.of("acme", shuffled).to_text() == text  # whatever order the store lists them in
    catalog, problems = parse(text.encode("utf-8"), "x.json")
    assert problems == [] and catalog is not None
    assert catalog.to_text() == text
    assert list(VALIDATOR.iter_errors(loads(text))) == []


def test_amounts_keep_their_minor_units_and_currencies_are_sorted():
    catalog = Catalog.of(
        "acme",
        [Product("b", {}, {"price": {"USD": Decimal("10"), "EUR": Decimal("9.9"), "JPY": Decimal("1200")}})],
    )
    assert '"EUR": 9.90,\n          "JPY": 1200,\n          "USD": 10.00' in catalog.to_text()


def test_the_fixture_catalog_is_in_the_written_form():
    text = (FIXTURES / "store" / "catalog.json").read_text("utf-8")
    catalog, _ = parse(text.encode(), "catalog.json")
    assert catalog is not None and catalog.to_text() == text


# ---- FastSpring's records ---------------------------------------------------------------------

RECORD = {
    "product": "prime-sub",
    "action": "products.get",
    "result": "success",
    "display": {"en": "Prime Subscription"},
    "format": "digital",
    "image": "https://example.com/x.png",
    "pricing": {
        "trial": 14,
        "interval": "month",
        "intervalLength": 1,
        "intervalCount": None,
        "quantityBehavior": "allow",
        "quantityDefault": 1,
        "price": {"USD": Decimal("9.99"), "EUR": Decimal("8.99")},
        "quantityDiscounts": {"10": Decimal("5.00")},
        "discountReason": {"en": "Volume discount"},
        "discountDuration": 1,
        "setupFee": {"price": {"USD": Decimal("15.00")}, "title": {"en": "Activation fee"}},
    },
}


def test_a_documented_record_keeps_what_offers_use():
    product = product_from_fastspring(RECORD)
    assert product.pricing == {
        "price": {"EUR": Decimal("8.99"), "USD": Decimal("9.99")},
        "interval": "month",
        "intervalLength": 1,
        "trial": 14,
        "quantityBehavior": "allow",
        "quantityDefault": 1,
        "quantityDiscounts": {"10": 5},
        "discountDuration": 1,
        "setupFee": {"price": {"USD": Decimal("15.00")}, "title": {"en": "Activation fee"}},
    }
    assert product.name == "Prime Subscription" and product.subscription


def test_pricing_nested_under_offers_is_tolerated():
    record = {k: v for k, v in RECORD.items() if k != "pricing"}
    record["offers"] = [{"type": "addon"}, {"pricing": RECORD["pricing"]}]
    assert product_from_fastspring(record).pricing == product_from_fastspring(RECORD).pricing


def test_a_one_time_product_has_no_interval_terms():
    record = {"product": "basic-laptop", "pricing": {"price": {"USD": 899}, "interval": None, "trial": 0}}
    product = product_from_fastspring(record)
    assert product.pricing == {"price": {"USD": Decimal("899.00")}} and not product.subscription


@pytest.mark.parametrize(
    ("pricing", "pointer"),
    [
        ({"price": {"USD": "9.99"}}, "/pricing/price/USD"),
        ({"price": {"USD": Decimal("9.999")}}, "/pricing/price/USD"),
        ({"price": {"JPY": Decimal("1200.5")}}, "/pricing/price/JPY"),
        ({"price": {"usd": 1}}, "/pricing/price/usd"),
        ({"price": {"USD": -1}}, "/pricing/price/USD"),
        ({"interval": "fortnight"}, "/pricing/interval"),
        ({"quantityDefault": 0}, "/pricing/quantityDefault"),
        ({"quantityDiscounts": {"0": 5}}, "/pricing/quantityDiscounts/0"),
        ({"quantityDiscounts": {"2": 150}}, "/pricing/quantityDiscounts/2"),
    ],
)
def test_a_record_that_breaks_the_contract_names_where(pricing, pointer):
    with pytest.raises(CatalogProblem) as caught:
        product_from_fastspring({"product": "x", "pricing": pricing})
    assert caught.value.pointer == pointer


# ---- the file, read -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "a catalog file is a JSON object"),
        ('{"catalog": 2, "store": "acme", "products": {}}', "`/catalog`: format version 2 is not 1"),
        ('{"catalog": 1, "products": {}}', "`/store`: the store id must be a non-empty string"),
        ('{"catalog": 1, "store": "acme", "products": {}, "pulled": "today"}', "`/pulled`: unknown field"),
        ('{"catalog": 1, "store": "acme", "products": {"Bad Path": {}}}', "`/products/Bad Path`: not a"),
    ],
)
def test_a_file_of_the_wrong_shape_is_one_diagnostic(tmp_path, text, message):
    path = tmp_path / "c.json"
    path.write_text(text, "utf-8")
    catalog, [problem] = load(path, "c.json")
    assert catalog is None and problem.code == "E406" and problem.path == "c.json"
    assert message in problem.message
    assert list(VALIDATOR.iter_errors(json.loads(text)))  # the schema refuses it too


def test_a_broken_record_is_reported_when_an_offer_names_it(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(
        '{"catalog": 1, "store": "acme", "products": {"a": {"pricing": {"price": {"USD": "x"}}}, "b": {}}}',
        "utf-8",
    )
    catalog, problems = load(path, "c.json")
    assert problems == [] and catalog is not None
    assert catalog.get("b") is not None
    assert catalog.get("a") is None
    [problem] = catalog.problems
    assert problem.code == "E406" and "`/products/a/pricing/price/USD`" in problem.message


def test_a_large_catalog_loads_lazily(tmp_path):
    """2,000 products: parsed into an index once; a record is converted when it is asked for."""
    items = [Product(f"p-{i}", {"en": f"P {i}"}, {"price": {"USD": Decimal(i)}}) for i in range(2000)]
    path = tmp_path / "big.json"
    path.write_text(Catalog.of("acme", items).to_text(), "utf-8")
    catalog, _ = load(path, "big.json")
    assert catalog is not None and len(catalog) == 2000
    assert catalog._products == {}  # nothing converted yet
    assert catalog.get("p-7") is not None and list(catalog._products) == ["p-7"]
    assert catalog.guess("p-7x") == "p-7"


def test_the_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert Path(ROOT / "offerlang" / "schemas" / "offers-config.schema.json").exists()


def test_the_index_is_kept_between_runs_for_the_same_bytes(tmp_path, monkeypatch):
    """A second run reads the cached index of the same file and parses only what it is asked."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    items = [Product(f"p-{i}", {"en": f"P {i}"}, {"price": {"USD": Decimal(i) / 4}}) for i in range(50)]
    path = tmp_path / "c.json"
    path.write_text(Catalog.of("acme", items).to_text(), "utf-8")
    first, _ = load(path, "c.json")
    assert first is not None and first._text == ""  # parsed whole, index written
    second, _ = load(path, "c.json")
    assert second is not None and second._text != "" and second.shown == "c.json"
    assert second.store == "acme" and sorted(second.paths) == sorted(first.paths)
    assert [p.to_json() for p in second.products()] == [p.to_json() for p in first.products()]
    # Other bytes, another index: an edited file is never read through a stale one.
    path.write_text(path.read_text("utf-8").replace('"USD": 0.25', '"USD": 0.35'), "utf-8")
    third, _ = load(path, "c.json")
    assert third is not None and third._text == "" and third.get("p-1").prices == {"USD": Decimal("0.35")}


def test_a_file_in_another_layout_is_read_whole_every_time(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "c.json"
    path.write_text(
        '{"catalog": 1, "store": "acme", "products": {"a": {"pricing": {"price": {"USD": 1.00}}}}}'
    )
    for _ in range(2):
        catalog, _ = load(path, "c.json")
        assert catalog is not None and catalog._text == "" and catalog.get("a") is not None
