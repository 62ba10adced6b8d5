"""Rows per second and memory of `offer compile OFFER --rows ROWS -o payloads.jsonl`.

    .venv/bin/python bench/bench_rows.py [--rows 100000]

Generates ROWS buyers for examples/campaign/annual-upgrade.offer in a temporary folder, then:
1. compiles them in-process, timed (the same streaming loop the CLI runs);
2. again under tracemalloc, printing the memory held and the peak at 10k, 50k and 100k rows,
   and the size of the key index and of the same-session index alone: nothing but those two
   grows with the row count;
3. once through the real CLI in a subprocess, timed, with its peak resident memory.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from offerlang.campaign.rows import RowProblems, RowSet  # noqa: E402
from offerlang.compiler.pipeline import compile_template  # noqa: E402
from offerlang.jsonout import dumps  # noqa: E402

OFFER = ROOT / "examples" / "campaign" / "annual-upgrade.offer"
COUNTRIES = ["DE", "US", "GB", "FR", "JP", "BR", "IN", "NL"]
CHECKPOINTS = (10_000, 50_000, 100_000)


def generate(path: Path, count: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("email,first,last,country\n")
        for i in range(count):
            fh.write(f"buyer{i:06d}@example.com,First{i},Last{i},{COUNTRIES[i % len(COUNTRIES)]}\n")


def compile_rows(rows: Path, out: Path, on_row=None) -> int:
    template, diags = compile_template(OFFER.read_text("utf-8"), str(OFFER))
    assert template is not None, diags
    report = RowProblems(str(rows))
    count = 0
    with open(out, "w", encoding="utf-8") as fh:
        for row in RowSet(rows, template).rows(report):
            fh.write(dumps(row.payload, None) + "\n")
            count += 1
            if on_row is not None:
                on_row(count)
    assert report.ok, report.lines()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="offerlang-bench-") as tmp:
        rows, out = Path(tmp) / "buyers.csv", Path(tmp) / "payloads.jsonl"
        generate(rows, args.rows)
        print(f"{args.rows:,} rows of {OFFER.relative_to(ROOT)}; Python {sys.version.split()[0]}")

        started = time.perf_counter()
        count = compile_rows(rows, out)
        elapsed = time.perf_counter() - started
        print(f"in-process: {count:,} payloads in {elapsed:.2f} s = {count / elapsed:,.0f} rows/s")

        print("memory (tracemalloc, Python allocations):")
        tracemalloc.start()

        def checkpoint(n: int) -> None:
            if n in CHECKPOINTS:
                current, peak = tracemalloc.get_traced_memory()
                print(f"  {n:>7,} rows: {current / 2**20:6.2f} MiB held, peak {peak / 2**20:6.2f} MiB")

        compile_rows(rows, out, checkpoint)
        tracemalloc.stop()
        # The one thing that must grow: the keys seen so far (to refuse a duplicate), with the
        # line of each. Measured alone, the same way, for comparison.
        tracemalloc.start()
        index = {f"buyer{i:06d}@example.com": i + 2 for i in range(args.rows)}
        held = tracemalloc.get_traced_memory()[0] / 2**20
        print(f"  of which the key index of {len(index):,} keys: {held:.2f} MiB")
        del index
        tracemalloc.stop()
        # And the payloads naming a buyer (16 bytes of each one's hash, with its line), so that
        # two rows giving one buyer the same session are refused.
        tracemalloc.start()
        digests = {hashlib.sha256(b"%d" % i).digest()[:16]: i + 2 for i in range(args.rows)}
        held = tracemalloc.get_traced_memory()[0] / 2**20
        print(f"  and the same-session index of {len(digests):,} payloads: {held:.2f} MiB")
        del digests
        tracemalloc.stop()

        command = [str(Path(sys.executable).parent / "offer"), "compile", str(OFFER), "--rows", str(rows)]
        started = time.perf_counter()
        subprocess.run([*command, "-o", str(out)], check=True)
        elapsed = time.perf_counter() - started
        child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        with open(out, encoding="utf-8") as fh:
            lines = sum(1 for _ in fh)
        print(
            f"CLI: {lines:,} payloads in {elapsed:.2f} s = {lines / elapsed:,.0f} rows/s "
            f"(start-up included), peak RSS {child_rss:.0f} MiB"
        )


if __name__ == "__main__":
    main()
