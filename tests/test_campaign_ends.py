"""A campaign's report survives what goes wrong around it (issue 9): a full disk closing the
ledger, a rows file deleted or rewritten mid-run, a damaged ledger field. The summary and
--out are written from what is known, never a bare internal error; and only the rows that
were checked are ever sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from offerlang.campaign.ledger import read_ledger
from offerlang.cli import main

from .campaignserver import CampaignServer
from .sendkit import buyer_keys, buyers, campaign_args, links, sending_environment


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    sending_environment(monkeypatch, "ends-user", "ends-secret", no_color=False)


def send(server: CampaignServer, rows: Path, *args: str) -> int:
    return main(campaign_args(server, rows, "--rate", "6000/min", "--concurrency", "1", *args))


def other_buyers(rows: Path) -> None:
    rows.write_text(
        "email,first,last,country\n" + "".join(f"{k},X,Y,FR\n" for k in buyer_keys(3, "unchecked"))
    )


def truncate(rows: Path) -> None:
    rows.write_text("".join(rows.read_text().splitlines(keepends=True)[:11]))


def bad_row(rows: Path) -> None:
    with open(rows, "a") as fh:
        fh.write("late@example.com,A,B,ZZ\n")


@pytest.mark.parametrize(
    "change",
    [other_buyers, truncate, bad_row, Path.unlink],
    ids=["rewritten-with-other-buyers", "truncated", "bad-row-appended", "deleted"],
)
def test_only_checked_rows_are_sent_and_links_cover_every_row(campaign_server, tmp_path, capsys, change):
    """A rewrite with other valid buyers used to send sessions to buyers never checked; a
    truncation left links.csv with 10 of the rows; a deletion ended in an internal error."""
    rows = buyers(tmp_path, 30)
    out = tmp_path / "links.csv"

    def change_after_first_request(_key: str, _attempt: int) -> None:
        if sum(campaign_server.attempts.values()) == 1:
            change(rows)

    campaign_server.faults = change_after_first_request
    assert send(campaign_server, rows, "--out", str(out)) == 0
    err = capsys.readouterr().err
    assert campaign_server.sessions == dict.fromkeys(buyer_keys(30), 1), "the checked rows, and only those"
    table = links(out)
    assert [r["email"] for r in table] == buyer_keys(30) and {r["status"] for r in table} == {"done"}
    assert "note: the rows file changed during the run: the rows as they were checked were sent" in err


def test_a_ledger_that_cannot_be_closed_still_gives_the_summary_and_links(
    campaign_server, tmp_path, capsys, monkeypatch
):
    from offerlang.campaign.ledger import Ledger

    def disk_full(_ledger: Ledger) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Ledger, "close", disk_full)
    rows = buyers(tmp_path, 3)
    out = tmp_path / "links.csv"
    # Not exit 70 ("internal error … please report it"): every record was fsynced as it was
    # written, so this is the machine's problem, told as such (exit 2, like an unwritable --out).
    assert send(campaign_server, rows, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "3 rows: 3 sessions created" in err
    ledger = tmp_path / "buyers.ledger.jsonl"
    assert (
        f"error: the ledger {ledger} could not be closed (No space left on device); every outcome was "
        "written to it and flushed to disk as it happened, so nothing is lost: make room, then run the "
        "same command again to resume"
    ) in err
    assert "internal error" not in err and "This is a bug" not in err
    assert [r["status"] for r in links(out)] == ["done"] * 3


def test_a_damaged_ledger_field_is_warned_about_and_its_row_is_uncertain(campaign_server, tmp_path, capsys):
    """`"expires": "soon"` in a done record used to end the run in an internal error when
    links.csv was written."""
    rows = buyers(tmp_path, 3)
    ledger = tmp_path / "buyers.ledger.jsonl"
    ledger.write_text(
        '{"event":"campaign","offer":"annual-upgrade.offer","key":"email","at":"2026-01-01T00:00:00Z"}\n'
        '{"event":"started","key":"b00001@example.com","line":3,"hash":"h"}\n'
        '{"event":"done","key":"b00001@example.com","hash":"h","session":"S1","url":"https://acme.onfastspring.com/session/S1","expires":"soon"}\n'
        '{"event":"started","key":"b00002@example.com","line":4,"hash":"h2","created":"yesterday",'
        '"at":"yesterday"}\n' + "[" * 100_000 + "]" * 100_000 + "\n"
    )
    out = tmp_path / "links.csv"
    assert send(campaign_server, rows, "--out", str(out)) == 4
    err = capsys.readouterr().err
    assert (
        f"{ledger}:3: warning: damaged record ('expires' is \"soon\"); ignored; the row b00001@example.com"
        in err
    )
    assert f"{ledger}:4: warning: damaged record ('at' is \"yesterday\"); ignored" in err
    assert f"{ledger}:5: warning: damaged record (not JSON: nested deeper than 64 levels); ignored" in err
    assert "3 rows: 1 session created, 0 already done, 0 rejected, 0 network failures, 2 uncertain" in err
    assert campaign_server.sessions == {"b00000@example.com": 1}, "rows that may have a session are not sent"
    assert [r["status"] for r in links(out)] == ["done", "uncertain", "uncertain"]
    _header, state = read_ledger(ledger)
    assert state["b00000@example.com"].status == "done"


def test_out_that_cannot_be_written_still_gives_the_summary(campaign_server, tmp_path, capsys, monkeypatch):
    import offerlang.cli.campaign as campaign_cli

    real = campaign_cli.open_atomic

    def full(path, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(campaign_cli, "open_atomic", full)
    rows = buyers(tmp_path, 2)
    out = tmp_path / "links.csv"
    assert send(campaign_server, rows, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert f"offer send: {out} could not be written (No space left on device); every outcome is in" in err
    assert "2 rows: 2 sessions created" in err
    monkeypatch.setattr(campaign_cli, "open_atomic", real)
    assert send(campaign_server, rows, "--out", str(out)) == 0, "the same command writes it"
    assert [r["status"] for r in links(out)] == ["done", "done"]
    assert sum(campaign_server.sessions.values()) == 2
