"""The one journal behind the receipts and the campaign ledger (offerlang/send/journal.py): what
it reads back, what it refuses, and that no line in it can crash a run."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from offerlang.campaign.ledger import Ledger, read_state
from offerlang.cli import main
from offerlang.send.client import Target
from offerlang.send.journal import Damage, Journal, JournalBusy
from offerlang.send.receipts import Receipt, Receipts, payload_sha256

from .fakefastspring import created
from .sendkit import send_args, sending_environment

SHA = "a" * 64
TARGET = Target("acme", False, "https://api.fastspring.com")
DEEP = "[" * 100_000 + "]" * 100_000
BODY = {
    "account": "uKj7izONRfanVwBL9eiG_A",
    "items": [{"product": "falcon", "quantity": 1, "pricing": {"price": {"USD": Decimal("19.99")}}}],
}
FAR_FUTURE_MS = 4_102_444_800_000  # 2100-01-01
LINK = "https://acme.onfastspring.com/session/S1"  # as offerlang writes them (journal.link)


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    sending_environment(monkeypatch, "journal-user", "journal-secret")


def opened(path: Path) -> Receipts:
    book = Receipts(path)
    book.open_file()
    return book


def test_an_identical_live_request_is_already_sent_whatever_else_is_recorded(tmp_path):
    book = opened(tmp_path / "r.jsonl")
    for session_id, expires in (("old", 1_000), ("live", 5_000)):
        decision = book.begin(SHA, TARGET, offer="a.offer", force=True, now_ms=0)
        assert decision.action == "send" and decision.attempt
        receipt = Receipt.new("a.offer", SHA, TARGET, session_id=session_id, url=LINK, expires_ms=expires)
        book.created(decision.attempt, receipt)
    found = book.begin(SHA, TARGET, offer="a.offer", force=False, now_ms=2_000)
    assert found.action == "already-sent" and found.receipt.id == "live"
    assert book.begin(SHA, TARGET, offer="a.offer", force=False, now_ms=6_000).action == "send"
    other = replace(TARGET, test_store=True)
    assert book.begin(SHA, other, offer="a.offer", force=False, now_ms=2_000).action == "send"
    assert book.begin("b" * 64, TARGET, offer="a.offer", force=False, now_ms=2_000).action == "send"


@pytest.mark.parametrize(
    ("kind", "status", "outcome", "answered"),
    [
        ("interrupted", None, "interrupted", False),
        ("network", None, "unanswered", False),  # a timeout, a dropped connection
        ("network", 503, "unanswered", False),  # 503 last, but an earlier try timed out
        ("network", 200, "unreadable", True),  # a 200 whose session could not be read
    ],
)
def test_an_uncertain_attempt_says_what_is_known_of_it(tmp_path, kind, status, outcome, answered):
    """Every recorded uncertain outcome used to read as "got an answer that may hide a session",
    an interrupted attempt that got no answer included."""
    book = opened(tmp_path / "r.jsonl")
    first = book.begin(SHA, TARGET, offer="a.offer", force=False)
    book.failed(first.attempt, kind, status, uncertain=True)
    second = book.begin(SHA, TARGET, offer="a.offer", force=False)
    assert second.action == "unresolved"
    assert (second.unresolved.outcome, second.unresolved.answered) == (outcome, answered)


def test_an_attempt_without_an_outcome_stops_the_next_one_until_forced(tmp_path):
    book = opened(tmp_path / "r.jsonl")
    first = book.begin(SHA, TARGET, offer="a.offer", force=False)
    second = book.begin(SHA, TARGET, offer="a.offer", force=False)
    assert second.action == "unresolved" and second.unresolved.pid == os.getpid()
    assert not second.unresolved.answered
    forced = book.begin(SHA, TARGET, offer="a.offer", force=True)
    assert forced.action == "send" and forced.attempt != first.attempt
    book.failed(forced.attempt, "rejected", 400, uncertain=False)
    assert book.begin(SHA, TARGET, offer="a.offer", force=False).action == "send", "the latest is settled"


def test_receipts_written_by_earlier_versions_still_count(tmp_path):
    path = tmp_path / "r.jsonl"
    old = Receipt.new("a.offer", SHA, TARGET, session_id="S1", url=LINK, expires_ms=FAR_FUTURE_MS)
    path.write_text(json.dumps(old.__dict__) + "\n")
    decision = opened(path).begin(SHA, TARGET, offer="a.offer", force=False)
    assert decision.action == "already-sent" and decision.receipt == old


def test_a_record_after_a_line_cut_short_starts_on_a_line_of_its_own(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"offer": "cut')
    book = opened(path)
    book.failed("x", "rejected", 400, uncertain=False)
    lines = path.read_bytes().split(b"\n")
    assert lines[0] == b'{"offer": "cut' and json.loads(lines[1])["attempt"] == "x"
    book.begin(SHA, TARGET, offer="a.offer", force=False)
    assert [(d.line, d.reason.split(":")[0]) for d in book.damaged] == [(1, "not JSON")]


def test_a_line_nested_100000_deep_is_a_damaged_line_not_a_crash(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"a": 1}\n' + DEEP + "\n" + '{"b": 2}\n')
    with Journal(path) as journal:
        journal.open(create=False)
        read = list(journal.read())
    assert read[0] == (1, {"a": 1}) and read[2] == (3, {"b": 2})
    assert isinstance(read[1][1], Damage) and read[1][1].reason == "not JSON: nested deeper than 64 levels"


def test_a_line_longer_than_a_record_can_be_is_damage_and_not_held(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_bytes(b'{"a": "' + b"x" * (3 << 20) + b'"}\n{"b": 2}\n' + b"y" * (2 << 20))
    with Journal(path) as journal:
        journal.open(create=False)
        read = list(journal.read())
    assert read[0][1] == Damage(1, "longer than 1 MiB")
    assert read[1] == (2, {"b": 2})
    assert read[2][1] == Damage(3, "longer than 1 MiB", torn=True)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("expires", '"soon"', "'expires' is \"soon\""),
        ("created", '"yesterday"', "'created' is \"yesterday\""),
        ("expires_ms", "100000000000000000", "'expires_ms' is 100000000000000000"),
        ("expires_ms", "1e17", "'expires_ms' is 100000000000000000"),
        ("expires_ms", '"5"', "'expires_ms' is \"5\""),
        ("test_store", "0", "'test_store' is 0"),
    ],
)
def test_a_receipt_with_a_wrong_typed_field_is_damage_not_exit_70(
    server, offer, capsys, field, value, reason
):
    receipt = Receipt.new(
        str(offer),
        payload_sha256(BODY),
        Target("acme", False, server.url),
        session_id="S1",
        url=LINK,
        expires_ms=FAR_FUTURE_MS,
    ).__dict__
    text = json.dumps(receipt)
    text = text.replace(f'"{field}": {json.dumps(receipt[field])}', f'"{field}": {value}')
    assert value in text
    book = offer.parent / ".offer" / "receipts.jsonl"
    book.parent.mkdir()
    book.write_text(text + "\n" + DEEP + "\n")
    server.script(created())
    assert main(send_args(server, str(offer))) == 0
    err = capsys.readouterr().err
    assert f"{book}:1: warning: not a receipt ({reason}); ignored" in err
    assert f"{book}:2: warning: not a receipt (not JSON: nested deeper than 64 levels); ignored" in err
    assert len(server.requests) == 1, "a damaged receipt does not count as a session"


def test_a_ledger_line_nested_100000_deep_is_warned_about(tmp_path):
    path = tmp_path / "l.jsonl"
    Ledger(path, "a.offer", "email").close()
    with open(path, "a") as fh:
        fh.write(DEEP + "\n" + '{"event":"started","key":"k","hash":"h"}\n')
    state = read_state(path)
    assert [(d.line, d.reason) for d in state.damaged] == [(2, "not JSON: nested deeper than 64 levels")]
    assert state.rows["k"].status == "uncertain"


def test_a_garbled_ledger_line_that_names_a_row_makes_it_uncertain(tmp_path):
    path = tmp_path / "l.jsonl"
    Ledger(path, "a.offer", "email").close()
    with open(path, "a") as fh:
        fh.write('{"event":"done","key":"ada@example.com","hash":"h","session":\x01}\n{"event":"x"}\n')
    state = read_state(path)
    assert state.rows["ada@example.com"].status == "uncertain"
    assert state.damaged_keys == {2: "ada@example.com"}


def test_a_line_torn_by_a_kill_is_not_news(tmp_path):
    """The last line of a killed run, cut short, is dropped silently: its `started` record was
    never complete on disk, so its request never left."""
    path = tmp_path / "l.jsonl"
    Ledger(path, "a.offer", "email").close()
    with open(path, "a") as fh:
        fh.write('{"event":"started","key":"ada@exa')
    assert read_state(path).damaged == []
    Ledger(path, "a.offer", "email").close()
    state = read_state(path)
    assert state.damaged == [] and state.rows == {}


def test_a_held_journal_is_busy(tmp_path):
    path = tmp_path / "j.jsonl"
    with Journal(path) as first, Journal(path) as second:
        first.open()
        second.open()
        first.lock(wait=False)
        with pytest.raises(JournalBusy):
            second.lock(wait=False)
        first.unlock()
        second.lock(wait=False)


def test_records_are_on_disk_one_per_line(tmp_path):
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.open()
        journal.append({"n": 1})
        journal.append({"n": 2})
        assert [record for _, record in journal.read()] == [{"n": 1}, {"n": 2}]
    assert path.read_text() == '{"n":1}\n{"n":2}\n'


def test_receipts_that_cannot_record_an_attempt_stop_before_its_request(offer, server, capsys, monkeypatch):
    server.script(created())

    def disk_full(self, record):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Journal, "append", disk_full)
    assert main(send_args(server, str(offer))) == 2
    err = capsys.readouterr().err
    assert f"No space left on device; {offer} was not sent" in err
    assert server.requests == []
