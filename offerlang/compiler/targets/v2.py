"""Sessions v2 (`POST /v2/checkouts/{store}/{checkout}/sessions`, FastSpring's current API).

Three things, all from the contract shared/fastspring/SESSIONS-V2.md:

- `check`: what an offer says that v2 cannot carry (E501-E507), and v2's own limits (E508,
  E511), each at the statement, in the marketer's words, with the alternative;
- `emit`: the v2 request body, exactly what the offer says in one fixed field order, with a
  JSON pointer -> source span map like the v1 emitter's;
- `review_form`: a v2 body read back into the shape `offer explain` and `offer diff` reason
  about (the v1 payload's), with v2's own fields kept under their v2 names.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from offerlang.compiler import nodes as n
from offerlang.compiler.checks import discount_kind
from offerlang.compiler.diagnostics import Diagnostic, error
from offerlang.compiler.emit import Emitter
from offerlang.iso import CURRENCIES
from offerlang.jsonout import json_pointer
from offerlang.language import (
    INTERVAL_UNITS,
    LOCALE,
    V2_CURRENCIES,
    V2_INTERVAL_UNITS,
    V2_MAX_LENGTHS,
    V2_QUANTITY_BEHAVIORS,
    DiscountKind,
)

# customer.billToContact, in the contract's order: (offer contact field, v2 name).
CONTACT_FIELDS_V2 = (
    ("email", "email"),
    ("first", "firstName"),
    ("last", "lastName"),
    ("company", "company"),
    ("phone", "phoneNumber"),
)
DESCRIPTION_KINDS = ("display", "summary", "instructions")

_CATALOG = "in the FastSpring app (the product's settings in the catalog)"


# ---- check ---------------------------------------------------------------------------------------


def check(offer: n.Offer) -> list[Diagnostic]:
    return _V2Check(offer).run()


class _V2Check:
    def __init__(self, offer: n.Offer) -> None:
        self.offer = offer
        self.out: list[Diagnostic] = []

    def run(self) -> list[Diagnostic]:
        languages: list[n.Clause] = []
        for c in self.offer.clauses:
            if isinstance(c, n.Expires):
                self.out.append(
                    error(
                        "E504",
                        f"how long the session stays open (`expires after {c.days.text} days`) cannot "
                        "be said on Sessions v2: FastSpring sets it (24 hours in its example)",
                        c.span,
                        "remove this line; send the link closer to when the buyer needs it, or send "
                        "a new one when it expires",
                    )
                )
            elif isinstance(c, n.Account):
                self._length(c.value, "account", "the account id")
            elif isinstance(c, n.Lookup):
                self._length(c.value, "lookup", "the lookup key")
            elif isinstance(c, n.Coupon):
                self._length(c.value, "coupon", "the coupon code")
            elif isinstance(c, n.Contact):
                for f in c.fields:
                    if f.name in V2_MAX_LENGTHS:
                        self._length(f.value, f.name, f"`{f.name}`")
                    if f.name == "language":
                        languages.append(f)
            elif isinstance(c, n.Locale):
                languages.append(c)
        kinds = {type(c) for c in languages}
        if len(kinds) > 1:  # a contact's `language` and a `locale` (two locales are E201)
            first, second = sorted(languages, key=lambda c: c.span.start)[:2]
            self.out.append(
                error(
                    "E511",
                    "the buyer's language is given twice: on Sessions v2 the contact's `language` "
                    "and `locale` are the same field",
                    second.span,
                    f"keep one: the other is on line {first.span.line} (`locale` can also say the "
                    "country, as in `pt-BR`)",
                )
            )
        for item in self.offer.items:
            self._item(item)
        return self.out

    def _length(self, value: n.Value, limit: str, what: str) -> None:
        if not isinstance(value, n.Text):
            return
        most = V2_MAX_LENGTHS[limit]
        if len(value.value) > most:
            self.out.append(
                error(
                    "E508",
                    f"{what} has {len(value.value):,} characters; Sessions v2 takes at most {most:,}",
                    value.span,
                    "shorten it",
                )
            )

    def _item(self, item: n.Item) -> None:
        self._length(item.product, "product", "the product path")
        for c in item.clauses:
            if isinstance(c, n.Renew):
                self.out.append(
                    error(
                        "E501",
                        f"the renewal choice (`renew {c.mode.value}`) cannot be said on Sessions v2: "
                        "it has no renewal field",
                        c.span,
                        f"set how the subscription renews {_CATALOG}, and remove this line",
                    )
                )
            elif isinstance(c, n.Trial):
                self._trial(c)
            elif isinstance(c, n.TrialPrice):
                self.out.append(
                    error(
                        "E502",
                        "a trial price cannot be said on Sessions v2: it offers trials by length only",
                        c.span,
                        f"set the paid trial and its price {_CATALOG}, and remove this line",
                    )
                )
            elif isinstance(c, n.SetupFee):
                for t in c.titles:
                    self.out.append(
                        error(
                            "E505",
                            "a setup fee's title cannot be said on Sessions v2: it takes the fee's "
                            "amount only",
                            t.span,
                            "remove the title; the checkout names the fee itself",
                        )
                    )
            elif isinstance(c, n.Discount) and c.percent is not None:
                v = c.percent.value
                if v != v.to_integral_value() and Decimal(0) < v <= Decimal(100):
                    low, high = int(v), int(v) + 1
                    # Rounding down below 1% is no discount at all (a 0% discount is refused).
                    whole = (
                        f"round it to `{low}%` or `{high}%`"
                        if low
                        else f"round it up to `{high}%` (a discount is more than 0%)"
                    )
                    self.out.append(
                        error(
                            "E506",
                            f"a percent with decimals (`{c.percent.text}%`) cannot be said on "
                            "Sessions v2: it takes whole percents",
                            c.percent.span,
                            f"{whole}, or discount an amount per unit instead (`discount USD 1.05`)",
                        )
                    )
            elif isinstance(c, n.Description):
                self._length(c.text, "description", f"the {c.kind} text")
            for money in _money_of(c):
                cur = money.currency.value
                if cur in CURRENCIES and cur not in V2_CURRENCIES:
                    self.out.append(
                        error(
                            "E507",
                            f"Sessions v2 takes no prices in {cur}",
                            money.currency.span,
                            "it takes " + ", ".join(sorted(V2_CURRENCIES)) + f"; remove {cur}, "
                            "or give the buyer one of those",
                        )
                    )

    def _trial(self, c: n.Trial) -> None:
        if c.kind is not None:
            what = "a paid trial" if c.kind == "paid" else "whether the trial is free or paid (`free`)"
            hint = (
                f"set the paid trial {_CATALOG}, and keep only its length here"
                if c.kind == "paid"
                else "remove `free`: on Sessions v2 the catalog says whether a trial is free"
            )
            length = f" (`trial {c.days.text} days`)" if c.days is not None else ""
            self.out.append(
                error(
                    "E502",
                    f"{what} cannot be said on Sessions v2: it offers trials by length only",
                    c.span,
                    hint + length,
                )
            )
        if c.card is not None:
            rule = "card required" if c.card else "no card required"
            self.out.append(
                error(
                    "E503",
                    f"whether the buyer gives a card for the trial (`{rule}`) cannot be said on Sessions v2",
                    c.span,
                    f"set it with the trial {_CATALOG}, and remove `{rule}` here",
                )
            )


def _money_of(c: n.Clause) -> list[n.Money]:
    if isinstance(c, n.Price | n.TrialPrice | n.EdsFee | n.ShippingFee):
        return c.amounts
    if isinstance(c, n.Discount):
        return c.amounts or []
    if isinstance(c, n.SetupFee):
        return [m for p in c.prices for m in p.amounts]
    return []


# ---- emit ----------------------------------------------------------------------------------------


def emit(offer: n.Offer) -> tuple[dict[str, Any], dict[str, n.Span]]:
    """The v2 body. Call only on an offer that passed the v2 checks with its parameters bound."""
    return _V2Emitter().offer(offer)


class _V2Emitter(Emitter):
    def offer(self, offer: n.Offer) -> tuple[dict[str, Any], dict[str, n.Span]]:
        p: dict[str, Any] = {}
        self.pointers[""] = offer.span
        contact = next(iter(offer.of(n.Contact)), None)
        fields = {f.name: f for f in contact.fields} if contact is not None else {}
        customer = self.customer(offer, contact, fields)
        if customer:
            p["customer"] = customer
        if "country" in fields:
            f = fields["country"]
            p["country"] = self.at("/country", f.value.span, self.text(f.value))
        for locale in offer.of(n.Locale):
            p["locale"] = self.at("/locale", locale.value.span, self.text(locale.value))
        if "language" in fields:
            f = fields["language"]
            p["locale"] = self.at("/locale", f.value.span, self.text(f.value))
        tags = offer.of(n.Tag)
        if tags:
            p["orderTags"] = self.keyed("/orderTags", tags)
        methods: tuple[tuple[type[n.PaymentOrder | n.PaymentHide], str], ...] = (
            (n.PaymentOrder, "paymentMethodsOrder"),
            (n.PaymentHide, "hidePaymentMethods"),
        )
        for kind, name in methods:
            for listed in offer.of(kind):
                p[name] = self.at(f"/{name}", listed.span, [])
                for i, m in enumerate(listed.methods):
                    p[name].append(self.at(f"/{name}/{i}", m.span, m.value))
        cart: dict[str, Any] = {}
        self.pointers["/cart"] = offer.span
        for coupon in offer.of(n.Coupon):
            cart["couponCode"] = self.at("/cart/couponCode", coupon.value.span, self.text(coupon.value))
        cart["lineItems"] = [self.line(f"/cart/lineItems/{i}", item) for i, item in enumerate(offer.items)]
        p["cart"] = cart
        return p, self.pointers

    def customer(
        self, offer: n.Offer, contact: n.Contact | None, fields: dict[str, n.ContactField]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for c in offer.of(n.Account):
            out["accountId"] = self.at("/customer/accountId", c.value.span, self.text(c.value))
        for lookup in offer.of(n.Lookup):
            out["externalAccountId"] = self.at(
                "/customer/externalAccountId", lookup.value.span, self.text(lookup.value)
            )
        if contact is not None:
            bill: dict[str, str] = {}
            for name, v2name in CONTACT_FIELDS_V2:
                if name in fields:
                    f = fields[name]
                    bill[v2name] = self.at(
                        f"/customer/billToContact/{v2name}", f.value.span, self.text(f.value)
                    )
            if bill:
                out["billToContact"] = self.at("/customer/billToContact", contact.span, bill)
        tags = offer.of(n.BuyerTag)
        if tags:
            out["accountTags"] = self.keyed("/customer/accountTags", tags)
        if out:
            self.pointers["/customer"] = offer.span
        return out

    def keyed(self, pointer: str, clauses: Sequence[n.Tag | n.BuyerTag | n.Attribute]) -> dict[str, str]:
        out: dict[str, str] = self.at(pointer, clauses[0].span, {})
        for c in clauses:
            key = self.text(c.key)
            out[key] = self.at(pointer + json_pointer([key]), c.value.span, self.text(c.value))
        return out

    def line(self, ptr: str, item: n.Item) -> dict[str, Any]:
        self.pointers[ptr] = item.span
        out: dict[str, Any] = {
            "productPath": self.at(f"{ptr}/productPath", item.product.span, self.text(item.product))
        }
        first: dict[type, Any] = {type(c): c for c in reversed(item.clauses)}
        q: n.Quantity | None = first.get(n.Quantity)
        if q is not None:
            out["quantity"] = self.at(f"{ptr}/quantity", q.amount.span, int(q.amount.value))
        qb: n.QuantityBehavior | None = first.get(n.QuantityBehavior)
        if qb is not None:
            out["quantityBehavior"] = self.at(
                f"{ptr}/quantityBehavior", qb.behavior.span, V2_QUANTITY_BEHAVIORS[qb.behavior.value]
            )
        qd: n.QuantityDefault | None = first.get(n.QuantityDefault)
        if qd is not None:
            out["quantityDefault"] = self.at(f"{ptr}/quantityDefault", qd.amount.span, int(qd.amount.value))
        custom = self.custom_price(f"{ptr}/customPrice", item, first)
        if custom:
            out["customPrice"] = self.at(f"{ptr}/customPrice", item.span, custom)
        overrides = self.overrides(f"{ptr}/subscriptionOverrides", first)
        if overrides:
            out["subscriptionOverrides"] = self.at(f"{ptr}/subscriptionOverrides", item.span, overrides)
        descriptions = self.descriptions(f"{ptr}/descriptions", item)
        if descriptions:
            out["descriptions"] = self.at(f"{ptr}/descriptions", item.span, descriptions)
        attributes = [c for c in item.clauses if isinstance(c, n.Attribute)]
        if attributes:
            out["attributes"] = self.keyed(f"{ptr}/attributes", attributes)
        return out

    def custom_price(self, ptr: str, item: n.Item, first: dict[type, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        price: n.Price | None = first.get(n.Price)
        if price is not None:
            out["unitPrice"] = self.at(
                f"{ptr}/unitPrice", price.span, self.money(f"{ptr}/unitPrice", price.amounts)
            )
        discounts = [c for c in item.clauses if isinstance(c, n.Discount)]
        if discounts:
            out["discounts"] = self.at(f"{ptr}/discounts", discounts[0].span, [])
            for i, d in enumerate(discounts):
                dptr = f"{ptr}/discounts/{i}"
                tier: dict[str, Any] = {
                    "minQuantity": self.at(
                        f"{dptr}/minQuantity",
                        (d.from_quantity or d).span,
                        int(d.from_quantity.value) if d.from_quantity is not None else 1,
                    )
                }
                if discount_kind(d) is DiscountKind.PERCENT and d.percent is not None:
                    tier["percentDiscount"] = self.at(
                        f"{dptr}/percentDiscount", d.percent.span, int(d.percent.value)
                    )
                else:
                    tier["amountDiscount"] = self.at(
                        f"{dptr}/amountDiscount",
                        d.span,
                        self.money(f"{dptr}/amountDiscount", d.amounts or []),
                    )
                out["discounts"].append(self.at(dptr, d.span, tier))
            periods = next((d.periods for d in discounts if d.periods is not None), None)
            if periods is not None:
                out["discountDuration"] = self.at(f"{ptr}/discountDuration", periods.span, int(periods.value))
        fee: n.SetupFee | None = first.get(n.SetupFee)
        if fee is not None and fee.prices:
            out["setupFee"] = self.at(
                f"{ptr}/setupFee", fee.prices[0].span, self.money(f"{ptr}/setupFee", fee.prices[0].amounts)
            )
        for kind, name in ((n.EdsFee, "edsFee"), (n.ShippingFee, "shippingFee")):
            c = first.get(kind)
            if c is not None:
                out[name] = self.at(f"{ptr}/{name}", c.span, self.money(f"{ptr}/{name}", c.amounts))
        return out

    def overrides(self, ptr: str, first: dict[type, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        billed: n.Billed | None = first.get(n.Billed)
        if billed is not None:
            fptr = f"{ptr}/billingFrequency"
            unit = INTERVAL_UNITS.get(billed.unit.value, billed.unit.value)
            frequency: dict[str, Any] = {
                "intervalUnit": self.at(f"{fptr}/intervalUnit", billed.unit.span, V2_INTERVAL_UNITS[unit])
            }
            if billed.length is not None:
                frequency["intervalLength"] = self.at(
                    f"{fptr}/intervalLength", billed.length.span, int(billed.length.value)
                )
            if billed.periods is not None:
                frequency["intervalCount"] = self.at(
                    f"{fptr}/intervalCount", billed.periods.span, int(billed.periods.value)
                )
            out["billingFrequency"] = self.at(fptr, billed.span, frequency)
        trial: n.Trial | None = first.get(n.Trial)
        if trial is not None and trial.days is not None:
            out["trialDays"] = self.at(f"{ptr}/trialDays", trial.days.span, int(trial.days.value))
        return out

    def descriptions(self, ptr: str, item: n.Item) -> dict[str, Any]:
        out: dict[str, Any] = {}
        texts = [c for c in item.clauses if isinstance(c, n.Description)]
        for kind in DESCRIPTION_KINDS:
            of_kind = [d for d in texts if d.kind == kind]
            if of_kind:
                out[kind] = self.at(f"{ptr}/{kind}", of_kind[0].span, {})
                for d in of_kind:
                    lang = d.language.value
                    out[kind][lang] = self.at(f"{ptr}/{kind}/{lang}", d.text.span, self.text(d.text))
        for c in item.clauses:
            if isinstance(c, n.Image):
                out["imageUrl"] = self.at(f"{ptr}/imageUrl", c.url.span, self.text(c.url))
        return out


# ---- review form ---------------------------------------------------------------------------------

# v2 fields with no v1 counterpart, kept under their v2 names in the review form.
SESSION_EXTRAS = ("locale", "accountTags", "paymentMethodsOrder", "hidePaymentMethods")
PRICING_EXTRAS = ("intervalCount", "edsFee", "shippingFee")


def review_form(body: dict[str, Any]) -> dict[str, Any]:
    """A v2 body in the shape of a v1 payload, for explain and diff: the same facts under the
    v1 names (`items`, `pricing`, `interval`, `quantityDiscounts` …), plus what only v2 says
    under its v2 names (`locale`, `accountTags`, `paymentMethodsOrder`, `hidePaymentMethods` at
    the top; `intervalCount`, `edsFee`, `shippingFee` in `pricing`; `descriptions` in an item).

    The contact is v2's `billToContact` with the top-level `country` and a plain-language
    `locale` (`de`, not `pt-BR`): the fields of a v1 contact. A contact of only a country or a
    language (`contact { country DE }`) has no `billToContact` on v2, and is still the contact
    it was: the same buyer, explained and compared as on v1."""
    out: dict[str, Any] = {}
    customer = body.get("customer", {})
    if "accountId" in customer:
        out["account"] = customer["accountId"]
    bill = customer.get("billToContact")
    # A plain language is what the v1 contact's `language` says: the same fact.
    language = LOCALE.fullmatch(body.get("locale", "")) is not None and "-" not in body["locale"]
    # (Beside an account, a language is the `locale` statement: a v1 offer names one buyer.)
    if bill is not None or "country" in body or (language and "accountId" not in customer):
        contact = {v1: bill[v2] for v1, v2 in _CONTACT_ORDER if v2 in (bill or {})}
        if "country" in body:
            contact["country"] = body["country"]
        if language:
            contact["language"] = body["locale"]
        out["contact"] = contact
    if "externalAccountId" in customer:
        out["lookup"] = {"custom": customer["externalAccountId"]}
    if "orderTags" in body:
        out["tags"] = body["orderTags"]
    cart = body.get("cart", {})
    if "couponCode" in cart:
        out["coupon"] = cart["couponCode"]
    if "locale" in body and "language" not in out.get("contact", {}):
        out["locale"] = body["locale"]
    if "accountTags" in customer:
        out["accountTags"] = customer["accountTags"]
    for name in ("paymentMethodsOrder", "hidePaymentMethods"):
        if name in body:
            out[name] = body[name]
    out["items"] = [_review_item(line) for line in cart.get("lineItems", [])]
    return out


# The v1 contact's field order, with the v2 name of each.
_CONTACT_ORDER = (
    ("first", "firstName"),
    ("last", "lastName"),
    ("email", "email"),
    ("company", "company"),
    ("phone", "phoneNumber"),
)
_UNIT_NAMES = {v2: v1 for v1, v2 in V2_INTERVAL_UNITS.items()}
_BEHAVIOR_NAMES = {v2: v1 for v1, v2 in V2_QUANTITY_BEHAVIORS.items()}


def _review_item(line: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"product": line["productPath"]}
    if "quantity" in line:
        item["quantity"] = line["quantity"]
    pricing: dict[str, Any] = {}
    overrides = line.get("subscriptionOverrides", {})
    custom = line.get("customPrice", {})
    if "trialDays" in overrides:
        pricing["trial"] = overrides["trialDays"]
    frequency = overrides.get("billingFrequency")
    if frequency is not None:
        pricing["interval"] = _UNIT_NAMES.get(frequency.get("intervalUnit"), frequency.get("intervalUnit"))
        if "intervalLength" in frequency:
            pricing["intervalLength"] = frequency["intervalLength"]
        if "intervalCount" in frequency:
            pricing["intervalCount"] = frequency["intervalCount"]
    if "quantityBehavior" in line:
        pricing["quantityBehavior"] = _BEHAVIOR_NAMES.get(line["quantityBehavior"], line["quantityBehavior"])
    if "quantityDefault" in line:
        pricing["quantityDefault"] = line["quantityDefault"]
    if "unitPrice" in custom:
        pricing["price"] = custom["unitPrice"]
    discounts = custom.get("discounts")
    if discounts:
        percent = "percentDiscount" in discounts[0]
        pricing["discountType"] = (DiscountKind.PERCENT if percent else DiscountKind.AMOUNT).value
        if "discountDuration" in custom:
            pricing["discountDuration"] = custom["discountDuration"]
        pricing["quantityDiscounts"] = {
            str(d.get("minQuantity", 1)): d["percentDiscount"] if percent else d["amountDiscount"]
            for d in discounts
        }
    if "setupFee" in custom:
        pricing["setupFee"] = {"price": custom["setupFee"]}
    for name in ("edsFee", "shippingFee"):
        if name in custom:
            pricing[name] = custom[name]
    if pricing:
        item["pricing"] = pricing
    if "descriptions" in line:
        item["descriptions"] = line["descriptions"]
    if "attributes" in line:
        item["attributes"] = line["attributes"]
    return item
