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
- An `adhoc` item has no cycle: only its charge at signup is shown.
- The setup fee is charged once, at signup, on top of period 0 (not multiplied by quantity).
- Only currencies the item prices itself have a timeline: without a price override the
  catalog's price applies and nothing is invented here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from offerlang.language import ADHOC, EXACT, format_money, round_money


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
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _later(first: int, last: int, onward: bool, noun: str, sentence: bool) -> str:
    if onward:
        if sentence:
            return f"at every {noun}" if first == 1 else f"from the {ordinal(first)} {noun} on"
        return f"every {noun}" if first == 1 else f"{ordinal(first)} {noun} on"
    if first == last:
        return f"at the {ordinal(first)} {noun}" if sentence else f"{ordinal(first)} {noun}"
    return ("at " if sentence else "") + f"{noun}s {first}–{last}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


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


def discounted_unit(pricing: dict[str, Any], quantity: int, currency: str) -> tuple[Decimal, str] | None:
    """The discounted unit price in `currency` and how it was made, or None: no discount."""
    unit: Decimal = pricing["price"][currency]
    tier = discount_tier(pricing, quantity)
    if tier is None:
        return None
    _, value = tier
    if pricing.get("discountType") == "amount":
        off = value.get(currency) if isinstance(value, dict) else None
        if off is None:
            return None
        floored = round_money(max(Decimal(0), unit - off), currency)
        never = " (never below 0)" if off > unit else ""
        unit_text, off_text = format_money(unit, currency), format_money(off, currency)
        return floored, f"{unit_text} − {off_text} = {format_money(floored, currency)}{never}"
    percent = Decimal(value)
    # The unit price is rounded before it is multiplied by the quantity: the row shows that
    # step, so hand arithmetic on the whole charge (0.25 × 100 − 10.5% = 22.375) is not a riddle.
    rounded = round_money(unit - unit * percent / Decimal(100), currency)
    return (
        rounded,
        f"{format_money(unit, currency)} − {_percent(percent)}% = {format_money(rounded, currency)}",
    )


def _percent(value: Decimal) -> str:
    return format(value.normalize(), "f")


def item_timelines(item: dict[str, Any]) -> list[Timeline]:
    """One timeline per currency the item names an amount in (price, then setup fee, then
    trial price), in the payload's order: a known setup fee or trial charge is shown even when
    the price itself is the catalog's."""
    pricing: dict[str, Any] = item.get("pricing", {})
    trial_prices = pricing.get("trialPrice", {}) if pricing.get("paidTrial") else {}
    named = [*pricing.get("price", {}), *pricing.get("setupFee", {}).get("price", {}), *trial_prices]
    with localcontext(EXACT):
        return [timeline(pricing, item_quantity(item), cur) for cur in dict.fromkeys(named)]


def timeline(pricing: dict[str, Any], quantity: int, currency: str) -> Timeline:
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
        discount = discounted_unit(pricing, quantity, currency)
        if discount is not None and times:
            discount = (discount[0], discount[1] + " each")
        regular_row = (
            regular * quantity,
            "regular price" + (f" {format_money(regular, currency)}{times}" if times else ""),
        )

    # Segments (first, last or None for "every later period", amount, basis), built from the
    # change points only: a discount for 100000000 periods is two segments, never a loop.
    segments: list[tuple[int, int | None, Decimal | None, str]] = []
    if trial:
        segments.append((0, 0, *_trial_charge(pricing, quantity, currency, times)))
    if not recurring:
        row = regular_row if discount is None else (discount[0] * quantity, discount[1] + times)
        segments.append((0, 0, *row))
    elif discount is None:
        segments.append((first_paid, None, *regular_row))
    else:
        unit, how = discount
        if duration is None:
            segments.append((first_paid, None, unit * quantity, how + times))
        elif int(duration) > 0:
            segments.append((first_paid, first_paid + int(duration) - 1, unit * quantity, how + times))
            segments.append((first_paid + int(duration), None, *regular_row))
    charges = _expand(segments)
    first = charges[0]
    basis = first.basis
    if "trial" not in pricing and "paidTrial" not in pricing:
        # The catalog may still give the product a trial, which would change every row.
        basis += " (if the catalog sets no trial)"
    fee = pricing.get("setupFee", {}).get("price", {}).get(currency)
    amount, plus = first.amount, first.plus
    if fee is not None:
        basis += f", plus setup fee {format_money(fee, currency)}"
        amount, plus = (amount + fee, None) if amount is not None else (None, fee)
    charges[0] = Charge(0, 0, amount, basis, first.onward, plus)
    return Timeline(currency, tuple(_merged(charges)), trial)


def _trial_charge(
    pricing: dict[str, Any], quantity: int, currency: str, times: str
) -> tuple[Decimal | None, str]:
    days = pricing.get("trial")

    def named(kind: str) -> str:
        return f"{days}-day {kind}" if days else f"{kind} (length set in the catalog)"

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
