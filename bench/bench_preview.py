"""How long from saving an offer to seeing it in `offer preview`?

    pip install -e '.[browser]'      # and Debian's chromium (scripts/dev-setup)
    python bench/bench_preview.py [--saves 30]

Starts `offer preview` on a temporary folder (a real subprocess, as a person runs it) and
saves the offer --saves times with a new price each time, measuring two latencies per save:

1. save -> `update` event: until a server-sent-event client on 127.0.0.1 has the event;
2. save -> new amount on screen: until headless Chromium (Playwright, the system browser) shows
   the new price in the card, i.e. event + fetch of /body + the page updated.

It prints the median, the 90th percentile and the maximum of each. The watcher looks at the
files every 0.1 s (offerlang/review/preview.py, WATCH_INTERVAL), so on average 50 ms of each
figure is waiting for the next look; each save comes after a random pause of 0 to 0.2 s, so
saves do not line up with the looks.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

OFFER = (
    "account abCdE1FGH2Hij3KLMnOpqR\n\nitem prime-sub {\n  price USD {amount}\n  billed every 1 month\n}\n"
)


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[max(0, round(0.9 * len(ms)) - 1)]
    median = statistics.median(ms)
    return f"{name}: median {median:.0f} ms, p90 {p90:.0f} ms, max {ms[-1]:.0f} ms ({len(ms)} saves)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--saves", type=int, default=30)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-preview-"))
    offer = folder / "live.offer"
    offer.write_text(OFFER.replace("{amount}", "1.00"))
    server = subprocess.Popen(
        [sys.executable, "-c", "from offerlang.cli import entry; entry()", "preview", str(folder)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(re.search(r"127\.0\.0\.1:(\d+)", server.stdout.readline())[1])  # type: ignore[index]
        print(f"offer preview on port {port}; {args.saves} saves each")
        print(summary("save -> update event", bench_events(port, offer, args.saves)))
        shown = bench_browser(port, offer, args.saves)
        if shown:
            print(summary("save -> new amount on screen (Chromium)", shown))
    finally:
        server.terminate()
        server.wait(timeout=30)
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()


JITTER = random.Random(13)


def pause() -> None:
    """A random wait before each save (0 to 0.2 s): saved right after an update, every save
    would land just after the watcher's look and wait a whole interval, as a person's do not."""
    time.sleep(JITTER.uniform(0, 0.2))


def bench_events(port: int, offer: Path, saves: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/events", headers={"Host": f"127.0.0.1:{port}"})
    answer = conn.getresponse()  # kept: its file closes with it
    stream = answer.fp

    def next_update() -> None:
        event = None
        while line := stream.readline().decode():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            if line.startswith("data:") and event == "update":
                return
        raise SystemExit("bench: the event stream ended")

    next_update()  # the current version, sent on connecting
    out = []
    for n in range(saves):
        pause()
        start = time.perf_counter()
        offer.write_text(OFFER.replace("{amount}", f"{10 + n}.00"))
        next_update()
        out.append(time.perf_counter() - start)
    conn.close()
    return out


def bench_browser(port: int, offer: Path, saves: int) -> list[float]:
    try:
        from playwright.sync_api import sync_playwright

        from tests.browser import ARGS, chromium_path
    except ImportError:
        print("bench: Playwright is not installed: no browser figure")
        return []
    path = chromium_path()
    if path is None:
        print("bench: Chromium is not installed: no browser figure")
        return []
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=ARGS)
        print(f"browser: Chromium {browser.version} ({path})")
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        cell = page.locator('figure.chart[data-currency="USD"] table.timeline td.num').first
        for n in range(saves):
            amount = f"{500 + n}.00"
            pause()
            start = time.perf_counter()
            offer.write_text(OFFER.replace("{amount}", amount))
            page.locator(
                'figure.chart[data-currency="USD"] table.timeline td.num', has_text=amount
            ).first.wait_for(timeout=30_000)
            out.append(time.perf_counter() - start)
            assert cell.inner_text() == amount
        browser.close()
    return out


if __name__ == "__main__":
    main()
