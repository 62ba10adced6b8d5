"""The Sessions v1 request schema: valid, generated, accepts FastSpring's bodies, rejects broken ones."""

from __future__ import annotations

import copy
import importlib.util
import re
from decimal import Decimal

import jsonschema
import pytest

from offerlang import jsonout, language
from offerlang.compiler.parser import USAGE, lark_parser
from offerlang.compiler.schema import schema_errors, schema_text

from .conftest import DOCUMENTED, ROOT

ACCOUNT = "abCdE1FGH2Hij3KLMnOpqR"
CONTACT = {"first": "Jane", "last": "Doe", "email": "jane@example.com", "country": "US"}
VALID = {
    "account": ACCOUNT,
    "items": [
        {
            "product": "prime-sub",
            "quantity": 1,
            "pricing": {
                "price": {"USD": Decimal("9.99")},
                "interval": "month",
                "intervalLength": 1,
                "discountType": "percent",
                "quantityDiscounts": {"1": 10},
            },
        }
    ],
}


def test_the_schema_is_valid_draft_2020_12():
    schema = jsonout.loads(schema_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_committed_schema_is_what_the_script_makes():
    spec = importlib.util.spec_from_file_location("make_schema", ROOT / "scripts" / "make_schema.py")
    make_schema = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_schema)
    assert schema_text() == make_schema.render(), "run: python scripts/make_schema.py"


@pytest.mark.parametrize("doc", DOCUMENTED, ids=lambda p: p.stem)
def test_every_documented_body_is_accepted(doc):
    assert schema_errors(jsonout.loads(doc.read_text("utf-8"))) == []


def test_the_base_of_the_broken_payloads_is_valid():
    assert schema_errors(VALID) == []


# Valid since FastSpring's schema requires only `items` (docs/language.md, "The buyer").
ACCEPTED = [
    ("items only", lambda p: p.pop("account")),
    ("items and a lookup only", lambda p: [p.pop("account"), p.update(lookup={"custom": "crm-10042"})]),
    ("a contact with just an email", lambda p: [p.pop("account"), p.update(contact={"email": "j@x.de"})]),
    ("a contact with just a country", lambda p: [p.pop("account"), p.update(contact={"country": "BR"})]),
]


@pytest.mark.parametrize(("what", "change"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_a_session_without_a_buyer_or_with_a_partial_contact_is_accepted(what, change):
    assert schema_errors(_broken(change)) == []


def _broken(change):
    payload = copy.deepcopy(VALID)
    change(payload)
    return payload


def _pricing(**fields):
    def change(p):
        p["items"][0]["pricing"].update(fields)

    return change


def _drop_pricing(*names):
    def change(p):
        for name in names:
            del p["items"][0]["pricing"][name]

    return change


# (what is wrong, how to break VALID, the JSON pointer the schema must blame)
BROKEN = [
    ("missing items", lambda p: p.pop("items"), ""),
    ("empty items", lambda p: p.update(items=[]), "/items"),
    ("both account and contact", lambda p: p.update(contact=dict(CONTACT)), ""),
    ("empty contact", lambda p: [p.pop("account"), p.update(contact={})], "/contact"),
    ("expiration 8", lambda p: p.update(expiration=8), "/expiration"),
    ("expiration 0", lambda p: p.update(expiration=0), "/expiration"),
    ("unknown currency", _pricing(price={"XXY": Decimal("1.00")}), "/items/0/pricing/price"),
    ("negative amount", _pricing(price={"USD": Decimal("-1.00")}), "/items/0/pricing/price/USD"),
    ("paidTrial without trialPrice", _pricing(paidTrial=True, trial=7), "/items/0/pricing"),
    ("interval without length", _drop_pricing("intervalLength"), "/items/0/pricing"),
    ("adhoc with a length", _pricing(interval="adhoc"), "/items/0/pricing"),
    ("unknown interval", _pricing(interval="fortnight"), "/items/0/pricing/interval"),
    ("unknown renew", _pricing(renew="sometimes"), "/items/0/pricing/renew"),
    ("percent 150", _pricing(quantityDiscounts={"1": 150}), "/items/0/pricing/quantityDiscounts/1"),
    ("percent 0", _pricing(quantityDiscounts={"1": 0}), "/items/0/pricing/quantityDiscounts/1"),
    ("amount tier that is a number", _pricing(discountType="amount"), "/items/0/pricing/quantityDiscounts/1"),
    (
        "tier key that is not a quantity",
        _pricing(quantityDiscounts={"0": 10}),
        "/items/0/pricing/quantityDiscounts",
    ),
    ("discountType without tiers", _drop_pricing("quantityDiscounts"), "/items/0/pricing"),
    ("bad product path", lambda p: p["items"][0].update(product="Basic Laptop"), "/items/0/product"),
    ("quantity 0", lambda p: p["items"][0].update(quantity=0), "/items/0/quantity"),
    ("quantity not whole", lambda p: p["items"][0].update(quantity=Decimal("1.5")), "/items/0/quantity"),
    ("extra top-level field", lambda p: p.update(returnUrl="https://example.com"), ""),
    ("extra item field", lambda p: p["items"][0].update(price=10), "/items/0"),
    ("extra pricing field", _pricing(currency="USD"), "/items/0/pricing"),
    ("top-level country", lambda p: p.update(country="US"), ""),
    ("account as an object", lambda p: p.update(account={"id": ACCOUNT}), "/account"),
    ("lookup key too short", lambda p: p.update(lookup={"custom": "abc"}), "/lookup/custom"),
    (
        "unknown country",
        lambda p: [p.pop("account"), p.update(contact={**CONTACT, "country": "UK"})],
        "/contact/country",
    ),
    ("tag value that is not text", lambda p: p.update(tags={"campaign": 2026}), "/tags/campaign"),
    ("empty coupon", lambda p: p.update(coupon=""), "/coupon"),
    (
        "setup fee title in an unknown language",
        _pricing(setupFee={"title": {"english": "Fee"}}),
        "/items/0/pricing/setupFee/title",
    ),
    ("empty setup fee", _pricing(setupFee={}), "/items/0/pricing/setupFee"),
    ("empty setup fee title", _pricing(setupFee={"title": {}}), "/items/0/pricing/setupFee/title"),
    ("empty tags", lambda p: p.update(tags={}), "/tags"),
    ("empty attributes", lambda p: p["items"][0].update(attributes={}), "/items/0/attributes"),
    ("empty pricing", lambda p: p["items"][0].update(pricing={}), "/items/0/pricing"),
    # `$` in a schema pattern is the end of the string (ECMA-262): no final newline slips past.
    ("account with a final newline", lambda p: p.update(account=ACCOUNT + "\n"), "/account"),
    (
        "product with a final newline",
        lambda p: p["items"][0].update(product="prime-sub\n"),
        "/items/0/product",
    ),
    (
        "lookup with a final newline",
        lambda p: (p.pop("account"), p.update(lookup={"custom": "abcd\n"})),
        "/lookup/custom",
    ),
    (
        "tier with a final newline",
        _pricing(quantityDiscounts={"1\n": 10}),
        "/items/0/pricing/quantityDiscounts",
    ),
]


@pytest.mark.parametrize(("what", "change", "pointer"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_payload_is_rejected_where_it_is_broken(what, change, pointer):
    errors = schema_errors(_broken(change))
    assert errors, f"the schema accepts a payload with {what}"
    assert pointer in [p for p, _ in errors]


# ---- the grammar and the checker speak of the same keywords ---------------------------------

BLOCKS = {
    "_top": language.TOP_KEYWORDS,
    "_item_stmt": language.ITEM_KEYWORDS,
    "_contact_stmt": language.CONTACT_FIELDS,
    "_fee_stmt": language.FEE_KEYWORDS,
}


def _first_keywords(block: str) -> set[str]:
    """The keywords a statement of the block can start with, read from the grammar itself."""
    parser = lark_parser()
    patterns = {t.name: t.pattern.value for t in parser.terminals if t.pattern.type == "str"}
    statements = {r.expansion[0].name for r in parser.rules if r.origin.name == block} - {"unknown"}
    return {
        patterns[r.expansion[0].name]
        for r in parser.rules
        if r.origin.name in statements and r.expansion[0].name in patterns
    }


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_grammar_and_checks_agree_on_the_keywords_of_each_block(block):
    assert _first_keywords(block) == set(BLOCKS[block])


def test_every_statement_keyword_has_a_usage_hint():
    statement_keywords = set().union(*BLOCKS.values())
    assert statement_keywords <= set(USAGE)
    assert set(USAGE) <= _keywords()


def _keywords() -> set[str]:
    """Every keyword of the language."""
    return {
        t.pattern.value
        for t in lark_parser().terminals
        if t.pattern.type == "str" and re.fullmatch(r"[a-z]+", t.pattern.value)
    }


def _patterns(node):
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


@pytest.mark.parametrize("target", ["v1", "v2"])
def test_every_schema_pattern_is_ecma_262_not_python_only(target):
    # JSON Schema patterns are ECMA-262: Python's named groups `(?P<name>…)` make other
    # validators (ajv, editors) reject the whole schema.
    from offerlang.compiler.schema import schema_document

    for pattern in _patterns(schema_document(target)):
        assert "(?P<" not in pattern and "(?P=" not in pattern, pattern


@pytest.mark.parametrize("target", ["v1", "v2"])
def test_every_schema_pattern_ends_at_the_end_of_the_string(target):
    # Each pattern of both schemas, as the gate reads it: a value it accepts is refused with a
    # final newline (Python's `$` would take it; ECMA-262's, which JSON Schema means, does not).
    from hypothesis import Phase, find, settings
    from hypothesis import strategies as st

    from offerlang.compiler.schema import ecma_regex, schema_document

    patterns = sorted(set(_patterns(schema_document(target))))
    assert len(patterns) >= 4
    for pattern in patterns:
        assert pattern.startswith("^") and pattern.endswith("$"), pattern
        # Any one value the pattern accepts (the first found, not shrunk: shrinking is slow).
        once = settings(database=None, phases=[Phase.generate])
        value = find(st.from_regex(pattern, fullmatch=True), lambda v: True, settings=once)
        assert ecma_regex(pattern).search(value), (pattern, value)
        assert not ecma_regex(pattern).search(value + "\n"), (pattern, value)
        assert ecma_regex(pattern).pattern.endswith(r"\Z")


def test_the_v2_gate_refuses_a_final_newline():
    from offerlang import compile_source

    payload = compile_source(f"account {ACCOUNT}\n\nitem prime-sub\n", target="v2").payload
    assert schema_errors(payload, "v2") == []
    payload["customer"]["accountId"] += "\n"
    assert [p for p, _ in schema_errors(payload, "v2")] == ["/customer/accountId"]


def test_a_dollar_in_a_class_or_escaped_is_a_dollar():
    from offerlang.compiler.schema import ecma_regex

    assert ecma_regex(r"^[$]\$x$").pattern == r"^[$]\$x\Z"
    assert ecma_regex(r"^a$|^b$").search("b") and not ecma_regex(r"^a$|^b$").search("a\n")
