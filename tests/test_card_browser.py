"""The offer card and `offer preview` looked at in a real browser (headless Chromium): what a
reviewer sees, not what the HTML says. Skipped with a loud reason where no browser is
installed; a failure under CI=true (tests/browser.py)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from offerlang import compile_file
from offerlang.language import format_money
from offerlang.review.explain import explain
from offerlang.store.context import Stores

from .conftest import ALL_EXAMPLES, ROOT, run

pytestmark = pytest.mark.usefixtures("plain_output_from_the_root")

DIFF = ROOT / "tests" / "fixtures" / "diff"
TEMPLATE = ROOT / "examples" / "campaign" / "annual-upgrade.offer"
EXAMPLES = [p for p in ALL_EXAMPLES if p != TEMPLATE]
TIMEOUT_MS = 30_000  # generous: a wait for something to happen, never a timing assertion


def write_card(capsys, tmp_path: Path, *argv: str) -> Path:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    target = tmp_path / "card.html"
    target.write_text(out, encoding="utf-8")
    return target


def load(tab, target: Path) -> None:
    tab.page.goto(target.as_uri())
    # Nothing left the page: the only request is the file itself.
    assert tab.requests == [target.as_uri()]
    assert tab.errors == []


@pytest.mark.parametrize("offer", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT / "examples")))
def test_every_examples_card_shows_what_the_buyer_pays(offer, tab, capsys, tmp_path):
    target = write_card(capsys, tmp_path, "explain", "--format", "html", str(offer.relative_to(ROOT)))
    load(tab, target)
    p = tab.page
    result = compile_file(offer)
    # The card of an offer under examples/store is read through its catalog, as the CLI does.
    context = Stores().for_path(str(offer))
    e = explain(result.payload, str(offer), catalog=context.records() if context is not None else None)
    items = p.locator("article.offer section.item")
    assert items.count() == len(e.items)
    for n, it in enumerate(e.items):
        section = items.nth(n)
        assert section.locator("h2").inner_text() == f"Item {it.product}"
        figures = section.locator("figure.chart")
        assert figures.count() == len(it.timelines)
        for k, t in enumerate(it.timelines):
            fig = figures.nth(k)
            assert fig.get_attribute("data-currency") == t.currency
            # The table behind the chart: every amount, visible, as explain says it.
            cells = fig.locator("table.timeline tbody td.num")
            assert cells.all_inner_texts() == [c.shown(t.currency) for c in t.charges]
            assert all(cells.nth(i).is_visible() for i in range(cells.count()))
            known = [c for c in t.charges if c.amount is not None]
            plots = fig.locator("svg.plot")
            assert plots.count() == (1 if known else 0)
            if not known:
                continue
            # One path for the currency, a point at each period with a known amount, labelled
            # with the exact amount, every label on screen.
            assert plots.locator("path.series").count() == 1
            points = plots.locator("circle.point")
            assert [int(x) for x in _attrs(points, "data-period")] == [c.first for c in known]
            amounts = [format_money(c.amount, t.currency) for c in known]
            assert _attrs(points, "data-amount") == amounts
            labels = plots.locator("text.amount")
            assert labels.all_text_contents() == amounts
            assert all(labels.nth(i).is_visible() for i in range(labels.count()))
            # The path goes through the points: each point's centre is a vertex of it.
            vertices = re.findall(r"[ML]([\d.]+) ([\d.]+)", plots.locator("path.series").get_attribute("d"))
            centres = [
                (points.nth(i).get_attribute("cx"), points.nth(i).get_attribute("cy"))
                for i in range(points.count())
            ]
            assert vertices == centres
    assert tab.errors == []


def _attrs(locator, name: str) -> list[str]:
    return [locator.nth(i).get_attribute(name) for i in range(locator.count())]


def test_key_amounts_are_visible_text(tab, capsys, tmp_path):
    target = write_card(capsys, tmp_path, "explain", "--format", "html", "tests/fixtures/diff/base.offer")
    load(tab, target)
    usd = tab.page.locator('figure.chart[data-currency="USD"]')
    text = usd.locator("table.timeline").inner_text()
    for line in (
        "at signup (trial)\t0.00\t14-day free trial",
        "after the trial and 1st renewal\t5.00\t9.99 − 50% = 5.00",
        "2nd renewal on\t9.99\tregular price",
    ):
        assert line in text
    assert tab.page.get_by_text("USD 9.99, EUR 8.99 (this session only)").is_visible()


def test_the_diff_card_overlays_before_dashed_and_after_solid(tab, capsys, tmp_path):
    target = write_card(
        capsys, tmp_path, "diff", "--format", "html", str(DIFF / "base.offer"), str(DIFF / "price.offer")
    )
    load(tab, target)
    usd = tab.page.locator('figure.chart[data-currency="USD"] svg.plot')
    before, after = usd.locator("path.series.before"), usd.locator("path.series.after")
    assert (before.count(), after.count()) == (1, 1)
    dash = "getComputedStyle(el).strokeDasharray"
    assert before.evaluate(f"el => {dash}") not in ("none", "")
    assert after.evaluate(f"el => {dash}") == "none"
    assert _attrs(usd.locator("circle.before"), "data-amount") == ["0.00", "5.00", "9.99"]
    assert _attrs(usd.locator("circle.after"), "data-amount") == ["0.00", "4.00", "7.99"]
    assert _attrs(usd.locator("circle.after"), "data-period") == ["0", "1", "3"]
    changes = tab.page.locator("table.changes").inner_text()
    assert "price USD 9.99 → 7.99 (−20.0%)" in changes
    assert tab.page.locator("tr.changed").count() == 1
    assert tab.errors == []


def test_an_offer_value_script_is_text_in_the_browser(tab, capsys, tmp_path):
    offer = tmp_path / "x.offer"
    offer.write_text(
        'account abCdE1FGH2Hij3KLMnOpqR\ntag note "<script>alert(1)</script>"\n'
        'item p {\n  price USD 1.00\n  attribute k "<img src=x onerror=alert(2)>"\n}\n'
    )
    target = write_card(capsys, tmp_path, "explain", "--format", "html", str(offer))
    dialogs: list[str] = []
    tab.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    load(tab, target)
    assert tab.page.locator("script, img").count() == 0
    tags = tab.page.locator("section.session tr", has_text="tags").locator("td")
    assert tags.inner_text() == "note=<script>alert(1)</script>" and tags.is_visible()
    assert 'k="<img src=x onerror=alert(2)>"' in tab.page.locator("section.item").inner_text()
    assert dialogs == []


def _luminance(rgb: str) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (float(x) for x in re.findall(r"[\d.]+", rgb)[:3])
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_contrast_in_light_and_dark_mode(scheme, tab, capsys, tmp_path):
    target = write_card(
        capsys, tmp_path, "diff", "--format", "html", str(DIFF / "base.offer"), str(DIFF / "price.offer")
    )
    tab.page.emulate_media(color_scheme=scheme)
    load(tab, target)
    p = tab.page
    background = p.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (_luminance(background) < 0.1) == (scheme == "dark")
    # WCAG AA for text (4.5:1) against the tab, for body text, the muted labels, the chart's
    # lines and amounts, and a highlighted row against its highlight.
    colours = {
        "text": p.evaluate("getComputedStyle(document.body).color"),
        "label": p.locator("th[scope=row]").first.evaluate("el => getComputedStyle(el).color"),
        "after": p.locator("path.series.after").first.evaluate("el => getComputedStyle(el).stroke"),
        "before": p.locator("path.series.before").first.evaluate("el => getComputedStyle(el).stroke"),
        "amount": p.locator("text.amount").first.evaluate("el => getComputedStyle(el).fill"),
    }
    for name, colour in colours.items():
        assert _contrast(colour, background) >= 4.5, (name, colour, background)
    row = p.locator("tr.changed td").first
    assert (
        _contrast(
            row.evaluate("el => getComputedStyle(el).color"),
            row.evaluate("el => getComputedStyle(el).backgroundColor"),
        )
        >= 4.5
    )


def test_it_prints_cleanly(tab, capsys, tmp_path):
    target = write_card(
        capsys,
        tmp_path,
        "explain",
        "--format",
        "html",
        "examples/spring-promotion.offer",
        "examples/paid-trial.offer",
    )
    load(tab, target)
    p = tab.page
    p.emulate_media(media="print", color_scheme="dark")
    assert not p.locator("nav.index").is_visible()
    # Printed on white whatever the screen's scheme.
    assert p.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert p.pdf(format="A4").startswith(b"%PDF")


# Every element shown, with its colours as computed (text, background, SVG fill and stroke).
_COLOURS = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getClientRects().length)
  .map(el => { const s = getComputedStyle(el), what = el.tagName + '.' + (el.getAttribute('class') || '');
               return [what, s.color, s.backgroundColor, s.fill]; })"""


def test_printing_in_dark_mode_is_dark_on_white_everywhere(tab, tmp_path):
    # A reader whose system is in dark mode prints the card: every colour the dark scheme sets
    # (the "does not compile" red, the diagnostics' background, the "no change" green) must be
    # reset for paper, not only the page's background.
    from offerlang.review.diff import OfferDiff, diff_offers
    from offerlang.review.html import Broken, DiffEntry, diff_body, explain_body, page

    base, price = compile_file(DIFF / "base.offer").payload, compile_file(DIFF / "price.offer").payload
    entries = [
        DiffEntry(diff_offers("price", base, price), base, price),
        DiffEntry(diff_offers("same", base, base), base, base),
        DiffEntry(OfferDiff("broken", "invalid", [], ("broken.offer:1:1: error[E101]: x",)), None, None),
    ]
    broken = Broken("broken.offer", "broken.offer:1:1: error[E101]: x\n")
    target = tmp_path / "print.html"
    target.write_text(page("print", explain_body([], [broken]) + diff_body(entries)), encoding="utf-8")
    load(tab, target)
    p = tab.page
    p.emulate_media(media="print", color_scheme="dark")
    white = "rgb(255, 255, 255)"
    assert p.evaluate("getComputedStyle(document.body).backgroundColor") == white
    seen = p.evaluate(_COLOURS)
    classes = {what for what, *_ in seen}
    for needed in ("P.status bad", "P.status same", "P.status changed", "PRE.diagnostics", "UL.problems"):
        assert needed in classes
    for what, colour, background, fill in seen:
        assert _contrast(colour, white) >= 7, (what, colour)
        if background != "rgba(0, 0, 0, 0)":
            assert _luminance(background) > 0.8, (what, background)
        if what.startswith("text."):
            assert _contrast(fill, white) >= 7, (what, fill)


# ---- offer preview, end to end ---------------------------------------------------------------

PRICED = (
    "account abCdE1FGH2Hij3KLMnOpqR\n\nitem prime-sub {\n  price USD {amount}\n  billed every 1 month\n}\n"
)


def test_preview_follows_saves_and_shows_a_broken_files_diagnostics(tab, tmp_path):
    offer = tmp_path / "offers" / "live.offer"
    offer.parent.mkdir()
    offer.write_text(PRICED.replace("{amount}", "9.99"))
    server = subprocess.Popen(
        [sys.executable, "-c", "from offerlang.cli import entry; entry()", "preview", str(offer.parent)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = server.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", first)[0]
        p = tab.page
        p.goto(url)
        amounts = p.locator('figure.chart[data-currency="USD"] table.timeline td.num')
        assert amounts.first.inner_text() == "9.99"

        def saved(text: str, version: int) -> None:
            offer.write_text(text)
            # The page's script marks the version it shows; a selector, since the page's CSP
            # (rightly) forbids evaluating strings.
            p.locator(f"body[data-version='{version}']").wait_for(state="attached", timeout=TIMEOUT_MS)

        saved(PRICED.replace("{amount}", "12.50"), 2)
        assert amounts.all_inner_texts() == ["12.50", "12.50"]
        assert p.locator("circle.point").first.get_attribute("data-amount") == "12.50"

        saved(PRICED.replace("{amount}", "12.505"), 3)
        diagnostics = p.locator("pre.diagnostics")
        assert diagnostics.is_visible()
        assert "error[E" in diagnostics.inner_text() and "12.505" in diagnostics.inner_text()
        assert p.locator("svg.plot").count() == 0

        saved(PRICED.replace("{amount}", "4.00"), 4)
        assert p.locator("pre.diagnostics").count() == 0
        assert amounts.first.inner_text() == "4.00"

        # Only the server itself was asked: the tab, its event stream, and the card on each update.
        assert {r.split("?")[0] for r in tab.requests} == {url, url + "events", url + "body"}
        assert tab.errors == []
        p.close()
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert out.endswith("offer preview: stopped\n") and err == ""


def test_without_a_browser_a_laptop_skips_loudly_and_ci_fails(monkeypatch):
    from .browser import need_browser

    monkeypatch.setenv("_OFFERLANG_TEST_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="BROWSER TESTS NOT RUN: Chromium is not installed"):
        need_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: a missing browser is a failure"):
        need_browser()


# ---- chart labels: readable, apart, inside the chart ------------------------------------------

# Every text of an SVG chart and the chart's own box, in CSS pixels as laid out by the browser.
_TEXT_BOXES = """svg => {
  const box = r => [r.left, r.top, r.right, r.bottom];
  return [box(svg.getBoundingClientRect()),
          [...svg.querySelectorAll('text')].map(t => [...box(t.getBoundingClientRect()), t.textContent])];
}"""


def _labels_apart_and_inside(page) -> int:
    """Asserts that no two texts of any chart on the page overlap and that each lies inside its
    chart; the number of charts looked at."""
    plots = page.locator("svg.plot")
    for n in range(plots.count()):
        frame, texts = plots.nth(n).evaluate(_TEXT_BOXES)
        left, top, right, bottom = frame
        for *b, text in texts:
            assert left <= b[0] and b[2] <= right and top <= b[1] and b[3] <= bottom, (text, b, frame)
        for i, (*a, ta) in enumerate(texts):
            for *b, tb in texts[i + 1 :]:
                apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
                assert apart, (f"{ta!r} overlaps {tb!r}", a, b)
    return plots.count()


def test_chart_labels_never_overlap_and_stay_inside_every_examples_chart(tab, tmp_path):
    from offerlang.review.html import explain_page

    shown = [explain(compile_file(p).payload, str(p.relative_to(ROOT))) for p in EXAMPLES]
    target = tmp_path / "examples.html"
    target.write_text(explain_page(shown), encoding="utf-8")
    load(tab, target)
    assert _labels_apart_and_inside(tab.page) >= 20


def test_chart_labels_never_overlap_in_the_overlaid_diff_charts(tab, tmp_path):
    from offerlang.review.diff import diff_offers
    from offerlang.review.html import DiffEntry, diff_page

    base = compile_file(DIFF / "base.offer").payload
    entries = []
    for other in sorted(DIFF.glob("*.offer")):
        new = compile_file(other)
        if new.ok and other.name != "base.offer":
            entries.append(DiffEntry(diff_offers(other.name, base, new.payload), base, new.payload))
    target = tmp_path / "diffs.html"
    target.write_text(diff_page(entries), encoding="utf-8")
    load(tab, target)
    assert _labels_apart_and_inside(tab.page) >= 20
