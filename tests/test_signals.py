"""SIGTERM (what `timeout`, `docker stop` and a cancelled CI job send) is taken like Ctrl-C by
`offer send`: requests in flight finish and are recorded, --out and the summary are written,
and the exit code is 143. Real processes, answers held in the loopback stand-in."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from offerlang.campaign.ledger import read_ledger

from .campaignserver import CampaignServer
from .conftest import EXAMPLES
from .fakefastspring import FakeFastSpring, Reply, created

OFFER_BIN = str(Path(sys.executable).parent / "offer")
CAMPAIGN = EXAMPLES / "campaign" / "annual-upgrade.offer"


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    monkeypatch.setenv("FASTSPRING_API_USERNAME", "signals-user")
    monkeypatch.setenv("FASTSPRING_API_PASSWORD", "signals-secret")
    monkeypatch.setenv("_OFFERLANG_TEST_RETRY_BASE", "0.01")
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def campaign_server():
    fake = CampaignServer().start()
    yield fake
    fake.stop()


@pytest.fixture
def server():
    fake = FakeFastSpring().start()
    yield fake
    fake.stop()


def read_until(stream, start: str) -> str:
    seen = ""
    for line in stream:
        seen += line
        if line.startswith(start):
            return seen
    raise AssertionError(f"the run ended without printing {start!r}: {seen}")


def test_sigterm_mid_campaign_finishes_in_flight_records_writes_out_and_exits_143(campaign_server, tmp_path):
    campaign_server.hold_after = 10
    rows = tmp_path / "buyers.csv"
    rows.write_text(
        "email,first,last,country\n" + "".join(f"b{i:05d}@example.com,F{i},L{i},DE\n" for i in range(60))
    )
    out = tmp_path / "links.csv"
    proc = subprocess.Popen(
        [
            *(OFFER_BIN, "send", str(CAMPAIGN), "--rows", str(rows), "--store", "acme"),
            *(
                "--api-url",
                campaign_server.url,
                "--concurrency",
                "4",
                "--rate",
                "6000/min",
                "--out",
                str(out),
            ),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    campaign_server.wait_held(4)
    proc.send_signal(signal.SIGTERM)
    err = read_until(proc.stderr, "finishing 4 requests in flight")
    campaign_server.release.set()  # the answers arrive after SIGTERM, while the requests are in flight
    err += proc.stderr.read()
    assert proc.wait(timeout=60) == 143, err
    assert "terminated (SIGTERM): the requests in flight were finished and recorded" in err
    assert "rows of the file have no session yet" in err
    _header, state = read_ledger(tmp_path / "buyers.ledger.jsonl")
    assert {e.status for e in state.values()} == {"done"}, "no row left without an outcome"
    assert sum(campaign_server.sessions.values()) == len(state) < 60
    with open(out, newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 60, "--out was written, every row in it"
    assert sum(r["status"] == "done" for r in table) == len(state)


def test_sigterm_during_a_single_send_records_it_and_exits_143(server, tmp_path):
    offer = tmp_path / "falcon.offer"
    offer.write_text("account uKj7izONRfanVwBL9eiG_A\n\nitem falcon\n")
    server.script(Reply(200, created().body, hold=True))
    proc = subprocess.Popen(
        [OFFER_BIN, "send", str(offer), "--store", "acme", "--api-url", server.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    server.wait_held(1)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert f"{offer}: interrupted while sending: FastSpring may have created a session" in err
    assert "offer: terminated (SIGTERM)" in err
    book = [json.loads(line) for line in (tmp_path / ".offer" / "receipts.jsonl").read_text().splitlines()]
    assert [(r["event"], r.get("uncertain")) for r in book] == [("started", None), ("failed", True)]


def test_exit_143_is_documented(root):
    from offerlang.cli import EPILOG, EXIT_TERMINATED
    from offerlang.cli.send_cmd import command

    assert EXIT_TERMINATED == 143 and "143 send: terminated (SIGTERM)" in EPILOG
    assert "143 terminated (SIGTERM)" in (command.help or "")
    assert "exit code is **143**" in (root / "docs" / "guarantees.md").read_text("utf-8")
