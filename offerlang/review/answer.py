"""FastSpring's answer to a Sessions v2 send, read as a price preview and held against ours.

A 201 from Sessions v2 carries the prices FastSpring computed for the cart: per line
`price {unitListPrice, unitNetPrice, …}` and for the cart `netTotal`, `listTotal`, `taxTotal`,
`taxIncluded`, each amount with a `…Display` string in the buyer's format. `preview()` picks
those out for printing; `compare()` holds each line's `unitNetPrice` against what our own
timeline says the buyer pays per unit in the first billed period (timeline.py: the regular
price, or the discount tier that applies to the quantity). A difference means FastSpring and
the offer disagree about the price the buyer sees: a warning naming both amounts.

Which field names the 201 uses beyond `unitNetPrice` is only partly published
(SESSIONS-V2.md); the house reading is in docs/targets.md. Only lines whose price the offer
sets in the answer's currency are compared: a catalog price is FastSpring's to say.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from offerlang.language import round_money
from offerlang.review.timeline import discounted_unit, item_quantity
from offerlang.text import shown

# The cart's totals and each line's price fields, in the order they are shown, with their words.
TOTALS = (("netTotal", "net total"), ("taxTotal", "tax"), ("listTotal", "list total"))
LINE_PRICES = (("unitNetPrice", "net a unit"), ("unitListPrice", "list a unit"), ("unitTax", "tax a unit"))


@dataclass(frozen=True)
class Preview:
    currency: str | None
    tax_included: bool | None
    totals: list[tuple[str, str]]  # (words, amount as FastSpring displays it)
    lines: list[tuple[str, list[tuple[str, str]]]]  # (product, [(words, amount)])
    raw: dict[str, Any]  # the price parts of the answer, for --format json


@dataclass(frozen=True)
class Mismatch:
    index: int  # the line item in our body
    product: str
    currency: str
    ours: Decimal
    theirs: Decimal
    shown: str  # FastSpring's display string, or its amount

    @property
    def pointer(self) -> str:
        return f"/cart/lineItems/{self.index}/customPrice/unitPrice/{self.currency}"

    @property
    def message(self) -> str:
        return (
            f"FastSpring prices `{self.product}` at {self.currency} {self.theirs} a unit ({self.shown}, "
            f"its unitNetPrice); the offer's timeline says {self.currency} {self.ours} for the first "
            "billed period"
        )


# FastSpring's amounts, from its answer: an amount beyond 10^±MAX_AMOUNT_DIGITS is not a price
# (the offer's own are 12 digits at most), and written out in full (`9e99999999` as digits) it
# would be a gigabyte; such an amount is not read.
MAX_AMOUNT_DIGITS = 30
# Characters of a display string or a product path from the answer shown in a line.
SHOWN_VALUE = 100


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    if not amount.is_finite() or (
        amount and not -MAX_AMOUNT_DIGITS <= amount.adjusted() <= MAX_AMOUNT_DIGITS
    ):
        return None
    if amount.as_tuple().exponent < -MAX_AMOUNT_DIGITS:  # type: ignore[operator]
        return None
    return amount


def _shown(part: dict[str, Any], name: str) -> str | None:
    """An amount as FastSpring displays it (server text: escaped and capped), else its digits."""
    display = part.get(name + "Display")
    if isinstance(display, str) and display:
        return shown(display, SHOWN_VALUE)
    value = _amount(part.get(name))
    return None if value is None else format(value, "f")


def preview(answer: dict[str, Any] | None) -> Preview | None:
    """The computed prices of a v2 answer; None when it has none."""
    if not isinstance(answer, dict) or not isinstance(answer.get("cart"), dict):
        return None
    cart = answer["cart"]
    totals = [(words, s) for name, words in TOTALS if (s := _shown(cart, name)) is not None]
    lines: list[tuple[str, list[tuple[str, str]]]] = []
    raw_lines = []
    for line in cart.get("lineItems") or []:
        if not isinstance(line, dict) or not isinstance(line.get("price"), dict):
            continue
        price = line["price"]
        amounts = [(words, s) for name, words in LINE_PRICES if (s := _shown(price, name)) is not None]
        product = str(line.get("productPath", "?"))
        # Server text, shown in a line: escaped and capped; --format json gets it as it came.
        lines.append((shown(product, SHOWN_VALUE), amounts))
        raw_lines.append({"product": product, "quantity": line.get("quantity"), "price": price})
    if not totals and not lines:
        return None
    currency = answer.get("currency") if isinstance(answer.get("currency"), str) else None
    included = cart.get("taxIncluded") if isinstance(cart.get("taxIncluded"), bool) else None
    raw = {
        "currency": currency,
        "taxIncluded": included,
        **{name: cart[name] for name, _ in TOTALS if name in cart},
        **{name + "Display": cart[name + "Display"] for name, _ in TOTALS if name + "Display" in cart},
        "lines": raw_lines,
    }
    return Preview(None if currency is None else shown(currency, SHOWN_VALUE), included, totals, lines, raw)


def compare(body: dict[str, Any], answer: dict[str, Any] | None) -> list[Mismatch]:
    """Each line whose unit net price differs from the offer's first billed period."""
    from offerlang.compiler.targets.v2 import review_form

    if not isinstance(answer, dict) or not isinstance(answer.get("cart"), dict):
        return []
    currency = answer.get("currency")
    if not isinstance(currency, str):
        return []
    ours = {item["product"]: (i, item) for i, item in enumerate(review_form(body)["items"])}
    out = []
    for line in answer["cart"].get("lineItems") or []:
        if not isinstance(line, dict) or not isinstance(line.get("price"), dict):
            continue
        found = ours.get(str(line.get("productPath")))
        theirs = _amount(line["price"].get("unitNetPrice"))
        if found is None or theirs is None:
            continue
        index, item = found
        pricing = item.get("pricing", {})
        regular = pricing.get("price", {}).get(currency)
        if regular is None:
            continue
        discounted = discounted_unit(pricing, item_quantity(item), currency)
        unit = discounted[0] if discounted is not None else round_money(Decimal(regular), currency)
        if theirs != unit:
            shown = _shown(line["price"], "unitNetPrice") or format(theirs, "f")
            out.append(Mismatch(index, item["product"], currency, unit, theirs, shown))
    return out
