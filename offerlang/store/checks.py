"""Store-aware checks: an offer against the store's catalog and the team's policy.

A separate family of checks, run after the language's own (compiler/checks.py) on the same
syntax tree, producing the same Diagnostic type, so every renderer (text, JSON, GitHub, an
editor) carries them unchanged. The compiler knows nothing of them: the pipeline runs whatever
extra checks its caller passes in (store/context.py makes them per offer).

They read only what the offer states literally: a `$parameter` is checked once it is bound,
and a value the language checks already refuse (a malformed product path, an unknown currency)
is left to the error they report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from offerlang.compiler import nodes as n
from offerlang.compiler.diagnostics import Diagnostic, Severity, error, warning
from offerlang.iso import CURRENCIES
from offerlang.language import ADHOC, EXACT, INTERVAL_UNITS, PRODUCT_PATH, format_money, round_money
from offerlang.store.catalog import Catalog, Product
from offerlang.store.config import matches
from offerlang.store.policy import Active, Policy, price_range
from offerlang.store.waivers import Waiver, apply, read_waivers, unused
from offerlang.text import and_list, or_list

# Clauses that put something in an item's `pricing`: what a locked product may not have.
PRICING_CLAUSES = (
    n.Price,
    n.Trial,
    n.TrialPrice,
    n.Billed,
    n.Renew,
    n.Discount,
    n.SetupFee,
    n.QuantityDefault,
    n.QuantityBehavior,
    n.EdsFee,  # Sessions v2: fees in the item's custom price
    n.ShippingFee,
)
# Enough digits that a ratio of two amounts is exact before it is rounded for a message.
_EXACT = 60


@dataclass
class StoreFindings:
    diagnostics: list[Diagnostic]
    waivers: list[Waiver]


def check_offer(
    offer: n.Offer, *, catalog: Catalog | None, policy: Policy, catalog_name: str | None = None
) -> StoreFindings:
    """Every store and policy problem of one offer, after its waivers."""
    checker = _StoreChecker(offer, catalog, policy, catalog_name or "the catalog")
    found = checker.run()
    waivers, problems = read_waivers(offer)
    kept = apply(waivers, found)
    return StoreFindings(kept + problems + unused(waivers), waivers)


def _text(value: n.Value) -> str | None:
    return value.value if isinstance(value, n.Text) else None


def _amount(m: n.Money) -> Decimal | None:
    """A literal amount in a known currency (anything else is the language checks' business)."""
    if isinstance(m.amount, n.Number) and m.currency.value in CURRENCIES and not m.amount.value.is_signed():
        return m.amount.value
    return None


def money(amount: Decimal, currency: str) -> str:
    return f"{currency} {format_money(amount, currency)}"


def percent(value: Decimal) -> str:
    """A percent for a message: one decimal, half up, trailing `.0` dropped (`50%`, `33.4%`)."""
    with localcontext(EXACT):  # whatever its size: no quantize may run out of digits
        shown = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{shown.normalize():f}" if shown == shown.to_integral_value() else f"{shown}"


def share(part: Decimal, whole: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = _EXACT
        return part * 100 / whole


class _StoreChecker:
    def __init__(self, offer: n.Offer, catalog: Catalog | None, policy: Policy, catalog_name: str) -> None:
        self.offer = offer
        self.catalog = catalog
        self.policy = policy
        self.catalog_name = catalog_name
        self.out: list[Diagnostic] = []

    def rule(self, code: str) -> Active | None:
        active = self.policy.get(code)
        if active is None or (active.rule.needs_catalog and self.catalog is None):
            return None
        return active

    def report(self, active: Active, message: str, span: n.Span | None, hint: str | None = None) -> None:
        make = error if active.severity == Severity.ERROR.value else warning
        self.out.append(make(active.code, message, span, hint))

    def run(self) -> list[Diagnostic]:
        self._session()
        for item in self.offer.items:
            self._item(item)
        return self.out

    # ---- the session ----------------------------------------------------------------------------

    def _session(self) -> None:
        offer = self.offer
        tags = offer.of(n.Tag)
        required = self.rule("P107")
        if required is not None and not any(isinstance(t.key, n.ParamRef) for t in tags):
            given = {_text(t.key) for t in tags}
            missing = [t for t in required.values["tags"] if t not in given]
            if missing:
                anchor = tags[0].span if tags else (offer.clauses[0].span if offer.clauses else None)
                names = and_list([f"`{t}`" for t in missing])
                self.report(
                    required,
                    f"the offer has no {names} tag{'s' * (len(missing) > 1)}, which the policy requires",
                    anchor,
                    f"add `tag {missing[0]} <value>`",
                )
        coupons = self.rule("P108")
        for c in offer.of(n.Coupon):
            code = _text(c.value)
            if coupons is not None and code is not None and not matches(code, coupons.values["allowed"]):
                allowed = coupons.values["allowed"]
                self.report(
                    coupons,
                    f"coupon `{code}` is not one the policy allows",
                    c.value.span,
                    "allowed: " + ", ".join(f"`{p}`" for p in allowed)
                    if allowed
                    else "the policy allows none",
                )
        expiration = self.rule("P109")
        for e in offer.of(n.Expires):
            days = e.days.value
            if (
                expiration is not None
                and days == days.to_integral_value()
                and days > expiration.values["days"]
            ):
                most = expiration.values["days"]
                self.report(
                    expiration,
                    f"the session stays open {e.days.text} days; the policy allows at most {most}",
                    e.days.span,
                    f"write `expires after {most} days` or fewer",
                )

    # ---- items ----------------------------------------------------------------------------------

    def _item(self, item: n.Item) -> None:
        path = _text(item.product)
        product: Product | None = None
        if path is not None and PRODUCT_PATH.fullmatch(path) and self.catalog is not None:
            product = self.catalog.get(path)
            if product is None and path not in self.catalog:
                self._unknown_product(path, item.product.span)
        clauses = item.clauses
        self._locked(path, clauses)
        prices = next((c for c in clauses if isinstance(c, n.Price)), None)
        if product is not None:
            self._kind(path or "", product, clauses)
            if prices is not None:
                self._against_catalog(product, prices)
        if prices is not None:
            self._endings(prices)
        self._currencies(clauses)
        self._discounts(product, prices, [c for c in clauses if isinstance(c, n.Discount)], clauses)
        trial_rule = self.rule("P110")
        for t in clauses:
            if isinstance(t, n.Trial) and trial_rule is not None and t.days is not None:
                most = trial_rule.values["days"]
                if t.days.value == t.days.value.to_integral_value() and t.days.value > most:
                    self.report(
                        trial_rule,
                        f"the trial lasts {t.days.text} days; the policy allows at most {most}",
                        t.days.span,
                        f"write `trial {most} days` or fewer",
                    )

    def _unknown_product(self, path: str, span: n.Span) -> None:
        assert self.catalog is not None
        guess = self.catalog.guess(path)
        pull = "a product added to the store since the last pull needs `offer catalog pull`"
        self.out.append(
            error(
                "E401",
                f"`{path}` is not a product of store `{self.catalog.store}` ({self.catalog_name})",
                span,
                f"did you mean `{guess}`? ({pull})" if guess else pull[0].upper() + pull[1:],
            )
        )

    def _locked(self, path: str | None, clauses: list[n.Clause]) -> None:
        locked = self.rule("P112")
        if locked is None or path is None or not matches(path, locked.values["products"]):
            return
        first = next((c for c in clauses if isinstance(c, PRICING_CLAUSES)), None)
        if first is not None:
            self.report(
                locked,
                f"`{path}` is locked by the policy: its pricing cannot be overridden (`{first.keyword}`)",
                first.span,
                "sell it at its catalog terms: remove the item's pricing clauses (quantity and "
                "attributes may stay)",
            )

    def _kind(self, path: str, product: Product, clauses: list[n.Clause]) -> None:
        """Subscription terms on a one-time product; a billing period other than the catalog's."""
        if not product.subscription:
            terms = [
                c
                for c in clauses
                if isinstance(c, n.Billed | n.Renew | n.Trial | n.TrialPrice)
                or (isinstance(c, n.Discount) and c.periods is not None)
            ]
            if terms:
                words = and_list(
                    list(
                        dict.fromkeys(
                            f"`{c.keyword}`" if c.keyword != "discount" else "`for N periods`" for c in terms
                        )
                    )
                )
                which = "which only applies" if len(terms) == 1 else "which only apply"
                self.out.append(
                    warning(
                        "W402",
                        f"the catalog sells `{path}` as a one-time product, but this item sets {words}, "
                        f"{which} to subscriptions",
                        terms[0].span,
                        f"{self.catalog_name} gives it no billing interval: remove them, or check the "
                        "product path",
                    )
                )
            return
        theirs = (product.pricing.get("interval"), int(product.pricing.get("intervalLength", 1)))
        for c in clauses:
            if not isinstance(c, n.Billed):
                continue
            if c.every:
                # A unit or length the language refuses is its error, not a second one here.
                if c.unit.value not in INTERVAL_UNITS or c.length is None:
                    continue
                if c.length.value != c.length.value.to_integral_value():
                    continue
                ours = (INTERVAL_UNITS[c.unit.value], int(c.length.value))
            elif c.unit.value == ADHOC:
                ours = (ADHOC, 1)
            else:
                continue
            if ours != (theirs[0], theirs[1] if theirs[0] != ADHOC else 1):
                self.out.append(
                    warning(
                        "W403",
                        f"the catalog bills `{path}` {_period(*theirs)}; this item bills it {_period(*ours)}",
                        c.span,
                        "a price is per billing period: check that this item's price is meant for the "
                        "new period",
                    )
                )

    def _against_catalog(self, product: Product, prices: n.Price) -> None:
        catalog_prices = product.prices
        given = {m.currency.value for m in prices.amounts}
        in_range = self.rule("P103")
        for m in prices.amounts:
            amount = _amount(m)
            cur = m.currency.value
            if amount is None:
                continue
            theirs = catalog_prices.get(cur)
            if theirs is None:
                if catalog_prices:
                    self.out.append(
                        warning(
                            "W401",
                            f"the catalog does not price `{product.path}` in {cur}",
                            m.currency.span,
                            f"it prices {and_list(list(catalog_prices))}; FastSpring's own {cur} price would "
                            "be converted from the store's base currency: check this amount",
                        )
                    )
                continue
            if in_range is None or theirs == 0:
                continue
            floor, ceiling = price_range(in_range)
            ratio = share(amount, theirs)
            if floor <= ratio <= ceiling:
                continue
            self.report(
                in_range,
                f"price {money(amount, cur)} is {percent(ratio)}% of the catalog price {money(theirs, cur)}; "
                f"the policy allows {percent(floor)}% to {percent(ceiling)}%",
                m.span,
                "a typo? if this price is meant, waive the rule in the offer with a reason: "
                "`# offer: allow P103 — …`",
            )
        every = self.rule("P105")
        missing = [c for c in catalog_prices if c not in given]
        if every is not None and missing:
            left = and_list([money(catalog_prices[c], c) for c in missing])
            self.report(
                every,
                f"this price override leaves out {and_list(missing)}, which the catalog prices ({left})",
                prices.span,
                "price every currency the catalog prices, so no buyer falls back to a converted price",
            )

    def _endings(self, prices: n.Price) -> None:
        endings = self.rule("P106")
        if endings is None:
            return
        for m in prices.amounts:
            amount = _amount(m)
            cur = m.currency.value
            allowed = endings.values.get(cur)
            if amount is None or not allowed:
                continue
            written = format_money(amount, cur)
            if not any(written.endswith(e) for e in allowed):
                self.report(
                    endings,
                    f"{cur} {written} does not end in {or_list([f'`{e}`' for e in allowed])}, the endings "
                    f"the policy allows for {cur}",
                    m.amount.span,
                    None,
                )

    def _currencies(self, clauses: list[n.Clause]) -> None:
        allowed_rule = self.rule("P104")
        if allowed_rule is None:
            return
        allowed = allowed_rule.values["allowed"]
        for m in _all_money(clauses):
            cur = m.currency.value
            if cur in CURRENCIES and cur not in allowed:
                self.report(
                    allowed_rule,
                    f"{cur} is not a currency the policy allows",
                    m.currency.span,
                    "allowed: " + ", ".join(allowed),
                )

    def _discounts(
        self,
        product: Product | None,
        prices: n.Price | None,
        discounts: list[n.Discount],
        clauses: list[n.Clause],
    ) -> None:
        override = {
            m.currency.value: a for m in (prices.amounts if prices else []) if (a := _amount(m)) is not None
        }
        catalog_prices = product.prices if product is not None else {}

        def unit_price(cur: str) -> Decimal | None:
            return override.get(cur, catalog_prices.get(cur))

        most = self.rule("P101")
        duration = self.rule("P111")
        recurring = (product is not None and product.subscription) or any(
            isinstance(c, n.Billed | n.Renew | n.Trial) for c in clauses
        )
        for d in discounts:
            limit = percent(most.values["percent"]) if most is not None else ""
            if most is not None and d.percent is not None and d.percent.value > most.values["percent"]:
                self.report(
                    most,
                    f"a {d.percent.text}% discount; the policy allows at most {limit}%",
                    d.percent.span,
                    None,
                )
            for m in d.amounts or []:
                off, cur = _amount(m), m.currency.value
                unit = unit_price(cur)
                if most is None or off is None or not unit:
                    continue
                if share(off, unit) > most.values["percent"]:
                    self.report(
                        most,
                        f"{money(off, cur)} off is {percent(share(off, unit))}% of the price "
                        f"{money(unit, cur)}; the policy allows at most {limit}%",
                        m.span,
                        None,
                    )
            if duration is not None and d.periods is not None:
                periods = d.periods.value
                if periods == periods.to_integral_value() and periods > duration.values["periods"]:
                    self.report(
                        duration,
                        f"the discount lasts {d.periods.text} billing periods; the policy allows at most "
                        f"{duration.values['periods']}",
                        d.periods.span,
                        None,
                    )
        if duration is not None and recurring and discounts and all(d.periods is None for d in discounts):
            most_periods = duration.values["periods"]
            # The offer leaves the duration to the catalog (as explain reads it): the catalog's
            # discountDuration is how long this discount lasts.
            theirs = product.pricing.get("discountDuration") if product is not None else None
            if theirs is None:
                self.report(
                    duration,
                    "the discount applies to every billing period, for as long as the subscription runs; "
                    f"the policy allows at most {most_periods}",
                    discounts[0].span,
                    f"add `for {most_periods} periods`",
                )
            elif product is not None and theirs > most_periods:
                self.report(
                    duration,
                    f"the discount lasts {theirs} billing periods (the catalog's discount duration for "
                    f"`{product.path}`); the policy allows at most {most_periods}",
                    discounts[0].span,
                    f"add `for {most_periods} periods`",
                )
        self._effective(product, prices, discounts, override)

    def _effective(
        self,
        product: Product | None,
        prices: n.Price | None,
        discounts: list[n.Discount],
        override: dict[str, Decimal],
    ) -> None:
        """P102: the lowest unit price a buyer can pay, against the catalog price."""
        rule = self.rule("P102")
        if rule is None or product is None:
            return
        limit: Decimal = rule.values["percent"]
        worst: tuple[Decimal, str, Decimal, Decimal] | None = None
        # The offer's discount tiers replace the catalog's; without any, the catalog's apply (a
        # percent per minimum quantity), as explain and the timeline apply them.
        tiers: list[Decimal] = []
        if not discounts:
            tiers = [Decimal(p) for p in product.pricing.get("quantityDiscounts", {}).values()]
        for cur, listed in product.prices.items():
            if listed == 0:
                continue
            unit = override.get(cur, listed)
            lowest = unit
            percents = [*tiers, *(d.percent.value for d in discounts if d.percent is not None)]
            for pct in percents:
                if Decimal(0) < pct <= 100:
                    # Rounded as the buyer is charged (and as the timeline shows it).
                    lowest = min(lowest, round_money(unit - share(unit * pct, Decimal(100)) / 100, cur))
            for d in discounts:
                for m in d.amounts or []:
                    off = _amount(m)
                    if m.currency.value == cur and off is not None:
                        lowest = min(lowest, max(Decimal(0), unit - off))
            below = share(listed - lowest, listed)
            if below > limit and (worst is None or below > worst[0]):
                worst = (below, cur, lowest, listed)
        if worst is None:
            return
        below, cur, lowest, listed = worst
        anchor = (prices.span if prices is not None and cur in override else None) or (
            discounts[0].span if discounts else None
        )
        which = "the catalog's quantity discount" if tiers else "the discount"
        why = f"the price override and {which} together make the effective discount"
        self.report(
            rule,
            f"buyers pay as little as {money(lowest, cur)} for `{product.path}`, {percent(below)}% below the "
            f"catalog price {money(listed, cur)}; the policy allows at most {percent(limit)}% off",
            anchor,
            why,
        )


def _all_money(clauses: Iterable[n.Clause]) -> Iterable[n.Money]:
    for c in clauses:
        if isinstance(c, n.Price | n.TrialPrice):
            yield from c.amounts
        elif isinstance(c, n.Discount):
            yield from c.amounts or []
        elif isinstance(c, n.SetupFee):
            for p in c.prices:
                yield from p.amounts
        elif isinstance(c, n.EdsFee | n.ShippingFee):
            yield from c.amounts


def _period(unit: str | None, length: int) -> str:
    if unit == ADHOC:
        return "ad hoc (whenever the seller bills)"
    if unit is None:
        return "once"
    return f"every {unit}" if length == 1 else f"every {length} {unit}s"
