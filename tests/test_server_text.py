"""Secrets and server text: what offerlang prints from a URL or a server, against the loopback
fake FastSpring (tests/fakefastspring.py): never a password in any encoding, never a control or
bidi character, never megabytes; and an attempt ends by its deadline whatever the server does.
docs/guarantees.md names these tests.
"""

from __future__ import annotations

import base64
import gzip
import html
import importlib.util
import json
import os
import re
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offerlang.review.document import to_markdown, to_plain
from offerlang.review.explain import explain, to_blocks
from offerlang.send.client import (
    MAX_ANSWER_BYTES,
    MAX_READ_BYTES,
    FastSpringClient,
    RetryPolicy,
    SendError,
    secret_scrubber,
)
from offerlang.text import shown, visible

from . import test_send
from .conftest import EXAMPLES, run
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
    """Whether `secret` can be read back from `text`: as it is, HTML-unescaped, JSON-unescaped or
    percent-decoded (and each of those once more), or base64 at each of the four character
    offsets of every base64-looking run in any of them, white space left out."""
    views = {text}
    for _ in range(2):
        views |= {decoded for view in views for decoded in (html.unescape(view), unjson(view), unquote(view))}
    if any(secret.decode("utf-8") in view for view in views):
        return True
    for view in views:
        for run_ in re.findall(r"[A-Za-z0-9+/_-]{4,}", re.sub(r"\s+|\\n", "", view)):
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


def unjson(text: str) -> str:
    for candidate in (f'"{text}"', text):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, str):
            return value
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text)
    return text.replace('\\"', '"').replace("\\\\", "\\")


def wrapped_base64(secret: bytes) -> str:
    """`secret` inside base64 wrapped onto lines of 76 (MIME), as a JSON string holds it."""
    return json.dumps(base64.encodebytes(b"x" * 40 + secret + b"y" * 40).decode())[1:-1]


ECHOES = {
    **{f"base64-pair-{i}": form for i, form in enumerate(base64_around(f"{USERNAME}:{PASSWORD}".encode()))},
    **{f"base64-password-{i}": form for i, form in enumerate(base64_around(PASSWORD.encode()))},
    "html": html.escape(PASSWORD),
    "html-numeric": html.escape(PASSWORD).replace("&quot;", "&#34;"),
    "json-uppercase-escapes": json.dumps(PASSWORD)[1:-1].replace("\\u00f6", "\\u00F6"),
    # Forms no encoder's usual output gives, found by reading the text decoded:
    "percent-every-byte": "".join(f"%{b:02X}" for b in PASSWORD.encode()),
    "json-every-character": "".join(f"\\u{ord(c):04X}" for c in PASSWORD),
    "html-numeric-every-character": "".join(f"&#{ord(c)};" for c in PASSWORD),
    "html-named-entities": html.escape(PASSWORD).replace("ö", "&ouml;").replace("ß", "&szlig;"),
    "html-of-json": html.escape(json.dumps(PASSWORD)),
    **{
        f"base64-password-percent-{i}": quote(form, safe="")
        for i, form in enumerate(base64_around(PASSWORD.encode()))
    },
    "base64-wrapped-in-json": wrapped_base64(PASSWORD.encode()),
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
    # Made before memory is traced: the first client imports httpx, which alone is megabytes.
    client = client_for(server)
    tracemalloc.start()
    try:
        with client, pytest.raises(SendError) as caught:
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


# ---- the catalog reader reads answers as sessions do ---------------------------------------------


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pull(capsys, server: FakeFastSpring) -> tuple[int, str, str]:
    code, out, err = run(capsys, "catalog", "pull", "--store", "acme", "--api-url", server.url)
    PRINTED.extend((out, err))
    return code, out, err


def gzip_members(*parts: bytes) -> bytes:
    return b"".join(gzip.compress(part) for part in parts)


GZIPPED_LIST = gzip.compress(b'{"products": [], "nextPage": null}')


@pytest.mark.parametrize(
    ("body", "encoding", "says"),
    [
        (b"\x1f\x8b\x08\x00garbled" * 3, "gzip", "could not be decoded: Error -3"),
        (GZIPPED_LIST[:-8], "gzip", "could not be decoded: the compressed stream stops before its end"),
        (GZIPPED_LIST + b"more", "gzip", "could not be decoded: data after the end of the compressed stream"),
        (b"anything", "br", "could not be decoded: content encoding 'br'"),
    ],
    ids=["garbled-gzip", "gzip-cut-short", "gzip-then-more", "unasked-coding"],
)
def test_a_catalog_answer_that_cannot_be_decoded_is_a_bad_answer_not_a_crash(
    server, capsys, folder, body, encoding, says
):
    # httpx's own decoding raised DecodingError here, which nothing caught: exit 70.
    server.script_get(Reply(200, body, {"Content-Encoding": encoding}))
    code, _, err = pull(capsys, server)
    assert code == 4, err
    assert f"could not read the products: HTTP 200 with an unreadable answer ({says}" in err
    assert "nothing was written" in err and not (folder / "offers.catalog.json").exists()
    assert len(server.requests) == 1  # what an answer is does not change by asking again


def test_a_gzip_answer_of_several_members_and_zeros_after_it_is_read_whole(server, capsys, folder):
    body = gzip_members(b'{"products": [], ', b'"nextPage": null}') + b"\0" * 10
    server.script_get(Reply(200, body, {"Content-Encoding": "gzip"}))
    code, out, err = pull(capsys, server)
    assert (code, out) == (0, "offers.catalog.json: written (0 products of store acme)\n"), err


@pytest.mark.parametrize("coding", ["zlib", "raw"])
def test_a_deflate_answer_trickled_a_byte_at_a_time_is_read(server, coding):
    # The zlib header arrives a byte at a time, so whether it is there is known only later.
    answer = json.dumps({"id": SESSION_ID, "expires": 1490109872476}).encode()
    squeeze = zlib.compressobj(wbits=zlib.MAX_WBITS if coding == "zlib" else -zlib.MAX_WBITS)
    body = squeeze.compress(answer) + squeeze.flush()
    server.script(Reply(200, body, {"Content-Encoding": "deflate"}, trickle=0.001))
    with client_for(server) as client:
        assert client.create_session({"items": []}).id == SESSION_ID


def test_a_session_answer_cut_before_its_gzip_end_is_unreadable(server):
    # The checksum at the end was never read: the text before it may not be what was sent.
    whole = gzip.compress(json.dumps({"id": SESSION_ID, "expires": 1490109872476}).encode())
    server.script(Reply(200, whole[:-8], {"Content-Encoding": "gzip"}))
    with client_for(server) as client, pytest.raises(SendError) as caught:
        client.create_session({"items": []})
    assert "unreadable answer (could not be decoded: the compressed stream stops before its end)" in str(
        caught.value.message
    )
    assert caught.value.may_have_created


def bomb(decoded: int) -> bytes:
    squeeze = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = b"[" + b" " * (2**20 - 1)
    return b"".join(squeeze.compress(block) for _ in range(decoded // 2**20)) + squeeze.flush()


@pytest.mark.parametrize(
    ("body", "headers"),
    [(b"[" + b" " * MAX_READ_BYTES + b"]", {}), (bomb(256 * 2**20), {"Content-Encoding": "gzip"})],
    ids=["16-MiB-and-2-bytes", "gzip-bomb-256-MiB"],
)
def test_a_catalog_answer_over_its_cap_is_refused_and_never_held_whole(server, body, headers):
    from offerlang.send.client import FastSpringReader

    server.script_get(Reply(200, body, headers))
    reader = FastSpringReader(  # made before memory is traced (importing httpx is megabytes)
        store="acme", test_store=False, username=USERNAME, password=PASSWORD, api_url=server.url
    )
    tracemalloc.start()
    try:
        with reader, pytest.raises(SendError) as caught:
            reader.get_json("products")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.message == "HTTP 200 with an unreadable answer (larger than 16 MiB)"
    assert len(server.requests) == 1
    # httpx decoded each chunk whole: a chunk of a gzip bomb alone was 60 MB.
    assert peak < 2 * MAX_READ_BYTES + len(body)


def test_a_catalog_answer_cut_off_is_asked_for_again(server, capsys, folder):
    # Cut off is not what the answer is: a GET may be asked again (a POST never is).
    slow = Reply(200, b"[" + b" " * 10_000 + b"]", trickle=0.05)
    server.script_get(slow)
    code, out, err = run(
        capsys, "catalog", "pull", "--store", "acme", "--api-url", server.url, "--timeout", "0.3"
    )
    PRINTED.extend((out, err))
    assert code == 0, err
    assert "retrying in" in err and "HTTP 200 with an answer cut off (not complete after 0.3s)" in err


def escaped_each_character(password: str, ways: list[int]) -> str:
    """`password` with each character written its own way: as is, percent-encoded UTF-8 (either
    case), a JSON \\u escape (surrogate pairs beyond the BMP), an HTML decimal or hex entity."""
    out = []
    for char, way in zip(password, ways, strict=True):
        data = char.encode("utf-8")
        utf16 = char.encode("utf-16-be")
        out.append(
            [
                char,
                "".join(f"%{b:02X}" for b in data),
                "".join(f"%{b:02x}" for b in data),
                "".join(f"\\u{int.from_bytes(utf16[i : i + 2], 'big'):04X}" for i in range(0, len(utf16), 2)),
                f"&#{ord(char)};",
                f"&#x{ord(char):x};",
            ][way]
        )
    return "".join(out)


@given(
    password=st.text(st.characters(blacklist_categories=["Cs"]), min_size=4, max_size=20),
    ways=st.lists(st.integers(0, 5), min_size=20, max_size=20),
    before=st.text(max_size=10),
    after=st.text(max_size=10),
)
def test_a_password_escaped_any_way_character_by_character_is_masked(password, ways, before, after):
    echo = escaped_each_character(password, ways[: len(password)])
    scrubbed = secret_scrubber("someone", password)(f"{before}{echo}{after}")
    assert password not in scrubbed
    assert password not in unjson(html.unescape(unquote(scrubbed)))


# ---- a Sessions v2 answer: its link, its prices ----------------------------------------------------

V2_OFFER = "account uKj7izONRfanVwBL9eiG_A\n\nitem falcon {\n  quantity 2\n  price USD 19.99\n}\n"


def v2_answer(**changes) -> dict:
    answer = {
        "id": SESSION_ID,
        "expires": "2026-11-28T06:22:36Z",
        "currency": "USD",
        "checkoutUrls": {"webcheckoutUrl": f"https://acme.onfastspring.com/checkout/session/{SESSION_ID}"},
        "cart": {
            "netTotal": "39.98",
            "netTotalDisplay": "$39.98",
            "lineItems": [{"productPath": "falcon", "quantity": 2, "price": {"unitNetPrice": "19.99"}}],
        },
    }
    return {**answer, **changes}


def send_v2(
    server: FakeFastSpring, capsys, tmp_path: Path, answer: dict | bytes, *args: str
) -> tuple[int, str, str]:
    from offerlang.cli import targeting

    offer_file = tmp_path / "v2.offer"
    offer_file.write_text(V2_OFFER, "utf-8")
    server.script(Reply(201, answer))
    with pytest.MonkeyPatch.context() as patch:  # no repository config near the test's files
        patch.setattr(targeting, "repository_settings", lambda near: targeting.Settings())
        return send(
            capsys,
            str(offer_file),
            "--target",
            "v2",
            "--checkout",
            "acme/web-main",
            "--api-url",
            server.url,
            *args,
        )


BUILT_LINK = f"https://acme.onfastspring.com/checkout/session/{SESSION_ID}"


@pytest.mark.parametrize(
    "link",
    [
        "https://acme.onfastspring.com/x" + HOSTILE.replace("\r", "").replace(" ", ""),
        "https://acme.onfastspring.com/x\x1b]8;;https://evil.example\x07",
        "https://acme.onfastspring.com/\u202ex",
        f"https://acme.onfastspring.com/x?auth={PASSWORD}",
        "https://acme.onfastspring.com/" + "y" * 500_000,
    ],
    ids=["escape-sequences", "osc-8-hyperlink", "bidi", "the-password", "half-a-megabyte"],
)
def test_a_v2_link_that_is_not_a_plain_https_address_is_not_handed_out(server, capsys, tmp_path, link):
    # `\S*` let escape sequences, bidi controls and the password through to the terminal,
    # the receipts and links.csv; the documented link is built from the session id instead.
    answer = v2_answer(checkoutUrls={"webcheckoutUrl": link})
    for output in ("text", "json"):
        code, out, err = send_v2(server, capsys, tmp_path, answer, "--format", output, "--force")
        assert code == 5, err
        assert_safe(out + err)
        assert BUILT_LINK in out and "y" * 1000 not in out
        assert (
            "warning[W512]: FastSpring created the session, but: FastSpring's answer had no checkout link"
            in err
        )
    receipts = (tmp_path / ".offer" / "receipts.jsonl").read_text("utf-8")
    assert_safe(receipts.replace("\n", " ")) and BUILT_LINK in receipts


def test_fastsprings_prices_are_escaped_capped_and_never_written_out_in_full(server, capsys, tmp_path):
    lines = [
        {"productPath": "falcon" + HOSTILE, "quantity": 2, "price": {"unitNetPrice": "9e99999999"}},
        *({"productPath": f"p{i}", "price": {"unitNetPriceDisplay": f"${i}"}} for i in range(5_000)),
    ]
    cart = {"netTotal": "1e-99999999", "netTotalDisplay": HOSTILE + "z" * 100_000, "lineItems": lines}
    answer = v2_answer(currency="USD" + HOSTILE, cart=cart)
    code, out, err = send_v2(server, capsys, tmp_path, answer)
    assert code == 0, err
    assert_safe(out + err)
    assert "prices   FastSpring's preview in USD\\x1b]0;owned" in out
    assert "net total \\x1b]0;owned\\x07" in out and "more)" in out
    assert "    falcon\\x1b]0;owned\\x07" in out
    assert "… and 4,951 more lines\n" in out
    assert len(out) < 20_000  # 9e99999999 written out was 100 MB, and every line was printed
    code, out, err = send_v2(server, capsys, tmp_path, answer, "--format", "json")
    assert code == 0 and "prices" in json.loads(out)
    assert_safe(out + err)


def test_json_never_carries_a_c1_or_bidi_character_raw_and_payload_hashes_stay():
    import hashlib

    from offerlang.jsonout import dumps, loads
    from offerlang.send.journal import payload_hash

    value = {"tag\u202e": "a\x9b31m\u2066b\u2028c\u200f", "lone": "\udcff"}
    text = dumps(value, None)
    assert_safe(text) and "\u2028" not in text and "\udcff" not in text
    assert text == '{"tag\\u202e":"a\\u009b31m\\u2066b\\u2028c\\u200f","lone":"\\udcff"}'
    assert loads(text) == value
    # The hash of a payload is of the text earlier versions wrote, so a receipt of theirs still
    # recognises the same request (else it could be sent twice).
    payload = {"tags": {"campaign": "spring\u202e2026"}}
    before = '{"tags":{"campaign":"spring\u202e2026"}}'
    assert payload_hash(payload) == hashlib.sha256(before.encode("utf-8")).hexdigest()


def test_catalog_pull_escapes_scrubs_and_caps_what_it_repeats_from_the_answer(server, capsys, folder):
    # Paths no offer can name are warned about: they were printed raw, unscrubbed, every one.
    listing = {"products": [f"bad{HOSTILE}{PASSWORD}", *(f"not a path {i}" for i in range(1_000))]}
    server.script_get(Reply(200, {**listing, "nextPage": None}))
    code, _, err = pull(capsys, server)
    assert code == 0, err
    assert_safe(err)
    assert (
        "warning: `bad\\x1b]0;owned\\x07\\x1b[2J\\rnot what it seems \\u202eevil\\u2066 \\x9b31m<redacted>`"
        in err
    )
    assert err.count("left out: not a product path") == 20
    assert "offer catalog pull: warning: … and 981 more products left out\n" in err
    # A next page that is not one, and a key of a record, are quoted from the answer the same way.
    server.script_get(Reply(200, {"products": [], "nextPage": HOSTILE + PASSWORD + "x" * 100_000}))
    code, _, err = pull(capsys, server)
    assert code == 4 and "names next page \\x1b]0;owned" in err and "<redacted>xxx" in err
    assert_safe(err) and len(err) < 1_000
    record = {"product": "ok-1", "result": "success", "pricing": {"price": {"US" + HOSTILE: 1}}}
    server.script_get(
        Reply(200, {"products": ["ok-1"], "nextPage": None}), Reply(200, {"products": [record]})
    )
    code, _, err = pull(capsys, server)
    assert code == 4 and "the record of `ok-1` at `/pricing/price/US\\x1b]0;owned" in err
    assert_safe(err)


# ---- journals: a tampered file is read as untrusted text -------------------------------------------

ROWS = "email,first,last,country\n" + "".join(f"{c}@example.com,A,B,GB\n" for c in "abc")


def test_a_tampered_ledger_puts_nothing_raw_in_front_of_anyone(server, capsys, tmp_path):
    # A ledger is a file anyone could commit: its session, link and warning codes went raw to
    # the summary and links.csv. Now each must have its shape, or the line is damaged (and its
    # row uncertain: it may have a session).
    offer_file = tmp_path / "annual-upgrade.offer"
    offer_file.write_text((EXAMPLES / "campaign" / "annual-upgrade.offer").read_text("utf-8"), "utf-8")
    rows = tmp_path / "buyers.csv"
    rows.write_text(ROWS, "utf-8")
    link = "https://acme.onfastspring.com/session/S1"
    done = (
        '{"event":"done","key":"%s@example.com","hash":"h","session":"%s","url":"%s",'
        '"expires":1795846956000%s}\n'
    )
    (tmp_path / "buyers.ledger.jsonl").write_text(
        '{"event":"campaign","offer":"annual-upgrade.offer","key":"email","at":"2026-01-01T00:00:00Z"}\n'
        + done % ("a", "S1", "https://acme.onfastspring.com/\\u001b]0;owned\\u0007", "")
        + done % ("b", "S\\u001b[2J\\u202e", link, "")
        + done % ("c", "S1", link, ',"warnings":[{"code":"Z\\u001b[2J\\u202e"}]'),
        "utf-8",
    )
    links = tmp_path / "links.csv"
    code, out, err = send(
        capsys,
        str(offer_file),
        "--rows",
        str(rows),
        "--store",
        "acme",
        "--api-url",
        server.url,
        "--out",
        str(links),
    )
    assert code == 4, err
    assert_safe(out + err)
    assert err.count("warning: damaged record") == 3
    assert "3 rows: 0 sessions created, 0 already done, 0 rejected, 0 network failures, 3 uncertain" in err
    assert server.requests == []
    assert_safe(links.read_text("utf-8").replace("\n", " "))


def test_a_tampered_receipt_puts_nothing_raw_in_front_of_anyone(server, capsys, offer):
    server.script(created())
    assert send_to(server, capsys, offer)[0] == 0
    book = offer.parent / ".offer" / "receipts.jsonl"
    text = book.read_text("utf-8")
    book.write_text(text.replace(f"/session/{SESSION_ID}", "/session/\\u001b]0;owned\\u0007\\u202e"), "utf-8")
    server.script(created())
    code, out, err = send_to(server, capsys, offer)
    assert_safe(out + err)
    assert "warning: not a receipt ('url' is" in err
    assert code == 4 and len(server.requests) == 1  # its `started` record has no outcome: not sent again


def test_the_summary_names_ten_warning_codes_and_counts_the_rest():
    from collections import Counter

    from offerlang.campaign.runner import Summary

    summary = Summary(rows=30, sent=30, warned=30, warnings=Counter({f"CODE_{i:02d}": 1 for i in range(30)}))
    (line,) = [line for line in summary.lines() if line.startswith("FastSpring warned")]
    assert "CODE_00 1, CODE_01 1," in line and "CODE_09 1 and 20 more (the warnings column" in line


# ---- NaN and Infinity: Python's reader takes them, JSON does not have them ---------------------------


def test_nan_or_infinity_in_an_answer_is_a_bad_answer_not_a_crash(server, capsys, offer, tmp_path, folder):
    # Each was a float nothing could write (dumps refuses floats): exit 70.
    server.script(Reply(400, b'{"message": "bad", "params": [NaN, {"a": -Infinity}]}'))
    code, out, err = send_to(server, capsys, offer, "--format", "json")
    assert code == 3 and "internal error" not in err
    assert json.loads(out)["error"]["message"].startswith('{"message": "bad", "params": [NaN')
    answer = v2_answer(cart={"netTotal": "1", "lineItems": []})
    text = json.dumps(answer).replace('"1"', "NaN").encode()
    code, _, err = send_v2(server, capsys, tmp_path, text)
    assert code == 4
    assert "HTTP 201 with an unreadable answer (not JSON: NaN is not a JSON number: line 1" in err
    server.script_get(Reply(200, b'{"products": [], "nextPage": Infinity}'))
    code, _, err = pull(capsys, server)
    assert code == 4 and "an answer that is not JSON (Infinity is not a JSON number: line 1 column 30" in err


# ---- a catalog file is anyone's text too ------------------------------------------------------------


def test_a_catalog_files_words_are_escaped_in_json_github_and_pull_check(server, capsys, folder):
    catalog = json.loads((Path(__file__).parent / "fixtures" / "store" / "catalog.json").read_text("utf-8"))
    catalog["products"]["zz" + HOSTILE] = catalog["products"]["falcon"]
    (folder / "cat.json").write_text(json.dumps(catalog), "utf-8")
    (folder / "v.offer").write_text(V2_OFFER, "utf-8")
    for output in ("json", "github"):
        code, out, _ = run(capsys, "check", "--format", output, "v.offer", "--catalog", "cat.json")
        assert code == 1 and "not a product path" in out
        assert_safe(out.replace("\n", " "))  # json.dumps(ensure_ascii=False) kept U+202E raw
    # `catalog pull --check` says what the file is a snapshot of: the file's words, escaped.
    catalog["store"] = "acme" + HOSTILE + "x" * 10_000
    del catalog["products"]["zz" + HOSTILE]
    (folder / "c.json").write_text(json.dumps(catalog), "utf-8")
    code, out, err = run(
        capsys, "catalog", "pull", "--store", "acme", "--api-url", server.url, "-o", "c.json", "--check"
    )
    PRINTED.extend((out, err))
    assert code == 1 and "it is a snapshot of store acme\\x1b]0;owned" in out
    assert_safe(out) and len(out) < 1_000


# ---- a proxy from the environment ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxy", "says"),
    [
        ("ftp://puser:pr0xyS3cret@proxy.example", "it is not a proxy URL that can be used"),
        ("http://puser:pr0xyS3cret@[::1", "it is not a proxy URL that can be used"),
        ("http://puser:pr0xyS3cret@proxy.example:port", "it is not a proxy URL that can be used"),
        ("socks5://puser:pr0xyS3cret@127.0.0.1:1", "a SOCKS proxy needs the socksio package"),
    ],
    ids=["scheme", "ipv6", "port", "socks"],
)
def test_a_proxy_that_cannot_be_used_is_a_usage_error_that_never_repeats_it(
    capsys, offer, monkeypatch, folder, proxy, says
):
    # httpx raised InvalidURL or ImportError (exit 70), or a ValueError quoting the URL, password
    # included, which `catalog pull` printed.
    pytest.importorskip("httpx")
    if "socks" in proxy and importlib.util.find_spec("socksio") is not None:
        pytest.skip("socksio is installed: a SOCKS proxy can be used")
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    for argv in (["send", str(offer), "--store", "acme"], ["catalog", "pull", "--store", "acme"]):
        code, out, err = run(capsys, *argv)
        PRINTED.extend((out, err))
        assert code == 2, err
        assert f"the proxy set in HTTPS_PROXY cannot be used: {says}" in err
        assert "pr0xyS3cret" not in out + err and "puser" not in out + err


@pytest.mark.parametrize(("status", "utf8"), [(401, False), (418, True)])
def test_a_reason_phrase_is_scrubbed_escaped_and_capped(server, capsys, offer, status, utf8):
    # A 401's page is never echoed, so its reason phrase was shown instead: unscrubbed, and read
    # by httpx without the bytes that are not ASCII (the password's `öß`), so that no scrubber
    # could have recognised what was left of it.
    reason = f"Denied {USERNAME}:{PASSWORD} \x1b[2J" + "r" * 1_000
    # Written as Latin-1 (http.server's status line), or as UTF-8 (the raw, trickled answer).
    server.script(Reply(status, b"", reason=reason, trickle=0.0001 if utf8 else 0.0))
    code, _, err = send_to(server, capsys, offer)
    assert code == 3
    assert_safe(err)
    assert "Denied <redacted> \\x1b[2Jrrr" in err and "more)" in err
    assert PASSWORD.encode("ascii", "ignore").decode() not in err


def test_a_v2_send_is_bound_by_the_same_attempt_deadline(server):
    from offerlang.compiler.targets import parse_checkout
    from offerlang.send.v2 import SessionsV2Client

    # The v2 client inherits the v1 client's attempt: a 201 trickled a byte every 50 ms (20 KB:
    # 17 minutes) ends at the deadline, unreadable, and is never sent again.
    body = json.dumps({"id": SESSION_ID, "expires": "2026-11-28T06:22:36Z", "pad": "x" * 20_000}).encode()
    server.script(Reply(201, body, trickle=0.05), Reply(201, body))
    client = SessionsV2Client(
        checkout=parse_checkout("acme/web-main"),
        test_store=False,
        username=USERNAME,
        password=PASSWORD,
        api_url=server.url,
        retry=RetryPolicy(base_delay=0.01),
        attempt_timeout=0.5,
    )
    with client, pytest.raises(SendError) as caught:
        client.create_session({"items": []})
    assert "HTTP 201 with an unreadable answer (not complete after 0.5s)" in caught.value.message
    assert caught.value.may_have_created and len(server.requests) == 1 and server.trickled < 100


# ---- a rows file is a spreadsheet someone else filled --------------------------------------------


# HOSTILE without its carriage return, which a CSV reader takes for the end of a line.
CELL = HOSTILE.replace("\r", "")


def rows_offer(folder: Path) -> Path:
    path = folder / "annual-upgrade.offer"
    path.write_text((EXAMPLES / "campaign" / "annual-upgrade.offer").read_text("utf-8"), "utf-8")
    return path


@pytest.mark.parametrize(
    "rows",
    [
        "email,first,last,country\n" + f"a{CELL}@example.com,A,B,GB\n" * 2,
        f"email,first,last,country,x{CELL}\na@example.com,A,B,GB,1\n",
        f"email,first,last,country,x{CELL},x{CELL}\na@example.com,A,B,GB,1,2\n",
        "email,first,last,country\n" + f"a@example.com,A,B,G{CELL}" + "G" * 100_000 + "\n",
    ],
    ids=["a-key-twice", "a-column-name", "a-column-name-twice", "a-value"],
)
def test_a_rows_files_words_are_escaped_and_capped_in_its_problems(capsys, folder, rows):
    (folder / "r.csv").write_text(rows, "utf-8")
    code, out, err = run(capsys, "compile", str(rows_offer(folder)), "--rows", "r.csv")
    assert code in (1, 2)
    assert_safe(out + err)
    assert "\\x1b]0;owned" in err and len(err) < 5_000


def test_a_campaign_summary_escapes_the_rows_keys(server, capsys, folder):
    keys = [f"k{i}{CELL}" for i in range(3)]
    (folder / "r.csv").write_text(
        "key,email,first,last,country\n"
        + "".join(f"{k},a{i}@example.com,A,B,GB\n" for i, k in enumerate(keys)),
        "utf-8",
    )
    server.script(Reply(400, {"message": "no"}), Reply(200, b"{not json"), created())
    code, _, err = send(
        capsys,
        str(rows_offer(folder)),
        "--rows",
        "r.csv",
        "--key",
        "key",
        "--store",
        "acme",
        "--api-url",
        server.url,
        "--concurrency",
        "1",
    )
    assert code == 3
    assert_safe(err)
    assert "  k0\\x1b]0;owned\\x07\\x1b[2Jnot what it seems \\u202eevil\\u2066 \\x9b31m (line 2): no" in err
    assert "uncertain (a request was started but its outcome is unknown): k1\\x1b]0;owned" in err
