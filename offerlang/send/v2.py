"""Sessions v2 over HTTPS: `POST /v2/checkouts/{store}/{checkout}/sessions`, answered 201.

Everything that makes sending safe is the v1 client's (send/client.py), inherited unchanged:
the retries and their rules, the deadline, the credentials only in the Authorization header
and every message scrubbed. What differs is read here:

- where: the client's base is the checkout's endpoint, `{api}/v2/checkouts/{store}/{checkout}`,
  so its `api_url` (what a receipt records, and the duplicate guard compares) names the
  checkout too: the same body sent to two checkouts is two sessions;
- the answer: the link is `checkoutUrls.webcheckoutUrl`, the expiry `expires` (ISO 8601), and
  a 201 may carry `warnings[]` (the session exists, but e.g. its coupon was not applied) and
  FastSpring's computed prices;
- the error envelope `{"status", "message", "errors": [{errorCode, field, message, …}]}`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from offerlang.jsonout import dumps, loads
from offerlang.language import CHECKOUT_LINK, V2_ASSUMED_LIFETIME_MS
from offerlang.send.client import (
    LAST_MS,
    REDACTED,
    SESSION_ID,
    ErrorKind,
    FastSpringClient,
    SendError,
    SessionCreated,
    popup_snippet,
    scrub_value,
)
from offerlang.send.receipts import Receipt, ReceiptV2
from offerlang.text import shown, visible

if TYPE_CHECKING:
    import httpx

    from offerlang.compiler.targets import Checkout

# A 404 from v2 may mean a rate limit (as in v1) or a checkout that does not exist.
_NOT_FOUND_HINT = (
    "FastSpring answers 404 when rate-limited, and when the store has no such checkout: "
    "if it persists, check --checkout (STORE/TYPE-NAME, as the FastSpring app names the checkout)"
)
_AUTH_HINT = "; Sessions v2 also answers 401 when the credentials' allowed locations exclude this machine"


@dataclass(frozen=True)
class SessionWarning:
    """One entry of a 201's `warnings[]`: the session exists, with this problem."""

    code: str
    field: str | None
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class SessionCreatedV2(SessionCreated):
    warnings: tuple[SessionWarning, ...] = ()

    @property
    def warning_codes(self) -> tuple[str, ...]:
        return tuple(w.code for w in self.warnings)

    def annotate(self, receipt: Receipt) -> ReceiptV2:
        """The receipt of this session: the v1 receipt's fields, the target, the checkout, the
        warnings and FastSpring's prices (what a later reader of the receipts must know); the
        whole answer rides along for printing, but is not a field and is not written."""
        out = ReceiptV2(
            **asdict(receipt),
            warnings=[w.as_json() for w in self.warnings],
            prices=price_parts(self.response),
        )
        object.__setattr__(out, "answer", self.response)
        return out


def price_parts(answer: dict[str, Any]) -> dict[str, Any] | None:
    """What a receipt keeps of a 201: the `currency`, and per line and for the cart only the
    price fields (review/answer.py reads the same shape as the whole answer); None without a cart."""
    cart = answer.get("cart")
    if not isinstance(cart, dict):
        return None
    lines = [
        {k: line[k] for k in ("productPath", "quantity", "price") if k in line}
        for line in cart.get("lineItems") or []
        if isinstance(line, dict)
    ]
    totals = {k: v for k, v in cart.items() if k != "lineItems" and ("Total" in k or k == "taxIncluded")}
    return {"currency": answer.get("currency"), "cart": {**totals, "lineItems": lines}}


def answer_of(receipt: Receipt) -> dict[str, Any] | None:
    """FastSpring's 201 answer, as far as it was kept: whole for a receipt made in this run, its
    prices for one read back from the receipts (None for a v1 receipt, or a v2 one without)."""
    answer = getattr(receipt, "answer", None)
    if answer is None and isinstance(receipt, ReceiptV2):
        return receipt.prices
    return answer


def warnings_of(receipt: Receipt) -> list[dict[str, Any]]:
    return list(getattr(receipt, "warnings", []) or [])


def endpoint(api_url: str, checkout: Checkout) -> str:
    """The base under which the checkout's sessions are created (`…/sessions` is appended)."""
    return f"{api_url.rstrip('/')}/v2/checkouts/{checkout.store}/{checkout.checkout}"


class SessionsV2Client(FastSpringClient):
    """POSTs v2 bodies to `{api_url}/v2/checkouts/{store}/{checkout}/sessions`."""

    def __init__(self, *, checkout: Checkout, api_url: str, **options: Any) -> None:
        from offerlang.send.client import check_api_url

        options.pop("store", None)
        self.base_url = check_api_url(api_url)
        self.checkout = checkout
        super().__init__(store=checkout.store, api_url=endpoint(self.base_url, checkout), **options)

    def _session_from(self, response: httpx.Response) -> SessionCreated:
        def unreadable(what: str) -> SendError:
            return self._error(
                ErrorKind.NETWORK,
                f"HTTP {response.status_code} with an unreadable answer ({what}); a session may have "
                "been created, so the request was not repeated",
                response.status_code,
                may_have_created=True,
            )

        try:
            data = loads(response.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise unreadable(f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise unreadable("not a JSON object")
        session_id = data.get("id")
        if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
            raise unreadable("no valid session id")
        # From here on the session exists: it is recorded whatever else the answer lacks (a rerun
        # must not create it twice), and what offerlang had to assume is a warning of its own.
        warnings = _warnings(data.get("warnings"), self._scrub)
        expires_ms = _epoch_ms(data.get("expires"))
        if expires_ms is None:
            since = _epoch_ms(data.get("created"))
            start = since if since is not None else int(datetime.now(UTC).timestamp() * 1000)
            expires_ms = start + V2_ASSUMED_LIFETIME_MS
            said = data.get("expires")
            what = (
                "no `expires`"
                if said is None
                else f"an `expires` that is not a time with a zone ({_shown(said, self._scrub)})"
            )
            basis = "its `created` time" if since is not None else "now"
            warnings.append(
                SessionWarning(
                    "OFFERLANG_NO_EXPIRY",
                    "expires",
                    f"FastSpring's answer had {what}; offerlang assumed 24 hours from {basis}, as in "
                    "FastSpring's example",
                )
            )
        urls = data.get("checkoutUrls")
        link = urls.get("webcheckoutUrl") if isinstance(urls, dict) else None
        # A link that holds a secret (an echo of the credentials) is not one to hand out either.
        if not isinstance(link, str) or not CHECKOUT_LINK.fullmatch(link) or REDACTED in self._scrub(link):
            said = (
                ""
                if link is None
                else " offerlang can hand out (not a plain https address, or one holding the credentials)"
            )
            link = session_link(self.checkout.store, session_id)
            warnings.append(
                SessionWarning(
                    "OFFERLANG_NO_LINK",
                    "checkoutUrls.webcheckoutUrl",
                    f"FastSpring's answer had no checkout link{said}; offerlang built it from the session id "
                    f"as FastSpring documents it ({link})",
                )
            )
        return SessionCreatedV2(
            id=session_id,
            expires_ms=expires_ms,
            url=link,
            popup=popup_snippet(session_id),
            response=scrub_value(data, self._scrub),
            warnings=tuple(warnings),
        )

    def _error_body(self, response: httpx.Response, echo: bool) -> tuple[str, tuple[Any, ...]]:
        """The v2 envelope: its `message`, and each of its `errors` as a line of the message
        (`field: message (errorCode)`); `errors` are the params. Anything else as for v1."""
        try:
            data = loads(response.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("errors", []), list):
            return super()._error_body(response, echo)
        errors = [e for e in data.get("errors", []) if isinstance(e, dict)]
        parts = []
        for e in errors:
            where = f"{e['field']}: " if isinstance(e.get("field"), str) else ""
            code = f" ({e['errorCode']})" if isinstance(e.get("errorCode"), str) else ""
            if isinstance(e.get("message"), str):
                parts.append(f"{where}{e['message'].strip()}{code}")
        lead = data.get("message")
        message = "; ".join([p for p in [lead.strip() if isinstance(lead, str) else "", *parts] if p])
        if not message:
            return super()._error_body(response, echo)
        return self._scrub(message), tuple(scrub_value(errors, self._scrub))

    def _error(self, kind: ErrorKind, message: str, status: int | None = None, **extra: Any) -> SendError:
        if status == 404 and kind == ErrorKind.NETWORK:
            extra["hint"] = _NOT_FOUND_HINT
        elif kind == ErrorKind.AUTH and extra.get("hint"):
            extra["hint"] += _AUTH_HINT
        return super()._error(kind, message, status, **extra)


def _epoch_ms(value: Any) -> int | None:
    """`expires` (ISO 8601 with a zone, `Z` included) as epoch milliseconds; None if it is not."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    ms = int(when.timestamp() * 1000)
    return ms if 0 < ms <= LAST_MS else None


def session_link(store: str, session_id: str) -> str:
    """The checkout link of a session, in the form SESSIONS-V2.md gives (for an answer without one)."""
    return f"https://{store}.onfastspring.com/checkout/session/{session_id}"


def _shown(value: Any, scrub: Any) -> str:
    """A JSON value FastSpring sent, for a message: compact, scrubbed, cut short."""
    # Scrubbed before it is cut, so no part of a secret survives; escaped (control and bidi).
    text = visible(scrub(dumps(value, None)))
    return text if len(text) <= 200 else text[:199] + "…"


def _warnings(raw: Any, scrub: Any) -> list[SessionWarning]:
    """FastSpring's `warnings[]`; one that cannot be read is a warning all the same, never dropped."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raw = [raw]
    out = []
    for w in raw:
        code = w.get("code") if isinstance(w, dict) else None
        if not isinstance(code, str) or not code:
            out.append(
                SessionWarning(
                    "OFFERLANG_UNREADABLE_WARNING",
                    None,
                    f"FastSpring sent a warning offerlang cannot read: {_shown(w, scrub)}",
                )
            )
            continue
        assert isinstance(w, dict)
        where = w.get("field") if isinstance(w.get("field"), str) else None
        message = w.get("message") if isinstance(w.get("message"), str) else ""
        # Server text: scrubbed, then escaped and capped (offerlang.text.shown) like any other.
        out.append(
            SessionWarning(shown(scrub(code)), shown(scrub(where)) if where else None, shown(scrub(message)))
        )
    return out
