"""SIGTERM (what `timeout`, `docker stop` and a cancelled CI job send) is taken like Ctrl-C by
`offer send`: requests in flight finish and are recorded, --out and the summary are written,
and the exit code is 143. Real processes, answers held in the loopback stand-in."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from offerlang.campaign.ledger import read_ledger

from .fakefastspring import SESSION_ID, FakeFastSpring, Reply, created
from .sendkit import (
    CAMPAIGN,
    buyers,
    links,
    read_until,
    receipts_file,
    records,
    sending_environment,
    start_send,
)


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    sending_environment(monkeypatch, "signals-user", "signals-secret")


def test_sigterm_mid_campaign_finishes_in_flight_records_writes_out_and_exits_143(campaign_server, tmp_path):
    campaign_server.hold_after = 10
    rows = buyers(tmp_path, 60)
    out = tmp_path / "links.csv"
    proc = start_send(
        campaign_server,
        *(str(CAMPAIGN), "--rows", str(rows), "--concurrency", "4", "--rate", "6000/min", "--out", str(out)),
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
    table = links(out)
    assert len(table) == 60, "--out was written, every row in it"
    assert sum(r["status"] == "done" for r in table) == len(state)


def start_single_send(server: FakeFastSpring, offer: Path) -> subprocess.Popen[str]:
    offer.write_text("account uKj7izONRfanVwBL9eiG_A\n\nitem falcon\n")
    return start_send(server, str(offer))


@pytest.mark.parametrize(
    ("sig", "code", "said"),
    [(signal.SIGTERM, 143, "terminated (SIGTERM)"), (signal.SIGINT, 130, "interrupted")],
)
def test_a_signal_during_a_single_send_finishes_the_request_records_it_and_exits(
    server, tmp_path, sig, code, said
):
    """The request in flight used to be abandoned (recorded as uncertain: a session FastSpring
    created was lost to the receipts, and the next run refused to send without --force)."""
    offer = tmp_path / "falcon.offer"
    server.script(Reply(200, created().body, hold=True))
    proc = start_single_send(server, offer)
    server.wait_held(1)
    proc.send_signal(sig)
    err = read_until(proc.stderr, f"{offer}: finishing the request in flight, then stopping")
    server.release.set()  # the answer arrives after the signal, while the request is in flight
    out, rest = proc.communicate(timeout=60)
    err += rest
    assert proc.returncode == code, err
    assert f"{offer}: session created" in out and SESSION_ID in out
    assert f"offer: {said}" in err and "uncertain" not in err
    book = records(receipts_file(offer))
    assert [r.get("event") for r in book] == ["started", None] and book[1]["id"] == SESSION_ID
    assert len(server.requests) == 1


def test_a_signal_during_a_single_send_starts_no_retry(server, tmp_path):
    """A 503 held until after SIGTERM: FastSpring answered (no session), and no retry starts;
    the attempt is settled, so the next run sends it without --force."""
    offer = tmp_path / "falcon.offer"
    server.script(Reply(503, b"busy", hold=True), created())
    proc = start_single_send(server, offer)
    server.wait_held(1)
    proc.send_signal(signal.SIGTERM)
    err = read_until(proc.stderr, f"{offer}: finishing the request in flight")
    server.release.set()
    _out, rest = proc.communicate(timeout=60)
    err += rest
    assert proc.returncode == 143, err
    assert f"{offer}: interrupted while sending: no session was created" in err
    assert len(server.requests) == 1, "no retry after the signal"
    book = records(receipts_file(offer))
    assert [(r["event"], r.get("kind"), r.get("uncertain")) for r in book] == [
        ("started", None, None),
        ("failed", "interrupted", False),
    ]
    again = start_single_send(server, offer)
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0 and SESSION_ID in out, err


def test_exit_143_is_documented(root):
    from offerlang.cli import EPILOG, EXIT_TERMINATED
    from offerlang.cli.send_cmd import command

    assert EXIT_TERMINATED == 143 and "143 send: terminated (SIGTERM)" in EPILOG
    assert "143 terminated (SIGTERM)" in (command.help or "")
    assert "exit code is **143**" in (root / "docs" / "guarantees.md").read_text("utf-8")
