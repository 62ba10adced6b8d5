"""Make docs/offer-card.png, the picture of an offer card in docs/review.md, with the same browser the
tests use (Debian's headless Chromium through Playwright; scripts/dev-setup installs both).

    .venv/bin/python scripts/card_screenshot.py [--old OFFER --new OFFER] [-o docs/offer-card.png]

It renders `offer diff --format html OLD NEW` (by default the price change of the tests'
fixtures, a diff card with before-and-after charts) and photographs the first offer's card.
Run it again after changing the card's look, and commit the PNG.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", default="tests/fixtures/diff/base.offer")
    ap.add_argument("--new", default="tests/fixtures/diff/price.offer")
    ap.add_argument("-o", "--output", default=str(ROOT / "docs" / "offer-card.png"))
    ap.add_argument("--width", type=int, default=960)
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from offerlang.compiler.pipeline import compile_file
    from offerlang.review.diff import diff_offers
    from offerlang.review.html import DiffEntry, diff_page
    from tests.browser import ARGS, chromium_path

    path = chromium_path()
    if path is None:
        sys.exit("card_screenshot: Chromium is not installed (bash scripts/dev-setup)")
    old, new = compile_file(ROOT / args.old), compile_file(ROOT / args.new)
    if not (old.ok and new.ok):
        sys.exit("card_screenshot: both offers must compile")
    label = f"{args.old} → {args.new}"
    page_html = diff_page([DiffEntry(diff_offers(label, old.payload, new.payload), old.payload, new.payload)])
    with tempfile.TemporaryDirectory() as tmp:
        card = Path(tmp) / "card.html"
        card.write_text(page_html, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=path, args=ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": 800}, device_scale_factor=1)
            page.emulate_media(color_scheme="light")
            page.goto(card.as_uri())
            # The first item: what changed, the facts side by side and the overlaid charts.
            first = page.locator("article.offer").first
            box_end = first.locator("section.item").first.bounding_box()
            start = first.bounding_box()
            assert box_end is not None and start is not None
            clip = {
                "x": 0,
                "y": start["y"],
                "width": args.width,
                "height": box_end["y"] + box_end["height"] - start["y"] + 16,
            }
            page.screenshot(path=args.output, clip=clip, full_page=True)
            print(f"{args.output}: Chromium {browser.version}, {args.width}×{round(clip['height'])}")
            browser.close()


if __name__ == "__main__":
    main()
