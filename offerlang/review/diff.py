"""Two compiled payloads -> the changes a buyer (or the reviewer) would notice, in offer terms.

Payloads, not source text, are compared: the emitter writes one fixed form, so reformatting a
file or editing its comments gives equal payloads and "no change to what buyers see". Each
change is one line, scoped to the session or to an item (by product path); the buyer
timelines (timeline.py) are compared period by period so that a price or discount change
also shows what the buyer now pays, and when. With a catalog snapshot both sides are read
through it (catalogview.py): "price USD 89.90 (catalog) → 8.99 (override, −90.0%)", and the
timelines are computed with the catalog's values. Policy waivers added, removed or reworded are
changes too: a reviewer must see every rule an offer sets aside.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from offerlang import jsonout
from offerlang.language import EXACT, RENEW_MEANINGS, TrialKind, format_money, round_half_up
from offerlang.review.catalogview import MARK, Records, through_catalog
from offerlang.review.document import Block, Heading, Line, Table, say
from offerlang.review.explain import (
    AT_CHECKOUT,
    CATALOG,
    billing,
    buyer,
    discount,
    expiry,
    money,
    quantity_count,
)
from offerlang.review.timeline import (
    has_trial,
    is_recurring,
    item_quantity,
    item_timelines,
    shown,
    when,
)
from offerlang.text import plural, visible

JSON_VERSION = 1
NO_CHANGE = "no change to what buyers see"
NOTHING = "no offer changed: buyers see nothing new"
EMPTY: dict[str, Any] = {"items": []}
# Contact fields whose payload name is not the word a reviewer uses.
CONTACT_FIELD_WORDS = {"first": "first name", "last": "last name"}


@dataclass(frozen=True, slots=True)
class Change:
    item: str | None  # the product path, or None for the session
    field: str  # a stable camelCase name for tools, after the payload's: price, trial, renew, ...
    text: str
    old: Any = None
    new: Any = None
    currency: str | None = None  # price, trialPrice, setupFee, timeline
    key: str | None = None  # the tag, attribute, contact field or setup fee title language
    periods: tuple[int, int | None] | None = None  # timeline: first period, last (None: onward)

    @property
    def line(self) -> str:
        return f"{self.item}: {self.text}" if self.item else self.text


@dataclass(frozen=True, slots=True)
class OfferDiff:
    """One offer compared. `status`: changed, unchanged, added, removed, invalid or skipped."""

    path: str  # what the reader sees as the offer's name: `old → new`, or the path in the tree
    status: str
    changes: list[Change]
    problems: tuple[str, ...] = ()  # one line per error of an invalid offer, for markdown
    old_path: str | None = None  # where the old side was read (`REV:path`); None: no old side
    new_path: str | None = None  # the new side's file; None: no new side


# ---- comparing ------------------------------------------------------------------------------


Marks = tuple[frozenset[str], frozenset[str]]  # the pricing fields each side took from the catalog
NO_MARKS: Marks = (frozenset(), frozenset())


def diff_payloads(
    old: dict[str, Any], new: dict[str, Any], catalog: Records | None = None, target: str = "v1"
) -> list[Change]:
    """What buyers would see change; `target` is the API both payloads are sent to (a Sessions
    v2 body in its review form), for what FastSpring does with what they leave out."""
    out: list[Change] = []
    out += _buyer(old, new, target)
    out += _scalar(None, "coupon", "coupon", old.get("coupon"), new.get("coupon"), say)
    if old.get("expiration") != new.get("expiration"):
        out.append(
            Change(
                None,
                "expiration",
                f"expires {expiry(old.get('expiration'))} → {expiry(new.get('expiration'))}",
                old.get("expiration"),
                new.get("expiration"),
            )
        )
    out += _mapping(None, "tags", "tag", old.get("tags", {}), new.get("tags", {}))
    out += _v2_session(old, new)
    old_items = {it["product"]: it for it in old["items"]}
    new_items = {it["product"]: it for it in new["items"]}
    out += [Change(None, "item", f"item {p} removed", p, None) for p in old_items if p not in new_items]
    out += [_item_added(it, catalog) for p, it in new_items.items() if p not in old_items]
    kept_old = [p for p in old_items if p in new_items]
    kept_new = [p for p in new_items if p in old_items]
    if kept_old != kept_new:
        out.append(
            Change(
                None,
                "itemOrder",
                f"item order {', '.join(kept_old)} → {', '.join(kept_new)}",
                kept_old,
                kept_new,
            )
        )
    for product in kept_new:
        out += diff_items(old_items[product], new_items[product], catalog)
    return out


def diff_items(old: dict[str, Any], new: dict[str, Any], catalog: Records | None = None) -> list[Change]:
    p = old["product"]
    seen_old, seen_new = through_catalog(old, catalog), through_catalog(new, catalog)
    old, new = seen_old.item, seen_new.item
    marks: Marks = (seen_old.marks, seen_new.marks)
    op, np = old.get("pricing", {}), new.get("pricing", {})
    out: list[Change] = []
    if old.get("quantity") != new.get("quantity"):
        text = f"quantity {quantity_count(old, marks[0])} → {quantity_count(new, marks[1])}"
        out.append(Change(p, "quantity", text, old.get("quantity"), new.get("quantity")))
    out += _scalar(
        p,
        "quantityDefault",
        "quantity default",
        op.get("quantityDefault"),
        np.get("quantityDefault"),
        str,
        absent="none",
        marks=marks,
    )
    out += _scalar(
        p,
        "quantityBehavior",
        "quantity behavior",
        op.get("quantityBehavior"),
        np.get("quantityBehavior"),
        str,
        absent=CATALOG,
        marks=marks,
    )
    out += _amounts(p, "price", "price", op.get("price"), np.get("price"), marks)
    out += _trial(p, op, np, marks)
    if op.get("renew") != np.get("renew"):
        o, n = op.get("renew"), np.get("renew")
        text = f"renewal {o or CATALOG} → {n or CATALOG}"
        if n is not None:
            text += f": {RENEW_MEANINGS.get(n, 'renews as FastSpring reads this mode')}"
        out.append(Change(p, "renew", text, o, n))
    if billing(op) != billing(np):
        was, now = _marked(billing(op), "interval", marks[0]), _marked(billing(np), "interval", marks[1])
        text = f"billing {was} → {now}"
        out.append(Change(p, "billing", text, _billing_value(op), _billing_value(np)))
    out += _discount(p, old, new, marks)
    ofee, nfee = op.get("setupFee", {}), np.get("setupFee", {})
    out += _amounts(p, "setupFee", "setup fee", ofee.get("price"), nfee.get("price"), marks)
    out += _mapping(p, "setupFeeTitle", "setup fee title", ofee.get("title", {}), nfee.get("title", {}))
    out += _v2_item(p, old, new)
    out += _mapping(p, "attributes", "attribute", old.get("attributes", {}), new.get("attributes", {}))
    out += diff_timelines(p, old, new, marks, seen_old.known and seen_new.known)
    return out


def _marked(text: str, field: str, marks: frozenset[str]) -> str:
    return text + MARK if field in marks else text


def _v2_session(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """What only a Sessions v2 body says about the session (its review form's v2 names)."""
    out = _scalar(None, "locale", "locale", old.get("locale"), new.get("locale"), say)
    out += _mapping(None, "accountTags", "buyer tag", old.get("accountTags", {}), new.get("accountTags", {}))
    for field, label in (
        ("paymentMethodsOrder", "payment methods shown first"),
        ("hidePaymentMethods", "hidden payment methods"),
    ):
        out += _scalar(None, field, label, old.get(field), new.get(field), ", ".join, absent="none")
    return out


def _v2_item(p: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    op, np = old.get("pricing", {}), new.get("pricing", {})
    out = _amounts(p, "edsFee", "EDS fee", op.get("edsFee"), np.get("edsFee"))
    out += _amounts(p, "shippingFee", "shipping fee", op.get("shippingFee"), np.get("shippingFee"))
    od, nd = old.get("descriptions", {}), new.get("descriptions", {})
    for kind in ("display", "summary", "instructions"):
        out += _mapping(p, "descriptions", f"{kind} text", od.get(kind, {}), nd.get(kind, {}))
    return out + _scalar(p, "imageUrl", "image", od.get("imageUrl"), nd.get("imageUrl"), say)


def _buyer(old: dict[str, Any], new: dict[str, Any], target: str = "v1") -> list[Change]:
    out: list[Change] = []
    before, after = buyer(old, target), buyer(new, target)
    if "contact" in old and "contact" in new:
        out += _mapping(None, "contact", "buyer", old["contact"], new["contact"], CONTACT_FIELD_WORDS)
    elif before != after:
        who_old, who_new = old.get("account", old.get("contact")), new.get("account", new.get("contact"))
        if who_old is None:
            text = f"buyer added: {after} (no longer: {AT_CHECKOUT})"
        elif who_new is None:
            text = f"buyer removed (was {before}): {AT_CHECKOUT}"
        else:
            text = f"buyer {before} → {after}"
        out.append(Change(None, "buyer", text, who_old, who_new))
    old_key = old.get("lookup", {}).get("custom")
    new_key = new.get("lookup", {}).get("custom")
    return out + _scalar(None, "lookup", "lookup key", old_key, new_key, say)


def _trial(p: str, op: dict[str, Any], np: dict[str, Any], marks: Marks = NO_MARKS) -> list[Change]:
    out: list[Change] = []
    ot, nt = op.get("trial"), np.get("trial")
    if ot != nt:
        both_days = bool(ot and nt) and marks[0] == marks[1] == frozenset()
        if both_days:
            text = f"trial {ot} → {nt} days"
        else:
            shown_old = _marked(_trial_days(ot), "trial", marks[0])
            text = f"trial {shown_old} → {_marked(_trial_days(nt), 'trial', marks[1])}"
        out.append(Change(p, "trial", text, ot, nt))
    out += _scalar(p, "paidTrial", "trial", _kind(op), _kind(np), str, absent="free or paid as " + CATALOG)
    out += _amounts(p, "trialPrice", "trial price", op.get("trialPrice"), np.get("trialPrice"))
    out += _scalar(
        p, "paymentCollected", "trial", _card(op), _card(np), str, absent="card rule as " + CATALOG
    )
    return out


def _kind(pricing: dict[str, Any]) -> str | None:
    if "paidTrial" not in pricing:
        return None
    return TrialKind.PAID.value if pricing["paidTrial"] else TrialKind.FREE.value


def _card(pricing: dict[str, Any]) -> str | None:
    if "paymentCollected" not in pricing:
        return None
    return "card required" if pricing["paymentCollected"] else "no card required"


def _trial_days(days: int | None) -> str:
    if days is None:
        return CATALOG
    return "none" if days == 0 else plural(days, "day")


def _discount(p: str, old: dict[str, Any], new: dict[str, Any], marks: Marks = NO_MARKS) -> list[Change]:
    op, np = old.get("pricing", {}), new.get("pricing", {})
    od, nd = discount(op, item_quantity(old)), discount(np, item_quantity(new))
    if od == nd:
        return []
    od = _marked(od, "quantityDiscounts", marks[0]) if od else od
    nd = _marked(nd, "quantityDiscounts", marks[1]) if nd else nd
    same_tiers = (op.get("discountType"), op.get("quantityDiscounts")) == (
        np.get("discountType"),
        np.get("quantityDiscounts"),
    )
    ov, nv = _discount_value(op), _discount_value(np)
    if od and nd and same_tiers:
        o, n = op.get("discountDuration"), np.get("discountDuration")
        if o == n:
            return []  # the words differ only by "after the trial": the trial line says that
        text = (
            f"discount for {o} → {n} billing periods" if o and n else f"discount for {_span(o)} → {_span(n)}"
        )
        return [Change(p, "discount", text, ov, nv)]
    if od is None:
        return [Change(p, "discount", f"discount added: {nd}", None, nv)]
    if nd is None:
        return [Change(p, "discount", f"discount removed (was {od})", ov, None)]
    return [Change(p, "discount", f"discount {od} → {nd}", ov, nv)]


def _discount_value(pricing: dict[str, Any]) -> dict[str, Any] | None:
    """The discount as data: type, tiers ({minimum quantity: percent or {currency: amount}})
    and duration in billing periods (None: every period)."""
    if not pricing.get("quantityDiscounts"):
        return None
    return {
        "type": pricing.get("discountType"),
        "tiers": pricing["quantityDiscounts"],
        "duration": pricing.get("discountDuration"),
    }


def _billing_value(pricing: dict[str, Any]) -> dict[str, Any] | None:
    if "interval" not in pricing:
        return None  # the catalog's
    value = {"interval": pricing["interval"], "length": int(pricing.get("intervalLength", 1))}
    if "intervalCount" in pricing:  # Sessions v2: how many times it bills
        value["count"] = int(pricing["intervalCount"])
    return value


def _span(periods: int | None) -> str:
    return "every billing period" if periods is None else plural(periods, "billing period")


def _scalar(
    item: str | None,
    field: str,
    label: str,
    old: Any,
    new: Any,
    show: Callable[[Any], str],
    absent: str | None = None,
    marks: Marks = NO_MARKS,
) -> list[Change]:
    """A single value: `label A → B`; with no `absent` wording, `label A added` / `removed`.
    `marks`: the fields each side took from the catalog (their values are marked so)."""
    if old == new:
        return []
    if absent is not None or (old is not None and new is not None):
        o = absent if old is None else _marked(show(old), field, marks[0])
        n = absent if new is None else _marked(show(new), field, marks[1])
        return [Change(item, field, f"{label} {o} → {n}", old, new)]
    if old is None:
        return [Change(item, field, f"{label} {show(new)} added", None, new)]
    return [Change(item, field, f"{label} {show(old)} removed", old, None)]


def _mapping(
    item: str | None,
    field: str,
    label: str,
    old: dict[str, str],
    new: dict[str, str],
    names: dict[str, str] | None = None,
) -> list[Change]:
    """Keyed text (tags, attributes, contact fields): one line per key added, removed or changed.
    `names`: how a key reads in a sentence (`first` -> `first name`); other keys are quoted as needed."""
    out: list[Change] = []
    for key in [*old, *(k for k in new if k not in old)]:
        o, n = old.get(key), new.get(key)
        if o == n:
            continue
        what = f"{label} {(names or {}).get(key) or say(key)}"
        if n is not None and o is None:
            out.append(Change(item, field, f"{what} added: {say(n)}", None, n, key=key))
        elif o is not None and n is None:
            out.append(Change(item, field, f"{what} removed (was {say(o)})", o, None, key=key))
        elif o is not None and n is not None:
            out.append(Change(item, field, f"{what} {say(o)} → {say(n)}", o, n, key=key))
    return out


def _amounts(
    item: str,
    field: str,
    label: str,
    old: dict[str, Decimal] | None,
    new: dict[str, Decimal] | None,
    marks: Marks = NO_MARKS,
) -> list[Change]:
    """Money per currency: `price USD 9.99 → 7.99 (−20.0%)`, a currency added or removed; with
    a catalog on a side, `price USD 89.90 (catalog) → 8.99 (override, −90.0%)`."""
    old, new = old or {}, new or {}
    from_old, from_new = field in marks[0], field in marks[1]
    out: list[Change] = []
    for cur in [*old, *(c for c in new if c not in old)]:
        o, n = old.get(cur), new.get(cur)
        if o == n:
            continue
        if n is not None and o is None:
            out.append(Change(item, field, f"{label} {cur} {_source(n, cur, from_new)} added", None, n, cur))
        elif o is not None and n is None:
            text = f"{label} {cur} {_source(o, cur, from_old)} removed"
            if from_old and new:
                text = f"{label} {cur} {format_money(o, cur)} (catalog) → none: the override leaves {cur} out"
            out.append(Change(item, field, text, o, None, cur))
        elif o is None or n is None:
            continue
        elif not from_old and not from_new:
            text = f"{label} {cur} {format_money(o, cur)} → {format_money(n, cur)}{percent_change(o, n)}"
            out.append(Change(item, field, text, o, n, cur))
        else:
            change = percent_change(o, n).strip()[1:-1]
            after = ("catalog" if from_new else "override") + (f", {change}" if change else "")
            text = f"{label} {cur} {_source(o, cur, from_old, True)} → {format_money(n, cur)} ({after})"
            out.append(Change(item, field, text, o, n, cur))
    if old and not new and field == "price":
        out.append(Change(item, field, "the catalog price applies again"))
    return out


def _source(amount: Decimal, currency: str, from_catalog: bool, override: bool = False) -> str:
    """An amount and, when a catalog is in play, where it comes from."""
    text = format_money(amount, currency)
    if from_catalog:
        return text + MARK
    return text + " (override)" if override else text


def percent_change(old: Decimal, new: Decimal) -> str:
    """` (−20.0%)`, one decimal, half up; nothing when there is no old amount to compare to."""
    if old == 0:
        return ""
    with localcontext(EXACT):
        change = round_half_up((new - old) * 100 / old, 1)
    # The sign of the change itself: a rise too small to show is still "+0.0%", never "±".
    sign = "+" if new > old else "−" if new < old else "±"
    return f" ({sign}{abs(change)}%)"


def diff_timelines(
    p: str, old: dict[str, Any], new: dict[str, Any], marks: Marks = NO_MARKS, known: bool = False
) -> list[Change]:
    """What the buyer pays per period, where it differs, in ranges of equal before/after.
    `marks`, `known`: both items were read through the catalog (catalogview.py)."""
    olds = {t.currency: t for t in item_timelines(old, marks[0], known)}
    news = {t.currency: t for t in item_timelines(new, marks[1], known)}
    op, np = old.get("pricing", {}), new.get("pricing", {})
    # Periods only mean the same thing when both sides bill in periods; otherwise the billing
    # line already says what changed, and only the charge at signup is comparable.
    both_recurring = is_recurring(op) and is_recurring(np)
    # Named periods ("after the trial", "1st renewal") only match when both sides agree on the
    # trial; otherwise when() counts charges.
    trial = has_trial(np) if has_trial(op) == has_trial(np) else None
    out: list[Change] = []
    for cur in (c for c in news if c in olds):
        ot, nt = olds[cur], news[cur]
        horizon = max(ot.horizon, nt.horizon) if both_recurring else 0
        # What each side pays only changes where one of its rows starts: compare there, so a
        # discount for 100000000 periods costs two comparisons, not 100000000.
        points = sorted({c.first for t in (ot, nt) for c in t.charges if c.first <= horizon} | {0})
        Cost = tuple[Decimal | None, Decimal | None]
        runs: list[tuple[int, int, tuple[Cost, Cost]]] = []
        for start, after in zip(points, [*points[1:], horizon + 1], strict=True):
            pair = (ot.charge_at(start).cost, nt.charge_at(start).cost)
            if runs and runs[-1][2] == pair:
                runs[-1] = (runs[-1][0], after - 1, pair)
            else:
                runs.append((start, after - 1, pair))
        for start, last, (o, n) in runs:
            if o != n:
                onward = both_recurring and last == horizon
                periods = when(start, last, onward=onward, trial=trial, sentence=True)
                text = f"buyer pays {cur} {periods}: {shown(o, cur)} → {shown(n, cur)}"
                span = (start, None if onward else last)
                # old/new: the amount, or null where the catalog's price is part of it.
                out.append(Change(p, "timeline", text, o[0], n[0], cur, periods=span))
    return out


def _item_added(item: dict[str, Any], catalog: Records | None = None) -> Change:
    """`item falcon added: price USD 10.00; buyer pays USD 35.00 at signup`: what the new item
    costs, so that a reviewer need not open the file."""
    seen = through_catalog(item, catalog)
    price = seen.item.get("pricing", {}).get("price")
    if not price:
        words = "the catalog's price"
    else:
        timelines = item_timelines(seen.item, seen.marks, seen.known)
        signup = [f"{t.currency} {t.charges[0].shown(t.currency)}" for t in timelines if t.charges]
        shown = _marked(money(price), "price", seen.marks)
        words = f"price {shown}; buyer pays {', '.join(signup)} at signup"
    return Change(None, "item", f"item {item['product']} added: {words}", None, item["product"])


def diff_offers(
    path: str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    old_path: str | None = None,
    new_path: str | None = None,
    target: str = "v1",
    *,
    catalog: Records | None = None,
    waivers: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], []),
) -> OfferDiff:
    """None on one side: the offer file was added or removed. `catalog`: a catalog snapshot
    both sides are read through; `waivers`: each side's policy waivers (JSON shape)."""
    if old is None and new is None:
        raise ValueError("nothing to compare")
    if old is None:
        changes = [_item_added(it, catalog) for it in (new or EMPTY)["items"]]
        return OfferDiff(path, "added", changes + _waivers([], waivers[1]), new_path=new_path)
    if new is None:
        changes = [Change(None, "item", f"item {p} removed", p, None) for p in _products(old)]
        return OfferDiff(path, "removed", changes, old_path=old_path)
    changes = diff_payloads(old, new, catalog, target) + _waivers(*waivers)
    if not changes and old != new:
        # A payload field no sentence above covers: say so rather than claim "no change".
        changes = [
            Change(None, "payload", "the payload changed", jsonout.dumps(old, None), jsonout.dumps(new, None))
        ]
    status = "changed" if changes else "unchanged"
    return OfferDiff(path, status, changes, old_path=old_path, new_path=new_path)


def _waivers(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Change]:
    """`waiver P103 price-range added: approved by finance`: one line per rule and scope."""

    def by_rule(waivers: list[dict[str, Any]]) -> dict[tuple[str | None, str], tuple[str, str]]:
        return {
            (w["item"], code): (rule, w["reason"])
            for w in waivers
            for code, rule in zip(w["codes"], w["rules"], strict=True)
        }

    before, after = by_rule(old), by_rule(new)
    out: list[Change] = []
    for key in [*before, *(k for k in after if k not in before)]:
        item, code = key
        o, n = before.get(key), after.get(key)
        if o == n:
            continue
        rule = (n or o or ("", ""))[0]
        what = f"waiver {code} {rule}"
        if o is None and n is not None:
            text = f"{what} added: {say(n[1])}"
        elif n is None and o is not None:
            text = f"{what} removed (was: {say(o[1])})"
        else:
            text = f"{what}: {say(o[1] if o else '')} → {say(n[1] if n else '')}"
        out.append(Change(item, "waiver", text, o and o[1], n and n[1], key=code))
    return out


def _products(payload: dict[str, Any] | None) -> list[str]:
    return [it["product"] for it in (payload or EMPTY)["items"]]


# ---- renderers ------------------------------------------------------------------------------


def status_line(d: OfferDiff) -> str:
    return {
        "unchanged": NO_CHANGE,
        "added": "new offer",
        "removed": "offer removed",
        "changed": plural(len(d.changes), "change"),
        "invalid": "does not compile",
        "skipped": "not compared (a template that needs --set values)",
    }[d.status]


def to_plain(diffs: list[OfferDiff]) -> str:
    out: list[str] = [] if diffs else [NOTHING]
    for d in diffs:
        # The problems themselves, with source lines and carets, went to standard error.
        where = " (its problems are on standard error)" if d.status == "invalid" else ""
        # visible(): a file name or value with a line break must not start a line of its own.
        out.append(visible(f"{d.path}: {status_line(d)}{where}"))
        out += [visible(f"  {c.line}") for c in d.changes]
    return "\n".join(out) + "\n"


def to_blocks(diffs: list[OfferDiff]) -> list[Block]:
    """For markdown: a table per changed offer, ready to post as a pull-request comment."""
    blocks: list[Block] = []
    for d in diffs:
        blocks += [Heading(f"{d.path}: {status_line(d)}")]
        if d.problems:
            blocks.append(Table(("problem",), [(p,) for p in d.problems]))
        if d.changes:
            blocks.append(Table(("item", "change"), [(c.item or "(session)", c.text) for c in d.changes]))
    return blocks or [Line(NOTHING)]


def change_json(c: Change) -> dict[str, Any]:
    """Every key always present (null where it does not apply), so tools need no `text`."""
    first, last = c.periods or (None, None)
    return {
        "item": c.item,
        "field": c.field,
        "key": c.key,
        "currency": c.currency,
        "from": first,
        "through": last,
        "onward": None if c.periods is None else last is None,
        "old": c.old,
        "new": c.new,
        "text": c.text,
    }


def to_json(diffs: list[OfferDiff], diagnostics: dict[str, list[dict[str, Any]]]) -> str:
    doc = {
        "version": JSON_VERSION,
        "changed": any(d.changes for d in diffs),
        "offers": [
            {
                "path": d.path,
                "oldPath": d.old_path,
                "newPath": d.new_path,
                "status": d.status,
                "changes": [change_json(c) for c in d.changes],
                "diagnostics": diagnostics.get(d.path, []),
            }
            for d in diffs
        ],
    }
    return jsonout.dumps(doc) + "\n"
