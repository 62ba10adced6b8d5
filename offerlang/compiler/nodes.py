"""The typed syntax tree of an offer file. Every node knows its source span.

The tree mirrors what the author wrote, in the author's order, including clauses given twice
or unknown keywords: deciding what is wrong with it is the checker's job, not the parser's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from offerlang.language import TrialKind


@dataclass(frozen=True, slots=True)
class Span:
    """A region of source text. Lines and columns are 1-based; end_column is exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int
    start: int = 0  # character offsets into the decoded text
    end: int = 0


# ---- leaves --------------------------------------------------------------------------------


@dataclass(slots=True)
class Text:
    """A string value: quoted or bare in the source, already unescaped."""

    value: str
    span: Span
    quoted: bool = False


@dataclass(slots=True)
class ParamRef:
    """`$name`: a campaign parameter standing where a value goes."""

    name: str
    span: Span


@dataclass(slots=True)
class Number:
    """A number exactly as written; `value` is exact, `text` keeps the author's spelling."""

    text: str
    value: Decimal
    span: Span


@dataclass(slots=True)
class Name:
    """A word checked against a list later: a currency, a country, a renew mode, a unit."""

    value: str
    span: Span


Value = Text | ParamRef
Amount = Number | ParamRef


@dataclass(slots=True)
class Money:
    currency: Name
    amount: Amount
    span: Span


# ---- clauses ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Clause:
    """Base of every statement. `keyword` is the clause's name as the checker reports it."""

    span: Span

    keyword = ""


@dataclass(slots=True)
class Unknown(Clause):
    name: Name
    args: list[str] = field(default_factory=list)
    body: list[Unknown] = field(default_factory=list)
    keyword = "unknown"


@dataclass(slots=True)
class Account(Clause):
    value: Value
    keyword = "account"


@dataclass(slots=True)
class ContactField(Clause):
    name: str  # first, last, email, company, phone, country, language
    value: Value
    keyword = "contact field"


@dataclass(slots=True)
class Contact(Clause):
    fields: list[ContactField]
    unknown: list[Unknown]
    keyword = "contact"


@dataclass(slots=True)
class Lookup(Clause):
    value: Value
    keyword = "lookup"


@dataclass(slots=True)
class Coupon(Clause):
    value: Value
    keyword = "coupon"


@dataclass(slots=True)
class Expires(Clause):
    days: Number
    keyword = "expires"


@dataclass(slots=True)
class Tag(Clause):
    key: Value
    value: Value
    keyword = "tag"


@dataclass(slots=True)
class Param(Clause):
    name: Name
    type: Name
    keyword = "param"


@dataclass(slots=True)
class Quantity(Clause):
    amount: Number
    keyword = "quantity"


@dataclass(slots=True)
class QuantityDefault(Clause):
    amount: Number
    keyword = "quantity default"


@dataclass(slots=True)
class QuantityBehavior(Clause):
    behavior: Name
    keyword = "quantity allow/lock/hide"


@dataclass(slots=True)
class Price(Clause):
    amounts: list[Money]
    keyword = "price"


@dataclass(slots=True)
class Trial(Clause):
    days: Number | None
    kind: TrialKind | None
    card: bool | None  # True: card required, False: no card required
    keyword = "trial"


@dataclass(slots=True)
class TrialPrice(Clause):
    amounts: list[Money]
    keyword = "trial price"


@dataclass(slots=True)
class Billed(Clause):
    every: bool  # `billed every [N] unit` rather than `billed adhoc`
    length: Number | None
    unit: Name
    count: Name | None = None  # a number written as a word (`billed every two weeks`): wrong
    periods: Number | None = None  # `… for N periods`: how many times it bills (Sessions v2 only)
    keyword = "billed"


@dataclass(slots=True)
class Renew(Clause):
    mode: Name
    keyword = "renew"


@dataclass(slots=True)
class Discount(Clause):
    percent: Number | None
    amounts: list[Money] | None
    from_quantity: Number | None
    periods: Number | None
    keyword = "discount"


@dataclass(slots=True)
class Attribute(Clause):
    key: Value
    value: Value
    keyword = "attribute"


@dataclass(slots=True)
class FeeTitle(Clause):
    language: Name
    text: Value
    keyword = "title"


@dataclass(slots=True)
class FeePrice(Clause):
    amounts: list[Money]
    keyword = "price"


@dataclass(slots=True)
class SetupFee(Clause):
    titles: list[FeeTitle]
    prices: list[FeePrice]
    unknown: list[Unknown]
    keyword = "setup fee"


# ---- Sessions v2 only ---------------------------------------------------------------------------


@dataclass(slots=True)
class Locale(Clause):
    value: Value
    keyword = "locale"


@dataclass(slots=True)
class BuyerTag(Clause):
    key: Value
    value: Value
    keyword = "buyer tag"


@dataclass(slots=True)
class PaymentOrder(Clause):
    methods: list[Name]
    keyword = "payment methods"


@dataclass(slots=True)
class PaymentHide(Clause):
    methods: list[Name]
    keyword = "hide payment methods"


@dataclass(slots=True)
class EdsFee(Clause):
    amounts: list[Money]
    keyword = "eds fee"


@dataclass(slots=True)
class ShippingFee(Clause):
    amounts: list[Money]
    keyword = "shipping fee"


@dataclass(slots=True)
class Description(Clause):
    kind: str  # display, summary, instructions
    language: Name
    text: Value
    keyword = "description"


@dataclass(slots=True)
class Image(Clause):
    url: Value
    keyword = "image"


@dataclass(slots=True)
class Item(Clause):
    product: Value
    clauses: list[Clause]
    has_body: bool = False
    keyword = "item"


C = TypeVar("C", bound=Clause)


@dataclass(slots=True)
class Comment:
    text: str  # including the leading '#'
    span: Span


@dataclass(slots=True)
class Offer:
    """A whole offer file: its statements in source order, and its comments."""

    clauses: list[Clause]
    comments: list[Comment] = field(default_factory=list)
    span: Span = field(default_factory=lambda: Span(1, 1, 1, 1))
    # The first words of statements the parser blanked to recover from syntax errors: the
    # checks must not report them as missing (they were written, just not readably).
    blanked: frozenset[str] = frozenset()

    def of(self, kind: type[C]) -> list[C]:
        """The top-level clauses of one kind, in source order."""
        return [c for c in self.clauses if isinstance(c, kind)]

    @property
    def items(self) -> list[Item]:
        return self.of(Item)
