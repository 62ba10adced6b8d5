"""The offer card: `offer explain --format html` and `offer diff --format html`.

One self-contained HTML file per run: inline CSS and inline SVG, no script, no font, no image
from anywhere (a Content-Security-Policy in the page forbids every request, so the file works
opened from disk, as a CI artifact, or mailed around). Reviewers who would rather look than
read get, per item, a small chart per currency of what the buyer pays period by period; every
chart has the semantic table it was drawn from right under it (screen readers, copy-paste).

Like the text and markdown renderers, nothing is computed here that explain.py, diff.py and
timeline.py do not already say: the card is built from an Explanation (or two payloads and
their OfferDiff), and every text that reaches the page goes through `esc()`, since offer
values are user text.

Values the offer leaves to the catalog are marked as such. `CatalogValues` is the seam for a
catalog (issue 12): given one, a fact the offer leaves to the catalog also shows the catalog's
value; without one (the default) the card says only that the catalog decides.
"""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from offerlang.language import format_money
from offerlang.review.catalogview import MARK, Records
from offerlang.review.diff import OfferDiff, percent_change, status_line
from offerlang.review.explain import CATALOG, Explanation, ItemExplanation, explain, pays
from offerlang.review.timeline import Timeline, has_trial, shown, when
from offerlang.text import visible

Cost = tuple[Decimal | None, Decimal | None]  # (amount or None: the catalog's, known amount on top)

# Every request from the page is refused: the card needs none, and a value that slipped past
# escaping still could not load anything. The preview adds its one script and its event stream.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def esc(text: str) -> str:
    """User text as HTML text: tags, entities and quotes inert; control characters shown as
    escapes (`\\n`) as in the text output, so a value stays on one line."""
    return html.escape(visible(text), quote=True)


# ---- what the card shows: data first, so a catalog can fill in what the offer leaves out ----


class CatalogValues(Protocol):
    """What the catalog says for a fact the offer leaves to it (issue 12). `product` is None
    for the session; `label` is the fact's label (`price`, `billing`, `trial`, `renewal`,
    `quantity`, `expires`, ...). None: not known."""

    def fact(self, product: str | None, label: str) -> str | None: ...


class NoCatalog:
    def fact(self, product: str | None, label: str) -> str | None:
        return None


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    text: str
    from_catalog: bool = False  # the offer leaves (part of) this to the catalog
    catalog_value: str | None = None  # what the catalog says, when one is known


@dataclass(frozen=True, slots=True)
class Slot:
    """One place on a chart's x axis: billing periods `first`..`last` (every later one when
    `onward`), named in the buyer's words."""

    first: int
    last: int
    onward: bool
    label: str


@dataclass(frozen=True, slots=True)
class Series:
    role: str  # "offer" (explain), "before" or "after" (diff)
    costs: tuple[Cost | None, ...]  # one per slot; None: this side has no charge there


@dataclass(frozen=True, slots=True)
class Chart:
    currency: str
    slots: tuple[Slot, ...]
    series: tuple[Series, ...]
    rows: tuple[tuple[str, ...], ...]  # the table behind the chart
    header: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ItemCard:
    product: str
    facts: list[Fact]
    pays: str
    charts: list[Chart] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OfferCard:
    path: str
    session: list[Fact]
    items: list[ItemCard]


# The facts an offer can leave to the catalog, and how explain.py says that it does. Only these
# labels are looked at: a tag or a title that happens to say "catalog" is the author's text.
CATALOG_LABELS = frozenset({"quantity", "price", "billing", "trial", "renewal", "setup fee"})
CATALOG_WORDS = (CATALOG, "the catalog's price", "the catalog decides")


def _marked(facts: Sequence[tuple[str, str]], product: str | None, catalog: CatalogValues) -> list[Fact]:
    out = []
    for label, text in facts:
        # With a catalog snapshot (store/), explain states the catalog's value itself, marked
        # "(catalog)": such a fact is the catalog's too, its value already in the text.
        left = (label in CATALOG_LABELS or label in ("product", "discount")) and (
            any(w in text for w in CATALOG_WORDS) or MARK in text
        )
        out.append(Fact(label, text, left, catalog.fact(product, label) if left else None))
    return out


def offer_card(e: Explanation, catalog: CatalogValues | None = None) -> OfferCard:
    cat = catalog or NoCatalog()
    items = [
        ItemCard(it.product, _marked(it.facts, it.product, cat), pays(it), [_chart(t) for t in it.timelines])
        for it in e.items
    ]
    return OfferCard(e.path, _marked(e.session, None, cat), items)


def _chart(t: Timeline) -> Chart:
    slots = tuple(Slot(c.first, c.last, c.onward, t.when(c)) for c in t.charges)
    rows = tuple((t.when(c), c.shown(t.currency), c.basis) for c in t.charges)
    return Chart(
        t.currency,
        slots,
        (Series("offer", tuple(c.cost for c in t.charges)),),
        rows,
        ("when", t.currency, "how"),
    )


# ---- pages ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Broken:
    """An offer that does not compile: its diagnostics as `offer check` prints them."""

    path: str
    report: str


def explain_page(
    explanations: Sequence[Explanation],
    broken: Sequence[Broken] = (),
    *,
    catalog: CatalogValues | None = None,
    title: str | None = None,
) -> str:
    return page(
        title or _title("offer explain", [e.path for e in explanations]),
        explain_body(explanations, broken, catalog=catalog),
    )


def explain_body(
    explanations: Sequence[Explanation],
    broken: Sequence[Broken] = (),
    *,
    catalog: CatalogValues | None = None,
) -> str:
    cards = [offer_card(e, catalog) for e in explanations]
    entries = [(f"offer-{i}", c.path, "") for i, c in enumerate(cards, 1)]
    entries += [(f"broken-{i}", b.path, "does not compile") for i, b in enumerate(broken, 1)]
    out = [_index(entries)]
    out += [_broken(f"broken-{i}", b) for i, b in enumerate(broken, 1)]
    out += [_offer(f"offer-{i}", c) for i, c in enumerate(cards, 1)]
    if not entries:
        out.append('<p class="empty">No offer to show.</p>')
    return "\n".join(o for o in out if o)


def _title(command: str, paths: Sequence[str]) -> str:
    if len(paths) == 1:
        return f"{paths[0]} · {command}"
    return f"{len(paths)} offers · {command}"


def _index(entries: Sequence[tuple[str, str, str]]) -> str:
    """For several offers, one page with an index at the top."""
    if len(entries) < 2:
        return ""
    links = "".join(
        f'<li><a href="#{anchor}">{esc(path)}</a>' + (f" <span class=note>{esc(note)}</span>" if note else "")
        for anchor, path, note in entries
    )
    return f'<nav class="index" aria-label="offers"><h2>Offers</h2><ul>{links}</ul></nav>'


def _broken(anchor: str, b: Broken) -> str:
    return (
        f'<article class="offer broken" id="{anchor}"><h1>{esc(b.path)}</h1>'
        '<p class="status bad">does not compile: nothing to show until it does</p>'
        f'<pre class="diagnostics">{html.escape(b.report)}</pre></article>'
    )


def _offer(anchor: str, c: OfferCard) -> str:
    out = [f'<article class="offer" id="{anchor}"><h1>{esc(c.path)}</h1>']
    out.append(f'<section class="session"><h2>Session</h2>{_facts(c.session)}</section>')
    for n, it in enumerate(c.items, 1):
        out.append(
            f'<section class="item" id="{anchor}-item-{n}"><h2>Item <code>{esc(it.product)}</code></h2>'
        )
        out.append(_facts(it.facts))
        out.append(f'<p class="pays">{esc(it.pays)}</p>')
        if it.charts:
            out.append('<div class="charts">' + "".join(_figure(ch) for ch in it.charts) + "</div>")
        out.append("</section>")
    out.append("</article>")
    return "".join(out)


def _facts(facts: Sequence[Fact]) -> str:
    rows = "".join(
        f'<tr{" class=catalog" if f.from_catalog else ""}><th scope="row">{esc(f.label)}</th>'
        f"<td>{_fact_text(f)}</td></tr>"
        for f in facts
    )
    return f'<table class="facts">{rows}</table>'


def _fact_text(f: Fact) -> str:
    text = esc(f.text)
    if not f.from_catalog:
        return text
    known = f'<span class="catalog-value">catalog: {esc(f.catalog_value)}</span>' if f.catalog_value else ""
    return f'{text} <span class="badge">catalog</span>{known}'


# ---- charts ---------------------------------------------------------------------------------

SLOT_W = 104  # the narrowest slot; a slot is wider when one of its labels needs it
MARGIN = 10
TOP = 24  # room for the amount above the highest point
PLOT_H = 90
# Text sizes (px) as the CSS below sets them: slot and catalog labels, and amounts.
LABEL_PX = 11
AMOUNT_PX = 12
LINE_H = 13  # between the lines of a wrapped slot label
WRAP = 17  # characters on a line of a slot label before it wraps ("at signup (trial)" fits)
GAP = 10  # at least this much room between the labels of neighbouring slots
# The first line of a slot label sits this far under the axis: below a before-amount that is
# labelled under a point on the axis.
SLOT_Y = 30


def _wrap(text: str, limit: int = WRAP) -> list[str]:
    """`text` broken between words into as few lines as a greedy wrap at `limit` characters
    gives, the lines as even as they can be ("at signup and" / "1st renewal", not "at signup
    and 1st" / "renewal"). A word longer than `limit` is a line of its own."""

    def greedy(width: int) -> list[str]:
        lines: list[str] = []
        for word in text.split(" "):
            if lines and len(lines[-1]) + 1 + len(word) <= width:
                lines[-1] += " " + word
            else:
                lines.append(word)
        return lines

    most = len(greedy(limit))
    longest_word = max(len(w) for w in text.split(" "))
    for width in range(longest_word, max(limit, longest_word) + 1):
        lines = greedy(width)
        if len(lines) <= most:
            return lines
    return greedy(limit)


def text_width(text: str, px: float) -> float:
    """How wide `text` is drawn at `px`, estimated without a browser: per character, widths a
    little above DejaVu Sans' (one of the widest sans-serif fonts, and the one a bare Linux
    falls back to), so a label given this much room fits in the fonts people have."""
    em = 0.0
    for ch in text:
        if ch in " .,:;'!|()[]ijlft":
            em += 0.4
        elif ch.isdigit() or ch in "+−-–$€£¥%":
            em += 0.66
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            em += 1.0
        elif ch.isupper() or ch in "mw":
            em += 0.8
        else:
            em += 0.62
    return em * px


def _figure(ch: Chart) -> str:
    caption = f"What the buyer pays in {ch.currency}"
    if any(s.role == "before" for s in ch.series):
        caption += ": before (dashed) and after (solid)"
    header = "".join(
        f'<th scope="col"{" class=num" if i in _num_cols(ch) else ""}>{esc(h)}</th>'
        for i, h in enumerate(ch.header)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<th scope="row">{esc(c)}</th>'
            if i == 0
            else f"<td{' class=num' if i in _num_cols(ch) else ''}>{esc(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in ch.rows
    )
    return (
        f'<figure class="chart" data-currency="{esc(ch.currency)}">'
        f"<figcaption>{esc(ch.currency)}</figcaption>{svg(ch) if _plottable(ch) else ''}"
        f'<table class="timeline"><caption>{esc(caption)}</caption><thead><tr>{header}</tr></thead>'
        f"<tbody>{body}</tbody></table></figure>"
    )


def _plottable(ch: Chart) -> bool:
    """Only amounts are drawn: a timeline that is the catalog's price throughout is its table."""
    return any(c is not None and c[0] is not None for s in ch.series for c in s.costs)


def _num_cols(ch: Chart) -> set[int]:
    return {i for i, h in enumerate(ch.header) if h in (ch.currency, "before", "after", "%")}


def svg(ch: Chart) -> str:
    """The chart: one path per series (before dashed, after solid), a point at each slot where
    the amount is known, carrying the billing periods it stands for (`data-period`,
    `data-through`, `data-onward`) and the exact amount as its label. The currency has its own
    axis from 0 to its highest amount, so ¥59,400 does not flatten $9.99. The table below is
    the accessible version, so the picture is hidden from screen readers."""
    known = [c[0] for s in ch.series for c in s.costs if c is not None and c[0] is not None]
    top = max(known, default=Decimal(0))
    names = [_wrap(slot.label) for slot in ch.slots]
    # Every slot as wide as the widest text any slot holds (a line of its name, an amount, the
    # catalog's price), so that no label runs into its neighbour's or out of the chart.
    texts = [(line, LABEL_PX) for lines in names for line in lines]
    texts += [(format_money(a, ch.currency), AMOUNT_PX) for a in known]
    catalog = [c for s in ch.series for c in s.costs if c is not None and c[0] is None]
    texts += [(shown(c, ch.currency), LABEL_PX) for c in catalog]
    slot_w = max(SLOT_W, math.ceil(max((text_width(t, px) for t, px in texts), default=0) + GAP))
    width = 2 * MARGIN + slot_w * len(ch.slots)
    base = TOP + PLOT_H
    height = base + SLOT_Y + LINE_H * (max(map(len, names), default=1) - 1) + 6

    def x(i: int) -> float:
        return MARGIN + slot_w * i + slot_w / 2

    def y(v: Decimal) -> float:
        return base if top == 0 else round(base - float(v / top) * PLOT_H, 1)

    parts = [
        f'<svg class="plot" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-hidden="true" focusable="false" data-currency="{esc(ch.currency)}">',
        f'<line class="axis" x1="{MARGIN}" y1="{base}" x2="{width - MARGIN}" y2="{base}"/>',
    ]
    parts += [_label("slot", x(i), base + SLOT_Y, *map(esc, lines)) for i, lines in enumerate(names)]
    roles = {s.role: s.costs for s in ch.series}
    after_costs, before_costs = roles.get("after"), roles.get("before")
    for s in ch.series:
        d: list[str] = []
        pen_down = False
        points: list[str] = []
        for i, (slot, cost) in enumerate(zip(ch.slots, s.costs, strict=True)):
            if cost is None or cost[0] is None:
                pen_down = False
                if cost is not None and s.role != "before":
                    # The catalog's price (perhaps plus a known fee): no point, said in words.
                    parts.append(_label("catalog", x(i), base - 6, esc(shown(cost, ch.currency))))
                continue
            amount = cost[0]
            px, py = x(i), y(amount)
            d.append(f"{'L' if pen_down else 'M'}{px} {py}")
            pen_down = True
            label = format_money(amount, ch.currency)
            points.append(
                f'<circle class="point {s.role}" cx="{px}" cy="{py}" r="3.5" data-period="{slot.first}" '
                f'data-through="{slot.last}" data-onward="{str(slot.onward).lower()}" data-amount="{label}"/>'
            )
            # Overlaid: the higher amount is labelled above its point, the lower one below, and a
            # before equal to after is not labelled twice.
            other = (before_costs if s.role == "after" else after_costs) or ()
            twin = other[i] if i < len(other) else None
            twin_amount = twin[0] if twin is not None else None
            if s.role == "before" and twin == cost:
                continue
            below = twin_amount is not None and twin_amount > amount
            cls = "amount before" if s.role == "before" else "amount"
            points.append(_label(cls, px, py + 15 if below else py - 8, label))
        parts.append(f'<path class="series {s.role}" data-currency="{esc(ch.currency)}" d="{" ".join(d)}"/>')
        parts += points
    parts.append("</svg>")
    return "".join(parts)


def _label(cls: str, x: float, y: float, *lines: str) -> str:
    """A text centred on x, its first line's baseline at y, one line after another; `lines` are
    already escaped. Lines after the first are tspans, each with a space before it, so the
    text reads (and copies) as the words it was made of."""
    rest = "".join(f'<tspan x="{x}" dy="{LINE_H}"> {line}</tspan>' for line in lines[1:])
    return f'<text class="{cls}" x="{x}" y="{y}" text-anchor="middle">{lines[0]}{rest}</text>'


# ---- the diff card --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiffEntry:
    """One offer compared, with both payloads (None: no such side, or it does not compile),
    each a request body of `target` (a Sessions v2 body is explained in its review form)."""

    diff: OfferDiff
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    target: str = "v1"
    catalog: Records | None = None  # a catalog snapshot both sides are read through (store/)


def diff_page(entries: Sequence[DiffEntry], *, title: str | None = None) -> str:
    return page(title or _title("offer diff", [e.diff.path for e in entries]), diff_body(entries))


def diff_body(entries: Sequence[DiffEntry]) -> str:
    from offerlang.review.diff import NOTHING

    if not entries:
        return f'<p class="empty">{esc(NOTHING)}</p>'
    index = [(f"offer-{i}", e.diff.path, status_line(e.diff)) for i, e in enumerate(entries, 1)]
    changed = sum(1 for e in entries if e.diff.changes)
    summary = f'<p class="summary">{changed} of {len(entries)} offers with changes buyers would see</p>'
    return "\n".join(
        [_index(index), summary if len(entries) > 1 else ""]
        + [_diff_offer(f"offer-{i}", e) for i, e in enumerate(entries, 1)]
    )


def _diff_offer(anchor: str, e: DiffEntry) -> str:
    d = e.diff
    cls = {"unchanged": "same", "invalid": "bad"}.get(d.status, "changed")
    out = [
        f'<article class="offer diff {esc(d.status)}" id="{anchor}"><h1>{esc(d.path)}</h1>',
        f'<p class="status {cls}">{esc(status_line(d))}</p>',
    ]
    if d.problems:
        out.append('<ul class="problems">' + "".join(f"<li>{esc(p)}</li>" for p in d.problems) + "</ul>")
    if d.changes:
        rows = "".join(
            f'<tr><th scope="row">{esc(c.item or "(session)")}</th><td>{esc(c.text)}</td>'
            f'<td class="num">{esc(_percent(c.old, c.new))}</td></tr>'
            for c in d.changes
        )
        out.append(
            '<table class="changes"><caption>What changes</caption><thead><tr><th scope="col">item</th>'
            '<th scope="col">change</th><th scope="col" class="num">%</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    if d.status != "invalid" and (e.old is not None or e.new is not None):
        out.append(_side_by_side(e.old, e.new, anchor, e.target, e.catalog))
    out.append("</article>")
    return "".join(out)


def _percent(old: Any, new: Any) -> str:
    """The percentage change of an amount (`−20.0%`), blank when it is not two amounts."""
    if isinstance(old, Decimal) and isinstance(new, Decimal) and old not in (0, new):
        return percent_change(old, new).strip(" ()")
    return ""


def _side_by_side(
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    anchor: str,
    target: str = "v1",
    catalog: Records | None = None,
) -> str:
    eo = explain(old, "", target, catalog=catalog) if old is not None else None
    en = explain(new, "", target, catalog=catalog) if new is not None else None
    out = ['<section class="session"><h2>Session</h2>']
    out.append(_compare(eo.session if eo else None, en.session if en else None))
    out.append("</section>")
    olds = {it.product: it for it in (eo.items if eo else [])}
    news = {it.product: it for it in (en.items if en else [])}
    products = [*news, *(p for p in olds if p not in news)]
    for n, p in enumerate(products, 1):
        io, inew = olds.get(p), news.get(p)
        note = " (added)" if io is None else " (removed)" if inew is None else ""
        out.append(
            f'<section class="item" id="{anchor}-item-{n}"><h2>Item <code>{esc(p)}</code>{esc(note)}</h2>'
        )
        # The picture first: reviewers look before they read.
        charts = _overlaid(io, inew)
        if charts:
            out.append('<div class="charts">' + "".join(_figure(ch) for ch in charts) + "</div>")
        out.append(_compare(io.facts if io else None, inew.facts if inew else None))
        out.append("</section>")
    return "".join(out)


def _compare(old: list[tuple[str, str]] | None, new: list[tuple[str, str]] | None) -> str:
    """Facts before and after, side by side; a row that differs is highlighted."""
    o, n = dict(old or []), dict(new or [])
    labels = [*n, *(k for k in o if k not in n)]
    rows = []
    for label in labels:
        a, b = o.get(label, "—"), n.get(label, "—")
        cls = ' class="changed"' if a != b else ""
        rows.append(f'<tr{cls}><th scope="row">{esc(label)}</th><td>{esc(a)}</td><td>{esc(b)}</td></tr>')
    return (
        '<table class="facts compare"><thead><tr><th scope="col"></th><th scope="col">before</th>'
        f'<th scope="col">after</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _overlaid(old: ItemExplanation | None, new: ItemExplanation | None) -> list[Chart]:
    """Per currency on either side, one chart with both timelines on a shared axis."""
    olds = {t.currency: t for t in (old.timelines if old else [])}
    news = {t.currency: t for t in (new.timelines if new else [])}
    # As in diff.py: named periods ("after the trial", "1st renewal") only mean the same on
    # both sides when both agree on the trial; otherwise the charges are counted.
    trials = {has_trial(it.payload.get("pricing", {})) for it in (old, new) if it is not None}
    trial = trials.pop() if len(trials) == 1 else None
    charts = []
    for cur in [*news, *(c for c in olds if c not in news)]:
        ot, nt = olds.get(cur), news.get(cur)
        sides = [t for t in (ot, nt) if t is not None]
        horizon = max(t.horizon for t in sides)
        starts = sorted({c.first for t in sides for c in t.charges})
        slots = []
        for i, first in enumerate(starts):
            last = starts[i + 1] - 1 if i + 1 < len(starts) else horizon
            onward = i + 1 == len(starts) and any(t.charges[-1].onward for t in sides)
            slots.append(Slot(first, last, onward, when(first, last, onward=onward, trial=trial)))
        series = [
            Series(role, tuple(_cost_at(t, s) for s in slots))
            for role, t in (("before", ot), ("after", nt))
            if t
        ]
        rows = tuple(
            (s.label, *(_shown(c, cur) for c in cols), *([_slot_percent(*cols)] if len(cols) == 2 else []))
            for s, *cols in zip(slots, *(x.costs for x in series), strict=True)
        )
        header = ("when", *(x.role for x in series), *(["%"] if len(series) == 2 else []))
        charts.append(Chart(cur, tuple(slots), tuple(series), rows, header))
    return charts


def _cost_at(t: Timeline, s: Slot) -> Cost | None:
    last = t.charges[-1]
    if s.first > last.last and not last.onward:
        return None  # this side stops before: it has no charge there
    return t.charge_at(s.first).cost


def _slot_percent(old: Cost | None, new: Cost | None) -> str:
    if old is None or new is None:
        return ""
    return _percent(old[0], new[0]) if old[1] is None and new[1] is None else ""


def _shown(cost: Cost | None, currency: str) -> str:
    return "—" if cost is None else shown(cost, currency)


# ---- the page -------------------------------------------------------------------------------

STYLE = """
:root{--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--after:#0550ae;
--before:#59636e;--hi:#fff8c5;--bad:#82071e;--badbg:#ffebe9;--good:#116329;--cat:#6639ba;
color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;
--soft:#151b23;--after:#79c0ff;--before:#9198a1;--hi:#3b2e00;--bad:#ffa198;--badbg:#490202;
--good:#7ee787;--cat:#d2a8ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,"Noto Sans",sans-serif}
main{max-width:1100px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:1.3em;margin:1.2em 0 .3em;word-break:break-all}
h2{font-size:1.05em;margin:1.1em 0 .4em}
code{font:0.95em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
nav.index ul{margin:.2em 0 1em;padding-left:1.2em}
a{color:var(--after)}
article.offer{border-top:2px solid var(--line);padding-top:4px;margin-top:18px}
table{border-collapse:collapse;margin:.3em 0 .8em}
th,td{text-align:left;vertical-align:top;padding:3px 10px 3px 0;border-bottom:1px solid var(--line)}
th[scope=row]{color:var(--muted);font-weight:600;white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
caption{text-align:left;color:var(--muted);font-size:.9em;padding-bottom:2px}
tr.catalog td{color:var(--muted)}
.badge{display:inline-block;font-size:.75em;border:1px solid var(--cat);color:var(--cat);
border-radius:8px;padding:0 6px;margin-left:4px}
.catalog-value{margin-left:6px;color:var(--fg)}
tr.changed td,tr.changed th{background:var(--hi)}
table.compare td{min-width:14em}
.status{font-weight:600}.status.bad{color:var(--bad)}.status.changed{color:var(--after)}
.status.same{color:var(--good)}
pre.diagnostics,ul.problems{background:var(--badbg);color:var(--fg);padding:10px;overflow-x:auto;
font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
ul.problems{list-style:none}
.charts{display:flex;flex-wrap:wrap;gap:10px 28px}
figure.chart{margin:0;max-width:100%}
figcaption{font-weight:600}
svg.plot{max-width:100%;height:auto;display:block;overflow:visible}
svg .axis{stroke:var(--line);stroke-width:1}
svg .series{fill:none;stroke:var(--after);stroke-width:2}
svg .series.before{stroke:var(--before);stroke-dasharray:5 4}
svg .point{fill:var(--after)}svg .point.before{fill:var(--before)}
svg text{fill:var(--fg);font:12px system-ui,sans-serif;font-variant-numeric:tabular-nums}
svg text.slot,svg text.catalog,svg text.before{fill:var(--muted);font-size:11px}
.pays{margin:.4em 0}
.empty,.summary{color:var(--muted)}
#preview-status{position:sticky;top:0;background:var(--soft);color:var(--muted);padding:4px 20px;
font-size:.85em;border-bottom:1px solid var(--line)}
@media print{:root{--bg:#fff;--fg:#000;--muted:#333;--line:#999;--after:#000;--before:#555;--hi:#eee;
--soft:#fff;--cat:#000;--bad:#000;--badbg:#fff;--good:#000;color-scheme:light}body{font-size:11pt}main{max-width:none;padding:0}#preview-status,nav.index{display:none}
article.offer,section.item,figure.chart{break-inside:avoid}tr.changed td{font-weight:600}}
"""


def page(title: str, body: str, *, head: str = "", csp: str = CSP, top: str = "") -> str:
    """The whole document. `head` (the preview's script) is trusted markup; `title` and every
    text inside `body` are escaped by their builders."""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp, quote=False)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="offerlang">'
        f"<title>{esc(title)}</title><style>{STYLE}</style>{head}</head>\n"
        f"<body>{top}<main>\n{body}\n</main></body></html>\n"
    )
