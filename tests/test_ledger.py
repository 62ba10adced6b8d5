"""The ledger: what each record means on resume, and a last line cut short by a kill."""

from __future__ import annotations

import pytest

from offerlang.campaign.ledger import Ledger, LedgerError, read_ledger, read_state


def test_states_on_resume(tmp_path):
    path = tmp_path / "l.jsonl"
    ledger = Ledger(path, "offers/a.offer", "email")
    ledger.started("done@example.com", 2, "h1")
    ledger.done("done@example.com", "h1", "S1", "https://x/session/S1", 1000)
    ledger.started("killed@example.com", 3, "h2")
    ledger.started("rejected@example.com", 4, "h3")
    ledger.failed("rejected@example.com", "h3", "rejected", 400, "Coupon not valid")
    ledger.started("lost@example.com", 5, "h4")
    ledger.failed("lost@example.com", "h4", "network", None, "gave up after 5 attempts: connection reset")
    ledger.started("busy@example.com", 6, "h5")
    ledger.failed("busy@example.com", "h5", "network", 503, "gave up after 5 attempts: HTTP 503")
    ledger.close()
    header, state = read_ledger(path)
    assert header["offer"] == "offers/a.offer"
    assert {k: e.status for k, e in state.items()} == {
        "done@example.com": "done",
        "killed@example.com": "uncertain",
        "rejected@example.com": "failed",
        "lost@example.com": "uncertain",  # the request may have reached FastSpring
        "busy@example.com": "failed",  # FastSpring answered (503): no session was created
    }
    assert (state["done@example.com"].session, state["done@example.com"].expires) == ("S1", 1000)
    lines = path.read_text().splitlines()
    assert len(lines) == 10 and lines[1].startswith('{"event":"started","key":"done@example.com","line":2')


def test_a_partial_last_line_is_ignored_and_the_next_record_starts_fresh(tmp_path):
    path = tmp_path / "l.jsonl"
    Ledger(path, "a.offer", "email").close()
    with open(path, "a") as fh:
        fh.write('{"event":"done","key":"x@exa')  # the process died mid-write
    ledger = Ledger(path, "elsewhere/a.offer", "email")  # the same offer, resumed from another directory
    ledger.started("y@example.com", 2, "h")
    ledger.close()
    _header, state = read_ledger(path)
    assert list(state) == ["y@example.com"]


def test_a_damaged_line_in_the_middle_is_warned_about_and_skipped(tmp_path):
    path = tmp_path / "l.jsonl"
    path.write_text(
        '{"event":"campaign","offer":"a.offer"}\nnot json\n{"event":"started","key":"k","hash":"h"}\n'
        '{"event":"done","key":"k","hash":"h","session":"S","url":"https://acme.onfastspring.com/session/S","expires":1000}\n'
    )
    state = read_state(path)
    assert [(d.line, d.reason) for d in state.damaged] == [(2, "not JSON: Expecting value")]
    assert state.rows["k"].status == "done"


def test_another_offers_ledger_is_refused(tmp_path):
    path = tmp_path / "l.jsonl"
    Ledger(path, "a.offer", "email").close()
    with pytest.raises(LedgerError, match=r"records a campaign of a\.offer, not b\.offer"):
        Ledger(path, "b.offer", "email")


def test_two_runs_cannot_share_a_ledger(tmp_path):
    path = tmp_path / "l.jsonl"
    first = Ledger(path, "a.offer", "email")
    with pytest.raises(LedgerError, match="in use by another run"):
        Ledger(path, "a.offer", "email")
    first.close()
    Ledger(path, "a.offer", "email").close()


def test_a_ledger_keyed_by_another_column_is_refused(tmp_path):
    path = tmp_path / "l.jsonl"
    Ledger(path, "a.offer", "email").close()
    with pytest.raises(
        LedgerError, match=r"knows its rows by the column 'email', not 'last'.*use --key email"
    ):
        Ledger(path, "a.offer", "last")


def test_a_file_that_is_not_a_ledger_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "links.csv"
    path.write_text("email,session,url,expires,status\n")
    with pytest.raises(LedgerError, match=r"links.csv: not a campaign ledger"):
        Ledger(path, "a.offer", "email")
    payloads = tmp_path / "payloads.jsonl"
    payloads.write_text('{"contact":{"email":"a@example.com"}}\n')
    with pytest.raises(LedgerError, match=r"not a campaign ledger"):
        Ledger(payloads, "a.offer", "email")
    assert path.read_text() == "email,session,url,expires,status\n"


def test_done_payload_hashes_are_known(tmp_path):
    path = tmp_path / "l.jsonl"
    ledger = Ledger(path, "a.offer", "email")
    ledger.done("a@example.com", "h1", "S1", "https://acme.onfastspring.com/session/S1", 1)
    ledger.close()
    assert Ledger(path, "a.offer", "email").done_hashes == {"h1"}
