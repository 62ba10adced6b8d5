"""Two campaign runs at once on one large ledger: how many buyers get two sessions?

    .venv/bin/python bench/bench_ledger_race.py [--records 300000] [--trials 20] [--rows 20]
    PYTHONPATH=/path/to/other/checkout .venv/bin/python bench/bench_ledger_race.py   # before/after

A ledger of RECORDS `done` records (an earlier campaign of the same offer) is copied fresh for
each trial; then two real `offer send OFFER --rows ROWS` processes are started against the
loopback stand-in of FastSpring (tests/campaignserver.py), the second one D seconds after the
first. Each trial has its own buyers, so the server's count of sessions per buyer is the
verdict: every session beyond a buyer's first is a duplicate. It prints, per trial, both exit
codes and the duplicates, then the totals.

Where the danger is: a run that reads the ledger before it takes the lock acts on what it
read; if the other run sends and finishes in between, the rows it sent look new. Both runs
read the same ledger for about as long (R), and the first then sends for S seconds, so the
second run's reading ends as the first one finishes when D is about S. The offsets sweep
0 .. 2S, trial by trial (S is measured first, on one run alone: from its first request to its
end). A run that takes the lock before reading cannot
send twice whatever D is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.campaignserver import CampaignServer  # noqa: E402

OFFER = ROOT / "examples" / "campaign" / "annual-upgrade.offer"
OFFER_BIN = str(Path(sys.executable).parent / "offer")


def write_ledger(path: Path, records: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(
            '{"event":"campaign","offer":"annual-upgrade.offer","key":"email","at":"2026-01-01T00:00:00.000Z"}\n'
        )
        for i in range(records):
            key = f"earlier{i:07d}@example.com"
            fh.write(
                f'{{"event":"done","key":"{key}","hash":"{i:064x}","session":"E{i:021d}",'
                f'"url":"https://acme.onfastspring.com/session/E{i:021d}","expires":1490109872476,'
                '"at":"2026-01-01T00:00:00.000Z"}\n'
            )


def write_rows(path: Path, prefix: str, count: int) -> list[str]:
    keys = [f"{prefix}{i:04d}@example.com" for i in range(count)]
    path.write_text("email,first,last,country\n" + "".join(f"{k},F,L,DE\n" for k in keys), encoding="utf-8")
    return keys


def start(server: CampaignServer, rows: Path, ledger: Path) -> subprocess.Popen:
    env = {**os.environ, "FASTSPRING_API_USERNAME": "bench", "FASTSPRING_API_PASSWORD": "bench"}
    return subprocess.Popen(
        [
            *(OFFER_BIN, "send", str(OFFER), "--rows", str(rows), "--ledger", str(ledger)),
            *("--store", "acme", "--api-url", server.url, "--rate", "6000/min", "--concurrency", "4"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--rows", type=int, default=2)
    args = parser.parse_args()

    import offerlang

    print(f"offerlang from {Path(offerlang.__file__).parent} (PYTHONPATH={os.environ.get('PYTHONPATH', '')})")
    server = CampaignServer().start()
    work = Path(tempfile.mkdtemp(prefix="bench-ledger-race-"))
    try:
        template = work / "template.ledger.jsonl"
        write_ledger(template, args.records)
        size = template.stat().st_size / 2**20
        print(f"ledger: {args.records:,} done records, {size:.0f} MiB; {args.rows} buyers a trial")

        # One run alone: S, from its first request to its end.
        ledger = work / "alone.ledger.jsonl"
        shutil.copyfile(template, ledger)
        rows = work / "alone.csv"
        write_rows(rows, "alone", args.rows)
        requests: list[float] = []
        server.faults = lambda _key, _attempt: requests.append(time.monotonic())
        began = time.monotonic()
        alone = start(server, rows, ledger)
        _out, err = alone.communicate()
        ended = time.monotonic()
        assert alone.returncode == 0, err
        sending = ended - requests[0]
        print(f"one run alone: {ended - began:.2f} s, of which {sending:.2f} s from its first request")

        duplicates = 0
        trials_with_duplicates = 0
        refused = 0
        durations = []
        for trial in range(args.trials):
            ledger = work / f"t{trial}.ledger.jsonl"
            shutil.copyfile(template, ledger)
            rows = work / f"t{trial}.csv"
            keys = write_rows(rows, f"t{trial:02d}b", args.rows)
            offset = 2 * sending * (trial + 0.5) / args.trials
            began = time.monotonic()
            first = start(server, rows, ledger)
            time.sleep(offset)  # a benchmark of a race: the offset between the two runs is the variable
            second = start(server, rows, ledger)
            _, err_first = first.communicate()
            _, err_second = second.communicate()
            durations.append(time.monotonic() - began)
            extra = sum(max(0, server.sessions[k] - 1) for k in keys)
            duplicates += extra
            trials_with_duplicates += extra > 0
            in_use = "in use by another run" in err_first + err_second
            refused += in_use
            print(
                f"trial {trial + 1:2d}: second run {offset:5.2f} s later; exit codes "
                f"{first.returncode}/{second.returncode}{' (in use)' if in_use else ''}; "
                f"buyers with two sessions: {extra}"
            )
        print(
            f"\n{args.trials} trials, {args.records:,}-record ledger: duplicate sessions {duplicates} "
            f"(in {trials_with_duplicates} trials); second run refused as in use in {refused}; "
            f"median trial {statistics.median(durations):.2f} s"
        )
    finally:
        server.stop()
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
