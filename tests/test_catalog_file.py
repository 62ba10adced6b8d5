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
from offerlang.language import minor_units
from offerlang.store.catalog import (
    Catalog,
    CatalogProblem,
    Product,
    load,
    parse,
    product_from_fastspring,
)

from .conftest import FIXTURES, ROOT, run

SCHEMA = json.loads((ROOT / "offerlang" / "schemas" / "catalog.schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

CURRENCY = st.sampled_from(["USD", "EUR", "GBP", "JPY", "KRW"])


@st.composite
def products(draw) -> Product:
    path = draw(st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}", fullmatch=True))
    prices = {}
    for cur in draw(st.lists(CURRENCY, unique=True, max_size=3)):
        cents = draw(st.integers(0, 10**8))
        prices[cur] = Decimal(cents).scaleb(-minor_units(cur))
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


def _one_record(pricing: str) -> bytes:
    return f'{{"catalog": 1, "store": "acme", "products": {{"p": {{"pricing": {pricing}}}}}}}'.encode()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1e30", "is too large: an amount has at most 12 digits before the point"),
        ("1" + "0" * 40, "is too large: an amount has at most 12 digits before the point"),
        ("1000000000000", "is too large: an amount has at most 12 digits before the point"),
        ("0.0000000000000000000000000000001", "has more decimals than USD has (2)"),
        ("1.0000000000000000000000000000001", "has more decimals than USD has (2)"),
    ],
)
def test_an_amount_beyond_the_languages_limits_is_a_broken_record(amount, message):
    """`"USD": 1e30` once raised InvalidOperation (exit 70) when the record was read."""
    catalog, problems = parse(_one_record(f'{{"price": {{"USD": {amount}}}}}'), "c.json")
    assert catalog is not None and problems == []
    assert catalog.get("p") is None
    [d] = catalog.problems
    assert d.code == "E406" and d.message.endswith(f"`/products/p/pricing/price/USD`: {message}")


def test_the_largest_amount_and_trailing_zeros_are_fine():
    catalog, _ = parse(_one_record('{"price": {"USD": 999999999999.990, "JPY": 1200.00}}'), "c.json")
    assert catalog is not None
    product = catalog.get("p")
    assert product is not None and product.prices == {
        "JPY": Decimal("1200"),
        "USD": Decimal("999999999999.99"),
    }


@pytest.mark.parametrize("count", ["1e4000", "1e30", "10000000000", "1.5", "0"])
def test_a_count_beyond_the_languages_limits_is_a_broken_record(count):
    catalog, _ = parse(_one_record(f'{{"interval": "month", "intervalLength": {count}}}'), "c.json")
    assert catalog is not None and catalog.get("p") is None
    assert catalog.problems[0].message.endswith("must be a whole number from 1 to 9,999,999,999")


def _cached_index(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """A catalog file in the canonical layout, and the index a first load left in the cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "c.json"
    path.write_bytes((FIXTURES / "store" / "catalog.json").read_bytes())
    first, _ = load(path, "c.json")
    assert first is not None and first._text == ""
    [index] = (tmp_path / "cache" / "offerlang" / "catalogs").iterdir()
    second, _ = load(path, "c.json")
    assert second is not None and second._text != ""  # the index is used
    return path, index


@pytest.mark.parametrize(
    "index",
    [
        ("x", {"prime-sub": (0, 5)}),  # the reviewer's: another store, a span that is no record
        ("acme", {"prime-sub": (0, 5)}),
        ("acme", {"prime-sub": (5, 0)}),
        ("acme", {"prime-sub": (-3, 9)}),
        ("acme", {"prime-sub": "0-5"}),
        ("acme", {}),  # every product forgotten: each would be an unknown product (E401)
        ("acme", {"../x": (0, 5)}),
        ["acme", {}],
        ("acme",),
        "acme",
    ],
)
def test_a_bad_cached_index_is_ignored_and_the_file_parsed_whole(tmp_path, monkeypatch, capsys, index):
    import marshal

    path, cached = _cached_index(tmp_path, monkeypatch)
    cached.write_bytes(marshal.dumps(index))
    catalog, problems = load(path, "c.json")
    assert problems == [] and catalog is not None and catalog._text == ""  # parsed whole
    assert catalog.store == "acme" and "prime-sub" in catalog and catalog.get("prime-sub") is not None
    offer = tmp_path / "a.offer"
    offer.write_text("account abCdE1FGH2Hij3KLMnOpqR\nitem prime-sub\n", "utf-8")
    cached.write_bytes(marshal.dumps(index))
    code, out, _ = run(capsys, "check", "--isolated", "--catalog", str(path), str(offer))
    assert (code, out) == (0, "1 file checked, 0 errors, 0 warnings\n")


def test_an_index_shifted_by_one_record_is_not_used(tmp_path, monkeypatch):
    """Spans of real records, each given to its neighbour: every check passes but the order."""
    import marshal

    path, cached = _cached_index(tmp_path, monkeypatch)
    store, spans = marshal.loads(cached.read_bytes())
    paths = list(spans)
    swapped = {paths[i]: spans[paths[(i + 1) % len(paths)]] for i in range(len(paths))}
    cached.write_bytes(marshal.dumps((store, swapped)))
    catalog, _ = load(path, "c.json")
    assert catalog is not None and catalog._text == ""


def test_a_sealed_index_that_is_wrong_all_the_same_falls_back_to_the_whole_file(
    tmp_path, monkeypatch, capsys
):
    """An index that passes the seal (made by hand) but places records wrongly, or forgets
    some: the records come from the file itself, never a crash and never a false E401/E406."""
    import marshal

    from offerlang.store.catalog import _seal

    path, cached = _cached_index(tmp_path, monkeypatch)
    payload = marshal.dumps(("acme", {"prime-sub": (0, 5), "falcon": "here"}))
    cached.write_bytes(payload + _seal(cached, payload))
    catalog, problems = load(path, "c.json")
    assert problems == [] and catalog is not None and catalog._text != ""  # the index was taken
    assert catalog.get("prime-sub").name == "Prime Subscription"
    assert catalog.get("falcon").prices["JPY"] == 12000 and catalog.get("annual-plan") is not None
    assert catalog.problems == []
    offer = tmp_path / "a.offer"
    offer.write_text("account abCdE1FGH2Hij3KLMnOpqR\nitem prime-sub\nitem annual-plan\n", "utf-8")
    code, out, _ = run(capsys, "check", "--isolated", "--catalog", str(path), str(offer))
    assert (code, out) == (0, "1 file checked, 0 errors, 0 warnings\n")


def test_the_cached_index_is_never_read_through_a_link(tmp_path, monkeypatch):
    import marshal

    path, cached = _cached_index(tmp_path, monkeypatch)
    real = tmp_path / "elsewhere"
    real.write_bytes(cached.read_bytes())
    real.chmod(0o600)
    cached.unlink()
    cached.symlink_to(real)
    opened: list[str] = []
    original = marshal.loads
    monkeypatch.setattr(marshal, "loads", lambda data: opened.append("read") or original(data))
    catalog, _ = load(path, "c.json")
    assert catalog is not None and catalog._text == "" and opened == []  # parsed whole, link unread
    assert cached.is_symlink()  # and not replaced either
