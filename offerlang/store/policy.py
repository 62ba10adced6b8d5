"""The policy: a pricing team's guardrails, one rule per table of the project config.

Each rule has a stable code (P101…), a table name under `[policy]`, the keys it takes, and a
severity the file sets (`error`, `warning` or `off`). This module is the one list of them: the
config reader validates against it, the checks (store/checks.py) evaluate it, the JSON Schema
and docs/store.md describe it, and a test keeps the four in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

SEVERITIES = ("error", "warning", "off")


class Key(NamedTuple):
    """One key of a rule's table. `kind` says what its value is:
    percent      a number from 0 to 100 (a share of a price)
    ratio        a number above 0 (a price relative to the catalog's, in percent: 150 is 1.5×)
    days         a whole number of days, at least `low`
    periods      a whole number of billing periods, at least 1
    currencies   a list of ISO 4217 codes
    globs        a list of glob patterns (`*`, `?`, `[…]`), matched against the whole text
    words        a list of non-empty strings
    endings      a list of price endings (see `price-endings`)
    """

    name: str
    kind: str
    low: int = 0
    high: int | None = None


class Rule(NamedTuple):
    # NamedTuples, not dataclasses: this module is imported on every `offer check` that has a
    # config, and a dataclass costs a class built from generated code at import.
    code: str
    name: str  # the table: [policy.NAME]
    title: str  # one line, for the code table
    keys: tuple[Key, ...] = ()
    required: tuple[str, ...] = ()
    severity: str = "error"  # when the table gives none
    needs_catalog: bool = False
    # Keys are currency codes (price-endings): every key is a currency, its value a Key of this kind.
    per_currency: str | None = None
    # Active when a catalog is found even if the config does not name the rule.
    default_on: bool = False
    # About the session, not an item: a waiver of it covers the offer wherever it is written.
    session: bool = False


RULES: tuple[Rule, ...] = (
    Rule(
        "P101",
        "max-discount",
        "discount above the policy's maximum",
        (Key("percent", "percent"),),
        required=("percent",),
    ),
    Rule(
        "P102",
        "max-effective-discount",
        "price paid below the catalog price by more than the policy allows",
        (Key("percent", "percent"),),
        required=("percent",),
        needs_catalog=True,
    ),
    Rule(
        "P103",
        "price-range",
        "price override outside the range allowed around the catalog price",
        (Key("floor", "ratio"), Key("ceiling", "ratio")),
        severity="warning",
        needs_catalog=True,
        default_on=True,
    ),
    Rule(
        "P104",
        "currencies",
        "currency the policy does not allow",
        (Key("allowed", "currencies"),),
        required=("allowed",),
    ),
    Rule(
        "P105",
        "all-catalog-currencies",
        "price override without every currency the catalog prices",
        needs_catalog=True,
    ),
    Rule("P106", "price-endings", "price ending the policy does not allow", per_currency="endings"),
    Rule(
        "P107",
        "required-tags",
        "order tag the policy requires is missing",
        (Key("tags", "words"),),
        required=("tags",),
        session=True,
    ),
    Rule(
        "P108",
        "coupons",
        "coupon code the policy does not allow",
        (Key("allowed", "globs"),),
        required=("allowed",),
        session=True,
    ),
    Rule(
        "P109",
        "max-expiration",
        "session open longer than the policy allows",
        (Key("days", "days", low=1, high=7),),
        required=("days",),
        session=True,
    ),
    Rule(
        "P110",
        "max-trial",
        "trial longer than the policy allows",
        (Key("days", "days", low=0, high=3650),),
        required=("days",),
    ),
    Rule(
        "P111",
        "max-discount-duration",
        "discount lasting more billing periods than the policy allows",
        (Key("periods", "periods", low=1),),
        required=("periods",),
    ),
    Rule(
        "P112",
        "locked-products",
        "pricing override on a product the policy locks",
        (Key("products", "globs"),),
        required=("products",),
    ),
)

BY_CODE = {r.code: r for r in RULES}
BY_NAME = {r.name: r for r in RULES}

# The range a price override may stray from the catalog price when no policy says otherwise:
# half to one and a half times it (P103, a warning).
DEFAULT_FLOOR = Decimal(50)
DEFAULT_CEILING = Decimal(150)
# The largest floor or ceiling a policy may set: a hundred times the catalog price. A bound above
# it guards nothing, and a number like `1e30` is a slip that would otherwise reach the messages'
# arithmetic.
MAX_RATIO = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class Active:
    """A rule as the config sets it: its severity and its values (Decimal, int, list or dict)."""

    rule: Rule
    severity: str
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.rule.code


@dataclass(frozen=True, slots=True)
class Policy:
    """The rules in force, by code. Rules set to `off` are not in it."""

    rules: dict[str, Active] = field(default_factory=dict)

    def get(self, code: str) -> Active | None:
        return self.rules.get(code)

    @classmethod
    def defaults(cls) -> Policy:
        """What applies with no policy at all: only the rules that are on by default."""
        return cls({r.code: Active(r, r.severity) for r in RULES if r.default_on})


def price_range(active: Active) -> tuple[Decimal, Decimal]:
    """(floor, ceiling) of P103 in percent of the catalog price."""
    return (
        active.values.get("floor", DEFAULT_FLOOR),
        active.values.get("ceiling", DEFAULT_CEILING),
    )
