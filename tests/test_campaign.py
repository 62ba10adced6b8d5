"""`offer send OFFER --rows ROWS`: campaigns against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from offerlang.campaign.ledger import read_ledger
from offerlang.cli import main

from .campaignserver import CampaignServer
from .conftest import EXAMPLES

OFFER = EXAMPLES / "campaign" / "annual-upgrade.offer"
OFFER_BIN = str(Path(sys.executable).parent / "offer")


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    monkeypatch.setenv("FASTSPRING_API_USERNAME", "campaign-user")
    monkeypatch.setenv("FASTSPRING_API_PASSWORD", "campaign-secret")
    monkeypatch.setenv("_OFFERLANG_TEST_RETRY_BASE", "0.01")
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def server():
    fake = CampaignServer().start()
    yield fake
    fake.stop()


def buyers(tmp_path: Path, count: int, name: str = "buyers.csv") -> Path:
    path = tmp_path / name
    lines = ["email,first,last,country"] + [f"b{i:05d}@example.com,First{i},Last{i},DE" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def keys(count: int) -> list[str]:
    return [f"b{i:05d}@example.com" for i in range(count)]


def send(server: CampaignServer, rows: Path, *args: str) -> int:
    return main(["send", str(OFFER), "--rows", str(rows), "--store", "acme", "--api-url", server.url, *args])


def links(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_faults_are_retried_and_every_row_gets_exactly_one_session(server, tmp_path, capsys):
    schedule = {0: "429", 1: "503", 2: "drop", 3: "404"}
    server.faults = lambda key, attempt: schedule.get(int(key[1:6]) % 5) if attempt == 1 else None
    rows = buyers(tmp_path, 20)
    out = tmp_path / "links.csv"
    code = send(server, rows, "--concurrency", "6", "--rate", "6000/min", "--out", str(out))
    err = capsys.readouterr().err
    assert code == 0, err
    assert server.sessions == dict.fromkeys(keys(20), 1)
    assert sum(server.attempts.values()) == 20 + 16, "one retry for each injected fault"
    table = links(out)
    assert [r["email"] for r in table] == keys(20), "row order"
    assert all(
        r["status"] == "done" and r["url"].startswith("https://acme.onfastspring.com/session/S")
        for r in table
    )
    assert table[0]["expires"] == "2017-03-21T15:24:32Z"
    assert "20 rows: 20 sessions created, 0 already done, 0 rejected" in err
    _header, state = read_ledger(tmp_path / "buyers.ledger.jsonl")
    assert {k: e.status for k, e in state.items()} == dict.fromkeys(keys(20), "done")

    # The same command again sends nothing and writes the same links.
    before = out.read_text()
    assert send(server, rows, "--out", str(out)) == 0
    assert sum(server.sessions.values()) == 20
    assert out.read_text() == before
    assert "20 rows: 0 sessions created, 20 already done" in capsys.readouterr().err


def test_rejected_rows_are_recorded_summarised_and_sent_again_next_time(server, tmp_path, capsys):
    server.faults = lambda key, attempt: (
        "400" if key in ("b00003@example.com", "b00007@example.com") else None
    )
    rows = buyers(tmp_path, 10)
    out = tmp_path / "links.csv"
    assert send(server, rows, "--out", str(out), "--rate", "6000/min") == 3
    err = capsys.readouterr().err
    assert "10 rows: 8 sessions created, 0 already done, 2 rejected" in err
    assert "b00003@example.com (line 5): Coupon not valid for b00003@example.com" in err
    statuses = [r["status"] for r in links(out)]
    assert statuses.count("failed") == 2 and statuses.count("done") == 8

    server.faults = lambda key, attempt: None  # the store accepts them now
    assert send(server, rows, "--out", str(out), "--rate", "6000/min") == 0
    assert "10 rows: 2 sessions created, 8 already done" in capsys.readouterr().err
    assert server.sessions == dict.fromkeys(keys(10), 1)
    assert [r["status"] for r in links(out)] == ["done"] * 10


def test_bad_rows_stop_the_campaign_before_any_request(server, tmp_path, capsys):
    rows = buyers(tmp_path, 5)
    rows.write_text(rows.read_text() + "b00001@example.com,Dup,Dup,DE\nnot-an-email,A,B,ZZ\n")
    assert send(server, rows) == 1
    err = capsys.readouterr().err
    assert f'{rows}:7: column "email": key "b00001@example.com" is already used on line 3' in err
    assert (
        f'{rows}:8: column "email": warning[W305]: `not-an-email` does not look like an email address' in err
    )
    assert f'{rows}:8: column "country": error[E203]: `ZZ` is not an ISO 3166 country code' in err
    assert "nothing was sent" in err
    assert server.attempts == {}


def test_a_ledger_of_another_offer_is_refused(server, tmp_path, capsys):
    ledger = tmp_path / "l.jsonl"
    ledger.write_text('{"event":"campaign","offer":"other.offer","template":"x"}\n')
    assert send(server, buyers(tmp_path, 2), "--ledger", str(ledger)) == 2
    assert "records a campaign of other.offer" in capsys.readouterr().err
    assert server.attempts == {}


def test_a_changed_row_is_reported_not_sent_twice(server, tmp_path, capsys):
    rows = buyers(tmp_path, 3)
    assert send(server, rows, "--rate", "6000/min") == 0
    rows.write_text(rows.read_text().replace("First1,", "Renamed,"))
    assert send(server, rows, "--rate", "6000/min") == 0
    err = capsys.readouterr().err
    assert "changed since their session was created (kept, not sent again): b00001@example.com" in err
    assert server.sessions == dict.fromkeys(keys(3), 1)


def test_dry_run_sends_nothing_and_writes_no_ledger(server, tmp_path, capsys):
    rows = buyers(tmp_path, 3)
    assert send(server, rows, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Authorization: Basic <redacted>" in out and "campaign-secret" not in out
    assert "3 rows checked; 3 would be sent" in out
    assert server.attempts == {}
    assert not (tmp_path / "buyers.ledger.jsonl").exists()


def test_campaign_options_need_rows(tmp_path, capsys):
    assert main(["send", str(OFFER), "--store", "acme", "--ledger", "x.jsonl"]) == 2
    assert "--ledger only make sense with --rows" in capsys.readouterr().err


def test_every_request_waits_for_the_rate_limiter_first(server, tmp_path, capsys, monkeypatch):
    """The pace itself is proven with a fake clock (test_ratelimit.py); here, no request reaches the
    store without a slot from a limiter at the --rate given."""
    from offerlang.campaign.ratelimit import RateLimiter

    events: list[str] = []
    rates: set[float] = set()
    take_slot = RateLimiter.__call__

    def slot_then_request(limiter: RateLimiter, *args: object, **kwargs: object) -> None:
        take_slot(limiter, *args, **kwargs)
        rates.add(limiter.per_minute)
        events.append("slot")

    monkeypatch.setattr(RateLimiter, "__call__", slot_then_request)

    def request(_key: str, _attempt: int) -> None:
        events.append("request")

    server.faults = request
    rows = buyers(tmp_path, 24)
    assert send(server, rows, "--rate", "6000/min", "--concurrency", "8") == 0, capsys.readouterr().err
    assert server.sessions == dict.fromkeys(keys(24), 1)
    assert rates == {6000}
    assert events.count("request") == events.count("slot") == 24
    for seen in range(len(events)):
        prefix = events[: seen + 1]
        assert prefix.count("slot") >= prefix.count("request"), f"request {seen} came before its slot"


def run_campaign(server: CampaignServer, rows: Path, *args: str) -> subprocess.Popen:
    command = [OFFER_BIN, "send", str(OFFER), "--rows", str(rows), "--store", "acme", "--api-url", server.url]
    return subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )


def read_until(stream, start: str) -> str:
    """What `stream` says up to a line starting with `start`, included: a handshake with the
    campaign, which printed it."""
    seen = ""
    for line in stream:
        seen += line
        if line.startswith(start):
            return seen
    raise AssertionError(f"the campaign ended without printing {start!r}: {seen}")


def test_sigkill_mid_campaign_then_resume_sends_each_row_at_most_once_beyond_in_flight(server, tmp_path):
    server.hold_after = 20  # the answers after the 20th wait: requests are in flight when the kill lands
    rows = buyers(tmp_path, 60)
    ledger = tmp_path / "buyers.ledger.jsonl"
    concurrency = 4
    proc = run_campaign(server, rows, "--concurrency", str(concurrency), "--rate", "6000/min")
    server.wait_held(concurrency)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    server.hold_after = None
    server.release.set()
    _header, state = read_ledger(ledger)
    uncertain = {k for k, e in state.items() if e.status == "uncertain"}
    assert len(uncertain) == concurrency, "every worker was waiting for an answer"
    killed_at = sum(server.sessions.values())

    # Resume: done rows are skipped, uncertain ones are reported and not sent.
    proc = run_campaign(server, rows, "--rate", "6000/min", "--out", str(tmp_path / "links.csv"))
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, err
    assert f"{len(uncertain)} uncertain" in err and "--retry-uncertain" in err
    assert all(count == 1 for count in server.sessions.values()), "nothing sent twice"
    assert {k for k in keys(60) if server.sessions[k] != 1} <= uncertain, "every certain row sent once"
    assert sum(server.sessions.values()) >= killed_at

    # --retry-uncertain sends those too: only rows that were in flight can now have two sessions.
    proc = run_campaign(
        server, rows, "--retry-uncertain", "--rate", "6000/min", "--out", str(tmp_path / "links.csv")
    )
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    twice = {k for k, count in server.sessions.items() if count == 2}
    assert twice <= uncertain
    assert set(server.sessions) == set(keys(60)) and max(server.sessions.values()) <= 2
    table = links(tmp_path / "links.csv")
    assert [r["email"] for r in table] == keys(60) and {r["status"] for r in table} == {"done"}


def test_ctrl_c_finishes_the_requests_in_flight_and_records_them(server, tmp_path):
    server.hold_after = 10
    rows = buyers(tmp_path, 60)
    proc = run_campaign(server, rows, "--concurrency", "4", "--rate", "6000/min")
    server.wait_held(4)
    proc.send_signal(signal.SIGINT)
    err = read_until(proc.stderr, "finishing 4 requests in flight")
    server.release.set()  # only now: the answers arrive after Ctrl-C, while the requests are in flight
    err += proc.stderr.read()
    assert proc.wait(timeout=60) == 130, err
    assert "interrupted: the requests in flight were finished and recorded" in err
    _header, state = read_ledger(tmp_path / "buyers.ledger.jsonl")
    assert {e.status for e in state.values()} == {"done"}, "no row left without an outcome"
    assert sum(server.sessions.values()) == len(state) < 60


def test_json_lines_rows_and_set(server, tmp_path, capsys):
    rows = tmp_path / "buyers.jsonl"
    rows.write_text(
        "\n".join(json.dumps({"email": f"j{i}@example.com", "first": "J", "last": str(i)}) for i in range(3))
        + "\n"
    )
    assert send(server, rows, "--set", "country=FR", "--rate", "6000/min") == 0, capsys.readouterr().err
    assert server.sessions == {f"j{i}@example.com": 1 for i in range(3)}


def test_refused_credentials_stop_the_campaign(server, tmp_path, capsys):
    server.faults = lambda key, attempt: "401"
    rows = buyers(tmp_path, 30)
    assert send(server, rows, "--concurrency", "2", "--rate", "6000/min") == 3
    err = capsys.readouterr().err
    assert "stopped: FastSpring refused the credentials" in err
    assert "campaign-secret" not in err
    assert sum(server.attempts.values()) <= 2 + 4, "only what was in flight or queued went out"


def test_retries_exhausted_on_http_answers_leave_the_row_to_send_again(server, tmp_path, capsys):
    """503 five times: FastSpring answered every time, so no session exists: not uncertain."""
    server.faults = lambda key, attempt: "503" if key == "b00001@example.com" else None
    rows = buyers(tmp_path, 3)
    assert send(server, rows, "--rate", "6000/min") == 4
    assert "1 network failure, 0 uncertain" in capsys.readouterr().err
    assert server.attempts["b00001@example.com"] == 5
    server.faults = lambda key, attempt: None
    assert send(server, rows, "--rate", "6000/min") == 0
    assert "3 rows: 1 session created, 2 already done" in capsys.readouterr().err
    assert server.sessions == dict.fromkeys(keys(3), 1)


@pytest.mark.parametrize(
    ("fault", "attempts"),
    [
        ("drop", 5),  # no answer at all, five times: the request may have reached FastSpring
        ("garbled", 1),  # a 200 whose body is not a session: one may exist; never repeated
    ],
)
def test_a_row_that_may_have_a_session_is_uncertain_and_not_sent_again(
    fault, attempts, server, tmp_path, capsys
):
    server.faults = lambda key, attempt: fault if key == "b00001@example.com" else None
    rows = buyers(tmp_path, 3)
    assert send(server, rows, "--rate", "6000/min") == 4
    assert server.attempts["b00001@example.com"] == attempts
    server.faults = lambda key, attempt: None
    assert send(server, rows, "--rate", "6000/min") == 4
    assert "uncertain (a request was started but its outcome is unknown): b00001@example.com" in (
        capsys.readouterr().err
    )
    assert server.attempts["b00001@example.com"] == attempts, "not sent again without --retry-uncertain"
    assert send(server, rows, "--rate", "6000/min", "--retry-uncertain") == 0
    assert server.attempts["b00001@example.com"] == attempts + 1
    assert server.sessions == dict.fromkeys(keys(3), 1)


def test_set_fills_a_single_send(server, tmp_path, capsys):
    values = ["--set=first=Ada", "--set=last=Lovelace", "--set=email=ada@example.com", "--set=country=GB"]
    receipts = str(tmp_path / "receipts.jsonl")
    code = main(
        ["send", str(OFFER), "--store", "acme", "--api-url", server.url, "--receipts", receipts, *values]
    )
    assert code == 0, capsys.readouterr().err
    assert server.sessions == {"ada@example.com": 1}


def test_another_key_column_is_refused_not_sent_again(server, tmp_path, capsys):
    rows = buyers(tmp_path, 3)
    assert send(server, rows, "--rate", "6000/min") == 0
    # The same buyers with the columns reordered: the first column is no longer the email.
    lines = [line.split(",") for line in rows.read_text().splitlines()]
    rows.write_text("".join(",".join([c[1], c[0], c[2], c[3]]) + "\n" for c in lines))
    assert send(server, rows, "--rate", "6000/min") == 2
    err = capsys.readouterr().err
    assert "knows its rows by the column 'email', not 'first'" in err and "use --key email" in err
    assert send(server, rows, "--rate", "6000/min", "--key", "email") == 0
    assert "3 rows: 0 sessions created, 3 already done" in capsys.readouterr().err
    assert server.sessions == dict.fromkeys(keys(3), 1)


def test_a_payload_done_under_another_key_is_not_sent_again(server, tmp_path, capsys):
    rows = tmp_path / "buyers.csv"
    body = [f"b{i:05d}@example.com,First{i},Last{i},DE" for i in range(3)]
    rows.write_text("id," + "email,first,last,country\n" + "".join(f"{i},{b}\n" for i, b in enumerate(body)))
    assert send(server, rows, "--rate", "6000/min") == 0
    capsys.readouterr()
    # Renumbered: the same buyers under new keys.
    rows.write_text("id,email,first,last,country\n" + "".join(f"{i + 10},{b}\n" for i, b in enumerate(body)))
    assert send(server, rows, "--rate", "6000/min") == 0
    err = capsys.readouterr().err
    assert "already have a session under another key (the same payload; not sent again): 10, 11, 12" in err
    assert server.sessions == dict.fromkeys(keys(3), 1)


def interrupt_main_thread() -> None:
    """A real SIGINT to the main thread, wherever it is waiting (as Ctrl-C would deliver it)."""
    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)


def release_after_interrupt(server: CampaignServer, monkeypatch) -> None:
    """Hold every answer until the campaign has taken Ctrl-C in: the requests are in flight when
    it lands, however slow the machine."""
    from offerlang.campaign.runner import Runner

    interrupt = Runner._interrupt

    def interrupt_then_release(runner: Runner) -> None:
        interrupt(runner)
        server.release.set()

    monkeypatch.setattr(Runner, "_interrupt", interrupt_then_release)
    server.hold_after = 0


def test_ctrl_c_while_the_last_rows_are_in_flight_still_summarises_and_writes_links(
    server, tmp_path, capsys, monkeypatch
):
    """Six rows fit in the queue at once: when the fourth request arrives, every row has been
    handed to the workers and the main thread waits for the pool when Ctrl-C lands."""
    release_after_interrupt(server, monkeypatch)

    def fourth_arrival(_key: str, _attempt: int) -> None:
        if sum(server.attempts.values()) == 4:
            interrupt_main_thread()

    server.faults = fourth_arrival
    rows = buyers(tmp_path, 6)
    out = tmp_path / "links.csv"
    assert send(server, rows, "--concurrency", "4", "--rate", "6000/min", "--out", str(out)) == 130
    err = capsys.readouterr().err
    assert "finishing 4 requests in flight…" in err, err
    assert "interrupted: the requests in flight were finished and recorded" in err
    _header, state = read_ledger(tmp_path / "buyers.ledger.jsonl")
    assert {e.status for e in state.values()} == {"done"}, "every request in flight was recorded"
    assert sum(server.sessions.values()) == len(state) == 4
    assert "4 rows: 4 sessions created" in err and "2 rows of the file have no session yet" in err
    table = links(out)
    assert [r["email"] for r in table] == keys(6)
    assert [r["status"] for r in table].count("done") == len(state)


@pytest.mark.xfail(
    strict=False,
    reason="known race on a loaded machine: a worker may overtake the other, and a Ctrl-C that "
    "lands just before the main thread blocks on a lock is taken only when that wait ends "
    "(CHANGELOG, Known issues); it passes when the machine is idle",
)
def test_ctrl_c_does_not_wait_for_the_rate_limiter(server, tmp_path, capsys, monkeypatch):
    """At 1/min the second row waits a minute for its slot: Ctrl-C ends that wait at once."""
    server.faults = lambda key, attempt: interrupt_main_thread() if key == keys(1)[0] else None
    release_after_interrupt(server, monkeypatch)
    rows = buyers(tmp_path, 3)
    assert send(server, rows, "--concurrency", "2", "--rate", "1/min") == 130
    err = capsys.readouterr().err
    assert "finishing 1 request in flight…" in err, err
    assert "2 rows of the file have no session yet" in err, err.replace("\n", " | ")
    assert server.sessions == {keys(1)[0]: 1}


def test_outputs_never_overwrite_the_inputs(server, tmp_path, capsys):
    rows = buyers(tmp_path, 2)
    before = rows.read_text()
    ledger = tmp_path / "l.jsonl"
    assert send(server, rows, "--out", str(rows)) == 2
    assert f"--out {rows} is the --rows file: it would be overwritten" in capsys.readouterr().err
    assert send(server, rows, "--ledger", str(ledger), "--out", str(tmp_path / "." / "l.jsonl")) == 2
    assert "is the --ledger file" in capsys.readouterr().err
    assert send(server, rows, "--ledger", str(rows)) == 2
    assert main(["compile", str(OFFER), "--rows", str(rows), "-o", str(rows)]) == 2
    assert f"-o {rows} is the --rows file" in capsys.readouterr().err
    assert rows.read_text() == before and not ledger.exists()
    assert server.attempts == {}


def test_dry_run_of_a_header_only_file(tmp_path, capsys):
    rows = buyers(tmp_path, 0)
    assert main(["send", str(OFFER), "--rows", str(rows), "--store", "acme", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "0 rows checked; 0 would be sent" in out and "POST" not in out


def test_dry_run_counts_as_the_real_run_decides(server, tmp_path, capsys):
    server.faults = lambda key, attempt: "drop" if key == keys(3)[1] else None
    rows = buyers(tmp_path, 3)
    assert send(server, rows, "--rate", "6000/min") == 4
    rows.write_text(rows.read_text().replace("First2,", "Renamed,"))
    capsys.readouterr()
    assert send(server, rows, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "3 rows checked; 0 would be sent" in out and "1 already done" in out
    assert "1 done but changed since (kept)" in out
    assert "1 uncertain (not sent without --retry-uncertain)" in out
    assert "POST" not in out, "no request is shown for a row that would not be sent"
    assert send(server, rows, "--dry-run", "--retry-uncertain") == 0
    out = capsys.readouterr().out
    assert "1 would be sent" in out and '"email":"b00001@example.com"' in out.replace(" ", "")


def test_a_worker_failure_stops_the_campaign_and_is_reported(server, tmp_path, capsys, monkeypatch):
    from offerlang.campaign.ledger import Ledger

    def disk_full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Ledger, "done", disk_full)
    rows = buyers(tmp_path, 10)
    assert send(server, rows, "--concurrency", "1", "--rate", "6000/min") == 70
    err = capsys.readouterr().err
    assert "internal error: OSError: [Errno 28] No space left on device" in err
    assert sum(server.sessions.values()) == 1, "the campaign stopped at the first failure"


def test_an_unknown_set_with_rows_is_reported_once(server, tmp_path, capsys):
    rows = buyers(tmp_path, 5)
    assert send(server, rows, "--set", "cuntry=FR") == 2
    err = capsys.readouterr().err
    assert err.count("cuntry") == 1 and "--set cuntry: not a parameter of" in err


def test_verbose_lines_name_the_row(server, tmp_path, capsys):
    rows = buyers(tmp_path, 2)
    assert send(server, rows, "--rate", "6000/min", "--verbose") == 0
    err = capsys.readouterr().err
    assert "offer send: b00001@example.com (line 3): sending" in err
    assert "offer send: b00001@example.com (line 3): session S" in err
    assert "2 rows: 2 sessions created" in err and "1 session created" not in err


def test_summary_counts_one_session_and_skipped_rows_complete_the_progress():
    from offerlang.campaign.runner import Summary

    summary = Summary(rows=3, sent=1, skipped_done=1, uncertain=["k"])
    assert summary.lines()[0] == (
        "3 rows: 1 session created, 1 already done, 0 rejected, 0 network failures, 1 uncertain"
    )
    assert summary.finished == 3, "skipped rows count toward the bar's total"


def test_ctrl_c_while_a_row_is_handed_to_a_worker_is_taken_after_the_handover(
    server, tmp_path, capsys, monkeypatch
):
    """Ctrl-C in the middle of handing a row to the pool used to leave it counted as pending and
    never finished: the run waited for it forever."""
    from concurrent.futures import ThreadPoolExecutor

    submit = ThreadPoolExecutor.submit

    def interrupted_submit(pool: ThreadPoolExecutor, *args: object, **kwargs: object):
        interrupt_main_thread()
        return submit(pool, *args, **kwargs)

    monkeypatch.setattr(ThreadPoolExecutor, "submit", interrupted_submit)
    rows = buyers(tmp_path, 3)
    assert send(server, rows, "--concurrency", "1", "--rate", "6000/min") == 130
    err = capsys.readouterr().err
    assert "interrupted: the requests in flight were finished and recorded" in err, err
    # The row handed over is sent if its worker started before Ctrl-C was taken, else dropped.
    created = sum(server.sessions.values())
    assert created <= 1 and sum(server.attempts.values()) == created
    assert f"{3 - created} rows of the file have no session yet" in err, err
