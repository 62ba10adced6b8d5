"""offerlang/language.py is the one home of the language's facts: everything else must agree.

Each test here fails when a fact changes in one place only: a renew mode added to the enum
without its words in explain, a keyword the grammar does not know, a schema pattern that drifted
from the checker's.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from pathlib import Path

import pytest

from offerlang import compile_source
from offerlang.compiler.parser import USAGE, grammar_text, lark_parser
from offerlang.compiler.schema import schema_document
from offerlang.language import (
    ACCOUNT_ID,
    CONTACT_FIELDS,
    EXPIRATION_DAYS,
    FEE_KEYWORDS,
    INTERVAL_ADVERBS,
    INTERVAL_UNITS,
    ITEM_KEYWORDS,
    LOOKUP_KEY,
    NUMBER,
    PARAM_NAME,
    PRODUCT_PATH,
    RENEW_MEANINGS,
    TIER_KEY,
    TOP_KEYWORDS,
    DiscountKind,
    Interval,
    ParamType,
    QuantityBehavior,
    RenewMode,
    TrialKind,
    format_money,
    round_half_up,
    round_money,
)
from offerlang.review.diff import diff_items
from offerlang.review.explain import QUANTITY_BEHAVIOR, billing, explain
from offerlang.text import plural

ACCOUNT = "abCdE1FGH2Hij3KLMnOpqR"


def _item_facts(pricing: dict) -> dict[str, str]:
    payload = {"account": ACCOUNT, "items": [{"product": "a", "pricing": pricing}]}
    return dict(explain(payload, "x.offer").items[0].facts)


# ---- explain and diff have words for every value --------------------------------------------


def test_every_renew_mode_and_quantity_behaviour_has_its_words():
    assert set(RENEW_MEANINGS) == set(RenewMode)
    assert set(QUANTITY_BEHAVIOR) == set(QuantityBehavior)


@pytest.mark.parametrize("mode", list(RenewMode))
def test_every_renew_mode_is_explained_by_name_then_in_the_buyers_terms(mode):
    assert _item_facts({"renew": mode.value})["renewal"] == f"{mode.value}: {RENEW_MEANINGS[mode]}"


@pytest.mark.parametrize("behavior", list(QuantityBehavior))
def test_every_quantity_behaviour_is_explained(behavior):
    facts = _item_facts({"quantityBehavior": behavior.value})
    assert facts["quantity"] == f"1 (FastSpring's default); {QUANTITY_BEHAVIOR[behavior]}"


def test_a_value_explain_has_no_words_for_is_shown_by_name_not_a_crash():
    # What a renew mode added to language.py alone (or a newer payload) meets in explain.
    facts = _item_facts({"renew": "opt-later", "quantityBehavior": "ask"})
    assert facts["renewal"].startswith("opt-later: ")
    assert facts["quantity"].endswith("quantity behavior ask")


@pytest.mark.parametrize("interval", list(Interval))
def test_every_interval_is_explained(interval):
    pricing = {"interval": interval.value} | ({} if interval is Interval.ADHOC else {"intervalLength": 2})
    adhoc = "ad hoc: charged whenever the seller bills"
    assert billing(pricing) == (adhoc if interval is Interval.ADHOC else f"every 2 {interval.value}s")


@pytest.mark.parametrize("kind", list(DiscountKind))
def test_every_discount_kind_is_explained(kind):
    tier = Decimal(10) if kind is DiscountKind.PERCENT else {"USD": Decimal("1.00")}
    pricing = {
        "price": {"USD": Decimal("9.99")},
        "discountType": kind.value,
        "quantityDiscounts": {"1": tier},
    }
    said = _item_facts(pricing)["discount"]
    assert said.startswith("10% off" if kind is DiscountKind.PERCENT else "USD 1.00 off each unit")


@pytest.mark.parametrize(
    ("field", "values", "label"),
    [
        ("renew", RenewMode, "renewal"),
        ("quantityBehavior", QuantityBehavior, "quantity behavior"),
        ("paidTrial", [True, False], "trial"),
    ],
)
def test_diff_says_every_change_between_two_values(field, values, label):
    for old, new in itertools.permutations(values, 2):
        changes = diff_items(
            {"product": "a", "pricing": {field: old}}, {"product": "a", "pricing": {field: new}}
        )
        words = {True: TrialKind.PAID.value, False: TrialKind.FREE.value}
        shown = [words.get(v, v) if isinstance(v, bool) else v for v in (old, new)]
        meaning = f": {RENEW_MEANINGS[new]}" if field == "renew" else ""  # said in the buyer's terms
        assert [c.text for c in changes] == [f"{label} {shown[0]} → {shown[1]}{meaning}"]


@pytest.mark.parametrize(("old", "new"), list(itertools.permutations(Interval, 2)))
def test_diff_says_every_change_of_interval(old, new):
    def pricing(interval: Interval) -> dict:
        return {"interval": interval.value} | ({} if interval is Interval.ADHOC else {"intervalLength": 1})

    changes = diff_items({"product": "a", "pricing": pricing(old)}, {"product": "a", "pricing": pricing(new)})
    assert [c.text for c in changes] == [f"billing {billing(pricing(old))} → {billing(pricing(new))}"]


# ---- the checker accepts exactly the enum's values ----------------------------------------------


def _item_errors(clause: str) -> list[str]:
    result = compile_source(f"account {ACCOUNT}\nitem a {{\n  {clause}\n}}\n")
    return [d.code for d in result.errors]


@pytest.mark.parametrize(
    ("template", "values", "wrong"),
    [
        ("renew {}", RenewMode, "sometimes"),
        ("quantity {}", QuantityBehavior, "hidden"),
        ("billed every 1 {}", INTERVAL_UNITS, "fortnight"),
    ],
)
def test_the_checks_accept_every_value_and_nothing_else(template, values, wrong):
    for value in values:
        assert _item_errors(template.format(value)) == [], value
    assert _item_errors(template.format(wrong)) == ["E219"]


@pytest.mark.parametrize("adverb", list(INTERVAL_ADVERBS))
def test_an_interval_adverb_is_refused_with_the_unit_it_means(adverb):
    result = compile_source(f"account {ACCOUNT}\nitem a {{\n  billed {adverb}\n}}\n")
    [problem] = result.errors
    assert (problem.code, problem.hint) == (
        "E213",
        f"write `billed every {plural(*INTERVAL_ADVERBS[adverb])}`",
    )


def test_every_parameter_type_is_accepted():
    for kind in ParamType:
        result = compile_source(f"param x {kind}\naccount {ACCOUNT}\nitem a\n", unbound_ok=True)
        assert result.ok, (kind, result.diagnostics)


# ---- the grammar knows every keyword -----------------------------------------------------------


def _keywords() -> set[str]:
    """Every keyword terminal of the grammar (a string literal made of letters)."""
    return {
        t.pattern.value
        for t in lark_parser().terminals
        if t.pattern.type == "str" and t.pattern.value.isalpha()
    }


def test_the_grammar_has_a_keyword_for_every_statement():
    statement_words = {k.split()[0] for k in (*TOP_KEYWORDS, *ITEM_KEYWORDS, *CONTACT_FIELDS, *FEE_KEYWORDS)}
    assert statement_words <= _keywords()
    assert set(TrialKind) <= _keywords()


def test_the_grammar_lists_exactly_the_contact_fields():
    rule = re.search(r"^!contact_field: \((.*?)\) value$", grammar_text(), re.M)
    assert rule is not None
    assert re.findall(r'"(\w+)"', rule.group(1)) == list(CONTACT_FIELDS)


def test_the_grammar_reads_numbers_and_parameters_as_the_language_says():
    terminals = {t.name: t.pattern.value for t in lark_parser().terminals}
    assert terminals["NUMBER"] == NUMBER.pattern
    assert terminals["PARAM_REF"] == r"\$" + PARAM_NAME.pattern


def test_every_statement_has_a_usage_example_for_syntax_hints():
    for keyword in (*TOP_KEYWORDS, *ITEM_KEYWORDS, *CONTACT_FIELDS, *FEE_KEYWORDS):
        assert keyword in USAGE, keyword


# ---- the schema says what the module says ------------------------------------------------------


def _anchored(pattern: re.Pattern[str]) -> str:
    return "^" + pattern.pattern + "$"


def test_the_schemas_enums_are_the_modules():
    pricing = schema_document()["$defs"]["pricing"]["properties"]
    assert pricing["renew"]["enum"] == [m.value for m in RenewMode]
    assert pricing["interval"]["enum"] == [i.value for i in Interval]
    assert pricing["quantityBehavior"]["enum"] == [b.value for b in QuantityBehavior]
    assert pricing["discountType"]["enum"] == [k.value for k in DiscountKind]


def test_the_schemas_patterns_and_limits_are_the_modules():
    schema = schema_document()
    item = schema["$defs"]["item"]["properties"]
    pricing = schema["$defs"]["pricing"]["properties"]
    contact = schema["properties"]["contact"]
    assert schema["properties"]["account"]["pattern"] == _anchored(ACCOUNT_ID)
    assert schema["properties"]["lookup"]["properties"]["custom"]["pattern"] == _anchored(LOOKUP_KEY)
    assert item["product"]["pattern"] == _anchored(PRODUCT_PATH)
    assert pricing["quantityDiscounts"]["propertyNames"]["pattern"] == _anchored(TIER_KEY)
    assert "required" not in contact  # every field optional: the checkout asks for the rest
    assert list(contact["properties"]) == list(CONTACT_FIELDS)
    expiration = schema["properties"]["expiration"]
    assert (expiration["minimum"], expiration["maximum"]) == EXPIRATION_DAYS


# ---- money: one rounding rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("9.985", "USD", "9.99"),  # half up, not Python's half even (9.98)
        ("9.975", "USD", "9.98"),
        ("9.9", "USD", "9.90"),  # only padded
        ("1199.5", "JPY", "1200"),
        ("0.005", "EUR", "0.01"),
        ("123456789012.995", "USD", "123456789013.00"),  # exact, whatever the digits
    ],
)
def test_money_is_rounded_half_up_to_the_currencys_minor_units(amount, currency, rounded):
    assert format_money(Decimal(amount), currency) == rounded
    assert str(round_money(Decimal(amount), currency)) == rounded


def test_round_half_up_is_exact_beyond_the_default_precision():
    long = Decimal("0." + "4" * 40 + "5")  # 28 digits of context would round it first
    assert round_half_up(long, 40) == Decimal("0." + "4" * 39 + "5")
    assert round_half_up(Decimal("-0.05"), 1) == Decimal("-0.1")


# ---- nothing restates a fact ----------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
CODE = ("offerlang", "tests", "scripts")
_DISCOUNT_WORD = r"""discount\w*\(.*\)\s*[!=]=\s*["'](?:percent|amount)["']"""
_DISCOUNT_CHOICE = r"""["']percent["'] if .* else ["']amount["']"""
# What a restated fact looks like, where it may not stand, and the files that may say it for
# another reason; the comment names the fact's one home.
RESTATED: dict[str, tuple[re.Pattern[str], tuple[str, ...], dict[str, str]]] = {
    # Minor units: language.minor_units (from iso.ZERO_DECIMAL_CURRENCIES).
    "a list of zero-decimal currencies": (
        re.compile(
            r"""["']JPY["'],\s*["']KRW["']\)|\{\s*["']JPY["'],\s*["']KRW|in ZERO_DECIMAL_CURRENCIES else"""
        ),
        CODE,
        {},
    ),
    # The one money rounding rule: language.round_money.
    "a money rounding of its own": (
        re.compile(r"\.quantize\(|ROUND_HALF_\w+\)"),
        CODE,
        {"offerlang/store/checks.py": "rounds a percent for a message, not money"},
    ),
    # The discount kinds: language.DiscountKind (a test may compare output with the word).
    "a discount kind as a bare string": (
        re.compile(f"{_DISCOUNT_WORD}|{_DISCOUNT_CHOICE}"),
        ("offerlang",),
        {},
    ),
    # The contact fields' order: language.CONTACT_FIELDS.
    "the contact fields' order": (
        re.compile(r"""\(\s*["']first["'],\s*["']last["'],\s*["']email["'],\s*["']company"""),
        CODE,
        {},
    ),
    # A law's number of examples: the Hypothesis profile (tests/conftest.py).
    "a fixed number of examples": (re.compile(r"@settings\([^)]*max_examples"), ("tests",), {}),
}


@pytest.mark.parametrize("fact", sorted(RESTATED))
def test_no_module_or_test_restates_a_fact(fact):
    pattern, folders, exempt = RESTATED[fact]
    homes = {ROOT / "offerlang" / "language.py", ROOT / "offerlang" / "iso.py", Path(__file__)}
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for folder in folders
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path not in homes and path.relative_to(ROOT).as_posix() not in exempt
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, f"{fact}, restated outside offerlang/language.py:\n" + "\n".join(found)
    for path in exempt:  # an exemption that no longer applies goes
        assert pattern.search((ROOT / path).read_text("utf-8")), path
