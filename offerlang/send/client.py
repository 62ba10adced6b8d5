"""FastSpring Sessions v1 over HTTPS: one POST per session, retried only where that is safe.

Retried: 429, 404 (FastSpring's documented answer to a rate-limited call), 5xx, connection errors
and timeouts, with exponential backoff, jitter and `Retry-After`, within a bounded number of
attempts and a total deadline. Never retried: any other 4xx (400, 401, 403, ...) and a 2xx whose
body cannot be read, since a session may then exist and FastSpring has no idempotency key.

Credentials live only in the Authorization header of requests. Every message this module builds
passes through `_scrub`, so neither the password nor the encoded header can reach an exception,
a log line or the terminal, even if a proxy echoes the request back in an error page (in any
of the forms listed in `secret_scrubber`).

Whatever the server does, an attempt ends by its deadline (`attempt_timeout`, cut to what is
left of the policy's total deadline): every read and write on the connection is given only the
time left, so a server that trickles its answer a byte a second cannot stretch it. An answer's
body is read up to MAX_ANSWER_BYTES once decoded (gzip included); more is a bad answer. Text
that comes from the server is escaped and capped (offerlang.text.shown) before anyone sees it.
"""

from __future__ import annotations

import base64
import email.utils
import ipaddress
import json
import logging
import math
import os
import random
import re
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, urlsplit

from offerlang import __version__
from offerlang.errors import OfferlangError
from offerlang.jsonout import dumps, loads
from offerlang.language import SESSION_ID
from offerlang.text import SHOWN, plural, shown, visible

if TYPE_CHECKING:
    import httpx

USERNAME_ENV = "FASTSPRING_API_USERNAME"
PASSWORD_ENV = "FASTSPRING_API_PASSWORD"
DEFAULT_API_URL = "https://api.fastspring.com"
USER_AGENT = f"offerlang/{__version__}"
REDACTED = "<redacted>"
# Where httpx finds a proxy for https (a lower-case name counts too).
PROXY_ENV = ("HTTPS_PROXY", "ALL_PROXY")

_STORE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)
_SECONDS = re.compile(r"\d{1,9}(?:\.\d{1,6})?")
# Epoch milliseconds of 9999-12-31: a later "expiry" is not a time this program can show.
LAST_MS = 253_402_300_799_999
# A secret shorter than this is masked only where it stands alone: replacing every "ab" in a
# message would garble it. The same length bounds the base64 fragments of a secret that appear
# inside a longer base64 text: a shorter fragment (from a password of 1 or 2 characters) would
# match by chance, so it is not masked.
_MIN_SCRUBBED_ANYWHERE = 4
# A session answer is under 10 KB: a bigger body (once decoded) is not one, and is not read on.
MAX_ANSWER_BYTES = 1024 * 1024
# Longest message offerlang builds around server text (which is capped at SHOWN on its own).
_MESSAGE_SHOWN = 2 * SHOWN
# Escapes whose hex digits may come in either case: JSON's \\uXXXX, percent-encoding, HTML's &#xXX;.
_ESCAPE_HEX = re.compile(r"\\u[0-9A-Fa-f]{4}|%[0-9A-Fa-f]{2}|&#[xX][0-9A-Fa-f]+;")
# The end of the attempt running on this thread (a campaign sends from several threads).
_ATTEMPT = threading.local()
# No attempt starts with less time than this left before the deadline: it could not get an answer.
_MIN_ATTEMPT = 0.25

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 1.0  # seconds before the first retry, doubled for each one after it
    max_delay: float = 30.0  # cap of the computed backoff (a server's Retry-After may exceed it)
    deadline: float = 120.0  # seconds from the first attempt; no retry starts that would pass it

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        times = (self.base_delay, self.max_delay, self.deadline)
        if not all(math.isfinite(t) and t >= 0 for t in times):
            raise ValueError("delays and the deadline must be finite numbers of seconds, not negative")

    def backoff(self, retry_number: int) -> float:
        """Delay before retry `retry_number` (1 for the first). Half of it is fixed, so retries
        always back off; half is random, so many clients that failed together do not retry in step."""
        ceiling: float = min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class RetryInfo:
    attempt: int  # the attempt about to be made: 2 for the first retry
    max_attempts: int
    reason: str  # why the previous attempt failed: "HTTP 503", "read timeout after 30s", ...
    delay: float  # seconds until that attempt
    status: int | None = None

    def __str__(self) -> str:
        return (
            f"retrying in {format_seconds(self.delay)}: {self.reason} "
            f"(attempt {self.attempt} of {self.max_attempts})"
        )


@dataclass(frozen=True)
class Target:
    """Where sessions go: a store, in live or test mode, through an API base URL. Two sends of
    the same payload to different targets are not duplicates."""

    store: str
    test_store: bool
    api_url: str


@dataclass(frozen=True)
class SessionCreated:
    id: str
    expires_ms: int  # epoch milliseconds, as FastSpring answers
    url: str  # the web storefront checkout link
    popup: str  # the Store Builder Library call for a popup storefront
    response: dict[str, Any]  # FastSpring's whole answer, numbers as exact Decimals


class ErrorKind(StrEnum):
    """Why a request created no session (what a campaign's ledger records as `kind`)."""

    REJECTED = "rejected"  # FastSpring refused the payload (400): fix the offer
    AUTH = "auth"  # 401/403: fix the credentials
    NETWORK = "network"  # no usable answer: connection, timeouts, retries exhausted, unreadable
    INTERRUPTED = "interrupted"  # a campaign stopped before a retry (never raised by the client)
    URL = "url"  # a 404 page that is not FastSpring's: --api-url looks wrong (FastSpringReader)


class SendError(OfferlangError):
    """A request that did not create a session.

    kind: see ErrorKind. message is FastSpring's message where it gave one; params its `params`.
    may_have_created: an answer came that FastSpring may have sent for a session it created (a
    2xx that could not be read), so whoever keeps records must treat the request as uncertain.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        status: int | None = None,
        *,
        params: tuple[Any, ...] = (),
        hint: str | None = None,
        may_have_created: bool = False,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.params = params
        self.hint = hint
        self.may_have_created = may_have_created


class SendInterrupted(KeyboardInterrupt):
    """Ctrl-C during create_session. may_have_created: whether a request may have reached
    FastSpring without a definite answer (so a session may exist that nobody recorded)."""

    def __init__(self, may_have_created: bool) -> None:
        super().__init__()
        self.may_have_created = may_have_created


class MissingCredentials(OfferlangError):
    """The API username or password is not in the environment (the message names the variables)."""


def credentials_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    env = os.environ if environ is None else environ
    missing = [name for name in (USERNAME_ENV, PASSWORD_ENV) if not env.get(name)]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise MissingCredentials(
            f"{' and '.join(missing)} {verb} not set: export the store's API username and password "
            "(created in the FastSpring app under API Credentials) in the environment"
        )
    return env[USERNAME_ENV], env[PASSWORD_ENV]


def check_store(store: str) -> str:
    """The store id as it goes into checkout URLs; ValueError with the reason otherwise."""
    if _STORE.fullmatch(store):
        return store.lower()
    hint = ""
    if "onfastspring.com" in store:
        store_id = store.split("://")[-1].split(".")[0]
        hint = f" (give only the store id, e.g. {store_id}; add --test-store for test mode)"
    raise ValueError(f"--store {store!r} is not a FastSpring store id{hint}")


def check_api_url(url: str) -> str:
    """The API base URL without a trailing slash; ValueError when it is unsafe or not a URL.

    Plain http would put the Basic credentials on the wire in clear text, so it is allowed only
    for a stand-in on this machine. A URL with an `@` is refused without being repeated at all:
    `http://user:pw@host`, but also `http:user:pw@host`, `http:/user:pw@host` and
    `http:\\\\user:pw@host`, which URL parsers split in different ways, may carry a password, and
    no rule that finds where it ends is safe enough to print the rest.
    """
    if "@" in url:
        raise ValueError(
            "--api-url must not contain a user or password (it has an @; the URL is not repeated "
            f"here, so that the password is not either); credentials are read from {USERNAME_ENV} "
            f"and {PASSWORD_ENV} only"
        )
    shown = visible(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(f"--api-url {shown!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--api-url {shown!r} must be an http(s) URL such as {DEFAULT_API_URL}")
    if parts.query or parts.fragment:
        raise ValueError(f"--api-url {shown!r} must not have a query or a fragment")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(
            f"--api-url {shown!r} uses plain http, which would send the credentials unencrypted; "
            "use https (plain http is allowed only for loopback hosts: 127.0.0.0/8, ::1, localhost)"
        )
    base = url.rstrip("/")
    if base.endswith("/sessions"):
        raise ValueError(
            f"--api-url {shown!r} would POST to {base}/sessions: give the base URL, without /sessions "
            f"(such as {DEFAULT_API_URL})"
        )
    return base


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checkout_url(store: str, test_store: bool, session_id: str) -> str:
    domain = "test.onfastspring.com" if test_store else "onfastspring.com"
    return f"https://{store}.{domain}/session/{session_id}"


def popup_snippet(session_id: str) -> str:
    return f'fastspring.builder.checkout("{session_id}")'


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date (RFC 9110).

    Fractional seconds are accepted too (a stand-in may send them); anything else is ignored.
    """
    if value is None:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def format_seconds(seconds: float) -> str:
    return f"{seconds:.1f}s" if seconds >= 0.1 else f"{seconds * 1000:.0f}ms"


@dataclass
class _Retryable:
    reason: str
    status: int | None = None
    retry_after: float | None = None
    rate_limited: bool = False
    hint: str | None = None
    # The request may have reached FastSpring and been acted on (a timeout or a dropped
    # connection, as opposed to a refused connection or an answer saying it was not).
    may_have_created: bool = False


class FastSpringClient:
    """POSTs payloads to `{api_url}/sessions`. One instance may serve many threads at once."""

    def __init__(
        self,
        *,
        store: str,
        test_store: bool,
        username: str,
        password: str,
        api_url: str = DEFAULT_API_URL,
        retry: RetryPolicy = RetryPolicy(),  # frozen, so one shared default is safe
        timeout: httpx.Timeout | None = None,
        attempt_timeout: float = 30.0,
        before_attempt: Callable[[], None] | None = None,
        on_retry: Callable[[RetryInfo], None] | None = None,
        on_rate_limited: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import httpx

        self.store = check_store(store)
        self.test_store = test_store
        self.api_url = check_api_url(api_url)
        self.sessions_url = f"{self.api_url}/sessions"
        self.retry = retry
        self.attempt_timeout = attempt_timeout  # seconds, from connecting to the answer's last byte
        self._before_attempt = before_attempt
        self._on_retry = on_retry
        self._on_rate_limited = on_rate_limited
        self._clock = clock  # seconds, for the deadline; a test may say how much time has passed
        token = basic_token(username, password)
        self._scrub = secret_scrubber(username, password)
        # The header is set here, not through httpx's auth flow, so that build_request() (and
        # with it the dry run) shows exactly the request that is sent.
        try:
            self._http = httpx.Client(
                # Plain http goes only to this machine: a proxy from HTTP_PROXY / ALL_PROXY would
                # carry the Basic credentials in clear text over the network. https keeps the
                # environment (HTTPS_PROXY, SSL_CERT_FILE) and its certificate checks.
                trust_env=urlsplit(self.api_url).scheme == "https",
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "application/json",
                    # Fixed, so that a request is the same whichever decoders httpx finds installed.
                    "Accept-Encoding": "gzip, deflate",
                    "Authorization": f"Basic {token}",
                },
                timeout=timeout if timeout is not None else httpx.Timeout(30.0, connect=10.0),
                follow_redirects=False,  # a redirect would re-send the credentials somewhere else
            )
        except (httpx.InvalidURL, ValueError, ImportError) as exc:
            # Only the proxy from the environment can be wrong here. Its URL is not repeated (nor
            # httpx's message, which quotes it): a proxy URL may carry a user and password.
            raise ValueError(_proxy_problem(exc)) from None
        _bound_by_attempt_deadline(self._http)

    @property
    def target(self) -> Target:
        return Target(self.store, self.test_store, self.api_url)

    def __enter__(self) -> FastSpringClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def build_request(self, payload: dict[str, Any]) -> httpx.Request:
        body = dumps(payload, None).encode("utf-8")
        return self._http.build_request(
            "POST", self.sessions_url, content=body, headers={"Content-Type": "application/json"}
        )

    def describe_request(self, payload: dict[str, Any]) -> tuple[str, str, list[tuple[str, str]], bytes]:
        """(method, url, headers, body) exactly as sent, with the Authorization value redacted."""
        request = self.build_request(payload)
        headers = []
        for raw_name, raw_value in request.headers.raw:
            name = raw_name.decode("latin-1")
            value = f"Basic {REDACTED}" if name.lower() == "authorization" else raw_value.decode("latin-1")
            headers.append((name, value))
        return request.method, str(request.url), headers, request.content

    def create_session(self, payload: dict[str, Any]) -> SessionCreated:
        """Create one session, retrying per the module's rules. Raises SendError, or
        SendInterrupted on Ctrl-C."""
        request = self.build_request(payload)
        started: float | None = None
        policy = self.retry
        attempt = 1
        may_have_created = False  # an earlier attempt may have reached FastSpring unanswered
        sending = False
        try:
            while True:
                if self._before_attempt is not None:
                    self._before_attempt()
                if started is None:
                    # The deadline counts from the first attempt (RetryPolicy.deadline), not from
                    # the wait for a campaign's rate-limit slot before it, which may be long.
                    started = self._clock()
                sending = True
                outcome = self._attempt(request, attempt, policy.deadline - (self._clock() - started))
                sending = False
                if isinstance(outcome, SessionCreated):
                    return outcome
                may_have_created = may_have_created or outcome.may_have_created
                tried = f"gave up after {plural(attempt, 'attempt')}: {outcome.reason}"
                if attempt >= policy.max_attempts:
                    raise self._error(ErrorKind.NETWORK, tried, outcome.status, hint=outcome.hint)
                # A server's Retry-After of 0 (or a date in the past) does not cancel the backoff:
                # clients that failed together would otherwise all retry at once.
                delay = max(outcome.retry_after or 0.0, policy.backoff(attempt))
                if self._clock() - started + delay + _MIN_ATTEMPT > policy.deadline:
                    raise self._error(
                        ErrorKind.NETWORK,
                        f"{tried}; waiting {format_seconds(delay)} more would pass the "
                        f"{format_seconds(policy.deadline)} deadline",
                        outcome.status,
                        hint=outcome.hint,
                    )
                if outcome.rate_limited and self._on_rate_limited is not None:
                    self._on_rate_limited(delay)
                attempt += 1
                if self._on_retry is not None:
                    self._on_retry(
                        RetryInfo(attempt, policy.max_attempts, outcome.reason, delay, outcome.status)
                    )
                time.sleep(delay)
        except KeyboardInterrupt:
            raise SendInterrupted(may_have_created or sending) from None

    def _attempt(self, request: httpx.Request, attempt: int, time_left: float) -> SessionCreated | _Retryable:
        import httpx

        budget = min(self.attempt_timeout, time_left)
        timeout = self._timeouts(request, budget)
        log.debug(
            "POST %s (attempt %d of %d, %d bytes)",
            request.url,
            attempt,
            self.retry.max_attempts,
            len(request.content),
        )
        sent = self._clock()
        try:
            response, problem = self._exchange(request, budget, MAX_ANSWER_BYTES)
        except httpx.TimeoutException as exc:
            # A connection that was never made cannot have created a session.
            unsent = isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout))
            return _Retryable(self._scrub(_timeout_reason(exc, timeout)), may_have_created=not unsent)
        except httpx.TransportError as exc:
            self._refuse_certificate(exc, request)
            unsent = isinstance(exc, (httpx.ConnectError, httpx.ProxyError))
            reason = shown(self._scrub(_transport_reason(exc)))
            return _Retryable(reason, may_have_created=not unsent)
        log.debug("HTTP %d in %.2fs", response.status_code, self._clock() - sent)
        status = response.status_code
        if 200 <= status < 300:
            if problem is not None:
                raise self._unreadable(status, problem.reason)
            return self._session_from(response)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status in (404, 429):
            return _Retryable(
                f"HTTP {status}, rate limited",
                status,
                retry_after,
                rate_limited=True,
                hint="FastSpring answers 404 when rate-limited; if it persists, check --api-url"
                if status == 404
                else None,
            )
        if status >= 500:
            return _Retryable(f"HTTP {status}", status, retry_after)
        # A 401/403 page that is not FastSpring's JSON comes from something in between (a proxy's
        # login page, say), which may repeat the request: it is not shown at all.
        message, params = self._error_body(response, echo=status not in (401, 403))
        if problem is not None:
            message = f"{message} (the rest of the answer was not read: {problem.reason})"
        if status in (401, 403):
            raise self._error(
                ErrorKind.AUTH,
                message,
                status,
                hint=f"check the store's API credentials in {USERNAME_ENV} and {PASSWORD_ENV}",
            )
        if 300 <= status < 400:
            where = shown(self._scrub(response.headers.get("Location", "elsewhere")))
            raise self._error(
                ErrorKind.REJECTED, f"unexpected redirect to {where}", status, hint="check --api-url"
            )
        raise self._error(ErrorKind.REJECTED, message, status, params=params)

    def _timeouts(self, request: httpx.Request, budget: float) -> httpx.Timeout:
        """Every phase's timeout of `request` cut to the attempt's `budget` of seconds."""
        import httpx

        configured = self._http.timeout
        timeout = httpx.Timeout(
            **{
                phase: min(limit, budget) if limit is not None else budget
                for phase, limit in configured.as_dict().items()
            }
        )
        request.extensions["timeout"] = timeout.as_dict()
        return timeout

    def _exchange(
        self, request: httpx.Request, budget: float, limit: int
    ) -> tuple[httpx.Response, _BadBody | None]:
        """Send `request` and read its answer, the whole exchange (connecting, the request, the
        answer's last byte) within `budget` seconds: every read and write on the connection gets
        only what is left of it (_DeadlineStream), so the deadline holds whatever the server does.
        The body is read bounded and decoded by _read_body, `limit` bytes at most; an answer
        whose body could not be read whole comes back with an empty body and the _BadBody that
        says why. The one reader of answers, for sessions (POST) and the catalog (GET) alike.
        Raises httpx's TimeoutException or TransportError when there is no answer at all."""
        # Real time, not the clock a test may give: the sockets' timeouts are real seconds.
        _ATTEMPT.deadline = time.monotonic() + budget
        try:
            response = self._http.send(request, stream=True)
            try:
                body, problem = _read_body(response, budget, limit), None
            except _BadBody as exc:
                body, problem = b"", exc
            finally:
                response.close()
        finally:
            _ATTEMPT.deadline = None
        # The same answer with its body read (bounded, decoded): `.content` for the readers.
        return _with_body(response, body), problem

    def _refuse_certificate(self, exc: Exception, request: httpx.Request) -> None:
        """A TLS certificate that could not be verified is no passing failure: never retried."""
        if _certificate_failure(exc):
            raise self._error(
                ErrorKind.NETWORK,
                f"the TLS certificate of {request.url.host} could not be verified: {exc}",
                hint="check the system clock and any proxy; set SSL_CERT_FILE if a proxy uses its own CA",
            ) from None

    def _unreadable(self, status: int, what: str) -> SendError:
        return self._error(
            ErrorKind.NETWORK,
            f"HTTP {status} with an unreadable answer ({what}); a session may have been created, so "
            "the request was not repeated",
            status,
            may_have_created=True,
        )

    def _error_body(self, response: httpx.Response, echo: bool) -> tuple[str, tuple[Any, ...]]:
        """FastSpring's message and params from an error answer (the v2 client reads its own
        error envelope: send/v2.py)."""
        return _error_body(response, self._scrub, echo)

    def _session_from(self, response: httpx.Response) -> SessionCreated:
        def unreadable(what: str) -> SendError:
            return self._unreadable(response.status_code, what)

        try:
            data = loads(response.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise unreadable(f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise unreadable("not a JSON object")
        session_id, expires = data.get("id"), data.get("expires")
        if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
            raise unreadable("no valid session id")
        if isinstance(expires, bool) or not isinstance(expires, int) or not 0 < expires <= LAST_MS:
            raise unreadable("no expiry time in epoch milliseconds")
        return SessionCreated(
            id=session_id,
            expires_ms=expires,
            url=checkout_url(self.store, self.test_store, session_id),
            popup=popup_snippet(session_id),
            response=data,
        )

    def _error(
        self,
        kind: ErrorKind,
        message: str,
        status: int | None = None,
        *,
        params: tuple[Any, ...] = (),
        hint: str | None = None,
        may_have_created: bool = False,
    ) -> SendError:
        """Every SendError: scrubbed, then escaped and capped (the server's parts are capped on
        their own already), since its message and params reach the terminal and JSON output."""
        if params:
            params = _shown_params(list(params), self._scrub)
        return SendError(
            kind,
            shown(self._scrub(message), _MESSAGE_SHOWN),
            status,
            params=params,
            hint=hint,
            may_have_created=may_have_created,
        )


def basic_token(username: str, password: str) -> str:
    # surrogateescape: a variable holding bytes that are not UTF-8 is sent as those very bytes.
    return base64.b64encode(f"{username}:{password}".encode("utf-8", "surrogateescape")).decode("ascii")


def secret_scrubber(username: str, password: str) -> Callable[[str], str]:
    """A function that masks the credentials, the `user:password` pair and the Basic header value
    in a text, also in the forms an echo may give them: JSON-escaped (ASCII or not, `\\/`),
    percent-encoded, HTML-escaped (named or numeric entities), and base64-encoded, the pair and
    the password alone, at any of the three byte alignments inside a longer base64 text.

    Beyond the forms an encoder gives (found as they are, fast), the text is also read decoded
    (_decoded_view: percent-escapes, JSON escapes and HTML entities of any kind, in any case,
    nested up to three layers deep, white space inside base64 ignored) and whatever spells a
    secret there is masked where it stands in the text: `%70%61…`, `\\u0070…`, `&#112;…`,
    `&ouml;` and base64 that was then percent-encoded or wrapped onto lines are masked too.

    A very short secret does not blank every message: a form shorter than
    _MIN_SCRUBBED_ANYWHERE characters is masked only where it stands alone as a word, and a
    base64 fragment that short (from a password of 1 or 2 characters) is not masked at all."""
    pair = f"{username}:{password}"
    masks: dict[str, Callable[[str], str]] = {}
    # What is looked for in the decoded text: (pattern, whether to look where white space is
    # left out, as base64 may be wrapped onto lines).
    plain: set[str] = set()
    wrapped: set[str] = set()

    for secret in (password, username, pair, basic_token(username, password)):
        if not secret:
            continue
        anywhere = len(secret) >= _MIN_SCRUBBED_ANYWHERE or secret == pair
        for form in _encoded_forms(secret):
            if anywhere:
                masks[form] = partial(_mask_everywhere, form)
            else:
                # A short secret is masked only as a token of its own, not inside every word.
                masks[form] = partial(_mask_standalone, re.compile(rf"(?<!\w){re.escape(form)}(?!\w)"))
        plain.add(re.escape(secret) if anywhere else rf"(?<!\w){re.escape(secret)}(?!\w)")
    for secret in (pair, password):
        if secret:
            for fragment in _base64_fragments(secret.encode("utf-8", "surrogateescape")):
                if len(fragment) >= _MIN_SCRUBBED_ANYWHERE:
                    masks[fragment] = partial(_mask_everywhere, fragment)
                    wrapped.add(re.escape(fragment))
    wrapped.add(re.escape(basic_token(username, password)))
    # Longest first, so that a password inside the token cannot leave the rest of the token behind.
    ordered = [masks[form] for form in sorted(masks, key=len, reverse=True)]
    in_decoded = _alternatives(plain | wrapped)
    in_unwrapped = _alternatives(wrapped)

    def scrub(text: str) -> str:
        # Escapes in one case, so that `\u00F6`, `%C3%b6` or `&#X22;` match the forms above.
        text = _lower_escapes(text)
        for mask in ordered:
            text = mask(text)
        return _mask_decoded(text, in_decoded, in_unwrapped)

    return scrub


def _alternatives(patterns: set[str]) -> re.Pattern[str] | None:
    # Longest first: where two forms start at one place, the longer one is masked whole.
    ordered = sorted(patterns, key=len, reverse=True)
    return re.compile("|".join(ordered)) if ordered else None


def _mask_decoded(text: str, in_decoded: re.Pattern[str] | None, in_unwrapped: re.Pattern[str] | None) -> str:
    """`text` with every span masked that spells a secret once decoded (`in_decoded`), or once
    decoded with its white space left out (`in_unwrapped`: base64 wrapped onto lines)."""
    spans: list[tuple[int, int]] = []
    views = [(in_decoded, False)]
    # Only white space (maybe escaped, as `\n` in JSON) can make the unwrapped view differ.
    if in_unwrapped is not None and (_SPACE.search(text) or _AN_ESCAPE.search(text)):
        views.append((in_unwrapped, True))
    for pattern, unwrap in views:
        if pattern is None:
            continue
        view, starts, ends = _decoded_view(text, unwrap)
        for m in pattern.finditer(view):
            if m.end() > m.start():
                spans.append((starts[m.start()], ends[m.end() - 1]))
    if not spans:
        return text
    out: list[str] = []
    at = 0
    for start, end in sorted(spans):
        if start < at:  # overlaps the span masked before it: one mask for both
            at = max(at, end)
            continue
        out += [text[at:start], REDACTED]
        at = end
    out.append(text[at:])
    return "".join(out)


# One layer of the escapes an echo may hold: a run of percent-escapes (UTF-8 bytes), a run of
# JSON \u escapes (surrogate pairs), JSON's short escapes, HTML's numeric and named entities.
_AN_ESCAPE = re.compile(
    r"(?:%[0-9A-Fa-f]{2})+|(?:\\u[0-9A-Fa-f]{4})+|\\[\"\\/bfnrt]"
    r"|&#[0-9]{1,7};|&#[xX][0-9A-Fa-f]{1,6};|&[A-Za-z][A-Za-z0-9]{1,31};"
)
_SPACE = re.compile(r"\s")
_JSON_SHORT = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
# Layers of escapes decoded, one inside another (HTML of JSON of a percent-encoded text).
_LAYERS = 3


def _decoded_view(text: str, unwrap: bool) -> tuple[str, list[int], list[int]]:
    """`text` with its escapes decoded (up to _LAYERS deep), and for each character of the
    result where in `text` the escape it came from starts and ends. With `unwrap`, white space
    is left out as well. Text without escapes or white space costs one regex search."""
    starts: list[int] | None = None
    ends: list[int] | None = None
    view = text
    for _ in range(_LAYERS):
        if not _AN_ESCAPE.search(view):
            break
        view, layer_starts, layer_ends = _decode_layer(view)
        if starts is None or ends is None:
            starts, ends = layer_starts, layer_ends
        else:
            starts, ends = [starts[i] for i in layer_starts], [ends[i - 1] for i in layer_ends]
    if unwrap and _SPACE.search(view):
        kept = [i for i, c in enumerate(view) if not c.isspace()]
        view = "".join(view[i] for i in kept)
        if starts is None or ends is None:
            starts, ends = kept, [i + 1 for i in kept]
        else:
            starts, ends = [starts[i] for i in kept], [ends[i] for i in kept]
    if starts is None or ends is None:
        return view, range(len(view)), range(1, len(view) + 1)  # type: ignore[return-value]
    return view, starts, ends


def _decode_layer(text: str) -> tuple[str, list[int], list[int]]:
    import html.entities

    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    def keep(chars: str, start: int, end: int) -> None:
        for c in chars:
            out.append(c)
            starts.append(start)
            ends.append(end)

    def literal(start: int, end: int) -> None:
        for i in range(start, end):
            keep(text[i], i, i + 1)

    at = 0
    for m in _AN_ESCAPE.finditer(text):
        literal(at, m.start())
        at = m.end()
        token, start = m[0], m.start()
        if token[0] == "%":
            _decode_units(bytes.fromhex(token.replace("%", "")), 3, start, keep, literal)
        elif token.startswith("\\u"):
            units = [int(token[i + 2 : i + 6], 16) for i in range(0, len(token), 6)]
            _decode_utf16(units, start, keep, literal)
        elif token[0] == "\\":
            keep(_JSON_SHORT[token[1]], start, m.end())
        elif token.startswith("&#"):
            code = int(token[3:-1], 16) if token[2] in "xX" else int(token[2:-1])
            if code < 0x110000 and not 0xD800 <= code <= 0xDFFF:
                keep(chr(code), start, m.end())
            else:
                literal(start, m.end())
        elif token[1:] in html.entities.html5:
            keep(html.entities.html5[token[1:]], start, m.end())
        else:
            literal(start, m.end())
    literal(at, len(text))
    return "".join(out), starts, ends


def _decode_units(data: bytes, width: int, start: int, keep: Any, literal: Any) -> None:
    """Percent-escaped bytes (`width` characters each) as UTF-8 characters; a byte that is not
    part of one stays as it was written."""
    i = 0
    while i < len(data):
        for n in (1, 2, 3, 4):
            try:
                char = data[i : i + n].decode("utf-8")
            except UnicodeDecodeError:
                continue
            keep(char, start + width * i, start + width * (i + n))
            i += n
            break
        else:
            literal(start + width * i, start + width * (i + 1))
            i += 1


def _decode_utf16(units: list[int], start: int, keep: Any, literal: Any) -> None:
    """JSON's \\u escapes (6 characters each) as characters, surrogate pairs joined; a lone
    surrogate stays as it was written."""
    i = 0
    while i < len(units):
        unit = units[i]
        at = start + 6 * i
        if 0xD800 <= unit <= 0xDBFF and i + 1 < len(units) and 0xDC00 <= units[i + 1] <= 0xDFFF:
            keep(chr(0x10000 + ((unit - 0xD800) << 10) + (units[i + 1] - 0xDC00)), at, at + 12)
            i += 2
        elif 0xD800 <= unit <= 0xDFFF:
            literal(at, at + 6)
            i += 1
        else:
            keep(chr(unit), at, at + 6)
            i += 1


def _mask_everywhere(form: str, text: str) -> str:
    return text.replace(form, REDACTED)


def _mask_standalone(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(REDACTED, text)


def _encoded_forms(secret: str) -> set[str]:
    percent = {
        quote(secret, safe="", errors="surrogateescape"),
        quote(secret, errors="surrogateescape"),
        quote_plus(secret, errors="surrogateescape"),
    }
    json_forms = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    json_forms |= {form.replace("/", "\\/") for form in json_forms}
    # The scrubber lowers the hex digits of every escape, in these forms and in the text alike.
    return {_lower_escapes(form) for form in (secret, *json_forms, *percent, *_html_forms(secret))}


def _lower_escapes(text: str) -> str:
    return _ESCAPE_HEX.sub(lambda m: m[0].lower(), text)


def _html_forms(secret: str) -> set[str]:
    """`secret` as an HTML page may show it: &amp; &lt; &gt; and each spelling of the quotes."""
    base = secret.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    forms = {base}
    for double in ("&quot;", "&#34;", "&#x22;", '"'):
        for single in ("&#x27;", "&#39;", "&apos;", "'"):
            forms.add(base.replace('"', double).replace("'", single))
    return forms


def _base64_fragments(secret: bytes) -> set[str]:
    """The base64 characters that depend on `secret` alone wherever it stands in a longer text
    that is base64-encoded: one set of characters per alignment (the secret starting at a byte
    offset of 0, 1 or 2 within a 3-byte group), standard and URL-safe alphabets. The characters
    that also hold bits of the bytes before or after it are left out, since those vary."""
    fragments = set()
    for shift in range(3):
        data = b"\0" * shift + secret
        # A 3-byte group is 4 characters of 6 bits: the shift bytes reach into characters 0..shift.
        start = (0, 2, 3)[shift]
        whole, rest = divmod(len(data), 3)
        end = 4 * whole + (0, 1, 2)[rest]  # a last partial group's characters that are complete
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            fragment = encode(data).decode("ascii")[start:end]
            if fragment:
                fragments.add(fragment)
    return fragments


def scrub_value(value: Any, scrub: Callable[[str], str]) -> Any:
    """`value` (FastSpring's JSON: strings, numbers, lists, objects) with every string scrubbed."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list | tuple):
        return [scrub_value(v, scrub) for v in value]
    if isinstance(value, dict):
        return {scrub(str(k)): scrub_value(v, scrub) for k, v in value.items()}
    return value


def _shown_params(params: list[Any], scrub: Callable[[str], str]) -> tuple[Any, ...]:
    """FastSpring's `params`, scrubbed, each text escaped and capped, and no more of them than
    fit in about 2 x SHOWN characters of JSON: a hostile answer cannot flood the terminal here
    either. An entry too big to show whole is shown as the start of its JSON text."""
    out: list[Any] = []
    size = 0
    for index, param in enumerate(params):
        value = scrub_value(param, lambda text: shown(scrub(text)))
        if len(dumps(value, None)) > SHOWN:
            value = shown(dumps(value, None))
        size += len(dumps(value, None))
        if size > 2 * SHOWN:
            out.append(f"… ({len(params) - index:,} more)")
            break
        out.append(value)
    return tuple(out)


def _error_body(
    response: httpx.Response, scrub: Callable[[str], str], echo: bool
) -> tuple[str, tuple[Any, ...]]:
    """FastSpring's `{"message": ..., "params": [...]}`, or (when `echo`) the start of whatever
    came instead; scrubbed before it is cut short, so no part of a secret survives the cut, and
    escaped (text.shown), so no control or bidi character in it reaches the terminal."""
    body = response.content
    try:
        data = loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str) and data["message"].strip():
        params = data.get("params")
        return shown(scrub(data["message"].strip())), tuple(params) if isinstance(params, list) else ()
    text = scrub(body.decode("utf-8", "replace")) if echo else ""
    first_line = shown(text.strip().split("\n", 1)[0], 200)
    # The reason phrase is the server's text as much as its body (a proxy may put anything there).
    reason = shown(scrub(_reason_phrase(response)), 200)
    return (first_line or reason or f"HTTP {response.status_code}"), ()


def _reason_phrase(response: httpx.Response) -> str:
    """The status line's reason phrase as the server sent it. httpx's `reason_phrase` drops every
    byte that is not ASCII, which would also drop part of an echoed password, leaving the rest
    where no scrubber can recognise it: here UTF-8, or else Latin-1 (what HTTP/1.0 servers send)."""
    raw = response.extensions.get("reason_phrase")
    if not isinstance(raw, bytes):
        return response.reason_phrase
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class _BadBody(Exception):
    """The answer's body could not be read whole: `reason` says why (too big, too slow, ...).
    `transient`: it was cut off (too slow, the connection closed), so asking again may get it
    whole; otherwise the answer is what it is (too big, not decodable)."""

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


def _read_body(response: httpx.Response, budget: float, limit: int = MAX_ANSWER_BYTES) -> bytes:
    """The body, decoded, or _BadBody. Read chunk by chunk as it arrives and decoded by us, not
    by httpx, so that nothing past `limit` bytes is ever held: a 100 MB answer or a gzip bomb
    costs one chunk of memory, not the whole of it; and a body that cannot be decoded (garbled
    gzip, a coding not asked for, a compressed stream cut short) is a bad answer, not a crash."""
    import httpx

    decode = _decoder(response.headers.get("Content-Encoding", ""))
    body = bytearray()
    received = 0
    too_large = f"larger than {_size(limit)}"
    try:
        for chunk in response.iter_raw():
            received += len(chunk)
            body += decode.feed(chunk, limit - len(body)) if decode else chunk
            if len(body) > limit or received > limit:
                raise _BadBody(too_large)
            if time.monotonic() > (_ATTEMPT.deadline or math.inf):
                raise _BadBody(f"not complete after {format_seconds(budget)}", transient=True)
        if decode is not None and received:
            decode.finish()
    except httpx.TimeoutException:
        raise _BadBody(f"not complete after {format_seconds(budget)}", transient=True) from None
    except httpx.TransportError:
        raise _BadBody("the connection closed before its end", transient=True) from None
    except zlib.error as exc:
        raise _BadBody(f"could not be decoded: {exc}") from None
    return bytes(body)


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit:,} bytes"


def _with_body(response: httpx.Response, body: bytes) -> httpx.Response:
    """`response` (streamed, closed) as a read one whose `.content` is `body`, already decoded."""
    import httpx

    # The raw bytes: a header that is not ASCII (a server's UTF-8) must come through as it came.
    headers = [(k, v) for k, v in response.headers.raw if k.lower() != b"content-encoding"]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=body,
        request=response.request,
        extensions=response.extensions,
    )


def _decoder(content_encoding: str) -> _Inflater | None:
    """What decodes a body sent with this Content-Encoding, chunk by chunk; None for an
    unencoded body."""
    codings = [
        c for c in (c.strip().lower() for c in content_encoding.split(",")) if c not in ("", "identity")
    ]
    if not codings:
        return None
    if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        # Only "gzip, deflate" is asked for (Accept-Encoding), and one coding at a time.
        raise _BadBody(f"could not be decoded: content encoding '{shown(content_encoding, 100)}'")
    return _Inflater(gzip=codings[0] != "deflate")


class _Inflater:
    """A gzip or deflate body, decoded a chunk at a time, each call producing at most `room` + 1
    bytes (one more than fits is enough to know it does not fit). Unlike a bare decompressobj it
    reads a gzip body of several members (RFC 1952 allows them) and zeros after the end (as
    gzip(1) does), takes "deflate" as some servers send it (raw, without the zlib header, as
    httpx does), and refuses a stream that stops before its end (its checksum never read) or
    goes on with something else after it."""

    def __init__(self, *, gzip: bool) -> None:
        self._gzip = gzip
        self._wbits = zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS
        self._inflate = zlib.decompressobj(self._wbits)
        self._head = b""  # a deflate body's first bytes, until its zlib header has been read
        self._padded = False  # zeros came after the end

    def feed(self, chunk: bytes, room: int) -> bytes:
        if self._wbits != zlib.MAX_WBITS or len(self._head) >= 2:
            return self._decompress(chunk, room)
        self._head += chunk
        try:
            return self._decompress(chunk, room)
        except zlib.error:
            # "deflate" sent raw: start again without the header, from the first byte.
            self._wbits = -zlib.MAX_WBITS
            self._inflate = zlib.decompressobj(self._wbits)
            return self._decompress(self._head, room)

    def _decompress(self, data: bytes, room: int) -> bytes:
        out = b""
        while data and len(out) <= room:
            if self._inflate.eof:
                if not data.strip(b"\0"):
                    self._padded = True
                    break
                magic = b"\x1f\x8b"[: len(data)]  # a gzip member's first bytes (maybe one so far)
                if self._padded or not self._gzip or data[:2] != magic:
                    raise zlib.error("data after the end of the compressed stream")
                self._inflate = zlib.decompressobj(self._wbits)  # the next member of a gzip body
            out += self._inflate.decompress(data, room + 1 - len(out))
            data = self._inflate.unused_data if self._inflate.eof else b""
        return out

    def finish(self) -> None:
        """At the body's last byte: the stream must have ended there, its checksum checked."""
        if not self._inflate.eof:
            raise zlib.error("the compressed stream stops before its end")


class _DeadlineBackend:
    """httpcore's network backend, wrapped so that every stream it opens is a _DeadlineStream."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        import httpcore

        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_tcp(host, port, left, *args, **kwargs))

    def connect_unix_socket(self, path: str, timeout: float | None = None, *args: Any, **kwargs: Any) -> Any:
        import httpcore

        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, left, *args, **kwargs))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineStream:
    """A connection whose reads and writes get no more time than is left of the attempt running
    on this thread. httpcore gives each read the whole read timeout, so an answer arriving a
    byte a second would never time out; here the time left shrinks with every byte."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        import httpcore

        return self._inner.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        import httpcore

        self._inner.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> Any:
        import httpcore

        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _time_left(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline = getattr(_ATTEMPT, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the attempt's deadline has passed")
    return left if timeout is None else min(timeout, left)


def _bound_by_attempt_deadline(client: httpx.Client) -> None:
    """Put every connection `client` makes (directly or through a proxy from the environment)
    under the attempt's deadline. httpx has no total timeout of its own (encode/httpx#1450) and
    no public way to pass httpcore a network backend, so the backend of each connection pool is
    wrapped in place; tests/test_server_text.py fails if this ever stops working."""
    for transport in (client._transport, *client._mounts.values()):
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None and not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]


def _proxy_problem(exc: Exception) -> str:
    named = (
        " or ".join(n for n in PROXY_ENV if os.environ.get(n) or os.environ.get(n.lower()))
        or "the environment"
    )
    if isinstance(exc, ImportError):
        why = "a SOCKS proxy needs the socksio package (pip install 'httpx[socks]')"
    else:
        why = "it is not a proxy URL that can be used (http://, https:// or socks5://HOST:PORT)"
    return f"the proxy set in {named} cannot be used: {why}; its URL is not repeated (it may hold a password)"


def _timeout_reason(exc: Exception, timeout: httpx.Timeout) -> str:
    import httpx

    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timeout after {format_seconds(timeout.connect or 0)}"
    if isinstance(exc, httpx.ReadTimeout):
        return f"read timeout after {format_seconds(timeout.read or 0)}"
    if isinstance(exc, httpx.WriteTimeout):
        return f"write timeout after {format_seconds(timeout.write or 0)}"
    return "timed out waiting for a connection"


def _transport_reason(exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection dropped without an answer"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc}"
    if isinstance(exc, httpx.ProxyError):
        return f"proxy error: {exc}"
    return f"connection error: {exc or type(exc).__name__}"


def _certificate_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# ---- reading: GET requests (offer catalog pull) ------------------------------------------------

# A products answer for 50 paths is tens of KB; anything past this is not an answer to read.
MAX_READ_BYTES = 16 * 1024 * 1024


class FastSpringReader(FastSpringClient):
    """Read-only GET requests to FastSpring's API (the products API of `offer catalog pull`),
    with the credentials, headers, `--api-url` rules, retries and secrets hygiene of sessions.

    A GET changes nothing, so every failure without a usable answer may be retried: 429, 5xx,
    connection errors, timeouts, and 404, FastSpring's answer to a rate-limited call. But a 404
    whose body is not FastSpring's (an HTML or text page rather than JSON or nothing) comes
    from a server that does not know the URL: retrying it until the deadline would only hide a
    wrong `--api-url`, so it fails at once and says so.
    """

    def get_json(self, path: str, query: Mapping[str, str] | None = None) -> Any:
        """GET `{api_url}/{path}` and return the JSON answer (numbers as exact Decimals).
        Raises SendError (kind "url" for a 404 that is not FastSpring's), or SendInterrupted."""
        import httpx

        url = httpx.URL(f"{self.api_url}/{path}", params=dict(query) if query else None)
        request = self._http.build_request("GET", url)
        started = time.monotonic()
        policy = self.retry
        attempt = 1
        try:
            while True:
                if self._before_attempt is not None:
                    self._before_attempt()
                outcome = self._get_attempt(request, attempt, policy.deadline - (time.monotonic() - started))
                if not isinstance(outcome, _Retryable):
                    return outcome
                tried = f"gave up after {attempt} attempt{'s' * (attempt != 1)}: {outcome.reason}"
                if attempt >= policy.max_attempts:
                    raise self._error(ErrorKind.NETWORK, tried, outcome.status, hint=outcome.hint)
                delay = max(outcome.retry_after or 0.0, policy.backoff(attempt))
                if time.monotonic() - started + delay + _MIN_ATTEMPT > policy.deadline:
                    raise self._error(
                        ErrorKind.NETWORK,
                        f"{tried}; waiting {format_seconds(delay)} more would pass the "
                        f"{format_seconds(policy.deadline)} deadline",
                        outcome.status,
                        hint=outcome.hint,
                    )
                if outcome.rate_limited and self._on_rate_limited is not None:
                    self._on_rate_limited(delay)
                attempt += 1
                if self._on_retry is not None:
                    self._on_retry(
                        RetryInfo(attempt, policy.max_attempts, outcome.reason, delay, outcome.status)
                    )
                time.sleep(delay)
        except KeyboardInterrupt:
            raise SendInterrupted(False) from None

    def _get_attempt(self, request: httpx.Request, attempt: int, time_left: float) -> Any:
        import httpx

        # The attempt's deadline, as for sessions: every read gets only the time left of it, so a
        # server trickling its answer cannot stretch an attempt past --timeout.
        budget = min(self.attempt_timeout, time_left)
        timeout = self._timeouts(request, budget)
        log.debug(
            "GET %s (attempt %d of %d)", self._scrub(str(request.url)), attempt, self.retry.max_attempts
        )
        try:
            response, problem = self._exchange(request, budget, MAX_READ_BYTES)
        except httpx.TimeoutException as exc:
            return _Retryable(self._scrub(_timeout_reason(exc, timeout)))
        except httpx.TransportError as exc:
            self._refuse_certificate(exc, request)
            return _Retryable(shown(self._scrub(_transport_reason(exc))))
        status = response.status_code
        body = response.content
        log.debug("HTTP %d, %d bytes", status, len(body))
        if problem is not None and problem.transient:
            # Cut off (too slow, the connection dropped): a GET may simply be asked again.
            return _Retryable(f"HTTP {status} with an answer cut off ({problem.reason})", status)
        if 200 <= status < 300:
            if problem is not None:
                raise self._error(
                    ErrorKind.NETWORK, f"HTTP {status} with an unreadable answer ({problem.reason})", status
                )
            try:
                return loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise self._error(
                    ErrorKind.NETWORK, f"HTTP {status} with an answer that is not JSON ({exc})", status
                ) from None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 404 and (problem is not None or not _fastspring_shaped(body)):
            raise self._error(
                ErrorKind.URL,
                f"HTTP 404 from {self._scrub(str(request.url.copy_with(query=None)))} with a page that is "
                "not FastSpring's: the URL looks wrong",
                status,
                hint=f"check --api-url: the base URL of FastSpring's API, such as {DEFAULT_API_URL}",
            )
        if status in (404, 429):
            hint = "FastSpring answers 404 when rate-limited; if it persists, check --api-url"
            return _Retryable(
                f"HTTP {status}, rate limited",
                status,
                retry_after,
                rate_limited=True,
                hint=hint if status == 404 else None,
            )
        if status >= 500:
            return _Retryable(f"HTTP {status}", status, retry_after)
        message, params = self._error_body(response, echo=status not in (401, 403))
        if problem is not None:
            message = f"{message} (the rest of the answer was not read: {problem.reason})"
        if status in (401, 403):
            raise self._error(
                ErrorKind.AUTH,
                message,
                status,
                hint=f"check the store's API credentials in {USERNAME_ENV} and {PASSWORD_ENV}",
            )
        if 300 <= status < 400:
            where = shown(self._scrub(response.headers.get("Location", "elsewhere")))
            moved = f"unexpected redirect to {where}"
            raise self._error(ErrorKind.REJECTED, moved, status, hint="check --api-url")
        raise self._error(ErrorKind.REJECTED, message, status, params=params)


def _fastspring_shaped(body: bytes) -> bool:
    """Could this 404 body be FastSpring's? FastSpring answers JSON (or nothing); a web server
    that does not know the path answers an HTML or text page."""
    text = body.strip()
    if not text:
        return True
    try:
        loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return True
