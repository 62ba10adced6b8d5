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
  times the quantity. Every other amount is already in minor units.
- The setup fee is charged once, at signup, on top of period 0 (not multiplied by quantity).
- Only currencies the item prices itself have a timeline: without a price override the
  catalog's price applies and nothing is invented here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .checks import minor_units

# At least this many paid periods are shown one by one, whatever the discount says.
MIN_PAID_PERIODS = 3


@dataclass(frozen=True, slots=True)
class Charge:
    """One row: periods `first`..`last` each charge `amount` (None: the catalog's amount).
    `onward` marks the last row, which repeats for every later period."""

    first: int
    last: int
    amount: Decimal | None
    basis: str
    onward: bool = False


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
        for c in self.charges:
            if c.first <= period <= c.last:
                return c.amount
        return self.charges[-1].amount


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
    decides whether it recurs, and only the charge at checkout is known."""
    return any(k in pricing for k in ("interval", "trial", "paidTrial", "renew", "discountDuration"))


def has_trial(pricing: dict[str, Any]) -> bool:
    if "trial" in pricing:
        return int(pricing["trial"]) > 0
    return "paidTrial" in pricing  # a trial whose length the catalog sets


def discount_tier(pricing: dict[str, Any], quantity: int) -> tuple[int, Any] | None:
    """(minimum quantity, value) of the tier that applies to `quantity`, if any."""
    tiers = [(int(k), v) for k, v in pricing.get("quantityDiscounts", {}).items() if int(k) <= quantity]
    return max(tiers, key=lambda t: t[0]) if tiers else None


def round_money(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def fmt_amount(amount: Decimal, currency: str) -> str:
    return format(round_money(amount, currency), "f")


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
        return floored, f"{fmt_amount(off, currency)} off {fmt_amount(unit, currency)}"
    percent = Decimal(value)
    exact = unit - unit * percent / Decimal(100)
    return round_money(exact, currency), f"{_percent(percent)}% off {fmt_amount(unit, currency)}"


def _percent(value: Decimal) -> str:
    return format(value.normalize(), "f")


def item_timelines(item: dict[str, Any]) -> list[Timeline]:
    """One timeline per currency of the item's price override, in the payload's order."""
    pricing: dict[str, Any] = item.get("pricing", {})
    return [timeline(pricing, item_quantity(item), cur) for cur in pricing.get("price", {})]


def timeline(pricing: dict[str, Any], quantity: int, currency: str) -> Timeline:
    regular: Decimal = pricing["price"][currency]
    times = f" × {quantity}" if quantity != 1 else ""
    discount = discounted_unit(pricing, quantity, currency)
    duration = pricing.get("discountDuration")
    trial = has_trial(pricing)
    first_paid = 1 if trial else 0

    def paid(period: int) -> tuple[Decimal, str]:
        billed = period - first_paid + 1  # 1 for the first billed period
        if discount is not None and (duration is None or billed <= int(duration)):
            unit, how = discount
            return unit * quantity, how + times
        return regular * quantity, "regular price" + (
            f" {fmt_amount(regular, currency)}{times}" if times else ""
        )

    rows: list[tuple[Decimal | None, str]] = []
    if trial:
        rows.append(_trial_charge(pricing, quantity, currency, times))
    if not is_recurring(pricing):
        rows.append(paid(0))
    else:
        last = first_paid + max(MIN_PAID_PERIODS - 1, int(duration) if duration and discount else 0)
        rows.extend(paid(p) for p in range(first_paid, last + 1))
    fee = pricing.get("setupFee", {}).get("price", {}).get(currency)
    if fee is not None:
        amount, how = rows[0]
        rows[0] = (
            None if amount is None else amount + fee,
            f"{how}, plus setup fee {fmt_amount(fee, currency)}",
        )
    return Timeline(
        currency, _merge(rows, keep=first_paid + MIN_PAID_PERIODS, recurring=is_recurring(pricing)), trial
    )


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
    return price * quantity, named(f"paid trial at {fmt_amount(price, currency)}{times}")


def _merge(rows: list[tuple[Decimal | None, str]], keep: int, recurring: bool) -> tuple[Charge, ...]:
    """Rows per period -> charges. Periods before `keep` stay one per row; later equal
    periods collapse into a range, so a 24-period discount is two rows, not 24."""
    out: list[Charge] = []
    for period, (amount, basis) in enumerate(rows):
        prev = out[-1] if out else None
        if prev is not None and prev.first >= keep and (prev.amount, prev.basis) == (amount, basis):
            out[-1] = Charge(prev.first, period, amount, basis)
        else:
            out.append(Charge(period, period, amount, basis))
    if recurring:
        tail = out[-1]
        out[-1] = Charge(tail.first, tail.last, tail.amount, tail.basis, onward=True)
    return tuple(out)
