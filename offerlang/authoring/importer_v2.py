"""A Sessions v2 request body (JSON) -> offer source (`offer import`, for a v2 body).

The same four steps as for v1 (authoring/importer.py): read the JSON exactly, check it against
the Sessions v2 schema (E620), build the tree an author would write (E621 for what an offer
cannot say), print it, and compile it back for v2: the source is handed out only when it
compiles to the very body it came from.

FastSpring's own v2 examples contradict its schema in places (SESSIONS-V2.md). Where their
form means one thing only, it is read as the schema's and said so (W520): lower-case payment
methods and quantity behaviours, and `customer.billToAddress.country` for the top-level
`country`. The offer then compiles to the schema's form of the body, not to the example's.
`quantityDefault: true` means nothing a quantity can be, and is refused.
"""

from __future__ import annotations

import copy
from typing import Any

from offerlang.authoring.formatter import format_source, print_offer
from offerlang.authoring.importer import (
    GAP,
    NOWHERE,
    Builder,
    Inexpressible,
    first_difference,
    name_node,
    number_node,
    pointer_to,
    schema_reasons,
    text_node,
)
from offerlang.compiler import nodes as n
from offerlang.compiler.diagnostics import Diagnostic, error, warning
from offerlang.compiler.pipeline import compile_source
from offerlang.compiler.targets.v2 import CONTACT_FIELDS_V2, DESCRIPTION_KINDS
from offerlang.language import (
    CONTACT_FIELDS,
    LOCALE,
    V2_INTERVAL_UNITS,
    V2_PAYMENT_METHODS,
    V2_QUANTITY_BEHAVIORS,
    V2_UNSUPPORTED_FIELDS,
    DiscountKind,
)
from offerlang.text import ordinal

_SCHEMA_HINT = (
    "offer import reads the JSON request body of FastSpring's POST /v2/checkouts/{store}/{checkout}/sessions"
)
_UNITS = {v2: v1 for v1, v2 in V2_INTERVAL_UNITS.items()}
_BEHAVIORS = {v2: v1 for v1, v2 in V2_QUANTITY_BEHAVIORS.items()}


def import_v2(payload: Any, path: str) -> tuple[str | None, list[Diagnostic]]:
    """Offer source for a v2 body (already read as JSON), or None and the reasons."""
    notes: list[Diagnostic] = []
    unsupported = _unsupported(payload, path)
    try:
        body = _schema_forms(payload, notes)
    except Inexpressible as exc:
        return None, [*unsupported, _refused(exc, path)]
    if unsupported:
        body = {k: v for k, v in body.items() if k not in V2_UNSUPPORTED_FIELDS}
    problems = schema_reasons(body, "v2")
    if problems or unsupported:
        return None, [d.at(path) for d in notes] + unsupported + [
            error(
                "E620",
                f"the payload breaks the Sessions v2 schema at `{pointer or '/'}`: {reason}",
                None,
                hint or _SCHEMA_HINT,
            ).at(path)
            for pointer, reason, hint in problems
        ]
    try:
        offer = _V2Builder().offer(body)
    except Inexpressible as exc:
        return None, [d.at(path) for d in notes] + [_refused(exc, path)]
    source, blocking = format_source(print_offer(offer), path)
    if source is None:  # pragma: no cover - the printer writes only what the parser reads
        raise RuntimeError(f"offer import wrote source it cannot read: {blocking}")
    result = compile_source(source, path, target="v2")
    if not result.ok:
        reason = f"the offer would not compile for Sessions v2: {result.errors[0].message}"
        return None, [_refused(Inexpressible("", reason, GAP), path)]
    if result.payload != body:
        where = first_difference(body, result.payload, "") or ""
        return None, [
            _refused(Inexpressible(where, "the offer would compile to a different value here", GAP), path)
        ]
    return source, [d.at(path) for d in notes]


def _unsupported(payload: Any, path: str) -> list[Diagnostic]:
    """E621 for each v2 field offerlang does not support yet (`taxId`, `buyerIp`, `live`): a
    field of Sessions v2 all the same, so not "unknown" as the schema would call it."""
    if not isinstance(payload, dict):
        return []
    return [
        _refused(
            Inexpressible(
                f"/{name}", f"`{name}` is a Sessions v2 field offerlang does not support yet", hint
            ),
            path,
        )
        for name, hint in V2_UNSUPPORTED_FIELDS.items()
        if name in payload
    ]


def _refused(exc: Inexpressible, path: str) -> Diagnostic:
    return error(
        "E621", f"`{exc.pointer or '/'}` cannot be written as an offer: {exc.reason}", None, exc.hint
    ).at(path)


# ---- the examples' forms -------------------------------------------------------------------------


def _schema_forms(payload: Any, notes: list[Diagnostic]) -> Any:
    """The body in the schema's forms, with a W520 for each example form read as one."""
    if not isinstance(payload, dict):
        return payload
    body = copy.deepcopy(payload)

    def note(pointer: str, said: str, read: str) -> None:
        notes.append(
            warning(
                "W520",
                f"`{pointer}` is written {said}, as in FastSpring's examples; read as {read}, "
                "as its schema says",
                None,
                "the offer compiles to the schema's form",
            )
        )

    for name in ("paymentMethodsOrder", "hidePaymentMethods"):
        methods = body.get(name)
        if isinstance(methods, list):
            for i, m in enumerate(methods):
                if isinstance(m, str) and m != m.upper() and m.upper() in V2_PAYMENT_METHODS:
                    note(f"/{name}/{i}", f"`{m}`", f"`{m.upper()}`")
                    methods[i] = m.upper()
    customer = body.get("customer")
    if isinstance(customer, dict) and "billToAddress" in customer:
        address = customer["billToAddress"]
        if not (isinstance(address, dict) and set(address) == {"country"} and "country" not in body):
            raise Inexpressible(
                "/customer/billToAddress",
                "an offer gives the buyer's country only, as the top-level `country`",
                "send the country as `country`; the checkout asks the buyer for the address",
            )
        note("/customer/billToAddress/country", "inside `billToAddress`", "the top-level `country`")
        del customer["billToAddress"]
        body["country"] = address["country"]
    cart = body.get("cart")
    lines = cart.get("lineItems") if isinstance(cart, dict) else None
    for i, line in enumerate(lines if isinstance(lines, list) else []):
        if not isinstance(line, dict):
            continue
        behavior = line.get("quantityBehavior")
        if isinstance(behavior, str) and behavior != behavior.upper() and behavior.upper() in _BEHAVIORS:
            note(f"/cart/lineItems/{i}/quantityBehavior", f"`{behavior}`", f"`{behavior.upper()}`")
            line["quantityBehavior"] = behavior.upper()
        overrides = line.get("subscriptionOverrides")
        frequency = overrides.get("billingFrequency") if isinstance(overrides, dict) else None
        unit = frequency.get("intervalUnit") if isinstance(frequency, dict) else None
        if isinstance(unit, str) and unit != unit.upper() and unit.upper() in _UNITS:
            assert isinstance(frequency, dict)
            note(
                f"/cart/lineItems/{i}/subscriptionOverrides/billingFrequency/intervalUnit",
                f"`{unit}`",
                f"`{unit.upper()}`",
            )
            frequency["intervalUnit"] = unit.upper()
        custom = line.get("customPrice")
        discounts = custom.get("discounts") if isinstance(custom, dict) else None
        for j, d in enumerate(discounts if isinstance(discounts, list) else []):
            if isinstance(d, dict) and "minQuantity" not in d:
                # The contract's default: the offer says `discount 10%`, which compiles to 1.
                notes.append(
                    warning(
                        "W521",
                        f"`/cart/lineItems/{i}/customPrice/discounts/{j}` has no `minQuantity`: read as "
                        "1, the contract's default",
                        None,
                        "the offer compiles to `minQuantity: 1`, written out",
                    )
                )
                d["minQuantity"] = 1
        if isinstance(line.get("quantityDefault"), bool):
            raise Inexpressible(
                f"/cart/lineItems/{i}/quantityDefault",
                f"`{str(line['quantityDefault']).lower()}` is not a quantity (FastSpring's example "
                "writes it so; its schema takes a whole number), and which quantity is meant is unknown",
                "give the default quantity as a whole number, e.g. `1`",
            )
    return body


# ---- the tree ------------------------------------------------------------------------------------


class _V2Builder(Builder):
    """A schema-valid v2 body -> the tree an author would have written."""

    def offer(self, p: dict[str, Any]) -> n.Offer:
        clauses: list[n.Clause] = []
        customer = self._object(p, "customer")
        bill = self._object(customer, "billToContact")
        locale = p.get("locale")
        # The buyer's country is a contact's (`contact { country DE }`, with or without a
        # `billToContact`). A plain language goes in the contact when there is one (as a v1
        # offer says it); with a country (`pt-BR`), or without a contact to hold it, it is a
        # `locale` statement.
        contact = bool(bill) or "country" in p
        language_in_contact = contact and locale is not None and "-" not in locale
        if "accountId" in customer:
            clauses.append(n.Account(NOWHERE, text_node(customer["accountId"])))
        if contact:
            if "accountId" in customer:
                raise Inexpressible(
                    "/country",
                    "an offer gives the buyer's country in a contact, and names either an account "
                    "or a contact, not both",
                    "leave the country out (FastSpring infers it from the buyer's IP address), or "
                    "name the buyer by a contact instead of the account",
                )
            fields = [
                n.ContactField(NOWHERE, name, text_node(bill[v2])) for name, v2 in _OFFER_ORDER if v2 in bill
            ]
            if "country" in p:
                fields.append(n.ContactField(NOWHERE, "country", text_node(p["country"])))
            if language_in_contact and locale is not None:
                fields.append(n.ContactField(NOWHERE, "language", text_node(locale)))
            clauses.append(n.Contact(NOWHERE, fields, []))
        if locale is not None and not language_in_contact:
            assert LOCALE.fullmatch(locale)  # the schema's pattern
            clauses.append(n.Locale(NOWHERE, text_node(locale)))
        if "externalAccountId" in customer:
            clauses.append(n.Lookup(NOWHERE, text_node(customer["externalAccountId"])))
        for key, value in self._object(customer, "accountTags").items():
            clauses.append(n.BuyerTag(NOWHERE, text_node(key), text_node(value)))
        for key, value in self._object(p, "orderTags").items():
            clauses.append(n.Tag(NOWHERE, text_node(key), text_node(value)))
        if "paymentMethodsOrder" in p:
            clauses.append(n.PaymentOrder(NOWHERE, [name_node(m) for m in p["paymentMethodsOrder"]]))
        if "hidePaymentMethods" in p:
            hidden = p["hidePaymentMethods"]
            both = [m for m in hidden if m in p.get("paymentMethodsOrder", [])]
            if both:
                raise Inexpressible(
                    "/hidePaymentMethods",
                    f"`{both[0]}` is both ordered and hidden",
                    "a hidden method is not shown: leave it out of `paymentMethodsOrder`",
                )
            clauses.append(n.PaymentHide(NOWHERE, [name_node(m) for m in hidden]))
        cart = p["cart"]
        if "couponCode" in cart:
            clauses.append(n.Coupon(NOWHERE, text_node(cart["couponCode"])))
        seen: dict[str, int] = {}
        for i, line in enumerate(cart["lineItems"]):
            product = line["productPath"]
            if product in seen:
                raise Inexpressible(
                    f"/cart/lineItems/{i}/productPath",
                    f"`{product}` is already line item {seen[product]}; a session names a product once",
                    "merge the two line items into one, or raise its quantity",
                )
            seen[product] = i
            clauses.append(self.line(line, f"/cart/lineItems/{i}"))
        return n.Offer(clauses)

    def line(self, line: dict[str, Any], ptr: str) -> n.Item:
        clauses: list[n.Clause] = []
        if "quantity" in line:
            clauses.append(n.Quantity(NOWHERE, number_node(line["quantity"])))
        if "quantityBehavior" in line:
            clauses.append(n.QuantityBehavior(NOWHERE, name_node(_BEHAVIORS[line["quantityBehavior"]])))
        if "quantityDefault" in line:
            clauses.append(n.QuantityDefault(NOWHERE, number_node(line["quantityDefault"])))
        custom = self._object(line, "customPrice")
        cptr = f"{ptr}/customPrice"
        if "unitPrice" in custom:
            clauses.append(n.Price(NOWHERE, self.money(custom["unitPrice"], f"{cptr}/unitPrice")))
        clauses.extend(self.v2_discounts(custom, cptr))
        if "setupFee" in custom:
            fee = n.FeePrice(NOWHERE, self.money(custom["setupFee"], f"{cptr}/setupFee"))
            clauses.append(n.SetupFee(NOWHERE, [], [fee], []))
        if "edsFee" in custom:
            clauses.append(n.EdsFee(NOWHERE, self.money(custom["edsFee"], f"{cptr}/edsFee")))
        if "shippingFee" in custom:
            clauses.append(n.ShippingFee(NOWHERE, self.money(custom["shippingFee"], f"{cptr}/shippingFee")))
        overrides = self._object(line, "subscriptionOverrides")
        frequency = overrides.get("billingFrequency")
        if frequency is not None:
            unit = _UNITS[frequency["intervalUnit"]]
            if unit == "adhoc":
                clauses.append(n.Billed(NOWHERE, False, None, name_node(unit)))
            else:
                count = frequency.get("intervalCount")
                clauses.append(
                    n.Billed(
                        NOWHERE,
                        True,
                        number_node(frequency["intervalLength"]),
                        name_node(unit),
                        None,
                        number_node(count) if count is not None else None,
                    )
                )
        if "trialDays" in overrides:
            clauses.append(n.Trial(NOWHERE, number_node(overrides["trialDays"]), None, None))
        descriptions = self._object(line, "descriptions")
        for kind in DESCRIPTION_KINDS:
            for lang, text in descriptions.get(kind, {}).items():
                clauses.append(n.Description(NOWHERE, kind, name_node(lang), text_node(text)))
        if "imageUrl" in descriptions:
            clauses.append(n.Image(NOWHERE, text_node(descriptions["imageUrl"])))
        for key, value in self._object(line, "attributes").items():
            clauses.append(n.Attribute(NOWHERE, text_node(key), text_node(value)))
        return n.Item(NOWHERE, text_node(line["productPath"]), clauses, has_body=bool(clauses))

    def v2_discounts(self, custom: dict[str, Any], ptr: str) -> list[n.Discount]:
        out: list[n.Discount] = []
        kinds: set[str] = set()
        tiers: dict[int, int] = {}
        for i, d in enumerate(custom.get("discounts", [])):
            dptr = f"{ptr}/discounts/{i}"
            minimum = d["minQuantity"]
            if minimum in tiers:
                raise Inexpressible(
                    f"{dptr}/minQuantity",
                    f"the {ordinal(tiers[minimum] + 1)} and {ordinal(i + 1)} discounts both start at "
                    f"quantity {minimum}: the tiers overlap",
                    "give each tier its own minimum quantity",
                )
            tiers[minimum] = i
            percent = "percentDiscount" in d
            kinds.add(DiscountKind.PERCENT if percent else DiscountKind.AMOUNT)
            if len(kinds) > 1:
                raise Inexpressible(
                    dptr,
                    "an offer's discounts on one item are all percent or all amounts",
                    "use one kind of discount for the item",
                )
            out.append(
                n.Discount(
                    NOWHERE,
                    number_node(d["percentDiscount"]) if percent else None,
                    None if percent else self.money(d["amountDiscount"], pointer_to(dptr, "amountDiscount")),
                    None if minimum == 1 else number_node(minimum),
                    # The duration applies to every tier; the language says it once, on the first.
                    number_node(custom["discountDuration"])
                    if i == 0 and "discountDuration" in custom
                    else None,
                )
            )
        return out


# The v2 contact fields in the order an offer writes its contact's (language.CONTACT_FIELDS:
# first, last, email, company, phone), each with its v2 name.
_OFFER_ORDER = tuple(sorted(CONTACT_FIELDS_V2, key=lambda f: CONTACT_FIELDS.index(f[0])))
