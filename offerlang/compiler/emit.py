"""Checked syntax tree -> Sessions v1 request body, plus a map from JSON pointer to source span.

The emitter writes exactly what the offer says, in one fixed field order, and invents no
defaults. Amounts are Decimals written with the currency's minor units (`9.9` -> `9.90`, JPY
`1200`), so formatting a file never changes the bytes of its payload.
"""

from __future__ import annotations

from decimal import Context, Decimal
from typing import Any

from offerlang.compiler import nodes as n
from offerlang.compiler.checks import discount_kind
from offerlang.jsonout import json_pointer
from offerlang.language import CONTACT_FIELDS, INTERVAL_UNITS, TrialKind, round_money

Payload = dict[str, Any]
Pointers = dict[str, n.Span]


def emit(offer: n.Offer) -> tuple[Payload, Pointers]:
    """Build the payload. Call only on an offer that checked without errors and whose
    parameters are all bound."""
    return Emitter().offer(offer)


def money_value(amount: Decimal, currency: str) -> Decimal:
    # Checked amounts have at most the currency's decimals, so this only pads (`9.9` -> `9.90`).
    return round_money(amount, currency)


def percent_value(value: Decimal) -> Decimal | int:
    if value == value.to_integral_value():
        return int(value)
    # normalize() rounds to the context's precision (28 digits by default); a percent the author
    # wrote with more digits must still leave exactly as written, so give it room for all of them.
    return value.normalize(Context(prec=len(value.as_tuple().digits)))


class _First:
    """The first clause of each kind in an item: a kind given twice is an error the checks
    report, so a checked item has at most one."""

    def __init__(self, clauses: list[n.Clause]) -> None:
        self._by_kind = {type(c): c for c in reversed(clauses)}

    def __call__(self, kind: type[n.C]) -> n.C | None:
        found = self._by_kind.get(kind)
        return found if isinstance(found, kind) else None


class Emitter:
    def __init__(self) -> None:
        self.pointers: Pointers = {}

    def at(self, pointer: str, span: n.Span, value: Any) -> Any:
        self.pointers[pointer] = span
        return value

    def text(self, v: n.Value) -> str:
        assert isinstance(v, n.Text), "parameters must be bound before emitting"
        return v.value

    def money(self, pointer: str, amounts: list[n.Money]) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for m in amounts:
            assert isinstance(m.amount, n.Number), "parameters must be bound before emitting"
            cur = m.currency.value
            out[cur] = self.at(f"{pointer}/{cur}", m.span, money_value(m.amount.value, cur))
        return out

    def offer(self, offer: n.Offer) -> tuple[Payload, Pointers]:
        p: Payload = {}
        self.pointers[""] = offer.span
        for account in offer.of(n.Account):
            p["account"] = self.at("/account", account.value.span, self.text(account.value))
        for contact in offer.of(n.Contact):
            p["contact"] = self.at("/contact", contact.span, self.contact(contact))
        for lookup in offer.of(n.Lookup):
            p["lookup"] = self.at("/lookup", lookup.span, {"custom": self.text(lookup.value)})
            self.at("/lookup/custom", lookup.value.span, None)
        tags = offer.of(n.Tag)
        if tags:
            p["tags"] = self.at("/tags", tags[0].span, {})
            for t in tags:
                key = self.text(t.key)
                p["tags"][key] = self.at(json_pointer(["tags", key]), t.value.span, self.text(t.value))
        for coupon in offer.of(n.Coupon):
            p["coupon"] = self.at("/coupon", coupon.value.span, self.text(coupon.value))
        for expires in offer.of(n.Expires):
            p["expiration"] = self.at("/expiration", expires.days.span, int(expires.days.value))
        p["items"] = [self.item(f"/items/{i}", item) for i, item in enumerate(offer.items)]
        return p, self.pointers

    def contact(self, c: n.Contact) -> dict[str, str]:
        by_name = {f.name: f for f in c.fields}
        out: dict[str, str] = {}
        for name in CONTACT_FIELDS:
            if name in by_name:
                f = by_name[name]
                out[name] = self.at(f"/contact/{name}", f.value.span, self.text(f.value))
        return out

    def item(self, ptr: str, item: n.Item) -> dict[str, Any]:
        self.pointers[ptr] = item.span
        out: dict[str, Any] = {
            "product": self.at(f"{ptr}/product", item.product.span, self.text(item.product))
        }
        first = _First(item.clauses)
        q = first(n.Quantity)
        if q is not None:
            out["quantity"] = self.at(f"{ptr}/quantity", q.amount.span, int(q.amount.value))
        pricing = self.pricing(f"{ptr}/pricing", item, first)
        if pricing:
            out["pricing"] = pricing
        attributes = [c for c in item.clauses if isinstance(c, n.Attribute)]
        if attributes:
            out["attributes"] = self.at(f"{ptr}/attributes", attributes[0].span, {})
            for a in attributes:
                key = self.text(a.key)
                out["attributes"][key] = self.at(
                    ptr + json_pointer(["attributes", key]), a.value.span, self.text(a.value)
                )
        return out

    def pricing(self, ptr: str, item: n.Item, first: _First) -> dict[str, Any]:
        out: dict[str, Any] = {}
        self.pointers[ptr] = item.span
        trial = first(n.Trial)
        if trial is not None:
            if trial.days is not None:
                out["trial"] = self.at(f"{ptr}/trial", trial.days.span, int(trial.days.value))
            if trial.card is not None:
                out["paymentCollected"] = self.at(f"{ptr}/paymentCollected", trial.span, trial.card)
            if trial.kind is not None:
                out["paidTrial"] = self.at(f"{ptr}/paidTrial", trial.span, trial.kind == TrialKind.PAID)
        tp = first(n.TrialPrice)
        if tp is not None:
            out["trialPrice"] = self.at(
                f"{ptr}/trialPrice", tp.span, self.money(f"{ptr}/trialPrice", tp.amounts)
            )
        renew = first(n.Renew)
        if renew is not None:
            out["renew"] = self.at(f"{ptr}/renew", renew.mode.span, renew.mode.value)
        billed = first(n.Billed)
        if billed is not None:
            unit = INTERVAL_UNITS.get(billed.unit.value, billed.unit.value)
            out["interval"] = self.at(f"{ptr}/interval", billed.unit.span, unit)
            if billed.length is not None:
                out["intervalLength"] = self.at(
                    f"{ptr}/intervalLength", billed.length.span, int(billed.length.value)
                )
        qb = first(n.QuantityBehavior)
        if qb is not None:
            out["quantityBehavior"] = self.at(f"{ptr}/quantityBehavior", qb.behavior.span, qb.behavior.value)
        qd = first(n.QuantityDefault)
        if qd is not None:
            out["quantityDefault"] = self.at(f"{ptr}/quantityDefault", qd.amount.span, int(qd.amount.value))
        price = first(n.Price)
        if price is not None:
            out["price"] = self.at(f"{ptr}/price", price.span, self.money(f"{ptr}/price", price.amounts))
        discounts = [c for c in item.clauses if isinstance(c, n.Discount)]
        if discounts:
            out["discountType"] = self.at(
                f"{ptr}/discountType", discounts[0].span, discount_kind(discounts[0]).value
            )
            periods = next((d.periods for d in discounts if d.periods is not None), None)
            if periods is not None:
                out["discountDuration"] = self.at(f"{ptr}/discountDuration", periods.span, int(periods.value))
            tiers: dict[str, Any] = {}
            for d in discounts:
                key = str(int(d.from_quantity.value)) if d.from_quantity is not None else "1"
                tp_ptr = f"{ptr}/quantityDiscounts/{key}"
                if d.percent is not None:
                    tiers[key] = self.at(tp_ptr, d.percent.span, percent_value(d.percent.value))
                else:
                    tiers[key] = self.at(tp_ptr, d.span, self.money(tp_ptr, d.amounts or []))
            out["quantityDiscounts"] = self.at(f"{ptr}/quantityDiscounts", discounts[0].span, tiers)
        fee = first(n.SetupFee)
        if fee is not None:
            fee_out: dict[str, Any] = {}
            fptr = f"{ptr}/setupFee"
            if fee.titles:
                fee_out["title"] = self.at(f"{fptr}/title", fee.titles[0].span, {})
                for t in fee.titles:
                    fee_out["title"][t.language.value] = self.at(
                        f"{fptr}/title/{t.language.value}", t.text.span, self.text(t.text)
                    )
            if fee.prices:
                fee_out["price"] = self.at(
                    f"{fptr}/price", fee.prices[0].span, self.money(f"{fptr}/price", fee.prices[0].amounts)
                )
            out["setupFee"] = self.at(fptr, fee.span, fee_out)
        return out
