"""`offer send` and its client against a real HTTP server on 127.0.0.1 (tests/fakefastspring.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from offerlang import __version__, jsonout
from offerlang.send.receipts import payload_sha256

from . import sendkit
from .fakefastspring import EXPIRES_MS, SESSION_ID, FakeFastSpring, Reply, created
from .sendkit import (
    FALCON,
    PASSWORD,
    PRINTED,
    TOKEN,
    TOMORROW_MS,
    USERNAME,
    assert_no_secret,
    finish,
    into_a_closed_pipe,
    receipts,
    receipts_file,
    records,
    send,
    send_args,
    sending_environment,
    start_send,
)

BODY = (
    b'{"account":"uKj7izONRfanVwBL9eiG_A","items":[{"product":"falcon","quantity":1,'
    b'"pricing":{"price":{"USD":19.99}}}]}'
)


@pytest.fixture(autouse=True)
def environment(monkeypatch, berlin_time, no_secret_anywhere):
    """The test credentials, whose every leaked form is looked for in all a test printed and
    wrote; the zone pinned."""
    sending_environment(monkeypatch, USERNAME, PASSWORD)


# tests/test_server_text.py runs under this module's fixtures, which it takes as test_send.NAME.
no_secret_anywhere, offer, server = sendkit.no_secret_anywhere, sendkit.offer, sendkit.server


def send_to(server: FakeFastSpring, capsys, offer: Path, *args: str) -> tuple[int, str, str]:
    return send(capsys, str(offer), "--store", "acme", "--api-url", server.url, *args)


def receipts_text(offer: Path) -> str:
    path = receipts_file(offer)
    return path.read_text("utf-8") if path.exists() else ""


# ---- the CLI against the stand-in ---------------------------------------------------------------


def test_success_sends_exact_request_and_prints_links(server, capsys, offer, snapshot):
    server.script(created())
    code, out, err = send_to(server, capsys, offer)
    assert (code, err) == (0, "")
    assert len(server.requests) == 1
    seen = server.requests[0]
    assert (seen.method, seen.path) == ("POST", "/sessions")
    assert seen.header("Authorization") == f"Basic {TOKEN}"
    assert seen.header("User-Agent") == f"offerlang/{__version__}"
    assert seen.header("Content-Type") == "application/json"
    assert seen.body == BODY
    assert out.replace(str(offer), "falcon.offer") == snapshot
    assert f"https://acme.onfastspring.com/session/{SESSION_ID}" in out
    # 1490109872476 ms is 15:24:32 UTC, shown in the local zone (pinned to Berlin: berlin_time).
    assert "2017-03-21 16:24:32 CET" in out
    [receipt] = receipts(offer)
    assert receipt["id"] == SESSION_ID
    assert receipt["sha256"] == payload_sha256(jsonout.loads(BODY))
    assert receipt["offer"] == str(offer)
    assert receipt["expires_ms"] == EXPIRES_MS
    assert_no_secret(out, err, receipts_text(offer))


def test_test_store_links_and_json_output(server, capsys, offer):
    server.script(created())
    code, out, _ = send_to(server, capsys, offer, "--test-store", "--format", "json")
    assert code == 0
    record = json.loads(out)
    assert record == {
        "offer": str(offer),
        "status": "created",
        "id": SESSION_ID,
        "url": f"https://acme.test.onfastspring.com/session/{SESSION_ID}",
        "popup": f'fastspring.builder.checkout("{SESSION_ID}")',
        "expires": "2017-03-21T16:24:32+01:00",
        "expires_ms": EXPIRES_MS,
    }


def test_429_with_retry_after_is_honoured(server, capsys, offer):
    server.script(Reply(429, {"message": "slow down"}, {"Retry-After": "0.2"}), created())
    code, _, err = send_to(server, capsys, offer)
    assert code == 0
    assert len(server.requests) == 2
    # The server's 0.2s, not the 10ms backoff base the tests use.
    assert f"{offer}: retrying in 0.2s: HTTP 429, rate limited (attempt 2 of 5)\n" == err
    assert server.requests[0].body == server.requests[1].body == BODY


def test_404_is_fastspring_rate_limit_and_retried(server, capsys, offer):
    server.script(Reply(404, b""), created())
    code, out, err = send_to(server, capsys, offer)
    assert code == 0
    assert len(server.requests) == 2
    assert "HTTP 404, rate limited (attempt 2 of 5)" in err
    assert SESSION_ID in out


def test_503_twice_then_success(server, capsys, offer):
    server.script(Reply(503), Reply(503), created())
    code, out, err = send_to(server, capsys, offer)
    assert code == 0
    assert len(server.requests) == 3
    assert SESSION_ID in out
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(": HTTP 503 (attempt 2 of 5)")
    assert lines[1].endswith(": HTTP 503 (attempt 3 of 5)")
    assert len(receipts(offer)) == 1


def test_dropped_connection_is_retried(server, capsys, offer):
    server.script(Reply(drop=True), created())
    code, _, err = send_to(server, capsys, offer)
    assert code == 0
    assert len(server.requests) == 2
    assert "connection dropped without an answer (attempt 2 of 5)" in err


def test_read_timeout_is_retried(server, capsys, offer):
    server.script(Reply(hold=True), created())
    code, out, err = send_to(server, capsys, offer, "--timeout", "0.2")
    assert code == 0
    assert len(server.requests) == 2
    assert "read timeout after 0.2s (attempt 2 of 5)" in err
    assert SESSION_ID in out


def test_retries_exhausted_exit_4(server, capsys, offer):
    server.script(*[Reply(503)] * 5)
    code, out, err = send_to(server, capsys, offer)
    assert code == 4
    assert len(server.requests) == 5
    assert out == ""
    assert err.splitlines()[-1] == f"{offer}: error: not sent: gave up after 5 attempts: HTTP 503"
    assert receipts(offer) == []


def test_item_exists_points_at_the_repeated_item(server, capsys, tmp_path, snapshot):
    offer = tmp_path / "two.offer"
    offer.write_text("account uKj7izONRfanVwBL9eiG_A\n\nitem falcon\nitem falcon-monthly\n", "utf-8")
    server.script(Reply(400, {"message": "Item exists.", "params": []}))
    code, out, err = send_to(server, capsys, offer)
    assert code == 3
    assert len(server.requests) == 1
    assert out == ""
    assert f"{offer}:4:6: error[E208]" in err
    assert err.replace(str(offer), "two.offer") == snapshot


def test_400_shows_fastspring_message_without_retry(server, capsys, offer):
    server.script(Reply(400, {"message": "Can not parse request body.", "params": []}))
    code, out, err = send_to(server, capsys, offer)
    assert (code, out) == (3, "")
    assert len(server.requests) == 1
    assert err == f"{offer}: error: FastSpring rejected the session (HTTP 400): Can not parse request body.\n"


def test_401_names_the_variables_and_never_the_secret(server, capsys, offer):
    # A proxy that echoes the request back must not make the credentials visible either.
    echo = {"message": f"Unauthorized: Basic {TOKEN} ({USERNAME}:{PASSWORD})"}
    server.script(Reply(401, echo), created())
    code, out, err = send_to(server, capsys, offer, "--verbose")
    assert code == 3
    assert len(server.requests) == 1
    assert "FastSpring refused the credentials (HTTP 401)" in err
    assert "FASTSPRING_API_USERNAME and FASTSPRING_API_PASSWORD" in err
    assert_no_secret(out, err, receipts_text(offer))


def test_malformed_json_answer_is_not_retried(server, capsys, offer):
    server.script(Reply(200, b"<html>gateway</html>"), created())
    code, out, err = send_to(server, capsys, offer)
    assert (code, out) == (4, "")
    assert len(server.requests) == 1
    assert "HTTP 200 with an unreadable answer (not JSON" in err
    assert "a session may have been created" in err
    assert receipts(offer) == []
    book = receipts_file(offer)
    assert [(r["event"], r.get("uncertain")) for r in records(book)] == [("started", None), ("failed", True)]


def test_dry_run_prints_the_request_and_sends_nothing(server, capsys, offer, snapshot):
    code, out, err = send(capsys, str(offer), "--store", "acme", "--dry-run")
    assert (code, err) == (0, "")
    assert "Authorization: Basic <redacted>\n" in out
    assert out.endswith(BODY.decode() + "\n")
    assert out.replace(str(offer), "falcon.offer") == snapshot
    assert_no_secret(out)
    assert not (offer.parent / ".offer").exists()


def test_dry_run_needs_no_credentials(server, capsys, offer, monkeypatch):
    monkeypatch.delenv("FASTSPRING_API_PASSWORD")
    code, out, err = send(capsys, str(offer), "--store", "acme", "--dry-run", "--format", "json")
    assert code == 0
    assert "FASTSPRING_API_PASSWORD is not set" in err
    record = json.loads(out)
    assert record["request"]["url"] == "https://api.fastspring.com/sessions"
    assert ["Authorization", "Basic <redacted>"] in record["request"]["headers"]
    assert record["request"]["body"]["items"][0]["pricing"]["price"]["USD"] == 19.99


def test_missing_credentials_exit_2_before_any_request(server, capsys, offer, monkeypatch):
    monkeypatch.delenv("FASTSPRING_API_USERNAME")
    monkeypatch.setenv("FASTSPRING_API_PASSWORD", "")
    code, out, err = send_to(server, capsys, offer)
    assert (code, out) == (2, "")
    assert server.requests == []
    assert err == (
        "offer send: error: FASTSPRING_API_USERNAME and FASTSPRING_API_PASSWORD are not set: export the "
        "store's API username and password (created in the FastSpring app under API Credentials) in the "
        "environment; nothing was sent\n"
    )


def test_plain_http_refused_for_remote_hosts(server, capsys, offer):
    code, _, err = send(capsys, str(offer), "--store", "acme", "--api-url", "http://api.example.com")
    assert code == 2
    assert "plain http" in err and "unencrypted" in err
    assert server.requests == []


def test_invalid_offer_is_never_sent(server, capsys, tmp_path, offer):
    bad = tmp_path / "bad.offer"
    bad.write_text("item Falcon\n", "utf-8")  # not a product path (E217)
    code, _, err = send(capsys, str(offer), str(bad), "--store", "acme", "--api-url", server.url)
    assert code == 1
    assert server.requests == []
    assert "E217" in err and "nothing was sent" in err


def test_identical_valid_session_needs_force(server, capsys, offer):
    server.script(created(expires_ms=TOMORROW_MS), created(session_id="second_session_id_0001", expires_ms=1))
    assert send_to(server, capsys, offer)[0] == 0

    code, out, err = send_to(server, capsys, offer)
    assert code == 0
    assert len(server.requests) == 1
    assert f"https://acme.onfastspring.com/session/{SESSION_ID}" in out
    assert "already sent" in out and "--force" in err

    code, out, _ = send_to(server, capsys, offer, "--force")
    assert code == 0
    assert len(server.requests) == 2
    assert "second_session_id_0001" in out
    assert len(receipts(offer)) == 2


def test_receipts_for_another_store_do_not_block(server, capsys, offer):
    server.script(created(expires_ms=TOMORROW_MS), created(expires_ms=TOMORROW_MS))
    send_to(server, capsys, offer)
    code, out, _ = send(capsys, str(offer), "--store", "other", "--api-url", server.url)
    assert code == 0
    assert len(server.requests) == 2
    assert "session created" in out


def test_receipts_option_and_a_damaged_line(server, capsys, offer, tmp_path):
    book = tmp_path / "elsewhere" / "sent.jsonl"
    book.parent.mkdir()
    book.write_text('{"offer": "cut short by a cra\n', "utf-8")
    server.script(created(expires_ms=TOMORROW_MS))
    code, _, err = send_to(server, capsys, offer, "--receipts", str(book))
    assert code == 0
    assert f"{book}:1: warning: not a receipt (not JSON: Unterminated string starting at); ignored" in err
    assert not (offer.parent / ".offer").exists()
    lines = book.read_text("utf-8").splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["id"] == SESSION_ID
    assert_no_secret(book.read_text("utf-8"))


def test_subprocess_run_never_shows_the_password(server, offer):
    server.script(Reply(503), created())
    code, out, err = finish(start_send(server, str(offer), "--verbose"))
    PRINTED.extend((out, err))
    assert code == 0, err
    assert len(server.requests) == 2
    assert "offer send: POST " in err  # --verbose logs each attempt
    assert_no_secret(out, err, receipts_text(offer))


def test_help_does_not_import_httpx():
    code = "import sys\nfrom offerlang.cli import main\nmain(['send', '-h'])\nprint('httpx' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.rstrip().endswith("False")


def test_after_a_400_the_other_offers_are_still_sent(server, capsys, offer, tmp_path):
    other = tmp_path / "other.offer"
    other.write_text(FALCON.replace("19.99", "29.99"), "utf-8")
    server.script(Reply(400, {"message": "Can not parse request body."}), created())
    code, out, err = send(capsys, str(offer), str(other), "--store", "acme", "--api-url", server.url)
    assert code == 3
    assert len(server.requests) == 2
    assert f"{other}: session created" in out
    assert f"{offer}: error: FastSpring rejected the session (HTTP 400)" in err


def test_after_a_401_the_other_offers_are_skipped(server, capsys, offer, tmp_path):
    other = tmp_path / "other.offer"
    other.write_text(FALCON.replace("19.99", "29.99"), "utf-8")
    server.script(Reply(401, {"message": "Unauthorized"}), created())
    args = (str(offer), str(other), "--store", "acme", "--api-url", server.url, "--format", "json")
    code, out, _ = send(capsys, *args)
    assert code == 3
    assert len(server.requests) == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["status"] for r in records] == ["failed", "skipped"]
    assert records[0]["error"] == {
        "kind": "auth",
        "status": 401,
        "message": "Unauthorized",
        "params": [],
        "hint": "check the store's API credentials in FASTSPRING_API_USERNAME and FASTSPRING_API_PASSWORD",
    }


def test_unwritable_receipts_stop_before_any_request(server, capsys, offer, tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("a file where the receipts folder would go", "utf-8")
    code, out, err = send_to(server, capsys, offer, "--receipts", str(taken / "receipts.jsonl"))
    assert (code, out) == (2, "")
    assert "cannot write receipts to" in err
    assert server.requests == []


def test_a_folder_without_offers_is_a_usage_error(server, capsys, tmp_path):
    code, _, err = send(capsys, str(tmp_path), "--store", "acme", "--api-url", server.url)
    assert code == 2
    assert "no *.offer files" in err


# ---- review fixes: nothing lost, nothing leaked ---------------------------------------------------


def test_closed_stdout_still_records_the_session(server, offer):
    server.script(created(expires_ms=TOMORROW_MS))
    run = into_a_closed_pipe(*send_args(server, str(offer)))
    PRINTED.append(run.stderr)
    assert len(server.requests) == 1
    assert receipts(offer)[0]["id"] == SESSION_ID
    assert run.returncode not in (0, 1)
    assert run.returncode == 141
    assert "standard output was closed" in run.stderr
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr


def test_other_commands_still_exit_quietly_on_a_closed_pipe(offer):
    assert into_a_closed_pipe("compile", str(offer)).returncode == 0


def test_receipts_cut_mid_line_do_not_swallow_the_next_receipt(server, capsys, offer):
    book = receipts_file(offer)
    book.parent.mkdir()
    book.write_bytes(b'{"offer": "cut short by a cra')  # no newline: the writer died mid-line
    server.script(created(expires_ms=TOMORROW_MS), created(session_id="second_session_id_0001"))
    assert send_to(server, capsys, offer)[0] == 0
    lines = book.read_text("utf-8").splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["id"] == SESSION_ID
    # The receipt is read back: the identical offer is not sent again.
    code, out, _ = send_to(server, capsys, offer)
    assert code == 0 and "already sent" in out
    assert len(server.requests) == 1


def test_environment_proxies_are_not_used_for_plain_http(server, capsys, offer, monkeypatch):
    proxy = FakeFastSpring().start()
    try:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        monkeypatch.setenv("NO_PROXY", "")
        server.script(created())
        code, _, err = send_to(server, capsys, offer)
        assert code == 0, err
        assert len(proxy.requests) == 0
        assert len(server.requests) == 1
    finally:
        proxy.stop()


def test_undecodable_receipt_lines_are_damaged_lines(server, capsys, offer):
    book = receipts_file(offer)
    book.parent.mkdir()
    book.write_bytes(b'{"offer": "\xff\xfe not utf-8"}\n')
    server.script(created(expires_ms=TOMORROW_MS))
    code, _, err = send_to(server, capsys, offer)
    assert code == 0, err
    assert f"{book}:1: warning: not a receipt (not UTF-8 text); ignored" in err
    assert json.loads(book.read_bytes().splitlines()[2])["id"] == SESSION_ID


def test_unreadable_receipts_stop_before_any_request(server, capsys, offer, monkeypatch):
    from offerlang.send.journal import Journal

    book = receipts_file(offer)
    book.parent.mkdir()
    book.write_text("", "utf-8")

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self.path))

    # Tests may run as root, for whom a mode of 000 does not stop reading.
    monkeypatch.setattr(Journal, "read", refuse)
    code, out, err = send_to(server, capsys, offer)
    monkeypatch.undo()
    assert (code, out) == (2, "")
    assert err.endswith(f"\nError: cannot read receipts {book}: Permission denied\n")
    assert server.requests == []


ECHO_FORMS = {
    "raw": f"{USERNAME}:{PASSWORD}",
    "json": json.dumps(PASSWORD)[1:-1],
    "json-unicode": json.dumps(PASSWORD, ensure_ascii=False)[1:-1],
    "percent": quote(PASSWORD, safe=""),
    "header": f"Basic {TOKEN}",
}


@pytest.mark.parametrize(
    "reply",
    [
        Reply(400, {"message": "bad: {secret}", "params": ["{secret}", {"x": "{secret}"}]}),
        Reply(400, b"<html>proxy echo: {secret}</html>"),
        Reply(422, b"x" * 190 + b"{secret}"),
        Reply(200, b"<html>gateway echo {secret}</html>"),
        Reply(302, headers={"Location": "https://evil.example/{secret}"}),
    ],
    ids=["400-json", "400-html", "422-cut-at-200", "200-malformed", "302"],
)
@pytest.mark.parametrize("form", sorted(ECHO_FORMS))
def test_echoed_secrets_are_masked_in_every_form(server, capsys, offer, reply, form):
    secret = ECHO_FORMS[form]
    if isinstance(reply.body, bytes):
        body: bytes | dict = reply.body.replace(b"{secret}", secret.encode())
    else:
        body = json.loads(
            json.dumps(reply.body).replace("{secret}", secret.replace("\\", "\\\\").replace('"', '\\"'))
        )
    headers = {k: v.replace("{secret}", quote(PASSWORD, safe="")) for k, v in reply.headers.items()}
    server.script(Reply(reply.status, body, headers))
    code, out, err = send_to(server, capsys, offer, "--format", "json")
    assert code in (3, 4)
    assert_no_secret(out, err)


def test_401_does_not_echo_a_page_that_is_not_fastspring_json(server, capsys, offer):
    server.script(Reply(401, b"<html>login page of some proxy</html>"))
    code, _, err = send_to(server, capsys, offer)
    assert code == 3
    assert "login page" not in err
    assert f"{offer}: error: FastSpring refused the credentials (HTTP 401): Unauthorized\n" in err


@pytest.mark.parametrize(
    "url",
    [
        "https://user:s3cr3t-in-url@api.example.com",
        "ftp://user:s3cr3t-in-url@host",
        "https://u:s3cr3t-in-url@h:x",
    ],
)
def test_credentials_in_api_url_are_refused_and_never_shown(server, capsys, offer, url):
    code, out, err = send(capsys, str(offer), "--store", "acme", "--api-url", url)
    assert code == 2
    assert "s3cr3t-in-url" not in out + err
    assert "credentials" in err


def test_api_url_ending_in_sessions_is_refused(server, capsys, offer):
    code, _, err = send(capsys, str(offer), "--store", "acme", "--api-url", server.url + "/sessions/")
    assert code == 2
    assert "/sessions/sessions" in err
    assert server.requests == []


def test_receipts_name_the_offer_by_absolute_path(server, capsys, offer, monkeypatch):
    server.script(created(expires_ms=TOMORROW_MS), created())
    monkeypatch.chdir(offer.parent)
    assert send(capsys, "falcon.offer", "--store", "acme", "--api-url", server.url)[0] == 0
    assert receipts(offer)[0]["offer"] == str(offer.resolve())
    elsewhere = offer.parent / "sub"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, _ = send(capsys, "../falcon.offer", "--store", "acme", "--api-url", server.url)
    assert code == 0 and out.startswith("../falcon.offer: already sent on ")
    assert len(server.requests) == 1


def test_failures_show_params_as_json_and_json_output_has_params_and_hint(server, capsys, offer):
    params = ["items", {"field": "price"}]
    server.script(Reply(400, {"message": "Invalid value.", "params": params}))
    code, out, err = send_to(server, capsys, offer, "--format", "json")
    assert code == 3
    assert '  params: ["items",{"field":"price"}]\n' in err
    assert json.loads(out)["error"] == {
        "kind": "rejected",
        "status": 400,
        "message": "Invalid value.",
        "params": params,
        "hint": None,
    }


@pytest.mark.parametrize(
    ("may_have_created", "said"),
    [
        (
            True,
            "an attempt got no answer, so FastSpring may have created a session; the attempt is recorded "
            "as uncertain in the receipts and is not sent again without --force (check the store first)",
        ),
        (False, "no session was created (FastSpring was not reached, or answered that it created none)"),
    ],
)
def test_ctrl_c_says_whether_a_session_may_exist(server, capsys, offer, monkeypatch, may_have_created, said):
    """It used to say a session "that is not in the receipts" of an attempt it had just recorded
    as uncertain; and the next run said that attempt "got an answer that may hide a session"."""
    from offerlang.send.client import FastSpringClient, SendInterrupted

    def interrupted(self, payload):
        raise SendInterrupted(may_have_created)

    monkeypatch.setattr(FastSpringClient, "create_session", interrupted)
    code, _, err = send_to(server, capsys, offer)
    assert code == 130
    assert f"{offer}: interrupted while sending: {said}\n" in err
    book = records(receipts_file(offer))
    assert [(r["event"], r.get("uncertain")) for r in book] == [
        ("started", None),
        ("failed", may_have_created),
    ]
    code, _, err = send_to(server, capsys, offer)
    if may_have_created:  # the next run: not sent, and told why truthfully
        assert code == 4 and "may hide a session" not in err
        assert (
            "was interrupted (Ctrl-C or SIGTERM) after an attempt that got no answer, and may have "
            "created a session; check the store, then use --force" in err
        )
    else:  # settled: the next run tries again
        assert code == 130 and "not sent: the last attempt" not in err
