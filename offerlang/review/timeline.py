"""What a buyer pays, charge by charge: one compiled payload item -> a timeline per currency.

Pure and exact: Decimal arithmetic only, never float. The rules (docs/review.md repeats them):

- Period 0 is the charge at signup. With a trial it is the trial (0 when free, the trial price
  when paid) and period 1, "after the trial", is the first billed period; without one, signup
  is the first billed period. Every later period is a renewal: without a trial period N is the
  N-th renewal, with one period N is renewal N-1. Labels (`when`) say so in the buyer's words.
- Every charge is for the item's quantity: `quantity`, else `quantityDefault`, else 1.
- The discount is the quantity tier with the highest minimum at or below that quantity. It
  applies to the first `discountDuration` billed (non-trial) periods, or to all of them when
  there is no duration. A percent discount takes that share off the unit price; an amount
  discount subtracts the amount from the unit price, never below 0.
- Rounding: the discounted unit price is rounded once, ROUND_HALF_UP, to the currency's minor
  units (2, or 0 for JPY and the other zero-decimal currencies); the charge is that unit price
  times the quantity, and the row says so ("0.25 − 10.5% = 0.22 each × 100"). Every other
  amount is already in minor units. This is our model of FastSpring's arithmetic, not a rule it
  publishes.
- Rows: the charge at signup is always a row of its own; after it, one row per stretch of
  periods that charge the same (adjacent rows with the same amount and reason are merged).
- An `adhoc` item has no cycle: only its charge at signup is shown (with a trial: the trial,
  then the charge after it).
- The setup fee is charged once, at signup, on top of period 0 (not multiplied by quantity).
  So are Sessions v2's EDS and shipping fees (house reading: FastSpring does not publish
  whether they come again at renewals, or per unit).
- Only currencies the item prices itself have a timeline: without a price override the
  catalog's price applies and nothing is invented here. With a catalog snapshot
  (review/catalogview.py) the item is first merged with the catalog's pricing: its amounts are
  then known, and every basis that rests on a catalog value says so ("catalog price 89.90").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from offerlang.language import ADHOC, EXACT, DiscountKind, format_money, round_money
from offerlang.text import and_list, ordinal


@dataclass(frozen=True, slots=True)
class Charge:
    """One row: periods `first`..`last` each charge `amount` (None: the catalog's amount, plus
    `plus` when a known setup fee comes on top of it). `onward` marks the last row, which
    repeats for every later period."""

    first: int
    last: int
    amount: Decimal | None
    basis: str
    onward: bool = False
    plus: Decimal | None = None

    @property
    def cost(self) -> tuple[Decimal | None, Decimal | None]:
        return self.amount, self.plus

    def shown(self, currency: str) -> str:
        return shown(self.cost, currency)


def shown(cost: tuple[Decimal | None, Decimal | None], currency: str) -> str:
    """An amount as the tables and diffs write it: `5.00`, `catalog`, or `catalog + 250.00`."""
    amount, plus = cost
    if amount is not None:
        return format_money(amount, currency)
    return "catalog" if plus is None else f"catalog + {format_money(plus, currency)}"


@dataclass(frozen=True, slots=True)
class Timeline:
    currency: str
    charges: tuple[Charge, ...]
    trial: bool  # period 0 is a trial, so period 1 is the first billed one

    def when(self, charge: Charge) -> str:
        return when(charge.first, charge.last, onward=charge.onward, trial=self.trial)

    @property
    def horizon(self) -> int:
        return self.charges[-1].last

    def at(self, period: int) -> Decimal | None:
        """What the buyer pays in `period`; the last row holds for every later period."""
        return self.charge_at(period).amount

    def charge_at(self, period: int) -> Charge:
        for c in self.charges:
            if c.first <= period <= c.last:
                return c
        return self.charges[-1]


def when(first: int, last: int, *, onward: bool, trial: bool | None, sentence: bool = False) -> str:
    """Periods `first`..`last` (and every later one when `onward`) in the buyer's words: "at
    signup", "after the trial", "1st renewal", "renewals 4–24", "3rd renewal on". With
    `sentence`, the words that follow "buyer pays USD": "at signup and at the 1st renewal",
    "from the 2nd renewal on". `trial` None: the two sides of a diff disagree on the trial, so
    a renewal on one side is not one on the other; the charges are counted instead ("2nd charge")."""
    parts: list[str] = []
    period = first
    if period == 0:
        parts.append("at signup (trial)" if trial else "at signup")
        period = 1
    if trial and period == 1 and (onward or period <= last):
        parts.append("after the trial")
        period = 2
    if onward or period <= last:
        # The number of the renewal (or charge) a period is.
        shift = {True: 1, False: 0, None: -1}[trial]
        noun = "charge" if trial is None else "renewal"
        parts.append(_later(period - shift, last - shift, onward, noun, sentence))
    return and_list(parts)


def _later(first: int, last: int, onward: bool, noun: str, sentence: bool) -> str:
    if onward:
        if sentence:
            return f"at every {noun}" if first == 1 else f"from the {ordinal(first)} {noun} on"
        return f"every {noun}" if first == 1 else f"{ordinal(first)} {noun} on"
    if first == last:
        return f"at the {ordinal(first)} {noun}" if sentence else f"{ordinal(first)} {noun}"
    return ("at " if sentence else "") + f"{noun}s {first}–{last}"


def item_quantity(item: dict[str, Any]) -> int:
    pricing = item.get("pricing", {})
    return int(item.get("quantity") or pricing.get("quantityDefault") or 1)


def is_recurring(pricing: dict[str, Any]) -> bool:
    """True when the payload itself says the item bills in periods. Otherwise the catalog
    decides whether it recurs, and only the charge at checkout is known; an `adhoc` item has no
    periods at all (it is charged whenever the seller bills)."""
    if pricing.get("interval") == ADHOC:
        return False
    return any(k in pricing for k in ("interval", "trial", "paidTrial", "renew", "discountDuration"))


def has_trial(pricing: dict[str, Any]) -> bool:
    if "trial" in pricing:
        return int(pricing["trial"]) > 0
    return "paidTrial" in pricing  # a trial whose length the catalog sets


def discount_tier(pricing: dict[str, Any], quantity: int) -> tuple[int, Any] | None:
    """(minimum quantity, value) of the tier that applies to `quantity`, if any."""
    tiers = [(int(k), v) for k, v in pricing.get("quantityDiscounts", {}).items() if int(k) <= quantity]
    return max(tiers, key=lambda t: t[0]) if tiers else None


def discounted_unit(
    pricing: dict[str, Any], quantity: int, currency: str, marks: frozenset[str] = frozenset()
) -> tuple[Decimal, str] | None:
    """The discounted unit price in `currency` and how it was made, or None: no discount.
    `marks`: the pricing fields that came from the catalog, named as such in the words."""
    unit: Decimal = pricing["price"][currency]
    tier = discount_tier(pricing, quantity)
    if tier is None:
        return None
    _, value = tier
    of = ("catalog price " if "price" in marks else "") + format_money(unit, currency)
    if pricing.get("discountType") == DiscountKind.AMOUNT:
        off = value.get(currency) if isinstance(value, dict) else None
        if off is None:
            return None
        floored = round_money(max(Decimal(0), unit - off), currency)
        never = " (never below 0)" if off > unit else ""
        off_text = format_money(off, currency)
        return floored, f"{of} − {off_text} = {format_money(floored, currency)}{never}"
    percent = Decimal(value)
    # The unit price is rounded before it is multiplied by the quantity: the row shows that
    # step, so hand arithmetic on the whole charge (0.25 × 100 − 10.5% = 22.375) is not a riddle.
    rounded = round_money(unit - unit * percent / Decimal(100), currency)
    return (
        rounded,
        f"{of} − {_percent(percent)}% = {format_money(rounded, currency)}",
    )


def _percent(value: Decimal) -> str:
    return format(value.normalize(), "f")


def item_timelines(
    item: dict[str, Any], marks: frozenset[str] = frozenset(), known: bool = False
) -> list[Timeline]:
    """One timeline per currency the item names an amount in (price, then the setup, EDS and
    shipping fees, then trial price), in the payload's order: a known fee or trial charge is
    shown even when the price itself is the catalog's. `marks` and `known`: the item was merged
    with its catalog record (review/catalogview.py), these fields coming from the catalog."""
    pricing: dict[str, Any] = item.get("pricing", {})
    trial_prices = pricing.get("trialPrice", {}) if pricing.get("paidTrial") else {}
    fees = [cur for field, _ in SIGNUP_FEES for cur in fee_amounts(pricing, field)]
    named = [*pricing.get("price", {}), *fees, *trial_prices]
    with localcontext(EXACT):
        return [timeline(pricing, item_quantity(item), cur, marks, known) for cur in dict.fromkeys(named)]


def timeline(
    pricing: dict[str, Any],
    quantity: int,
    currency: str,
    marks: frozenset[str] = frozenset(),
    known: bool = False,
) -> Timeline:
    regular: Decimal | None = pricing.get("price", {}).get(currency)
    times = f" × {quantity}" if quantity != 1 else ""
    duration = pricing.get("discountDuration")
    trial = has_trial(pricing)
    recurring = is_recurring(pricing)
    first_paid = 1 if trial else 0
    if regular is None:
        # Neither the catalog's price nor what a discount makes of it is known here.
        discount = None
        less = "; any discount applies to it" if pricing.get("quantityDiscounts") else ""
        regular_row: tuple[Decimal | None, str] = (None, "the catalog's price" + less)
    else:
        discount = discounted_unit(pricing, quantity, currency, marks)
        if discount is not None and times:
            discount = (discount[0], discount[1] + " each")
        regular_row = (
            regular * quantity,
            ("catalog price" if "price" in marks else "regular price")
            + (f" {format_money(regular, currency)}{times}" if times else ""),
        )
    # Where the discount comes from, after the arithmetic it explains.
    source = " (catalog discount)" if "quantityDiscounts" in marks else ""

    # Segments (first, last or None for "every later period", amount, basis), built from the
    # change points only: a discount for 100000000 periods is two segments, never a loop.
    segments: list[tuple[int, int | None, Decimal | None, str]] = []
    if trial:
        segments.append((0, 0, *_trial_charge(pricing, quantity, currency, times, "trial" in marks)))
    if not recurring:
        # One charge: at signup, or after the trial (an `adhoc` item with a trial).
        row = regular_row if discount is None else (discount[0] * quantity, discount[1] + times + source)
        segments.append((first_paid, first_paid, *row))
    elif discount is None:
        segments.append((first_paid, None, *regular_row))
    else:
        unit, how = discount
        if duration is None:
            segments.append((first_paid, None, unit * quantity, how + times + source))
        elif int(duration) > 0:
            last = first_paid + int(duration) - 1
            segments.append((first_paid, last, unit * quantity, how + times + source))
            segments.append((first_paid + int(duration), None, *regular_row))
    count = pricing.get("intervalCount")
    if recurring and count is not None:
        # Sessions v2: the subscription bills `count` times, then ends.
        end = first_paid + int(count)
        segments = [
            (f, end - 1 if last is None or last >= end else last, a, b)
            for f, last, a, b in segments
            if f < end
        ]
        ended = f"nothing: the subscription ended after {count} billing period{'s' * (int(count) != 1)}"
        segments.append((end, None, round_money(Decimal(0), currency), ended))
    charges = _expand(segments)
    first = charges[0]
    basis = first.basis
    if "trial" not in pricing and "paidTrial" not in pricing and not known:
        # The catalog may still give the product a trial, which would change every row.
        basis += " (if the catalog sets no trial)"
    amount, plus = first.amount, first.plus
    for field, words, fee in signup_fees(pricing, currency):
        basis += f", plus {words} {format_money(fee, currency)}" + (" (catalog)" if field in marks else "")
        amount, plus = (amount + fee, None) if amount is not None else (None, fee + (plus or 0))
    charges[0] = Charge(0, 0, amount, basis, first.onward, plus)
    return Timeline(currency, tuple(_merged(charges)), trial)


# The fees charged once, on top of the charge at signup, in this order: (pricing field, words).
# A setup fee is a v1 and v2 field; the EDS and shipping fees are Sessions v2's (review form).
SIGNUP_FEES = (("setupFee", "setup fee"), ("edsFee", "EDS fee"), ("shippingFee", "shipping fee"))


def fee_amounts(pricing: dict[str, Any], field: str) -> dict[str, Decimal]:
    """A fee's amounts per currency (a setup fee keeps them under `price`)."""
    fee = pricing.get(field, {})
    return dict(fee.get("price", {})) if field == "setupFee" else dict(fee)


def signup_fees(pricing: dict[str, Any], currency: str) -> list[tuple[str, str, Decimal]]:
    """(pricing field, words, amount) of each fee the item names in `currency`, charged once at
    signup."""
    out = []
    for field, words in SIGNUP_FEES:
        amount = fee_amounts(pricing, field).get(currency)
        if amount is not None:
            out.append((field, words, amount))
    return out


def _trial_charge(
    pricing: dict[str, Any], quantity: int, currency: str, times: str, from_catalog: bool = False
) -> tuple[Decimal | None, str]:
    days = pricing.get("trial")

    def named(kind: str) -> str:
        if not days:
            return f"{kind} (length set in the catalog)"
        return f"{days}-day {kind}" + (" (catalog)" if from_catalog else "")

    if "paidTrial" not in pricing:
        return None, named("trial") + ", free or paid as set in the catalog"
    if not pricing["paidTrial"]:
        return round_money(Decimal(0), currency), named("free trial")
    price = pricing.get("trialPrice", {}).get(currency)
    if price is None:
        return None, named("paid trial") + f", {currency} price set in the catalog"
    return price * quantity, named(f"paid trial at {format_money(price, currency)}{times}")


def _expand(segments: list[tuple[int, int | None, Decimal | None, str]]) -> list[Charge]:
    """Segments -> rows: the charge at signup (period 0) is a row of its own, since a setup fee
    or a trial the catalog may set changes it alone; every other segment is one row, the
    open-ended last one the `onward` row."""
    out: list[Charge] = []
    for first, last, amount, basis in segments:
        if first == 0 and last != 0:
            out.append(Charge(0, 0, amount, basis))
            first = 1
        if last is None:
            out.append(Charge(first, first, amount, basis, onward=True))
        else:
            out.append(Charge(first, last, amount, basis))
    return out


def _merged(charges: list[Charge]) -> list[Charge]:
    """Adjacent rows that charge the same amount for the same reason, as one row."""
    out: list[Charge] = []
    for c in charges:
        prev = out[-1] if out else None
        if prev is not None and (prev.amount, prev.plus, prev.basis) == (c.amount, c.plus, c.basis):
            out[-1] = Charge(prev.first, c.last, c.amount, c.basis, c.onward, c.plus)
        else:
            out.append(c)
    return out
