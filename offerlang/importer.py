"""Sessions v1 payload (JSON text) -> idiomatic offer source (`offer import`).

The payload is read with exact decimals and validated against the same JSON Schema the
compiler's output is checked with. It is then rebuilt as a typed tree (`nodes.Offer`), printed
by the formatter, and compiled back: the source is only handed out when it compiles to a
payload equal to the input. A payload the schema accepts but the language cannot say (a
product listed twice, `9.999` dollars) is reported with its JSON path, and nothing is written.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from . import jsonout
from . import nodes as n
from .api import compile_source
from .checks import minor_units
from .diagnostics import Diagnostic, error
from .emit import money_value, percent_value
from .fmt import format_source, print_offer
from .schema import schema_errors

# Nodes built here have no place in any source text.
_NOWHERE = n.Span(1, 1, 1, 1)
_GAP = "this is a gap in offer import; please report it with this payload"
_CONTACT_FIELDS = ("first", "last", "email", "company", "phone", "country", "language")


class _Inexpressible(Exception):
    def __init__(self, pointer: str, reason: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.pointer = pointer
        self.reason = reason
        self.hint = hint


def import_payload(text: str, path: str = "<string>") -> tuple[str | None, list[Diagnostic]]:
    """Offer source for a JSON payload, or None and the reasons (each naming a JSON path)."""
    try:
        payload = jsonout.loads(text)
    except json.JSONDecodeError as exc:
        span = n.Span(exc.lineno, exc.colno, exc.lineno, exc.colno + 1, exc.pos, exc.pos + 1)
        return None, [_at(error("E601", f"this is not valid JSON: {exc.msg}", span), path)]
    except RecursionError:
        return None, [_at(error("E601", "this JSON is nested too deeply to be a payload", None), path)]
    try:
        _plain_json(payload, "")
    except _Inexpressible as exc:
        return None, [_inexpressible(exc, path)]
    problems = schema_errors(payload)
    if problems:
        return None, [
            _at(
                error(
                    "E602",
                    f"the payload breaks the Sessions v1 schema at `{pointer or '/'}`: {message}",
                    None,
                    "offer import reads the JSON request body of FastSpring's POST /sessions",
                ),
                path,
            )
            for pointer, message in problems
        ]
    try:
        offer = _Builder().offer(payload)
    except _Inexpressible as exc:
        return None, [_inexpressible(exc, path)]
    source, blocking = format_source(print_offer(offer), path)
    if source is None:  # pragma: no cover - the printer writes only what the parser reads
        raise RuntimeError(f"offer import wrote source it cannot read: {blocking}")
    result = compile_source(source, path)
    if not result.ok:
        first = result.errors[0].message
        reason = f"the offer would not compile: {first}"
        return None, [_inexpressible(_Inexpressible("", reason, _GAP), path)]
    if result.payload != payload:
        where = _first_difference(payload, result.payload, "") or ""
        reason = "the offer would compile to a different value here"
        return None, [_inexpressible(_Inexpressible(where, reason, _GAP), path)]
    return source, []


def _at(d: Diagnostic, path: str) -> Diagnostic:
    from dataclasses import replace

    return replace(d, path=path)


def _inexpressible(exc: _Inexpressible, path: str) -> Diagnostic:
    return _at(
        error(
            "E603",
            f"`{exc.pointer or '/'}` cannot be written as an offer: {exc.reason}",
            None,
            exc.hint,
        ),
        path,
    )


def _pointer(base: str, key: str | int) -> str:
    return f"{base}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _plain_json(value: Any, pointer: str) -> None:
    """Refuse what JSON itself does not allow but Python's reader lets through: NaN and
    Infinity, and strings with lone UTF-16 surrogates (no UTF-8 file can hold one)."""
    if isinstance(value, float):
        raise _Inexpressible(pointer, "NaN and Infinity are not JSON numbers")
    if isinstance(value, str):
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise _Inexpressible(
                pointer,
                "the text holds a lone UTF-16 surrogate, which is not a character",
                "fix the text where the payload is made",
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _plain_json(key, _pointer(pointer, key))
            _plain_json(item, _pointer(pointer, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _plain_json(item, _pointer(pointer, i))


def _first_difference(want: Any, got: Any, pointer: str) -> str | None:
    if isinstance(want, dict) and isinstance(got, dict):
        for key in [*want, *(k for k in got if k not in want)]:
            if key not in want or key not in got:
                return _pointer(pointer, key)
            found = _first_difference(want[key], got[key], _pointer(pointer, key))
            if found is not None:
                return found
        return None
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return pointer or "/"
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            found = _first_difference(a, b, _pointer(pointer, i))
            if found is not None:
                return found
        return None
    return None if want == got else (pointer or "/")


class _Builder:
    """A schema-valid payload -> the tree an author would have written, in the emitter's order."""

    def offer(self, p: dict[str, Any]) -> n.Offer:
        clauses: list[n.Clause] = []
        if "account" in p:
            clauses.append(n.Account(_NOWHERE, _text(p["account"])))
        if "contact" in p:
            fields = [
                n.ContactField(_NOWHERE, name, _text(p["contact"][name]))
                for name in _CONTACT_FIELDS
                if name in p["contact"]
            ]
            clauses.append(n.Contact(_NOWHERE, fields, []))
        if "lookup" in p:
            clauses.append(n.Lookup(_NOWHERE, _text(p["lookup"]["custom"])))
        for key, value in self._object(p, "tags").items():
            clauses.append(n.Tag(_NOWHERE, _text(key), _text(value)))
        if "coupon" in p:
            clauses.append(n.Coupon(_NOWHERE, _text(p["coupon"])))
        if "expiration" in p:
            clauses.append(n.Expires(_NOWHERE, _number(p["expiration"])))
        seen: dict[str, int] = {}
        for i, item in enumerate(p["items"]):
            product = item["product"]
            if product in seen:
                raise _Inexpressible(
                    f"/items/{i}/product",
                    f"`{product}` is already item {seen[product]}; FastSpring refuses a session that "
                    'names a product twice ("Item exists.")',
                    "merge the two items into one, or raise its quantity",
                )
            seen[product] = i
            clauses.append(self.item(item, f"/items/{i}"))
        return n.Offer(clauses)

    @staticmethod
    def _object(parent: dict[str, Any], key: str) -> dict[str, Any]:
        """An optional object field (never empty: the schema refuses an empty object)."""
        return parent.get(key) or {}

    def item(self, item: dict[str, Any], ptr: str) -> n.Item:
        clauses: list[n.Clause] = []
        if "quantity" in item:
            clauses.append(n.Quantity(_NOWHERE, _number(item["quantity"])))
        clauses.extend(self.pricing(self._object(item, "pricing"), f"{ptr}/pricing"))
        for key, value in self._object(item, "attributes").items():
            clauses.append(n.Attribute(_NOWHERE, _text(key), _text(value)))
        return n.Item(_NOWHERE, _text(item["product"]), clauses, has_body=bool(clauses))

    def pricing(self, p: dict[str, Any], ptr: str) -> list[n.Clause]:
        out: list[n.Clause] = []
        if {"trial", "paidTrial", "paymentCollected"} & p.keys():
            out.append(
                n.Trial(
                    _NOWHERE,
                    _number(p["trial"]) if "trial" in p else None,
                    {True: "paid", False: "free"}.get(p.get("paidTrial")),  # type: ignore[arg-type]
                    p.get("paymentCollected"),
                )
            )
        if "trialPrice" in p:
            out.append(n.TrialPrice(_NOWHERE, self.money(p["trialPrice"], f"{ptr}/trialPrice")))
        if "renew" in p:
            out.append(n.Renew(_NOWHERE, _name(p["renew"])))
        if "interval" in p:
            if p["interval"] == "adhoc":
                out.append(n.Billed(_NOWHERE, False, None, _name("adhoc")))
            else:
                out.append(n.Billed(_NOWHERE, True, _number(p["intervalLength"]), _name(p["interval"])))
        if "quantityBehavior" in p:
            out.append(n.QuantityBehavior(_NOWHERE, _name(p["quantityBehavior"])))
        if "quantityDefault" in p:
            out.append(n.QuantityDefault(_NOWHERE, _number(p["quantityDefault"])))
        if "price" in p:
            out.append(n.Price(_NOWHERE, self.money(p["price"], f"{ptr}/price")))
        out.extend(self.discounts(p, ptr))
        if "setupFee" in p:
            fee = p["setupFee"]
            titles = [
                n.FeeTitle(_NOWHERE, _name(lang), _text(title))
                for lang, title in self._object(fee, "title").items()
            ]
            prices = []
            if "price" in fee:
                prices.append(n.FeePrice(_NOWHERE, self.money(fee["price"], f"{ptr}/setupFee/price")))
            out.append(n.SetupFee(_NOWHERE, titles, prices, []))
        return out

    def discounts(self, p: dict[str, Any], ptr: str) -> list[n.Discount]:
        out: list[n.Discount] = []
        for i, (tier, value) in enumerate(p.get("quantityDiscounts", {}).items()):
            tier_ptr = _pointer(f"{ptr}/quantityDiscounts", tier)
            percent = p["discountType"] == "percent"
            out.append(
                n.Discount(
                    _NOWHERE,
                    _number(percent_value(Decimal(value))) if percent else None,
                    None if percent else self.money(value, tier_ptr),
                    None if tier == "1" else _number(int(tier)),
                    # The duration applies to every tier; the language says it once, on the first.
                    _number(p["discountDuration"]) if i == 0 and "discountDuration" in p else None,
                )
            )
        return out

    def money(self, amounts: dict[str, Any], ptr: str) -> list[n.Money]:
        out = []
        for currency, amount in amounts.items():
            exact = Decimal(amount)
            try:
                written = money_value(exact, currency)
            except InvalidOperation:
                # More digits than exact decimal arithmetic holds (28): no price is that large.
                raise _Inexpressible(
                    _pointer(ptr, currency), f"`{format(exact, 'f')}` is too large to be an amount"
                ) from None
            if written != exact:
                digits = minor_units(currency)
                places = f"{digits} decimal{'s' * (digits != 1)}" if digits else "no decimals"
                raise _Inexpressible(
                    _pointer(ptr, currency),
                    f"`{format(exact, 'f')}` {currency}: FastSpring reads {currency} with {places}",
                    f"round it to {digits} decimals" if digits else "round it to a whole amount",
                )
            out.append(n.Money(_name(currency), _number(written), _NOWHERE))
        return out


def _text(value: str) -> n.Text:
    return n.Text(value, _NOWHERE)


def _name(value: str) -> n.Name:
    return n.Name(value, _NOWHERE)


def _number(value: int | Decimal) -> n.Number:
    exact = Decimal(value)
    return n.Number(format(exact, "f"), exact, _NOWHERE)
