"""What does `offer preview` cost while nothing changes?

    python bench/bench_preview_idle.py [PATH] [--seconds 20]

Starts `offer preview PATH` (default: this repository, whose .venv and .git hold thousands of
files that are not offers) as a subprocess, lets it settle, then reads the CPU time it uses
(user + system, from /proc: Linux) over --seconds of idling with no browser, with one open event
stream (a tab showing the page) just after it opened, and again a minute later, when the
watcher rests. Prints each as a percentage of one core.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from offerlang.review.preview import IDLE_AFTER  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_share(pid: int, seconds: float) -> float:
    start, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - start) / (time.monotonic() - t0) * 100


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default=str(ROOT))
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    files = sum(len(f) for _, _, f in os.walk(args.path))
    server = subprocess.Popen(
        [sys.executable, "-c", "from offerlang.cli import entry; entry()", "preview", args.path],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(re.search(r"127\.0\.0\.1:(\d+)", server.stdout.readline())[1])  # type: ignore[index]
        time.sleep(3)  # start-up and the first render are not idling
        alone = idle_share(server.pid, args.seconds)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/events", headers={"Host": f"127.0.0.1:{port}"})
        stream = conn.getresponse()  # kept: a dropped response closes its stream
        stream.fp.readline()
        watched = idle_share(server.pid, args.seconds)
        # A minute after the last change (the page opening counts as one), the watcher rests.
        time.sleep(max(0.0, IDLE_AFTER - args.seconds))
        rested = idle_share(server.pid, args.seconds)
        conn.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    print(f"offer preview {args.path} ({files} files under it), idle for {args.seconds:.0f} s:")
    print(f"  no page open:                          {alone:.1f}% of one core")
    print(f"  one page open, in its first minute:    {watched:.1f}% of one core")
    print(f"  one page open, a minute without saves: {rested:.1f}% of one core")


if __name__ == "__main__":
    main()
