"""A compiled payload -> what the buyer gets, in the words a marketer and a reviewer use.

`explain(payload, path)` builds an Explanation: facts (label, sentence) for the session and
for each item, and a buyer timeline per item and currency (timeline.py). The renderers turn
it into plain text, markdown or versioned JSON; none of them computes anything of its own.
Only what the payload says is stated; what it leaves out is "set in the catalog" unless a catalog
snapshot is given (`offer catalog pull`): then each item is read through it (catalogview.py)
and the catalog's values are stated and marked "(catalog)". The offer's policy waivers, when
it has any, are stated too, so a reviewer sees every rule it sets aside and why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from offerlang import jsonout
from offerlang.language import (
    ADHOC,
    RENEW_MEANINGS,
    DiscountKind,
    Interval,
    QuantityBehavior,
    format_money,
    round_money,
)
from offerlang.review.catalogview import MARK, Records, mark, through_catalog
from offerlang.review.document import Block, Heading, Line, Table, say
from offerlang.review.timeline import (
    Timeline,
    discount_tier,
    has_trial,
    is_recurring,
    item_quantity,
    item_timelines,
)
from offerlang.text import plural, quote, visible

JSON_VERSION = 1
CATALOG = "set in the catalog"

Facts = list[tuple[str, str]]

# What each value of an enum clause means to the buyer, keyed by the language's enums
# (offerlang/language.py). tests/test_language.py holds these tables to every value, so a value
# added there fails a test until it has its words here; a payload with a value these tables do
# not know (from a newer FastSpring, say) is still explained, in FastSpring's own word. The
# keys are the enum members (StrEnum: equal to the payload's plain strings).
QUANTITY_BEHAVIOR: dict[str, str] = {
    QuantityBehavior.ALLOW: "the buyer may change it",
    QuantityBehavior.LOCK: "the buyer cannot change it",
    QuantityBehavior.HIDE: "hidden from the buyer, who cannot change it",
}
QUANTITY_BY_CATALOG = "the catalog decides whether the buyer may change it"
# Renewal is said in the buyer's terms: language.RENEW_MEANINGS, keyed by RenewMode.
# Who the buyer is when the offer names neither an account nor a contact.
AT_CHECKOUT = "the buyer enters their details at checkout"
LOCALISED = "; country, currency and language follow where they are"


@dataclass(frozen=True, slots=True)
class ItemExplanation:
    product: str
    quantity: int
    payload: dict[str, Any]  # the item in the v1 shape the facts are read from
    facts: Facts
    timelines: list[Timeline]
    emitted: dict[str, Any] | None = None  # Sessions v2: the line item as it is sent
    # With a catalog: the pricing fields it supplied, and whether it knows the product.
    from_catalog: frozenset[str] = frozenset()
    in_catalog: bool = False


@dataclass(frozen=True, slots=True)
class Explanation:
    path: str
    payload: dict[str, Any]
    session: Facts
    items: list[ItemExplanation]
    target: str = "v1"
    # The offer's policy waivers, as `offer check --format json` gives them.
    waivers: tuple[dict[str, Any], ...] = ()


def explain(
    payload: dict[str, Any],
    path: str,
    target: str = "v1",
    *,
    catalog: Records | None = None,
    waivers: list[dict[str, Any]] | None = None,
) -> Explanation:
    """`payload` is a request body of `target`; a v2 body is read in its review form
    (compiler/targets/v2.py), so that the same sentences and timelines describe both.
    `catalog`: product path -> {"display", "pricing"} (a catalog snapshot), or None: what the
    offer leaves to the catalog is then stated with the catalog's values. `waivers`: the
    offer's policy waivers (JSON shape), listed as facts."""
    view = payload
    lines: list[Any] = [None] * len(payload.get("items", []))
    if str(target) == "v2":
        from offerlang.compiler.targets.v2 import review_form

        view = review_form(payload)
        lines = payload["cart"]["lineItems"]
    waived = tuple(waivers or ())
    items = []
    for it, line in zip(view["items"], lines, strict=True):
        seen = through_catalog(it, catalog)
        merged = seen.item
        facts = item_facts(merged, seen.marks, seen.known, seen.name)
        facts += waiver_facts([w for w in waived if w.get("item") == it["product"]])
        items.append(
            ItemExplanation(
                it["product"],
                item_quantity(merged),
                it,
                facts,
                item_timelines(merged, seen.marks, seen.known) if "pricing" in merged else [],
                line,
                from_catalog=seen.marks,
                in_catalog=seen.known,
            )
        )
    session = session_facts(view, str(target)) + waiver_facts([w for w in waived if w.get("item") is None])
    return Explanation(path, payload, session, items, str(target), waived)


def waiver_facts(waivers: list[dict[str, Any]]) -> Facts:
    """`waiver  P103 price-range: approved by finance, ticket 123`, one per waiver comment."""
    return [
        (
            "waiver",
            f"{', '.join(f'{c} {r}' for c, r in zip(w['codes'], w['rules'], strict=True))}: {w['reason']}",
        )
        for w in waivers
    ]


def template_fact(e: Explanation, names: list[str]) -> Explanation:
    """The explanation of a template previewed without values: says so first."""
    fact = ("template", f"parameters shown as {', '.join(names)}; give values with --set NAME=VALUE")
    return replace(e, session=[fact, *e.session])


# ---- sentences ------------------------------------------------------------------------------


def money(amounts: dict[str, Decimal]) -> str:
    return ", ".join(f"{cur} {format_money(v, cur)}" for cur, v in amounts.items())


def pairs(mapping: dict[str, str]) -> str:
    return ", ".join(f"{say(k)}={say(v)}" for k, v in mapping.items())


# A contact without a country, per target: what FastSpring then does (W301 says it too).
NO_COUNTRY = {
    "v1": "no country (FastSpring assumes US and USD)",
    "v2": "no country (FastSpring infers it from the buyer's IP address)",
}


def buyer(payload: dict[str, Any], target: str = "v1") -> str:
    if "account" in payload:
        return f"existing account {say(payload['account'])}"
    if "contact" not in payload:
        return "none named: " + AT_CHECKOUT + LOCALISED
    # One line whatever the author typed: a name with a line break in it shows the escape.
    c = {k: visible(v) for k, v in payload["contact"].items()}
    name = " ".join(c[k] for k in ("first", "last") if k in c)
    words = [f"{name} <{c['email']}>" if "email" in c and name else c.get("email", name)]
    words += [c["company"]] if "company" in c else []
    words += [f"phone {c['phone']}"] if "phone" in c else []
    words.append(
        f"country {c['country']}" if "country" in c else NO_COUNTRY.get(str(target), NO_COUNTRY["v1"])
    )
    words += [f"language {c['language']}"] if "language" in c else []
    missing = [f for f in ("first", "last", "email") if f not in c]
    if missing:
        words.append("the checkout asks for the rest")
    if "email" not in c:
        words.append("no email, so no account link or receipt until the buyer types one")
    return "new buyer " + ", ".join(w for w in words if w)


def expiry(days: int | None, target: str = "v1") -> str:
    """When the session expires, given the payload's `expiration` (None: not set)."""
    if target == "v2":
        return "when FastSpring decides (Sessions v2 takes no expiry; its example lasts 24 hours)"
    return "after 24 hours (FastSpring's default)" if days is None else f"after {plural(days, 'day')}"


def methods(names: list[str]) -> str:
    return ", ".join(names)


def session_facts(payload: dict[str, Any], target: str = "v1") -> Facts:
    facts: Facts = [("buyer", buyer(payload, target))]
    if "locale" in payload:
        facts.append(("locale", say(payload["locale"])))
    if "lookup" in payload:
        facts.append(("lookup", f"linked by custom key {say(payload['lookup']['custom'])}"))
    if "accountTags" in payload:
        facts.append(("buyer tags", pairs(payload["accountTags"])))
    facts.append(("coupon", say(payload["coupon"]) if "coupon" in payload else "none"))
    facts.append(("expires", expiry(payload.get("expiration"), target)))
    if "tags" in payload:
        facts.append(("tags", pairs(payload["tags"])))
    if "paymentMethodsOrder" in payload:
        facts.append(("payment", "methods shown first: " + methods(payload["paymentMethodsOrder"])))
    if "hidePaymentMethods" in payload:
        facts.append(("hidden", "payment methods not offered: " + methods(payload["hidePaymentMethods"])))
    return facts


def quantity_count(item: dict[str, Any], marks: frozenset[str] = frozenset()) -> str:
    """How many the buyer gets and where that number comes from."""
    if "quantity" in item:
        return str(item["quantity"])
    default = item.get("pricing", {}).get("quantityDefault")
    if default is None:
        return "1 (FastSpring's default)"
    return f"{default} (the {'catalog' if 'quantityDefault' in marks else 'offer'}'s default)"


def quantity(item: dict[str, Any], marks: frozenset[str] = frozenset()) -> str:
    pricing = item.get("pricing", {})
    count = quantity_count(item, marks)
    default = pricing.get("quantityDefault")
    # A default the quantity overrides is only worth a word when the two differ.
    if "quantity" in item and default is not None and default != item["quantity"]:
        count += f" (overriding the default of {default})"
    behavior = mark(quantity_behavior(pricing.get("quantityBehavior")), "quantityBehavior", marks)
    return f"{count}; {behavior}"


def quantity_behavior(behavior: str | None) -> str:
    """Whether the buyer may change the quantity (None: the payload leaves it to the catalog)."""
    if behavior is None:
        return QUANTITY_BY_CATALOG
    return QUANTITY_BEHAVIOR.get(behavior, f"quantity behavior {say(behavior)}")


def renewal(mode: str) -> str:
    """The mode the offer writes, and what it means to the buyer: `auto: renews automatically; …`.
    A mode language.RENEW_MEANINGS has no words for is shown by name, never a KeyError."""
    return f"{say(mode)}: {RENEW_MEANINGS.get(mode, 'renews as FastSpring reads this mode')}"


def billing(pricing: dict[str, Any]) -> str:
    interval = pricing.get("interval")
    if interval is None:
        return CATALOG
    if interval == Interval.ADHOC:
        return "ad hoc: charged whenever the seller bills"
    length = int(pricing.get("intervalLength", 1))
    every = f"every {interval}" if length == 1 else f"every {length} {interval}s"
    count = pricing.get("intervalCount")
    if count is None:
        return every
    return f"{every}, {plural(int(count), 'time')}, then the subscription ends"


def trial(pricing: dict[str, Any]) -> str:
    if "trial" in pricing and not has_trial(pricing):
        return "no trial"
    card = []
    if "paymentCollected" in pricing:
        card = ["card required" if pricing["paymentCollected"] else "no card required"]
    if not has_trial(pricing):
        return ", ".join([CATALOG, *card])
    if "paidTrial" not in pricing:
        kind = "free or paid as " + CATALOG
    elif pricing["paidTrial"]:
        prices = pricing.get("trialPrice")
        kind = f"paid at {money(prices)}" if prices else "paid, price " + CATALOG
    else:
        kind = "free"
    days = pricing.get("trial")
    words = [plural(days, "day"), kind] if days else [kind, "length " + CATALOG]
    return ", ".join(words + card)


def discount(pricing: dict[str, Any], qty: int) -> str | None:
    tiers = pricing.get("quantityDiscounts")
    if not tiers:
        return None
    percent = pricing.get("discountType") == DiscountKind.PERCENT

    def one(value: Any) -> str:
        return f"{jsonout.dumps(value)}% off" if percent else f"{money(value)} off each unit"

    # One discount for everyone reads as "50% off for ..."; a list of tiers needs a comma.
    if list(tiers) == ["1"]:
        words, sep = one(tiers["1"]), " "
    else:
        sep = ", "
        words = "; ".join(f"{one(v)} when buying {k} or more" for k, v in tiers.items())
        applies = discount_tier(pricing, qty)
        words += f" (at quantity {qty}, " + (
            f"the {applies[0]}-or-more tier applies)" if applies else "no tier applies)"
        )
    duration = pricing.get("discountDuration")
    if duration is None:
        return words + sep + "on every billing period"
    periods = "billing period" if duration == 1 else plural(duration, "billing period")
    after = " after the trial" if has_trial(pricing) else ""
    return words + sep + f"for the first {periods}{after}, then the regular price"


def setup_fee(fee: dict[str, Any]) -> str:
    words = [f"{money(fee['price'])}, once at signup" if "price" in fee else "amount " + CATALOG]
    # Always quoted: a title is prose, and its quotes mark where it ends.
    words += [f"titled {quote(text)} ({lang})" for lang, text in fee.get("title", {}).items()]
    return ", ".join(words)


def item_facts(
    item: dict[str, Any], marks: frozenset[str] = frozenset(), known: bool = False, name: str | None = None
) -> Facts:
    """The facts of one item; `marks`, `known`, `name`: it was read through a catalog that
    supplied these pricing fields and knows the product by this name."""
    facts: Facts = [("product", f"{visible(name)} (catalog)")] if known and name else []
    facts.append(("quantity", quantity(item, marks)))
    pricing = item.get("pricing")
    if pricing is None:
        facts.append(("price", "the catalog's price, and every other term as in the catalog"))
    else:
        price = pricing.get("price")
        if not price:
            shown = "none in the catalog" if known else "the catalog's price"
        else:
            shown = f"{money(price)} " + ("(catalog)" if "price" in marks else "(this session only)")
        facts.append(("price", shown))
        once = known and "interval" not in pricing
        if once:
            facts.append(("billing", "once: the catalog sells it as a one-time product"))
        else:
            facts.append(("billing", mark(billing(pricing), "interval", marks)))
        terms = trial(pricing)
        if "trial" in marks and has_trial(pricing):
            days = plural(pricing["trial"], "day")
            terms = terms.replace(days, days + MARK, 1)
        elif known and "trial" not in pricing and "paidTrial" not in pricing:
            terms = "no trial"
        if not (once and terms == "no trial"):
            facts.append(("trial", terms))
        if "renew" in pricing or not once:
            facts.append(("renewal", renewal(pricing["renew"]) if "renew" in pricing else CATALOG))
        d = discount(pricing, item_quantity(item))
        if d:
            facts.append(("discount", mark(d, "quantityDiscounts", marks)))
        if "setupFee" in pricing:
            facts.append(("setup fee", mark(setup_fee(pricing["setupFee"]), "setupFee", marks)))
        if "edsFee" in pricing:
            facts.append(("EDS fee", f"{money(pricing['edsFee'])} (Extended Download Service)"))
        if "shippingFee" in pricing:
            facts.append(("shipping", money(pricing["shippingFee"])))
    facts += description_facts(item.get("descriptions", {}))
    if "attributes" in item:
        facts.append(("attributes", pairs(item["attributes"])))
    return facts


def description_facts(descriptions: dict[str, Any]) -> Facts:
    """Sessions v2: how the checkout describes the item, per language."""
    facts: Facts = []
    for kind in ("display", "summary", "instructions"):
        for lang, text in descriptions.get(kind, {}).items():
            facts.append((f"{kind} ({lang})", quote(text)))
    if "imageUrl" in descriptions:
        facts.append(("image", say(descriptions["imageUrl"])))
    return facts


# ---- renderers ------------------------------------------------------------------------------


def to_blocks(e: Explanation) -> list[Block]:
    blocks: list[Block] = [Heading(e.path), Heading("Session", 2), _facts_table(e.session)]
    for it in e.items:
        blocks += [Heading(f"Item {it.product}", 2), _facts_table(it.facts)]
        blocks.append(Line(pays(it)))
        for t in it.timelines:
            blocks += [Heading(f"{t.currency} timeline", 3), timeline_table(t)]
    return blocks


def pays(it: ItemExplanation) -> str:
    """The sentence above an item's timelines (also the card's)."""
    if not it.timelines:
        if it.in_catalog:
            return "What the buyer pays: the catalog gives no price, so there are no amounts to show."
        return "What the buyer pays: the catalog's price, so there are no amounts to show."
    marked = ", with the catalog's values" if it.from_catalog else ""
    if it.payload.get("pricing", {}).get("interval") == ADHOC:
        when = "at signup and after the trial" if has_trial(it.payload["pricing"]) else "at signup"
        return (
            f"What the buyer pays {when} (quantity {it.quantity}{marked}; billed ad hoc, so there "
            "are no renewals: later charges come when the seller bills):"
        )
    if (
        it.in_catalog
        and "interval" not in it.payload.get("pricing", {})
        and "interval" not in it.from_catalog
    ):
        return f"What the buyer pays, once (quantity {it.quantity}{marked}):"
    if not is_recurring(it.payload.get("pricing", {})) and not it.in_catalog:
        return (
            f"What the buyer pays at signup (quantity {it.quantity}; "
            "later charges, if any, follow the catalog):"
        )
    return f"What the buyer pays (quantity {it.quantity}{marked}):"


def _facts_table(facts: Facts) -> Table:
    return Table(("", ""), [(label, text) for label, text in facts], show_header=False)


def timeline_table(t: Timeline) -> Table:
    return Table(
        ("when", t.currency, "how"),
        [(t.when(c), c.shown(t.currency), c.basis) for c in t.charges],
        right=(1,),
    )


def timeline_json(t: Timeline) -> dict[str, Any]:
    return {
        "currency": t.currency,
        "charges": [
            {
                "label": t.when(c),
                "period": c.first,
                "through": c.last,
                "onward": c.onward,
                "amount": None if c.amount is None else round_money(c.amount, t.currency),
                "plus": None if c.plus is None else round_money(c.plus, t.currency),
                "basis": c.basis,
            }
            for c in t.charges
        ],
    }


def to_json(explanations: list[Explanation]) -> str:
    def facts(f: Facts) -> list[dict[str, str]]:
        return [{"label": label, "text": text} for label, text in f]

    def offer(e: Explanation) -> dict[str, Any]:
        out: dict[str, Any] = {"path": e.path, "session": {"facts": facts(e.session)}}
        if e.waivers:
            out["waivers"] = list(e.waivers)
        out["items"] = []
        for it in e.items:
            item: dict[str, Any] = {
                "product": it.product,
                "quantity": it.quantity,
                "facts": facts(it.facts),
                "timelines": [timeline_json(t) for t in it.timelines],
                "payload": it.emitted if it.emitted is not None else it.payload,
            }
            if it.in_catalog:
                item["fromCatalog"] = sorted(it.from_catalog)
            out["items"].append(item)
        if e.target != "v1":  # a v1 document stays exactly as it always was
            out["target"] = e.target
        return out

    doc = {"version": JSON_VERSION, "offers": [offer(e) for e in explanations]}
    return jsonout.dumps(doc) + "\n"
