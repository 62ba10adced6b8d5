"""The law behind E901: whatever offer the checks accept, the JSON Schema accepts too.

Hypothesis writes offers from the language's own clauses. Half of them use only sensible values
(so that many compile and the law is really exercised), the other half mix in mistakes. The
compiler must never raise, and must never reach the schema gate with an offer it let through.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from offerlang import compile_source, jsonout
from offerlang.compiler.schema import schema_errors
from offerlang.language import INTERVAL_UNITS, QUANTITY_BEHAVIORS, RENEW_MODES, minor_units

# (sensible values, mistakes)
CURRENCIES = (["USD", "EUR", "GBP", "JPY", "KRW"], ["usd", "XXY"])
COUNTRIES = (["US", "DE", "JP", "FR"], ["UK", "de"])
LANGUAGES = (["en", "de", "ja"], ["ger", "EN"])
PRODUCTS = (["basic-laptop", "prime-sub", "falcon", "x1"], ["Basic_Laptop", "-x", "a--b"])
UNITS = (sorted(INTERVAL_UNITS), ["fortnight"])
RENEW = (list(RENEW_MODES), ["sometimes"])
BEHAVIOUR = (list(QUANTITY_BEHAVIORS), ["hidden"])

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Writer:
    """Draws the parts of an offer; `strict` keeps to values the checks accept."""

    def __init__(self, draw, strict: bool) -> None:
        self.draw = draw
        self.strict = strict

    def pick(self, choices: tuple[list[str], list[str]]) -> str:
        good, bad = choices
        return self.draw(st.sampled_from(good if self.strict else good + bad))

    def whole(self, low: int, high: int) -> int:
        return self.draw(st.integers(low if self.strict else low - 1, high))

    def amount(self, currency: str) -> str:
        places = minor_units(currency)
        if not self.strict:
            places = self.draw(st.integers(0, 3))
        low = 0 if self.strict else -5
        value = self.draw(st.decimals(min_value=low, max_value=99999, places=places))
        return format(value, "f")

    def money(self) -> str:
        good, bad = CURRENCIES
        currencies = self.draw(
            st.lists(
                st.sampled_from(good if self.strict else good + bad),
                min_size=1,
                max_size=3,
                unique=self.strict,
            )
        )
        return ", ".join(f"{c} {self.amount(c)}" for c in currencies)

    def percent(self) -> str:
        low, high = (Decimal("0.01"), 100) if self.strict else (-5, 150)
        return format(self.draw(st.decimals(min_value=low, max_value=high, places=2)), "f")

    def item_clauses(self) -> list[str]:
        clauses = []
        if self.draw(st.booleans()):
            clauses.append(f"quantity {self.whole(1, 5)}")
        if self.draw(st.booleans()):
            clauses.append(f"quantity default {self.whole(1, 3)}")
        if self.draw(st.booleans()):
            clauses.append(f"quantity {self.pick(BEHAVIOUR)}")
        if self.draw(st.booleans()):
            clauses.append(f"price {self.money()}")
        if self.draw(st.booleans()):
            kind = self.draw(st.sampled_from(["", " free", " paid"]))
            card = self.draw(st.sampled_from(["", ", card required", ", no card required"]))
            clauses.append(f"trial {self.whole(0, 30)} days{kind}{card}")
            if kind == " paid" or (not self.strict and self.draw(st.booleans())):
                clauses.append(f"trial price {self.money()}")
        if self.draw(st.booleans()):
            unit = self.pick(UNITS)
            clauses.append(
                self.draw(st.sampled_from([f"billed every {self.whole(1, 3)} {unit}", "billed adhoc"]))
            )
        if self.draw(st.booleans()):
            clauses.append(f"renew {self.pick(RENEW)}")
        percent = self.draw(st.booleans())
        tiers = self.draw(st.lists(st.integers(1, 50), max_size=3, unique=self.strict))
        for i, tier in enumerate(tiers):
            value = (
                f"{self.percent()}%"
                if percent or (not self.strict and self.draw(st.booleans()))
                else self.money()
            )
            periods = f" for {self.whole(1, 4)} periods" if i == 0 and self.draw(st.booleans()) else ""
            clauses.append(f"discount {value} on {tier} or more{periods}")
        for key in self.draw(st.lists(keys, max_size=2, unique=self.strict)):
            clauses.append(f"attribute {quoted(key)} {quoted(self.draw(text))}")
        if self.draw(st.booleans()):
            fee = [f"    title {self.pick(LANGUAGES)} {quoted(self.draw(text))}", f"    price {self.money()}"]
            clauses.append("setup fee {\n" + "\n".join(fee) + "\n  }")
        return self.draw(st.permutations(clauses))

    def offer(self) -> str:
        lines = []
        if self.draw(st.booleans()) or (not self.strict and self.draw(st.booleans())):
            lines.append("account abCdE1FGH2Hij3KLMnOpqR")
        else:
            fields = {
                "first": quoted(self.draw(keys)),
                "last": quoted(self.draw(keys)),
                "email": "jane@example.com",
                "country": self.pick(COUNTRIES),
                "language": self.pick(LANGUAGES),
                "company": quoted(self.draw(keys)),
            }
            if not self.strict:
                fields = {
                    k: fields[k] for k in self.draw(st.lists(st.sampled_from(sorted(fields)), unique=True))
                }
            lines.append("contact {\n" + "".join(f"  {k} {v}\n" for k, v in fields.items()) + "}")
            if self.draw(st.booleans()):
                lines.append("lookup crm-10042")
        if self.draw(st.booleans()):
            lines.append(f"coupon {quoted(self.draw(keys))}")
        if self.draw(st.booleans()):
            lines.append(
                f"expires after {self.whole(1, 7) if self.strict else self.draw(st.integers(0, 9))} days"
            )
        for key in self.draw(st.lists(keys, max_size=2, unique=self.strict)):
            lines.append(f"tag {quoted(key)} {quoted(self.draw(text))}")
        products = self.draw(st.lists(st.just(None), min_size=1, max_size=3))
        good, bad = PRODUCTS
        names = self.draw(
            st.lists(
                st.sampled_from(good if self.strict else good + bad),
                min_size=len(products),
                max_size=len(products),
                unique=self.strict,
            )
        )
        for name in names:
            body = self.item_clauses()
            block = " {\n" + "".join(f"  {c}\n" for c in body) + "}" if body else ""
            lines.append(f"item {name}{block}")
        return "\n".join(lines) + "\n"


@st.composite
def offers(draw) -> str:
    return Writer(draw, strict=draw(st.booleans())).offer()


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(offers())
def test_the_schema_gate_is_never_reached_by_an_offer_the_checks_accept(source):
    result = compile_source(source, "generated.offer")
    event("compiles" if result.ok else "rejected by the checks")
    assert "E901" not in {d.code for d in result.diagnostics}, source
    if result.ok:
        assert schema_errors(result.payload) == []
        # and the payload survives being written and read back exactly
        assert jsonout.loads(jsonout.dumps(result.payload)) == result.payload
