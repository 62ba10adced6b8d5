"""A compiled payload -> what the buyer gets, in the words a marketer and a reviewer use.

`explain(payload, path)` builds an Explanation: facts (label, sentence) for the session and
for each item, and a buyer timeline per item and currency (timeline.py). The renderers turn
it into plain text, markdown or versioned JSON; none of them computes anything of its own.
Only what the payload says is stated; what it leaves out is "set in the catalog".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from offerlang import jsonout
from offerlang.language import ADHOC, RENEW_MEANINGS, format_money, round_money
from offerlang.review.document import Block, Heading, Line, Table, quote, say, visible
from offerlang.review.timeline import (
    Timeline,
    discount_tier,
    has_trial,
    is_recurring,
    item_quantity,
    item_timelines,
)

JSON_VERSION = 1
CATALOG = "set in the catalog"

Facts = list[tuple[str, str]]

QUANTITY_BEHAVIOR = {
    "allow": "the buyer may change it",
    "lock": "the buyer cannot change it",
    "hide": "hidden from the buyer, who cannot change it",
    None: "the catalog decides whether the buyer may change it",
}
# In the buyer's terms (language.RENEW_MEANINGS), with the mode the offer writes.
RENEWAL = {mode: f"{mode}: {meaning}" for mode, meaning in RENEW_MEANINGS.items()}
# Who the buyer is when the offer names neither an account nor a contact.
AT_CHECKOUT = "the buyer enters their details at checkout"
LOCALISED = "; country, currency and language follow where they are"


@dataclass(frozen=True, slots=True)
class ItemExplanation:
    product: str
    quantity: int
    payload: dict[str, Any]
    facts: Facts
    timelines: list[Timeline]


@dataclass(frozen=True, slots=True)
class Explanation:
    path: str
    payload: dict[str, Any]
    session: Facts
    items: list[ItemExplanation]


def explain(payload: dict[str, Any], path: str) -> Explanation:
    items = [
        ItemExplanation(
            it["product"],
            item_quantity(it),
            it,
            item_facts(it),
            item_timelines(it) if "pricing" in it else [],
        )
        for it in payload["items"]
    ]
    return Explanation(path, payload, session_facts(payload), items)


def template_fact(e: Explanation, names: list[str]) -> Explanation:
    """The explanation of a template previewed without values: says so first."""
    fact = ("template", f"parameters shown as {', '.join(names)}; give values with --set NAME=VALUE")
    return Explanation(e.path, e.payload, [fact, *e.session], e.items)


# ---- sentences ------------------------------------------------------------------------------


def money(amounts: dict[str, Decimal]) -> str:
    return ", ".join(f"{cur} {format_money(v, cur)}" for cur, v in amounts.items())


def pairs(mapping: dict[str, str]) -> str:
    return ", ".join(f"{say(k)}={say(v)}" for k, v in mapping.items())


def buyer(payload: dict[str, Any]) -> str:
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
        f"country {c['country']}" if "country" in c else "no country (FastSpring assumes US and USD)"
    )
    words += [f"language {c['language']}"] if "language" in c else []
    missing = [f for f in ("first", "last", "email") if f not in c]
    if missing:
        words.append("the checkout asks for the rest")
    if "email" not in c:
        words.append("no email, so no account link or receipt until the buyer types one")
    return "new buyer " + ", ".join(w for w in words if w)


def plural(count: int, noun: str) -> str:
    """`1 day`, `2 days`: one helper, so explain and diff count alike."""
    return f"{count} {noun}{'s' if count != 1 else ''}"


def expiry(days: int | None) -> str:
    """When the session expires, given the payload's `expiration` (None: not set)."""
    return "after 24 hours (FastSpring's default)" if days is None else f"after {plural(days, 'day')}"


def session_facts(payload: dict[str, Any]) -> Facts:
    facts: Facts = [("buyer", buyer(payload))]
    if "lookup" in payload:
        facts.append(("lookup", f"linked by custom key {say(payload['lookup']['custom'])}"))
    facts.append(("coupon", say(payload["coupon"]) if "coupon" in payload else "none"))
    facts.append(("expires", expiry(payload.get("expiration"))))
    if "tags" in payload:
        facts.append(("tags", pairs(payload["tags"])))
    return facts


def quantity_count(item: dict[str, Any]) -> str:
    """How many the buyer gets and where that number comes from."""
    if "quantity" in item:
        return str(item["quantity"])
    default = item.get("pricing", {}).get("quantityDefault")
    return "1 (FastSpring's default)" if default is None else f"{default} (the offer's default)"


def quantity(item: dict[str, Any]) -> str:
    pricing = item.get("pricing", {})
    count = quantity_count(item)
    default = pricing.get("quantityDefault")
    # A default the quantity overrides is only worth a word when the two differ.
    if "quantity" in item and default is not None and default != item["quantity"]:
        count += f" (overriding the default of {default})"
    return f"{count}; {QUANTITY_BEHAVIOR[pricing.get('quantityBehavior')]}"


def billing(pricing: dict[str, Any]) -> str:
    interval = pricing.get("interval")
    if interval is None:
        return CATALOG
    if interval == "adhoc":
        return "ad hoc: charged whenever the seller bills"
    length = int(pricing.get("intervalLength", 1))
    return f"every {interval}" if length == 1 else f"every {length} {interval}s"


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
    percent = pricing.get("discountType") == "percent"

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


def item_facts(item: dict[str, Any]) -> Facts:
    facts: Facts = [("quantity", quantity(item))]
    pricing = item.get("pricing")
    if pricing is None:
        facts.append(("price", "the catalog's price, and every other term as in the catalog"))
    else:
        price = pricing.get("price")
        facts.append(("price", f"{money(price)} (this session only)" if price else "the catalog's price"))
        facts += [("billing", billing(pricing)), ("trial", trial(pricing))]
        facts.append(("renewal", RENEWAL[pricing["renew"]] if "renew" in pricing else CATALOG))
        d = discount(pricing, item_quantity(item))
        if d:
            facts.append(("discount", d))
        if "setupFee" in pricing:
            facts.append(("setup fee", setup_fee(pricing["setupFee"])))
    if "attributes" in item:
        facts.append(("attributes", pairs(item["attributes"])))
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
        return "What the buyer pays: the catalog's price, so there are no amounts to show."
    if it.payload.get("pricing", {}).get("interval") == ADHOC:
        return (
            f"What the buyer pays at signup (quantity {it.quantity}; billed ad hoc, so there are "
            "no renewals: later charges come when the seller bills):"
        )
    if not is_recurring(it.payload.get("pricing", {})):
        return (
            f"What the buyer pays at signup (quantity {it.quantity}; "
            "later charges, if any, follow the catalog):"
        )
    return f"What the buyer pays (quantity {it.quantity}):"


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

    doc = {
        "version": JSON_VERSION,
        "offers": [
            {
                "path": e.path,
                "session": {"facts": facts(e.session)},
                "items": [
                    {
                        "product": it.product,
                        "quantity": it.quantity,
                        "facts": facts(it.facts),
                        "timelines": [timeline_json(t) for t in it.timelines],
                        "payload": it.payload,
                    }
                    for it in e.items
                ],
            }
            for e in explanations
        ],
    }
    return jsonout.dumps(doc) + "\n"
