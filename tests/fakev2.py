"""A stand-in for FastSpring's Sessions v2 (`POST /v2/checkouts/{store}/{checkout}/sessions`),
built on tests/fakefastspring.py's server: a real HTTP server on 127.0.0.1.

It answers as SESSIONS-V2.md describes: 201 with the session (its link in
`checkoutUrls.webcheckoutUrl`, `expires` in ISO 8601, the prices it computed, and `warnings[]`
for a coupon it does not know), the error envelope for a body it refuses, 401 for other
credentials, 404 for a checkout the store does not have. `faults(key, attempt)` injects 429,
404, 503, a dropped connection or a 201 without a session id for a buyer's attempt; `mangle`
changes the 201 of a session it did create (an answer without its link, say). Every session it
creates is recorded with the body it was made from (`created`).
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from offerlang import jsonout
from offerlang.language import round_money

from .fakefastspring import FakeFastSpring, Reply, Seen

EXPIRES = "2026-11-28T06:22:36Z"  # 1795846956000 ms
EXPIRES_MS = 1795846956000
PATH = re.compile(r"/v2/checkouts/(?P<store>[^/]+)/(?P<checkout>[^/]+)/sessions")

Fault = Callable[[str, int], str | None]


def envelope(status: int, message: str, *errors: dict) -> dict:
    reason = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND"}.get(status, "ERROR")
    return {
        "status": f"{status} {reason}",
        "timestamp": "2026-11-27T06:22:36Z",
        "id": "err-1",
        "message": message,
        "errors": list(errors),
    }


def _money(amount: Decimal, currency: str) -> Decimal:
    """An amount as the fake charges it: the currency's minor units, the one rounding rule."""
    return round_money(amount, currency)


def display(amount: Decimal, currency: str) -> str:
    return f"${amount}" if currency == "USD" else f"{amount} {currency}"


class V2Server(FakeFastSpring):
    def __init__(
        self,
        checkouts: tuple[str, ...] = ("acme/web-main",),
        credentials: tuple[str, str] | None = None,
        faults: Fault | None = None,
    ) -> None:
        super().__init__(respond=self._answer)
        self.checkouts = set(checkouts)
        self.token = base64.b64encode(":".join(credentials).encode()).decode() if credentials else None
        self.faults = faults or (lambda key, attempt: None)
        self.valid_coupons = {"SPRING10"}
        self.price_offset = Decimal(0)  # added to every unit net price: FastSpring disagreeing with us
        self.attempts: Counter[str] = Counter()
        self.created: list[tuple[str, dict]] = []  # (session id, the body it was created from)
        self.hold_after: int | None = None
        # Applied to every 201 of a created session: an answer that lacks or garbles a part.
        self.mangle: Callable[[dict], dict] = lambda answer: answer

    def _answer(self, request: Seen) -> Reply:
        m = PATH.fullmatch(request.path)
        if m is None or f"{m['store']}/{m['checkout']}" not in self.checkouts:
            return Reply(404, envelope(404, "Checkout not found"))
        if self.token is not None and request.header("Authorization") != f"Basic {self.token}":
            return Reply(401, envelope(401, "Unauthorized"))
        body = json.loads(request.body, parse_float=Decimal)
        key = _key(body)
        self.attempts[key] += 1
        fault = self.faults(key, self.attempts[key])
        hold = self.hold_after is not None and len(self.requests) > self.hold_after
        if fault == "drop":
            return Reply(drop=True)
        if fault == "garbled":
            return Reply(201, {"expires": EXPIRES}, hold=hold)  # no session id: nothing to record
        if fault in ("429", "404", "503"):
            return Reply(int(fault), envelope(int(fault), "slow down"), {"Retry-After": "0.01"}, hold=hold)
        lines = body.get("cart", {}).get("lineItems") or []
        if not lines:
            return Reply(
                400, envelope(400, "Validation failed", _error("cart.lineItems", "must not be empty"))
            )
        for i, line in enumerate(lines):
            for cur, amount in line.get("customPrice", {}).get("unitPrice", {}).items():
                if amount < 0:
                    field = f"cart.lineItems[{i}].customPrice.unitPrice.{cur}"
                    return Reply(
                        400, envelope(400, "Validation failed", _error(field, "must not be negative"))
                    )
        number = len(self.created) + 1
        session_id = f"V{number:021d}"
        self.created.append((session_id, body))
        answer = jsonout.dumps(self.mangle(self._session(session_id, m["store"], body)), None).encode()
        return Reply(201, answer, hold=hold)

    def _session(self, session_id: str, store: str, body: dict) -> dict:
        cart = body["cart"]
        currency = next(
            (cur for line in cart["lineItems"] for cur in line.get("customPrice", {}).get("unitPrice", {})),
            "USD",
        )
        lines, net_total, list_total = [], Decimal(0), Decimal(0)
        for line in cart["lineItems"]:
            quantity = line.get("quantity", line.get("quantityDefault", 1))
            listed = Decimal(line.get("customPrice", {}).get("unitPrice", {}).get(currency, "10.00"))
            net = _money(_discounted(line, quantity, currency, listed) + self.price_offset, currency)
            lines.append(
                {
                    "productPath": line["productPath"],
                    "quantity": quantity,
                    "price": {
                        "unitListPrice": listed,
                        "unitListPriceDisplay": display(listed, currency),
                        "unitNetPrice": net,
                        "unitNetPriceDisplay": display(net, currency),
                        "unitTax": _money(Decimal(0), currency),
                        "unitTaxDisplay": display(_money(Decimal(0), currency), currency),
                    },
                }
            )
            net_total += net * quantity
            list_total += listed * quantity
        warnings = []
        coupon = cart.get("couponCode")
        if coupon is not None and coupon not in self.valid_coupons:
            warnings.append(
                {
                    "code": "INVALID_PROMO_CODE",
                    "field": "cart.couponCode",
                    "message": f"Coupon {coupon} is not valid",
                }
            )
        zero = _money(Decimal(0), currency)
        return {
            "id": session_id,
            "created": "2026-11-27T06:22:36Z",
            "expires": EXPIRES,
            "status": "OPEN",
            "locale": body.get("locale", "en"),
            "country": body.get("country", "US"),
            "currency": currency,
            "live": False,
            "customer": body.get("customer", {}),
            "orderTags": body.get("orderTags", {}),
            "cart": {
                "couponCode": coupon,
                "couponHasApplied": coupon in self.valid_coupons,
                "lineItems": lines,
                "netTotal": net_total,
                "netTotalDisplay": display(net_total, currency),
                "listTotal": list_total,
                "listTotalDisplay": display(list_total, currency),
                "taxTotal": zero,
                "taxTotalDisplay": display(zero, currency),
                "taxIncluded": False,
            },
            "checkoutUrls": {
                "webcheckoutUrl": f"https://{store}.test.onfastspring.com/checkout/session/{session_id}"
            },
            "warnings": warnings,
            "checkoutStatus": [],
        }


def _discounted(line: dict, quantity: int, currency: str, listed: Decimal) -> Decimal:
    tiers = [d for d in line.get("customPrice", {}).get("discounts", []) if d["minQuantity"] <= quantity]
    if not tiers:
        return listed
    tier = max(tiers, key=lambda d: d["minQuantity"])
    if "percentDiscount" in tier:
        return listed - listed * Decimal(tier["percentDiscount"]) / 100
    return max(Decimal(0), listed - Decimal(tier["amountDiscount"].get(currency, 0)))


def _error(field: str, message: str) -> dict:
    return {"errorCode": "INVALID_VALUE", "field": field, "message": message, "rejectedValue": None}


def _key(body: dict) -> str:
    customer = body.get("customer", {})
    return customer.get("billToContact", {}).get("email") or customer.get("accountId") or "?"
