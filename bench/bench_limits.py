"""Hostile input, measured: `offer check` on many bad lines, `offer send` against huge answers.

    .venv/bin/python bench/bench_limits.py [--runs 3] [--offer-command "CMD"]

1. Wall time of `offer check` on a file of 40,000 one-character bad lines, and on an item with
   50,000 `pirce USD 1` lines (both generated in a temporary folder), as real subprocesses,
   median of --runs. Each run is stopped after --limit seconds (reported as "> limit").
2. Peak resident memory (ru_maxrss of the child, from wait4) of `offer send` while a stand-in
   on 127.0.0.1 answers its POST with a 100 MB body, and with a gzip bomb (a 1 MB body that
   inflates to 500 MB). A Python process that does nothing else is the baseline.

`--offer-command` runs another `offer` for before/after comparisons, e.g. another checkout:
`--offer-command "env PYTHONPATH=/path/to/checkout .venv/bin/offer"`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OFFER = "account uKj7izONRfanVwBL9eiG_A\n\nitem falcon {\n  quantity 1\n  price USD 19.99\n}\n"
MB = 1_000_000


def _wall(cmd: list[str], limit: float) -> float:
    start = time.perf_counter()
    try:
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=limit, check=False)
    except subprocess.TimeoutExpired:
        return float("inf")
    return time.perf_counter() - start


def bench_check(offer_cmd: list[str], runs: int, limit: float, tmp: Path) -> None:
    bad = tmp / "bad-lines.offer"
    bad.write_text("x\n" * 40_000)
    pirce = tmp / "pirce.offer"
    pirce.write_text("account uKj7izONRfanVwBL9eiG_A\nitem falcon {\n" + "  pirce USD 1\n" * 50_000 + "}\n")
    print(f"offer check, wall time, median of {runs} (each stopped after {limit:.0f} s)")
    for label, path in (("40,000 bad lines", bad), ("50,000 `pirce USD 1` lines", pirce)):
        times = [_wall([*offer_cmd, "check", str(path)], limit) for _ in range(runs)]
        median = statistics.median(times)
        shown = f"> {limit:.0f} s" if median == float("inf") else f"{median:.2f} s"
        print(f"  {label:<28} {shown}")


ANSWERS = ("100 MB answer", "gzip bomb (500 MB gzipped)")


def _body(label: str) -> tuple[bytes, dict[str, str]]:
    if label == ANSWERS[0]:
        return b"x" * (100 * MB), {}
    bomb = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = b"0" * MB
    return b"".join(bomb.compress(zeros) for _ in range(500)) + bomb.flush(), {"Content-Encoding": "gzip"}


def serve(label: str) -> None:
    """The stand-in, in a process of its own, so that the bodies it holds are not counted in the
    memory of the `offer` process (a child inherits its parent's resident pages when forked)."""
    body, extra = _body(label)

    class Answers(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                for start in range(0, len(body), MB):
                    self.wfile.write(body[start : start + MB])
            except OSError:
                pass  # the client stopped reading: what a bound is for

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def _peak_rss_mib(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, child.returncode  # KiB on Linux


def bench_memory(offer_cmd: list[str], tmp: Path) -> None:
    offer = tmp / "falcon.offer"
    offer.write_text(OFFER)
    env = {
        **os.environ,
        "FASTSPRING_API_USERNAME": "bench",
        "FASTSPRING_API_PASSWORD": "bench-password",
        "_OFFERLANG_TEST_RETRY_BASE": "0.01",
        "XDG_CACHE_HOME": str(tmp / "cache"),
    }
    baseline, _ = _peak_rss_mib([sys.executable, "-c", "pass"], env)
    print(f"\noffer send against a stand-in on 127.0.0.1, peak RSS (a bare Python: {baseline:.0f} MiB)")
    # The bodies are made in the stand-in's process only: a child inherits its parent's resident
    # pages when forked, so bodies held here would count in the memory of `offer`.
    for number, label in enumerate(ANSWERS):
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", label],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = f"http://127.0.0.1:{int(server.stdout.readline())}"
            receipts = tmp / f"receipts-{number}.jsonl"
            cmd = [
                *offer_cmd,
                "send",
                str(offer),
                "--store",
                "acme",
                "--api-url",
                url,
                "--receipts",
                str(receipts),
            ]
            peak, code = _peak_rss_mib(cmd, env)
        finally:
            server.kill()
            server.wait()
        print(f"  {label:<36} {peak:6.0f} MiB  (exit {code})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each check (default 3)")
    parser.add_argument("--limit", type=float, default=120.0, help="seconds before a run is stopped")
    parser.add_argument(
        "--offer-command", default=None, help="how to run offer (default: beside this Python)"
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the stand-in's own process
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    offer_cmd = (
        shlex.split(args.offer_command)
        if args.offer_command
        else [str(Path(sys.executable).with_name("offer"))]
    )
    with tempfile.TemporaryDirectory(prefix="offerlang-bench-") as tmp:
        bench_check(offer_cmd, args.runs, args.limit, Path(tmp))
        bench_memory(offer_cmd, Path(tmp))


if __name__ == "__main__":
    main()
