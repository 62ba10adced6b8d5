"""The offer card (`--format html`) as a file: self-contained, escaped, catalog values marked.
What a person sees in a browser is tested in test_card_browser.py."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from offerlang import compile_source
from offerlang.review.explain import explain
from offerlang.review.html import STYLE, Chart, Series, Slot, explain_page, offer_card, svg

from .conftest import ROOT, run

pytestmark = pytest.mark.usefixtures("plain_output_from_the_root")

DIFF = "tests/fixtures/diff"
HOSTILE = """\
contact {
  first "<script>alert(1)</script>"
  last "</td></table><img src=x onerror=alert(2)>"
  email "a@example.com"
  country DE
}
tag "<b>key</b>" "\\"><svg onload=alert(3)>"
item "prime-sub" {
  price USD 9.99
  attribute "k" "<style>body{display:none}</style> & &amp;"
}
"""


def card(capsys, *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return out


def test_the_card_is_one_self_contained_file(capsys):
    page = card(capsys, "explain", "--format", "html", "examples/spring-promotion.offer")
    assert page.startswith("<!doctype html>\n") and page.endswith("</html>\n")
    # Nothing is loaded from anywhere: no src, no external href, no url(), no @import, no script.
    assert not re.search(r"\ssrc=|<link|@import|url\(|<script|<iframe|<object", page)
    assert re.findall(r'href="([^"]*)"', page) == []  # one offer: no index, so no link at all
    # And the page forbids any request, should a value ever slip past escaping.
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_several_offers_make_one_page_with_an_index(capsys):
    page = card(
        capsys, "explain", "--format", "html", "examples/spring-promotion.offer", "examples/paid-trial.offer"
    )
    assert page.count("<!doctype html>") == 1
    assert re.findall(r'href="([^"]*)"', page) == ["#offer-1", "#offer-2"]
    assert 'id="offer-1"' in page and 'id="offer-2"' in page


def test_every_value_is_text_never_markup(tmp_path, capsys):
    offer = tmp_path / "hostile.offer"
    offer.write_text(HOSTILE)
    page = card(capsys, "explain", "--format", "html", str(offer))
    body = page.split("</style>", 1)[1]
    for tag in ("<script", "<img", "<svg onload", "<b>", "<style>", "</td></table>"):
        assert tag not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&amp;amp;" in body  # an entity the author typed shows as typed
    assert "&quot;&gt;&lt;svg onload=alert(3)&gt;" in body


def test_a_tag_value_script_renders_as_text_in_the_diff_card_too(tmp_path, capsys):
    old, new = tmp_path / "old.offer", tmp_path / "new.offer"
    old.write_text(HOSTILE)
    new.write_text(HOSTILE.replace("alert(3)", "alert(4)").replace("9.99", "8.99"))
    page = card(capsys, "diff", "--format", "html", str(old), str(new))
    body = page.split("</style>", 1)[1]
    assert "<script" not in body and "<svg onload" not in body
    assert "alert(4)&gt;" in body


def test_a_file_path_is_escaped(tmp_path, capsys):
    folder = tmp_path / "<b>x"
    folder.mkdir()
    (folder / "a.offer").write_text("account abCdE1FGH2Hij3KLMnOpqR\nitem p { price USD 1.00 }\n")
    page = card(capsys, "explain", "--format", "html", str(folder / "a.offer"))
    assert "<b>x" not in page and "&lt;b&gt;x" in page


def test_an_offer_that_does_not_compile_shows_its_diagnostics_and_exits_1(capsys):
    code, out, err = run(capsys, "explain", "--format", "html", f"{DIFF}/broken.offer", f"{DIFF}/base.offer")
    assert code == 1
    assert "error[" in err  # on standard error as always
    assert 'class="offer broken"' in out and "does not compile" in out
    assert "error[" in out  # and in the card, which is often read where stderr is not
    assert re.findall(r'href="([^"]*)"', out) == ["#offer-1", "#broken-1"]


def test_values_left_to_the_catalog_are_marked_and_can_show_the_catalogs_value():
    result = compile_source((ROOT / "examples/setup-fee.offer").read_text(), "setup-fee.offer")
    e = explain(result.payload, "setup-fee.offer")

    class Catalog:
        def fact(self, product, label):
            return {"price": "USD 1,200.00 a year"}.get(label)

    plain = offer_card(e)
    known = offer_card(e, Catalog())
    marked = {f.label for f in plain.items[0].facts if f.from_catalog}
    assert marked == {"quantity", "price", "trial"}
    assert all(f.catalog_value is None for f in plain.items[0].facts)
    price = next(f for f in known.items[0].facts if f.label == "price")
    assert price.catalog_value == "USD 1,200.00 a year"
    page = explain_page([e], catalog=Catalog())
    assert "catalog: USD 1,200.00 a year" in page
    assert page.count('class="badge"') == 3


def test_a_tag_that_says_catalog_is_not_a_catalog_value():
    source = 'account abCdE1FGH2Hij3KLMnOpqR\ntag note "set in the catalog"\nitem p { price USD 1.00 }\n'
    e = explain(compile_source(source, "t.offer").payload, "t.offer")
    assert not any(f.from_catalog for f in offer_card(e).session)


def test_each_currency_has_its_own_axis():
    # ¥59,400 and $9.99 in one chart would flatten the dollars; every chart scales to its own
    # highest amount, so the top point of each is at the same height.
    slots = (Slot(0, 0, False, "at signup"), Slot(1, 1, True, "every renewal"))

    def top_y(currency: str, high: str) -> float:
        costs = ((Decimal(0), None), (Decimal(high), None))
        picture = svg(Chart(currency, slots, (Series("offer", costs),), (), ()))
        return min(float(y) for y in re.findall(r'<circle[^>]* cy="([\d.]+)"', picture))

    assert top_y("JPY", "59400") == top_y("USD", "9.99")


def test_a_long_slot_label_wraps_into_even_lines_and_widens_its_slot():
    # Merged timeline rows have long names; each wraps between words into as few, even lines
    # as it can, and the slots grow to the widest line (the browser test checks the result).
    slots = (Slot(0, 0, False, "at signup (trial)"), Slot(1, 2, False, "after the trial and renewals 1–5"))
    costs = ((Decimal(0), None), (Decimal("1234567.89"), None))
    picture = svg(Chart("USD", slots, (Series("offer", costs),), (), ()))
    assert ">at signup (trial)</text>" in picture
    assert '>after the trial<tspan x="' in picture and "> and renewals 1–5</tspan>" in picture
    width = int(re.search(r'<svg[^>]* width="(\d+)"', picture)[1])
    assert width > 2 * 10 + 2 * 104  # wider than two narrowest slots
    short = svg(Chart("USD", (Slot(0, 0, False, "at signup"),), (Series("offer", costs[:1]),), (), ()))
    assert int(re.search(r'<svg[^>]* width="(\d+)"', short)[1]) == 10 + 104 + 10


def test_print_resets_every_colour_the_screen_sets():
    # A colour the dark scheme sets and print does not reset prints light-on-white.
    screen = set(re.findall(r"(--[a-z]+):", STYLE.split("@media (prefers-color-scheme:dark)")[0]))
    printed = set(re.findall(r"(--[a-z]+):", STYLE.split("@media print")[1]))
    assert screen and screen <= printed, sorted(screen - printed)


def test_a_timeline_left_to_the_catalog_has_its_table_and_no_empty_chart(capsys):
    page = card(capsys, "explain", "--format", "html", "examples/setup-fee.offer")
    assert page.count('<figure class="chart"') == 2  # USD and EUR
    assert "<svg" not in page  # no known amount in either: nothing to draw
    assert "catalog + 250.00" in page


@pytest.mark.parametrize(
    ("old", "new"), [("base", "price"), ("base", "paid-trial"), ("item-removed", "base"), ("jpy-old", "jpy")]
)
def test_diff_card_snapshots(old, new, capsys, snapshot):
    page = card(capsys, "diff", "--format", "html", f"{DIFF}/{old}.offer", f"{DIFF}/{new}.offer")
    assert page.split("</style>", 1)[1] == snapshot


@pytest.mark.parametrize("offer", ["examples/spring-promotion.offer", "examples/volume-tiers-amount.offer"])
def test_explain_card_snapshots(offer, capsys, snapshot):
    assert card(capsys, "explain", "--format", "html", offer).split("</style>", 1)[1] == snapshot


def test_the_diff_card_gives_the_percentage_change_of_every_amount(capsys):
    page = card(capsys, "diff", "--format", "html", f"{DIFF}/base.offer", f"{DIFF}/price.offer")
    changes = page.split('<table class="changes">', 1)[1].split("</table>", 1)[0]
    assert changes.count('<td class="num">−20.0%') == 3  # the price and the two timeline changes
    assert page.count('class="changed"') == 1  # the price row of the side-by-side facts
    usd = page.split('data-currency="USD"', 1)[1].split("</figure>", 1)[0]
    assert usd.count('<path class="series before"') == 1 and usd.count('<path class="series after"') == 1


def test_no_change_and_nothing_to_compare(capsys, tmp_path):
    page = card(capsys, "diff", "--format", "html", f"{DIFF}/base.offer", f"{DIFF}/formatting.offer")
    assert "no change to what buyers see" in page


def test_the_diff_card_reads_sessions_v2_bodies(tmp_path, capsys):
    # The card explains each side again: a v2 body must be read as one (it has no `items`).
    old, new = tmp_path / "old.offer", tmp_path / "new.offer"
    old.write_text("locale pt-BR\nitem p {\n  price USD 10\n  eds fee USD 2.50\n}\n")
    new.write_text("locale pt-BR\nitem p {\n  price USD 8\n  eds fee USD 2.50\n}\n")
    page = card(capsys, "diff", "--target", "v2", "--format", "html", str(old), str(new))
    assert "Item <code>p</code>" in page
    assert "pt-BR" in page and "EDS fee" in page
    assert page.count('class="changed"') == 1  # the price row
    same = card(capsys, "diff", "--target", "v2", "--format", "html", str(old), str(old))
    assert "no change to what buyers see" in same
