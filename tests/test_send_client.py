"""The FastSpring client and the receipts file on their own, against a real server on 127.0.0.1."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offerlang.send.client import (
    REDACTED,
    FastSpringClient,
    MissingCredentials,
    RetryPolicy,
    SendError,
    check_api_url,
    check_store,
    credentials_from_env,
    parse_retry_after,
    secret_scrubber,
)

from .fakefastspring import SESSION_ID, FakeFastSpring, Reply, created

USERNAME = "offer-test-user"
PASSWORD = "pa55-W0rd-never-printed-7f3e"


@pytest.fixture
def server():
    fake = FakeFastSpring().start()
    yield fake
    fake.stop()


def client_for(server: FakeFastSpring, **options) -> FastSpringClient:
    options.setdefault("retry", RetryPolicy(base_delay=0.01))
    return FastSpringClient(
        store="acme", test_store=False, username=USERNAME, password=PASSWORD, api_url=server.url, **options
    )


def test_client_callbacks_see_every_attempt_and_the_rate_limit(server):
    server.script(Reply(429, headers={"Retry-After": "0.1"}), Reply(502), created())
    attempts, retries, limited = [], [], []
    with client_for(
        server,
        before_attempt=lambda: attempts.append(1),
        on_retry=retries.append,
        on_rate_limited=limited.append,
    ) as client:
        session = client.create_session({"items": [{"product": "falcon"}]})
    assert session.id == SESSION_ID
    assert len(attempts) == len(server.requests) == 3
    assert limited == [0.1]
    assert (retries[0].attempt, retries[0].status, retries[0].delay) == (2, 429, 0.1)
    assert retries[1].attempt == 3 and retries[1].status == 502 and 0.005 <= retries[1].delay <= 0.02


@pytest.mark.parametrize("status", [400, 401, 403, 422])
def test_client_never_retries_client_errors(server, status):
    server.script(Reply(status, {"message": "no", "params": ["items"]}), created())
    with client_for(server) as client, pytest.raises(SendError) as caught:
        client.create_session({"items": []})
    assert len(server.requests) == 1
    assert caught.value.status == status
    assert caught.value.kind == ("auth" if status in (401, 403) else "rejected")
    assert caught.value.message == "no"


def test_client_stops_at_the_deadline_without_waiting(server):
    server.script(Reply(503, headers={"Retry-After": "30"}), created())
    policy = RetryPolicy(base_delay=0.01, deadline=5)
    with client_for(server, retry=policy) as client, pytest.raises(SendError) as caught:
        client.create_session({"items": []})
    assert len(server.requests) == 1
    assert caught.value.kind == "network"
    assert "would pass the 5.0s deadline" in caught.value.message


def test_the_deadline_counts_from_the_first_attempt_not_the_wait_before_it(server):
    """A campaign's rate limiter may hold a row for minutes before its first attempt (the
    before_attempt hook); that wait must not eat the deadline, or the attempt would start with
    no time left."""
    server.script(created())
    now = [0.0]

    def slot_after_a_long_wait() -> None:
        now[0] += 600.0  # ten minutes in the rate limiter's queue, by the client's clock

    policy = RetryPolicy(base_delay=0.01, deadline=5)
    with client_for(server, retry=policy, before_attempt=slot_after_a_long_wait, clock=lambda: now[0]) as c:
        assert c.create_session({"items": []}).id == SESSION_ID
    assert len(server.requests) == 1


def test_client_is_thread_safe(server):
    server.script(*(created(session_id=f"session_{i:02}") for i in range(8)))
    with client_for(server) as client, ThreadPoolExecutor(4) as pool:
        sessions = list(pool.map(client.create_session, [{"items": []}] * 8))
    assert sorted(s.id for s in sessions) == [f"session_{i:02}" for i in range(8)]
    assert len(server.requests) == 8


def test_credentials_from_env_names_variables_only():
    both = {"FASTSPRING_API_USERNAME": "u", "FASTSPRING_API_PASSWORD": "p"}
    assert credentials_from_env(both) == ("u", "p")
    with pytest.raises(MissingCredentials, match=r"^FASTSPRING_API_PASSWORD is not set"):
        credentials_from_env({"FASTSPRING_API_USERNAME": "u"})


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://api.fastspring.com", True),
        ("https://proxy.example.com/fastspring/", True),
        ("http://127.0.0.1:8080", True),
        ("http://127.3.4.5", True),
        ("http://[::1]:9000", True),
        ("http://localhost:9000", True),
        ("http://api.fastspring.com", False),
        ("http://10.0.0.1", False),
        ("https://user:secret@api.fastspring.com", False),
        ("ftp://api.fastspring.com", False),
        ("https://api.fastspring.com?x=1", False),
        ("api.fastspring.com", False),
    ],
)
def test_api_url_rules(url, accepted):
    if accepted:
        assert check_api_url(url) == url.rstrip("/")
    else:
        with pytest.raises(ValueError, match="--api-url"):
            check_api_url(url)


def test_store_id_rules():
    assert check_store("Acme-Inc") == "acme-inc"
    with pytest.raises(ValueError, match=r"give only the store id, e\.g\. acme"):
        check_store("acme.test.onfastspring.com")


def test_retry_after_forms():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("1e9", now) is None
    assert parse_retry_after(None, now) is None


@given(
    retry_number=st.integers(1, 40),
    base=st.floats(0, 10, allow_nan=False),
    cap=st.floats(0, 60, allow_nan=False),
)
def test_backoff_stays_between_half_and_all_of_its_ceiling(retry_number, base, cap):
    ceiling = min(cap, base * 2 ** (retry_number - 1))
    assert ceiling / 2 <= RetryPolicy(base_delay=base, max_delay=cap).backoff(retry_number) <= ceiling


@given(
    secret=st.text(min_size=4).filter(lambda s: "<" not in s and ">" not in s and s not in REDACTED),
    before=st.text(),
    after=st.text(),
)
def test_no_message_can_carry_the_password(secret, before, after):
    token = base64.b64encode(f"someone:{secret}".encode()).decode()
    scrubbed = secret_scrubber("someone", secret)(before + secret + after + token)
    assert secret not in scrubbed and token not in scrubbed


def test_unreadable_expiry_is_refused(server):
    server.script(Reply(200, {"id": SESSION_ID, "expires": 10**20}))
    with client_for(server) as client, pytest.raises(SendError, match="no expiry time") as caught:
        client.create_session({"items": []})
    assert caught.value.kind == "network"
    assert len(server.requests) == 1


def test_garbled_content_encoding_is_not_retried(server):
    server.script(Reply(200, b"not gzip at all", {"Content-Encoding": "gzip"}), created())
    with client_for(server) as client, pytest.raises(SendError, match="could not be decoded") as caught:
        client.create_session({"items": []})
    assert caught.value.kind == "network"
    assert len(server.requests) == 1


def test_retry_after_zero_still_backs_off(server):
    server.script(Reply(503, headers={"Retry-After": "0"}), created())
    retries = []
    with client_for(server, retry=RetryPolicy(base_delay=0.2), on_retry=retries.append) as client:
        client.create_session({"items": []})
    assert retries[0].delay >= 0.1


def test_no_attempt_runs_past_the_deadline(server):
    server.script(Reply(hold=True), created())
    policy = RetryPolicy(base_delay=0.01, deadline=0.5)

    def clock() -> float:
        # No time passes until the server holds the answer; then the whole deadline has. So the
        # attempt gets exactly the 0.5 s left, and no retry fits after it, however slow the machine.
        return 0.5 if server.held else 0.0

    with client_for(server, retry=policy, clock=clock) as client, pytest.raises(SendError) as caught:
        client.create_session({"items": []})
    assert caught.value.kind == "network"
    assert caught.value.message.startswith("gave up after 1 attempt: read timeout after 0.5s; waiting ")
    assert caught.value.message.endswith("more would pass the 0.5s deadline")
    assert len(server.requests) == 1


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def test_interrupt_after_a_definite_answer_created_nothing(server):
    server.script(Reply(503), created())
    with client_for(server, on_retry=_interrupt) as client, pytest.raises(KeyboardInterrupt) as caught:
        client.create_session({"items": []})
    assert caught.value.may_have_created is False


def test_interrupt_after_a_timeout_may_have_created_a_session(server):
    import httpx

    server.script(Reply(hold=True), created())
    options = {"on_retry": _interrupt, "timeout": httpx.Timeout(0.2)}
    with client_for(server, **options) as client, pytest.raises(KeyboardInterrupt) as caught:
        client.create_session({"items": []})
    assert caught.value.may_have_created is True


def test_interrupt_before_the_first_attempt_created_nothing(server):
    with client_for(server, before_attempt=_interrupt) as client, pytest.raises(KeyboardInterrupt) as caught:
        client.create_session({"items": []})
    assert caught.value.may_have_created is False
    assert server.requests == []


@pytest.mark.parametrize("secret", ["p", "ab", "xyz"])
def test_short_secrets_are_masked_only_where_they_stand_alone(secret):
    scrub = secret_scrubber("u", secret)
    assert scrub(f"auth u:{secret} failed") == f"auth {REDACTED} failed"
    assert scrub(f"password {secret}.") == f"password {REDACTED}."
    assert scrub("a wordy sentence about pxyzab") == "a wordy sentence about pxyzab"


no_markers = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="<>:"), min_size=1
)


@given(
    username=no_markers,
    password=no_markers,
    around=st.text(alphabet=st.characters(blacklist_characters="<>")),
)
def test_the_pair_and_the_header_are_masked_whatever_the_secret_length(username, password, around):
    pair = f"{username}:{password}"
    token = base64.b64encode(pair.encode()).decode()
    scrubbed = secret_scrubber(username, password)(f"{around}{pair} Basic {token}{around}")
    assert pair not in scrubbed and token not in scrubbed


def test_a_password_that_is_not_utf8_is_sent_as_its_bytes(server):
    password = b"p\xffw".decode("utf-8", "surrogateescape")  # as os.environ holds such bytes
    server.script(created())
    with FastSpringClient(
        store="acme", test_store=False, username=USERNAME, password=password, api_url=server.url
    ) as client:
        client.create_session({"items": []})
    expected = base64.b64encode(USERNAME.encode() + b":p\xffw").decode()
    assert server.requests[0].header("Authorization") == f"Basic {expected}"
