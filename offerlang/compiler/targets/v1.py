"""Sessions v1 (`POST /sessions`, FastSpring's legacy API): today's emitter, and the statements
it cannot carry.

The emitter is `offerlang/compiler/emit.py`, unchanged: an offer that says nothing of v2 gives
exactly the bytes it always gave. What this module adds is the refusal of the v2-only
statements (E510), each at its span, with what to do instead.
"""

from __future__ import annotations

from typing import Any

from offerlang.compiler import nodes as n
from offerlang.compiler.diagnostics import Diagnostic, error
from offerlang.compiler.emit import emit as _emit

OR_V2 = "or compile for Sessions v2 (`--target v2`)"

# What each v2-only statement is, and what a v1 offer does instead.
_INSTEAD: dict[type, tuple[str, str]] = {
    n.Locale: (
        "`locale`",
        "on Sessions v1 the language goes in the contact (`language pt`)",
    ),
    n.BuyerTag: (
        "account tags (`buyer tag`)",
        "use an order `tag`, or set the tag on the account in the FastSpring app",
    ),
    n.PaymentOrder: (
        "the order of payment methods",
        "set the payment methods of the storefront in the FastSpring app",
    ),
    n.PaymentHide: (
        "hiding payment methods",
        "set the payment methods of the storefront in the FastSpring app",
    ),
    n.EdsFee: (
        "an EDS fee",
        "set the Extended Download Service price on the product in the catalog",
    ),
    n.ShippingFee: (
        "a shipping fee",
        "set shipping on the product in the catalog",
    ),
    n.Description: (
        "item descriptions",
        "set the product's descriptions in the catalog",
    ),
    n.Image: (
        "an item image",
        "set the product's image in the catalog",
    ),
}


def emit(offer: n.Offer) -> tuple[dict[str, Any], dict[str, n.Span]]:
    return _emit(offer)


def check(offer: n.Offer) -> list[Diagnostic]:
    """E510 for every statement only Sessions v2 can carry."""
    out: list[Diagnostic] = []
    for clause in offer.clauses:
        out += _refused(clause)
        if isinstance(clause, n.Item):
            for c in clause.clauses:
                out += _refused(c)
    return out


def _refused(c: n.Clause) -> list[Diagnostic]:
    if isinstance(c, n.Billed) and c.periods is not None:
        return [
            error(
                "E510",
                f"a number of billing periods (`for {c.periods.text} periods`) cannot be said on "
                "Sessions v1: it has no field for it",
                c.periods.span,
                f"set how long the subscription runs on the product in the catalog, {OR_V2}",
            )
        ]
    said = _INSTEAD.get(type(c))
    if said is None:
        return []
    what, instead = said
    if isinstance(c, n.Locale) and isinstance(c.value, n.Text):
        instead = instead.replace("`language pt`", f"`language {c.value.value.split('-')[0].lower()}`")
    return [
        error(
            "E510",
            f"{what} cannot be said on Sessions v1: only Sessions v2 has a field for it",
            c.span,
            f"{instead}, {OR_V2}",
        )
    ]
