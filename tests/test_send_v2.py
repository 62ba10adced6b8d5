"""`offer send --target v2`: single sends and campaigns against the Sessions v2 stand-in
(tests/fakev2.py), with the same receipts, duplicate guard, retries and secret hygiene as v1."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from offerlang import compile_file, jsonout
from offerlang.cli import (
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    EXIT_WARNED,
    main,
    targeting,
)
from offerlang.compiler.targets import parse_checkout
from offerlang.send.client import SendError
from offerlang.send.receipts import payload_sha256
from offerlang.send.v2 import SessionsV2Client

from .fakev2 import EXPIRES_MS, V2Server
from .sendkit import (
    PASSWORD,
    PRINTED,
    SECRETS,
    TOKEN,
    USERNAME,
    receipts,
    send,
    sending_environment,
    write_offer,
)

OFFER = """\
account uKj7izONRfanVwBL9eiG_A
coupon SPRING10

item falcon {
  quantity 2
  price USD 19.99
  discount 10% on 2 or more
}
"""


@pytest.fixture(autouse=True)
def environment(monkeypatch, berlin_time, no_secret_anywhere):
    """As in test_send: the test credentials, looked for after each test; the zone pinned."""
    sending_environment(monkeypatch, USERNAME, PASSWORD)
    # No repository config applies to a test's files unless the test says so.
    monkeypatch.setattr(targeting, "repository_settings", lambda near: targeting.Settings())


@pytest.fixture
def server():
    """The Sessions v2 stand-in (in place of tests/sendkit.py's v1 one)."""
    fake = V2Server(credentials=(USERNAME, PASSWORD)).start()
    yield fake
    fake.stop()


@pytest.fixture
def offer(tmp_path) -> Path:
    """OFFER (in place of tests/sendkit.py's): a coupon and a discount for FastSpring to price."""
    return write_offer(tmp_path, OFFER)


def send_v2(server, capsys, offer: Path, *args: str) -> tuple[int, str, str]:
    return send(
        capsys, str(offer), "--target", "v2", "--checkout", "acme/web-main", "--api-url", server.url, *args
    )


def _plain(text: str, offer: Path) -> str:
    return text.replace(str(offer), "falcon.offer")


def test_a_v2_send_posts_the_v2_body_to_the_checkout_and_prints_its_link(server, capsys, offer, snapshot):
    code, out, err = send_v2(server, capsys, offer)
    assert (code, err) == (EXIT_OK, "")
    seen = server.requests[0]
    assert (seen.method, seen.path) == ("POST", "/v2/checkouts/acme/web-main/sessions")
    assert seen.header("Authorization") == f"Basic {TOKEN}"
    body = compile_file(offer, target="v2").payload
    assert seen.body == jsonout.dumps(body, None).encode()
    assert server.created == [("V000000000000000000001", jsonout.loads(seen.body))]
    assert _plain(out, offer) == snapshot
    assert "https://acme.test.onfastspring.com/checkout/session/V000000000000000000001" in out
    # FastSpring's own price preview: 10% off 19.99 is 17.99 (half up), the offer's timeline agrees.
    assert "falcon  net a unit $17.99, list a unit $19.99" in out
    [receipt] = receipts(offer)
    assert receipt["target"] == "v2"
    assert receipt["api_url"] == f"{server.url}/v2/checkouts/acme/web-main"
    assert receipt["url"].endswith("/checkout/session/V000000000000000000001")
    assert receipt["expires_ms"] == EXPIRES_MS
    assert receipt["sha256"] == payload_sha256(body)
    assert receipt["warnings"] == []


def test_a_warning_is_shown_at_its_statement_recorded_and_has_its_exit_code(server, capsys, offer):
    offer.write_text(OFFER.replace("SPRING10", "SPRNG10"), "utf-8")
    code, out, err = send_v2(server, capsys, offer)
    assert code == EXIT_WARNED == 5
    assert "session created" in out
    assert _plain(err, offer) == (
        "falcon.offer:2:8: warning[W510]: FastSpring created the session but warned INVALID_PROMO_CODE: "
        "Coupon SPRNG10 is not valid\n"
        "  |\n"
        "2 | coupon SPRNG10\n"
        "  |        ^^^^^^^\n"
        "  help: the coupon was not applied: the buyer gets no discount from it\n"
        "\n"
        "offer send: 1 session created with warnings (see above): check it before handing out its link\n"
    )
    [receipt] = receipts(offer)
    assert receipt["warnings"] == [
        {"code": "INVALID_PROMO_CODE", "field": "cart.couponCode", "message": "Coupon SPRNG10 is not valid"}
    ]


def test_json_output_carries_the_warnings_and_fastspring_prices(server, capsys, offer):
    offer.write_text(OFFER.replace("SPRING10", "SPRNG10"), "utf-8")
    code, out, _ = send_v2(server, capsys, offer, "--format", "json")
    assert code == EXIT_WARNED
    record = jsonout.loads(out)
    assert record["status"] == "created"
    assert record["warnings"][0]["code"] == "INVALID_PROMO_CODE"
    assert record["prices"]["currency"] == "USD"
    assert record["prices"]["netTotal"] == jsonout.loads("35.98")
    assert record["prices"]["lines"][0]["price"]["unitNetPriceDisplay"] == "$17.99"
    assert record["priceMismatches"] == []


def test_a_price_that_differs_from_the_timeline_is_a_warning_naming_both(server, capsys, offer):
    server.price_offset = jsonout.loads("0.50")
    code, _, err = send_v2(server, capsys, offer)
    assert code == EXIT_WARNED
    assert (
        "falcon.offer:6:9: warning[W511]: FastSpring prices `falcon` at USD 18.49 a unit ($18.49, its "
        in (_plain(err, offer))
    )
    assert "the offer's timeline says USD 17.99 for the first billed period" in err


def test_the_v2_error_envelope_is_read_as_a_rejection(server):
    # The compiler never lets an empty cart out, so the client is given one directly.
    client = SessionsV2Client(
        checkout=parse_checkout("acme/web-main"),
        api_url=server.url,
        test_store=False,
        username=USERNAME,
        password=PASSWORD,
    )
    with client, pytest.raises(SendError) as caught:
        client.create_session({"cart": {"lineItems": []}})
    assert caught.value.kind == "rejected" and caught.value.status == 400
    assert caught.value.message == "Validation failed; cart.lineItems: must not be empty (INVALID_VALUE)"
    assert caught.value.params[0]["field"] == "cart.lineItems"
    assert len(server.requests) == 1, "a 400 is never retried"


def test_bad_credentials_are_refused_with_the_v2_hint(server, capsys, offer, monkeypatch):
    monkeypatch.setenv("FASTSPRING_API_PASSWORD", "wrong-password")
    code, _, err = send_v2(server, capsys, offer)
    assert code == EXIT_REJECTED
    assert "FastSpring refused the credentials (HTTP 401)" in err
    assert "allowed locations exclude this machine" in err
    assert receipts(offer) == []


def test_rate_limits_are_retried(capsys, offer):
    faults = {1: "429", 2: "404"}
    fake = V2Server(credentials=(USERNAME, PASSWORD), faults=lambda key, n: faults.get(n)).start()
    try:
        code, _, err = send_v2(fake, capsys, offer)
    finally:
        fake.stop()
    assert code == EXIT_OK
    assert len(fake.requests) == 3 and len(fake.created) == 1
    assert "retrying" in err and "HTTP 429, rate limited" in err


def test_a_checkout_the_store_does_not_have_ends_with_the_checkout_hint(server, capsys, offer):
    code, _, err = send(
        capsys, str(offer), "--target", "v2", "--checkout", "acme/web-other", "--api-url", server.url
    )
    assert code == EXIT_NETWORK
    assert "check --checkout" in err
    assert server.created == []


def test_a_201_without_a_session_id_is_not_retried_and_not_recorded(capsys, offer):
    fake = V2Server(credentials=(USERNAME, PASSWORD), faults=lambda key, n: "garbled").start()
    try:
        code, _, err = send_v2(fake, capsys, offer)
    finally:
        fake.stop()
    assert code == EXIT_NETWORK
    assert len(fake.requests) == 1
    assert "no valid session id" in err and "a session may have been created" in err
    assert receipts(offer) == []


def _without(*path: str):
    """A mangle for the stand-in: the answer without the field at `path`."""

    def mangle(answer: dict) -> dict:
        part = answer
        for key in path[:-1]:
            part = part[key]
        del part[path[-1]]
        return answer

    return mangle


def test_a_201_with_an_id_but_no_link_is_recorded_with_the_documented_link_and_a_warning(
    server, capsys, offer
):
    # The session exists: a rerun must find it in the receipts, not create a second one.
    server.mangle = _without("checkoutUrls")
    code, out, err = send_v2(server, capsys, offer)
    assert code == EXIT_WARNED
    link = "https://acme.onfastspring.com/checkout/session/V000000000000000000001"
    assert f"url      {link}" in out
    assert (
        "warning[W512]: FastSpring created the session, but: FastSpring's answer had no checkout link" in err
    )
    assert "a checkout in test mode has `.test.` in its link" in err
    [receipt] = receipts(offer)
    assert receipt["url"] == link and receipt["expires_ms"] == EXPIRES_MS
    assert [w["code"] for w in receipt["warnings"]] == ["OFFERLANG_NO_LINK"]
    code, out, err = send_v2(server, capsys, offer)
    assert code == EXIT_WARNED and "already sent" in out and "warning[W512]" in err
    assert len(server.created) == 1


def test_a_201_with_an_expiry_without_a_zone_assumes_24_hours_from_created_and_says_so(server, capsys, offer):
    def zoneless(answer: dict) -> dict:
        answer["expires"] = "2026-11-28T06:22:36"  # no zone: which instant is meant is unknown
        return answer

    server.mangle = zoneless
    code, _, err = send_v2(server, capsys, offer)
    assert code == EXIT_WARNED
    [receipt] = receipts(offer)
    # The stand-in's `created` is 2026-11-27T06:22:36Z: 24 hours later.
    assert receipt["expires_ms"] == EXPIRES_MS and receipt["expires"] == "2026-11-28T06:22:36+00:00"
    assert [w["code"] for w in receipt["warnings"]] == ["OFFERLANG_NO_EXPIRY"]
    assert (
        'FastSpring\'s answer had an `expires` that is not a time with a zone ("2026-11-28T06:22:36"); '
        "offerlang assumed 24 hours from its `created` time" in err
    )


@pytest.mark.parametrize(
    ("warnings", "said"),
    [
        (["INVALID_PROMO_CODE"], 'sent a warning offerlang cannot read: "INVALID_PROMO_CODE"'),
        ([{"message": "no code"}], 'sent a warning offerlang cannot read: {"message":"no code"}'),
        ("checkout not live", 'sent a warning offerlang cannot read: "checkout not live"'),
        ({"code": "INVALID_COUNTRY"}, "warned INVALID_COUNTRY"),  # one warning, not in a list: read
    ],
    ids=["a-string", "no-code", "text", "not-a-list"],
)
def test_a_warning_that_cannot_be_read_is_still_a_warning(server, capsys, offer, warnings, said):
    def odd(answer: dict) -> dict:
        answer["warnings"] = warnings
        return answer

    server.mangle = odd
    code, _, err = send_v2(server, capsys, offer)
    assert code == EXIT_WARNED
    assert f"warning[W510]: FastSpring created the session but {said}" in err
    [receipt] = receipts(offer)
    assert len(receipt["warnings"]) == 1


def test_a_warned_session_sent_again_shows_its_warnings_again_and_exits_5(server, capsys, offer):
    offer.write_text(OFFER.replace("SPRING10", "SPRNG10"), "utf-8")
    first = send_v2(server, capsys, offer)
    code, out, err = send_v2(server, capsys, offer)
    assert first[0] == code == EXIT_WARNED
    assert "already sent" in out and "session created" not in out
    assert "warning[W510]: FastSpring created the session but warned INVALID_PROMO_CODE" in err
    assert "help: the coupon was not applied" in err
    assert len(server.created) == 1
    code, out, _ = send_v2(server, capsys, offer, "--format", "json")
    record = jsonout.loads(out.splitlines()[0])
    assert (code, record["status"], record["warnings"][0]["code"]) == (
        EXIT_WARNED,
        "already-sent",
        "INVALID_PROMO_CODE",
    )


def test_a_mispriced_session_sent_again_shows_the_mismatch_again_and_exits_5(server, capsys, offer):
    server.price_offset = jsonout.loads("0.50")
    assert send_v2(server, capsys, offer)[0] == EXIT_WARNED
    code, out, err = send_v2(server, capsys, offer)
    assert code == EXIT_WARNED and "already sent" in out
    assert "warning[W511]: FastSpring prices `falcon` at USD 18.49 a unit" in err
    assert "falcon  net a unit $18.49" in out  # FastSpring's preview, from the receipt
    assert len(server.created) == 1


def test_the_duplicate_guard_knows_the_checkout(capsys, offer):
    fake = V2Server(("acme/web-main", "acme/popup-sale"), credentials=(USERNAME, PASSWORD)).start()
    try:
        assert send_v2(fake, capsys, offer)[0] == EXIT_OK
        code, out, err = send_v2(fake, capsys, offer)
        assert code == EXIT_OK and "already sent" in out and "use --force" in err
        assert len(fake.created) == 1
        other = send(
            capsys, str(offer), "--target", "v2", "--checkout", "acme/popup-sale", "--api-url", fake.url
        )
        assert other[0] == EXIT_OK and "session created" in other[1]
        assert len(fake.created) == 2
    finally:
        fake.stop()


def test_dry_run_shows_the_v2_request(capsys, offer):
    code, out, _ = send(capsys, str(offer), "--target", "v2", "--checkout", "acme/web-main", "--dry-run")
    assert code == EXIT_OK
    assert "POST https://api.fastspring.com/v2/checkouts/acme/web-main/sessions" in out
    assert '{"customer":{"accountId":"uKj7izONRfanVwBL9eiG_A"},"cart":{"couponCode":"SPRING10"' in out
    assert "Authorization: Basic <redacted>" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "v2"], "give --checkout STORE/TYPE-NAME"),
        (["--store", "acme", "--checkout", "acme/web-main"], "--checkout is for --target v2"),
        (
            ["--target", "v2", "--checkout", "acme/web-main", "--test-store"],
            "--test-store is for Sessions v1",
        ),
        (
            ["--target", "v2", "--checkout", "acme/web-main", "--store", "other"],
            "is not the store of --checkout",
        ),
        (["--target", "v2", "--checkout", "acme/main"], "a checkout id starts with its type"),
        ([], "Missing option '--store'"),
    ],
)
def test_target_and_checkout_options_are_checked(capsys, offer, args, message):
    code, _, err = send(capsys, str(offer), "--dry-run", *args)
    assert code == EXIT_USAGE
    assert message in err


def test_the_repository_config_chooses_the_target_and_the_flag_wins(capsys, offer, server, monkeypatch):
    monkeypatch.setattr(
        targeting,
        "repository_settings",
        lambda near: targeting.Settings("sessions-v2", "acme/web-main", "offers.toml"),
    )
    code, out, _ = send(capsys, str(offer), "--api-url", server.url)
    assert code == EXIT_OK and server.requests[-1].path == "/v2/checkouts/acme/web-main/sessions"
    code, out, _ = send(capsys, str(offer), "--target", "v1", "--store", "acme", "--dry-run")
    assert code == EXIT_OK and "POST https://api.fastspring.com/sessions" in out


# ---- campaigns ---------------------------------------------------------------------------------

TEMPLATE = """\
param email email
param code text

contact {
  first Ada
  last Lovelace
  email $email
  country GB
}
coupon $code

item annual-plan {
  price USD 120.00
}
"""


def test_a_v2_campaign_counts_warnings_per_code_and_links_csv_has_them(tmp_path, capsys, server):
    offer = tmp_path / "upgrade.offer"
    offer.write_text(TEMPLATE, "utf-8")
    rows = tmp_path / "buyers.csv"
    rows.write_text(
        "email,code\na@example.com,SPRING10\nb@example.com,OLDCODE\nc@example.com,OTHER\n", "utf-8"
    )
    links = tmp_path / "links.csv"
    args = ["--target", "v2", "--checkout", "acme/web-main", "--api-url", server.url, "--out", str(links)]
    code, _, err = send(capsys, str(offer), "--rows", str(rows), *args)
    assert code == EXIT_WARNED
    assert "3 rows: 3 sessions created" in err
    assert "FastSpring warned about 2 sessions it created: INVALID_PROMO_CODE 2" in err
    table = list(csv.reader(links.open(encoding="utf-8")))
    assert table[0] == ["email", "session", "url", "expires", "status", "warnings"]
    assert [row[-1] for row in table[1:]] == ["", "INVALID_PROMO_CODE", "INVALID_PROMO_CODE"]
    ledger = [json.loads(line) for line in (tmp_path / "buyers.ledger.jsonl").read_text().splitlines()]
    done = [r for r in ledger if r["event"] == "done"]
    assert [len(r.get("warnings", [])) for r in done].count(1) == 2
    assert all(server.requests[i].path == "/v2/checkouts/acme/web-main/sessions" for i in range(3))
    # Run again: every row is done, nothing is sent twice; the warnings still count (the links
    # are the ones FastSpring warned about), so the exit code is still 5.
    code, _, err = send(capsys, str(offer), "--rows", str(rows), *args)
    assert code == EXIT_WARNED and "3 already done" in err
    assert "FastSpring warned about 2 sessions it created (2 in an earlier run): INVALID_PROMO_CODE 2" in err
    assert len(server.created) == 3


def test_secrets_never_reach_the_v2_output(server, capsys, offer):
    send_v2(server, capsys, offer, "--verbose")
    for text in PRINTED:
        for secret in SECRETS:
            assert secret not in text


def test_the_help_says_exit_5_covers_a_price_mismatch_too(capsys):
    # docs/language.md: exit 5 is a warning (W510) or a price FastSpring computed otherwise (W511).
    assert main(["send", "--help"]) == 0
    out = capsys.readouterr().out
    five = out.split("\n    5  ", 1)[1].split("\n    141", 1)[0]
    assert "warned about a session" in five and "priced it otherwise" in five
    assert main(["--help"]) == 0
    assert "priced one otherwise" in capsys.readouterr().out
