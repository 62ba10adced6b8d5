"""A real browser for the tests: Debian's headless Chromium, driven by Playwright for Python.

Playwright is given the browser's path (`executable_path`); `playwright install`, which
downloads a browser build of its own, is never used. `scripts/dev-setup` installs both
(apt: chromium; pip: the `browser` extra). Without them the browser tests are skipped with
the reason in the summary; under CI (`CI=true`) a missing browser fails them instead, so a
green CI run always means the cards were looked at in a browser.

_OFFERLANG_TEST_CHROMIUM names another Chromium binary (a private knob of the tests and of
scripts/card_screenshot.py, not for use elsewhere).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Debian's /usr/bin/chromium is a shell wrapper; the binary itself starts quicker and takes the
# same switches.
CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser")
# The browser runs as whatever user runs the tests, root in CI, where Chromium's sandbox cannot
# start; it only ever loads the project's own local pages.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    named = os.environ.get("_OFFERLANG_TEST_CHROMIUM")
    if named:
        return named if Path(named).exists() else None
    for c in CANDIDATES:
        found = c if Path(c).is_absolute() and Path(c).exists() else shutil.which(c)
        if found:
            return found
    return None


def unavailable() -> str | None:
    """Why no browser can be driven here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[browser]')"
    if chromium_path() is None:
        return "Chromium is not installed (apt-get install chromium), or _OFFERLANG_TEST_CHROMIUM is wrong"
    return None


def need_browser() -> None:
    reason = unavailable()
    if reason is None:
        return
    message = f"BROWSER TESTS NOT RUN: {reason}; run `bash scripts/dev-setup`"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: a missing browser is a failure)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Watched:
    """A page with every request, console error and page error it caused recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))


@pytest.fixture
def tab(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        yield Watched(context.new_page())
    finally:
        context.close()
