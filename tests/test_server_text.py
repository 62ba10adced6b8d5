"""Secrets and server text: what offerlang prints from a URL or a server, against the loopback
fake FastSpring (tests/fakefastspring.py): never a password in any encoding, never a control or
bidi character, never megabytes; and an attempt ends by its deadline whatever the server does.
docs/guarantees.md names these tests.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import os
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from offerlang.review.document import to_markdown, to_plain
from offerlang.review.explain import explain, to_blocks
from offerlang.send.client import MAX_ANSWER_BYTES, FastSpringClient, RetryPolicy, SendError, secret_scrubber
from offerlang.text import shown, visible

from . import test_send
from .conftest import run
from .fakefastspring import SESSION_ID, FakeFastSpring, Reply, created
from .test_send import PASSWORD, PRINTED, USERNAME, send, send_to

# The fixtures of test_send apply here too: credentials in the environment, no proxies, a pinned
# time zone, and after every test the check that no form of the password was printed or written.
environment = test_send.environment
no_secret_anywhere = test_send.no_secret_anywhere
server = test_send.server
offer = test_send.offer

OFFER_CMD = str(Path(sys.executable).with_name("offer"))
# What must never reach a terminal from text offerlang did not write.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def assert_safe(text: str) -> None:
    assert not UNSAFE.search(text), repr(UNSAFE.search(text))


# ---- a URL with a user or password is never repeated -------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http:apiuser:hunter2pw@127.0.0.1:1",
        "http:/apiuser:hunter2pw@127.0.0.1:1",
        "http:\\\\apiuser:hunter2pw@127.0.0.1:1",
        "https://apiuser:hunter2pw@api.example.com/x",
        "https:apiuser:hunter2pw@api.example.com",
        "http://127.0.0.1:1/@apiuser:hunter2pw",
    ],
)
def test_a_url_with_a_user_or_password_is_refused_and_never_repeated(capsys, offer, url):
    for argv in (["--dry-run"], []):
        code, out, err = send(capsys, str(offer), "--store", "acme", "--api-url", url, *argv)
        assert code == 2
        assert "hunter2pw" not in out + err and "apiuser" not in out + err
        assert "must not contain a user or password" in err


# ---- every form of the password is scrubbed ----------------------------------------------------


def base64_around(secret: bytes) -> list[str]:
    """`secret` base64-encoded inside longer texts, at each of the three byte alignments."""
    return [base64.b64encode(b"x" * shift + secret + b"yz").decode() for shift in range(3)]


def leaked(text: str, secret: bytes) -> bool:
    """Whether `secret` can be read back from `text`, decoding every base64-looking run at each
    of its four character offsets, and HTML entities."""
    json_unescaped = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text)
    json_unescaped = json_unescaped.replace('\\"', '"').replace("\\\\", "\\")
    if any(secret.decode("utf-8") in t for t in (text, html.unescape(text), json_unescaped)):
        return True
    for run_ in re.findall(r"[A-Za-z0-9+/_-]{4,}", text):
        for offset in range(4):
            chunk = run_[offset:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            try:
                decoded = base64.b64decode(chunk.replace("-", "+").replace("_", "/"))
            except ValueError:
                continue
            if secret in decoded:
                return True
    return False


ECHOES = {
    **{f"base64-pair-{i}": form for i, form in enumerate(base64_around(f"{USERNAME}:{PASSWORD}".encode()))},
    **{f"base64-password-{i}": form for i, form in enumerate(base64_around(PASSWORD.encode()))},
    "html": html.escape(PASSWORD),
    "html-numeric": html.escape(PASSWORD).replace("&quot;", "&#34;"),
    "json-uppercase-escapes": json.dumps(PASSWORD)[1:-1].replace("\\u00f6", "\\u00F6"),
}


@pytest.mark.parametrize("form", sorted(ECHOES))
def test_the_password_is_scrubbed_in_every_encoding_a_server_may_echo(server, capsys, offer, form):
    echo = ECHOES[form]
    server.script(Reply(400, {"message": f"you sent {echo} to us", "params": [echo]}))
    code, out, err = send_to(server, capsys, offer, "--format", "json")
    assert code == 3
    for secret in (PASSWORD.encode(), f"{USERNAME}:{PASSWORD}".encode()):
        assert not leaked(out + err, secret), form


def test_the_oracle_sees_every_echo_unscrubbed():
    # The check above can fail: without the scrubber, each echo gives the password away.
    for echo in ECHOES.values():
        assert leaked(echo, PASSWORD.encode()) or leaked(echo, f"{USERNAME}:{PASSWORD}".encode())


@pytest.mark.parametrize("password", ["a", "ab", "abc"])
def test_a_very_short_password_does_not_blank_messages(password):
    # Masked only where it stands alone (tests/test_send_client.py), so prose stays readable.
    text = "bad cabbage: Invalid value. See about abacus... cab; YQ== YWI="
    assert secret_scrubber("u", password)(text) == text


def test_a_four_character_password_is_scrubbed_inside_base64_too():
    text = base64.b64encode(b"x" + b"p4ss" + b"yz").decode()
    assert leaked(text, b"p4ss") and not leaked(secret_scrubber("u", "p4ss")(text), b"p4ss")


# ---- server text is escaped and capped ---------------------------------------------------------

HOSTILE = "\x1b]0;owned\x07\x1b[2J\rnot what it seems \u202eevil\u2066 \x9b31m"


def test_a_servers_message_cannot_reach_the_terminal_raw_or_whole(server, capsys, offer):
    message = HOSTILE + "x" * 900_000
    server.script(Reply(400, {"message": message, "params": [HOSTILE, "y" * 50_000, *range(10_000)]}))
    code, out, err = send_to(server, capsys, offer)
    assert code == 3
    assert_safe(err)
    assert "\\x1b]0;owned\\x07\\x1b[2J\\rnot what it seems \\u202eevil\\u2066 \\x9b31m" in err
    assert re.search(r"x… \(899,\d{3} more\)\n", err)
    assert len(err) < 5_000
    # 5 MB is not a message but a bad answer: not read past 1 MiB, not shown at all.
    server.script(Reply(400, {"message": "x" * 5_000_000}))
    code, _, err = send_to(server, capsys, offer)
    assert code == 3
    assert "(HTTP 400): Bad Request (the rest of the answer was not read: larger than 1 MiB)\n" in err
    server.script(Reply(400, {"message": message}))
    code, out, _ = send_to(server, capsys, offer, "--format", "json")
    assert_safe(out)
    assert len(json.loads(out)["error"]["message"]) < 1_100


def test_an_html_page_and_a_location_header_are_escaped(server, capsys, offer):
    page = f"<html>{HOSTILE}</html>".encode()
    server.script(Reply(502, page), Reply(502, page), Reply(502, page), Reply(502, page), Reply(502, page))
    code, _, err = send_to(server, capsys, offer)
    assert code == 4 and "HTTP 502" in err
    server.script(Reply(418, page))
    code, _, err = send_to(server, capsys, offer)
    assert code == 3
    assert_safe(err)
    assert "<html>\\x1b]0;owned" in err
    # Written raw (the trickle path), as http.server would refuse a header that is not Latin-1.
    location = "https://elsewhere.example/\u202e" + "z" * 10_000
    server.script(Reply(302, b"{}", headers={"Location": location}, trickle=0.001))
    code, _, err = send_to(server, capsys, offer)
    assert code == 3
    assert_safe(err)
    assert "unexpected redirect to https://elsewhere.example/\\u202ezz" in err and "more)" in err


def test_shown_escapes_without_cutting_an_escape_in_half():
    assert shown("\x1b" * 600, 10) == "\\x1b\\x1b… (598 more)"
    assert shown("plain") == "plain"
    assert visible("a\u202eb\nc\ud800") == "a\\u202eb\\nc\\ud800"


# ---- bidi controls in explain, diff and markdown ------------------------------------------------

BIDI_OFFER = """\
account uKj7izONRfanVwBL9eiG_A
tag campaign "spring\u202e2026\u2066"

item falcon {
  quantity 1
  price USD 19.99
}
"""


def test_bidi_controls_are_escaped_in_explain_diff_and_markdown(tmp_path, capsys, monkeypatch):
    from offerlang import compile_source

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    result = compile_source(BIDI_OFFER, "bidi.offer")
    assert result.ok, result.diagnostics
    blocks = to_blocks(explain(result.payload, "bidi.offer"))
    assert_safe(to_plain(blocks))
    assert "spring\\u202e2026\\u2066" in to_plain(blocks)
    assert_safe(to_markdown(blocks))
    assert "spring\\\\u202e2026\\\\u2066" in to_markdown(blocks)  # its backslashes escaped for markdown
    bidi = tmp_path / "bidi.offer"
    bidi.write_text(BIDI_OFFER)
    plain = tmp_path / "plain.offer"
    plain.write_text(BIDI_OFFER.replace('tag campaign "spring\u202e2026\u2066"\n', ""))
    for argv in (
        ["explain", str(bidi)],
        ["diff", str(plain), str(bidi)],
        ["diff", "--format", "markdown", str(plain), str(bidi)],
    ):
        code, out, err = run(capsys, *argv)
        assert code == 0, err
        assert_safe(out)
        assert "\\u202e" in out


# ---- answers: size and time -------------------------------------------------------------------


def client_for(server: FakeFastSpring, **options) -> FastSpringClient:
    options.setdefault("retry", RetryPolicy(base_delay=0.01))
    return FastSpringClient(
        store="acme", test_store=False, username=USERNAME, password=PASSWORD, api_url=server.url, **options
    )


def padded_session(size: int) -> bytes:
    start = json.dumps({"id": SESSION_ID, "expires": 1490109872476, "padding": ""}).encode()
    return start[:-2] + b"x" * (size - len(start)) + start[-2:]


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (padded_session(MAX_ANSWER_BYTES + 1), {}),
        (gzip.compress(padded_session(50 * MAX_ANSWER_BYTES)), {"Content-Encoding": "gzip"}),
    ],
    ids=["2-MiB-answer", "gzip-bomb-50-MiB"],
)
def test_an_answer_over_one_mib_is_a_bad_answer_and_never_held_whole(server, body, headers):
    server.script(Reply(200, body, headers), created())
    tracemalloc.start()
    try:
        with client_for(server) as client, pytest.raises(SendError) as caught:
            client.create_session({"items": []})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "unreadable answer (larger than 1 MiB)" in caught.value.message
    assert caught.value.may_have_created and len(server.requests) == 1  # a 200: never repeated
    assert peak < 3 * MAX_ANSWER_BYTES + len(body)  # the answer is never held whole, decoded


def test_an_answer_of_exactly_one_mib_is_read(server):
    server.script(Reply(200, padded_session(MAX_ANSWER_BYTES), {}))
    with client_for(server) as client:
        assert client.create_session({"items": []}).id == SESSION_ID


def test_a_trickled_answer_ends_at_the_attempt_deadline_in_a_real_process(server, offer):
    # One byte every 50 ms of a 20 KB answer would take 17 minutes; --timeout 0.5 ends it.
    server.script(Reply(200, padded_session(20_000), trickle=0.05), created())
    done = subprocess.run(
        [OFFER_CMD, "send", str(offer), "--store", "acme", "--api-url", server.url, "--timeout", "0.5"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    PRINTED.extend((done.stdout, done.stderr))
    assert done.returncode == 4
    assert (
        "HTTP 200 with an unreadable answer (not complete after 0.5s); a session may have been" in done.stderr
    )
    assert len(server.requests) == 1  # a 200 whose body did not arrive is never sent again
    assert server.trickled < 100


@pytest.mark.parametrize("trickle_head", [False, True], ids=["body", "status-line-and-headers"])
def test_the_total_deadline_bounds_a_send_whatever_the_server_does(server, trickle_head):
    # Every read gets the time left, so a byte every 50 ms (each well within any read timeout)
    # cannot keep the send going past its 1 s deadline; 10,000 bytes would take 8 minutes.
    slow = Reply(503, b"x" * 10_000, trickle=0.05, trickle_head=trickle_head)
    server.script(slow, slow, slow, slow, slow)
    policy = RetryPolicy(base_delay=0.01, deadline=1.0)
    with client_for(server, retry=policy) as client, pytest.raises(SendError) as caught:
        client.create_session({"items": []})
    assert caught.value.kind == "network"
    assert "would pass the 1.0s deadline" in caught.value.message
    assert server.trickled < 100
    assert len(server.requests) == 1


def test_a_catalog_pull_is_bound_by_the_same_deadline(server):
    from offerlang.send.client import FastSpringReader

    # A GET may be retried, but a trickled answer still cannot keep an attempt, or the pull,
    # going past its deadline (10,000 bytes at 50 ms each would take 8 minutes).
    slow = Reply(200, b"[" + b" " * 10_000 + b"]", trickle=0.05)
    server.script_get(slow, slow, slow, slow, slow)
    reader = FastSpringReader(
        store="acme",
        test_store=False,
        username=USERNAME,
        password=PASSWORD,
        api_url=server.url,
        retry=RetryPolicy(base_delay=0.01, deadline=1.0),
    )
    with reader, pytest.raises(SendError) as caught:
        reader.get_json("products")
    assert "would pass the 1.0s deadline" in caught.value.message
    assert server.trickled < 100
