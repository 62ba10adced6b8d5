"""Hypothesis strategies: Sessions v1 payloads the schema accepts, and messy spellings of offers.

`payloads()` covers every field of offerlang/schemas/sessions-v1.request.schema.json. It only
generates what an offer can say: unique products, amounts within the currency's minor units
and no empty objects (the importer refuses the rest, and tests/test_import.py checks that).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from offerlang.iso import COUNTRIES, CURRENCIES, LANGUAGES, ZERO_DECIMAL_CURRENCIES
from offerlang.language import (
    ADHOC,
    CONTACT_FIELDS,
    DISCOUNT_KINDS,
    INTERVALS,
    QUANTITY_BEHAVIORS,
    RENEW_MODES,
    V2_CURRENCIES,
    DiscountKind,
    minor_units,
)

# Characters that need quoting or an escape in offer source, or look like syntax.
AWKWARD = [" ", '"', "#", "{", "}", ",", "$", "\\", "\n", "\t", "\r", "'", "%", "=", ":", "-", "0"]
AWKWARD += ["é", "ß", "日本", "😀", "\u200b", "\x00", "\x1b", "\x7f", "\u00a0", "\u2028", "\ufeff"]

_char = st.characters(exclude_categories=("Cs",))  # lone surrogates: see test_import


def _texts(min_size: int) -> st.SearchStrategy[str]:
    pieces = st.sampled_from(AWKWARD) | st.text(_char, min_size=1, max_size=3)
    return st.one_of(
        st.text(_char, min_size=min_size, max_size=12),
        st.lists(pieces, min_size=min_size, max_size=6).map("".join),
        st.sampled_from(["item", "price", "USD", "9.99", "-1", "$x", "true", "# not a comment", "a b"]),
    )


texts = _texts(0)
non_empty = _texts(1)
words = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,10}", fullmatch=True)

# Zero-decimal currencies are few; draw them often.
currencies = st.sampled_from(sorted(ZERO_DECIMAL_CURRENCIES)) | st.sampled_from(sorted(CURRENCIES))


@st.composite
def amounts(draw, currency: str) -> Decimal | int:
    """An amount FastSpring reads exactly, spelled as a payload might: 10, 10.0, 10.00."""
    places = minor_units(currency)
    units = draw(st.integers(0, 10**9) | st.integers(0, 1000))
    value = Decimal(units).scaleb(-places)
    spelling = draw(st.sampled_from(["exact", "int", "short"]))
    if spelling == "int" and value == value.to_integral_value():
        return int(value)
    if spelling == "short":
        return value.normalize() if value else Decimal(0)
    return value


@st.composite
def money(draw) -> dict[str, Decimal | int]:
    keys = draw(st.lists(currencies, min_size=1, max_size=4, unique=True))
    return {k: draw(amounts(k)) for k in keys}


percents = st.integers(1, 100) | st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal(100), places=4, allow_nan=False, allow_infinity=False
)


@st.composite
def pricing(draw) -> dict[str, Any]:
    p: dict[str, Any] = {}
    if draw(st.booleans()):
        p["price"] = draw(money())
    if draw(st.booleans()):
        p["trial"] = draw(st.integers(0, 365))
    if draw(st.booleans()):
        p["paymentCollected"] = draw(st.booleans())
    if draw(st.booleans()):
        p["paidTrial"] = draw(st.booleans())
    if p.get("paidTrial") or draw(st.booleans()):
        p["trialPrice"] = draw(money())
    if draw(st.booleans()):
        p["renew"] = draw(st.sampled_from(RENEW_MODES))
    if draw(st.booleans()):
        p["interval"] = draw(st.sampled_from(INTERVALS))
        if p["interval"] != ADHOC:
            p["intervalLength"] = draw(st.integers(1, 36))
    if draw(st.booleans()):
        p["quantityBehavior"] = draw(st.sampled_from(QUANTITY_BEHAVIORS))
    if draw(st.booleans()):
        p["quantityDefault"] = draw(st.integers(1, 1000))
    if draw(st.booleans()):
        kind = draw(st.sampled_from(DISCOUNT_KINDS))
        p["discountType"] = kind
        if draw(st.booleans()):
            p["discountDuration"] = draw(st.integers(1, 24))
        tiers = draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=4, unique=True))
        p["quantityDiscounts"] = {
            str(t): draw(percents) if kind == DiscountKind.PERCENT else draw(money()) for t in tiers
        }
    if draw(st.booleans()):
        fee: dict[str, Any] = {}
        if draw(st.booleans()):
            langs = draw(st.lists(st.sampled_from(sorted(LANGUAGES)), min_size=1, max_size=3, unique=True))
            fee["title"] = {lang: draw(texts) for lang in langs}
        if not fee or draw(st.booleans()):
            fee["price"] = draw(money())
        p["setupFee"] = fee
    return p


products = st.from_regex(r"[a-z0-9]{1,12}(-[a-z0-9]{1,8}){0,3}", fullmatch=True)
attributes = st.dictionaries(non_empty, texts, min_size=1, max_size=4)


@st.composite
def item(draw, product: str) -> dict[str, Any]:
    out: dict[str, Any] = {"product": product}
    if draw(st.booleans()):
        out["quantity"] = draw(st.integers(1, 10**6))
    prices = draw(pricing())
    if prices:
        out["pricing"] = prices
    if draw(st.booleans()):
        out["attributes"] = draw(attributes)
    return out


@st.composite
def contacts(draw) -> dict[str, str]:
    """A contact with any non-empty subset of its fields (every field is optional in
    FastSpring's schema; the checkout asks the buyer for the rest)."""
    fields = {
        "first": non_empty,
        "last": non_empty,
        "email": non_empty | st.emails(),
        "company": non_empty,
        "phone": non_empty,
        "country": st.sampled_from(sorted(COUNTRIES)),
        "language": st.sampled_from(sorted(LANGUAGES)),
    }
    chosen = draw(st.sets(st.sampled_from(list(fields)), min_size=1))
    # In the language's field order, as the emitter writes it.
    return {name: draw(strategy) for name, strategy in fields.items() if name in chosen}


@st.composite
def payloads(draw) -> dict[str, Any]:
    """A Sessions v1 request body the schema accepts and an offer can say."""
    p: dict[str, Any] = {}
    # An existing account, a contact (whole or partial), or no buyer at all: the buyer then
    # enters their details at checkout.
    buyer = draw(st.sampled_from(["account", "contact", "none"]))
    if buyer == "account":
        p["account"] = draw(st.from_regex(r"[A-Za-z0-9_-]{22}|[A-Za-z0-9_-]{1,30}", fullmatch=True))
    elif buyer == "contact":
        p["contact"] = draw(contacts())
    if draw(st.booleans()):
        p["lookup"] = {"custom": draw(st.from_regex(r"[A-Za-z0-9_-]{4,20}", fullmatch=True))}
    if draw(st.booleans()):
        p["tags"] = draw(st.dictionaries(non_empty, texts, min_size=1, max_size=5))
    if draw(st.booleans()):
        p["coupon"] = draw(non_empty)
    if draw(st.booleans()):
        p["expiration"] = draw(st.integers(1, 7))
    names = draw(st.lists(products, min_size=1, max_size=4, unique=True))
    p["items"] = [draw(item(name)) for name in names]
    return p


# ---- messy spellings of an offer ---------------------------------------------------------------

_STRING = re.compile(r'("(?:[^"\\\n]|\\.)*")')
_VALUE_LINES = (
    "account",
    "coupon",
    "lookup",
    "tag",
    "attribute",
    *(f for f in CONTACT_FIELDS if f not in ("country", "language")),  # free text; the others are codes
)
_MONEY_LINES = ("price", "trial price", "discount")
_WORDS = {" day": " days", " days": " day", " period": " periods", " periods": " period"}
_WORDS |= {" month": " months", " year": " years", " week": " weeks"}
comment_texts = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"), max_size=15
).map(lambda t: "#" + t)


# Where messy() breaks a money list; no source text holds this character.
_BREAK = "\x00"


@st.composite
def messy(draw, source: str, *, comments: bool) -> str:
    """A canonical `source` written carelessly, meaning the same: odd spacing and indentation,
    tabs, blank lines, needless quotes, other number and unit spellings, money lists over several
    lines, CRLF, a BOM, and (with `comments`) comments on their own lines, at line ends and inside
    money lists broken over several lines."""
    out: list[str] = []
    pad = st.sampled_from(["", " ", "\t", "    ", " \t"])
    gap = st.sampled_from([" ", "  ", "\t", " \t "])
    for line in source.split("\n")[:-1]:
        if draw(st.booleans()) and draw(st.booleans()):
            out.append(draw(pad))
        if comments and draw(st.integers(0, 4)) == 0:
            out.append(draw(pad) + draw(comment_texts))
        body, comment = _split_comment(line.strip())
        keyword = body.split(" ", 1)[0]
        if keyword in _VALUE_LINES and draw(st.booleans()):
            head, *values = _STRING.split(body)
            word, _, rest = head.partition(" ")
            body = word + " " + re.sub(r"([^\s\"]+)", r'"\1"', rest) + "".join(values)
        if body.startswith(_MONEY_LINES) and "%" not in body:
            body = re.sub(r"\b([A-Z]{3}) (\d+)(\.\d+)?", lambda m: _respell(draw, m), body)
            if draw(st.booleans()):
                # Marked now, broken after the spacing below, so that comments are not respaced.
                body = body.replace(", ", "," + _BREAK)
        if keyword in ("trial", "billed", "expires", "discount") and draw(st.booleans()):
            body = re.sub(r" (day|days|period|periods|month|year|week)\b", lambda m: _WORDS[m.group()], body)
        parts = _STRING.split(body)
        parts[::2] = [re.sub(r" +", lambda _: draw(gap), p) for p in parts[::2]]
        body = "".join(parts) + comment
        first, *rest = body.split(_BREAK)  # split first: a drawn comment may itself hold a NUL
        for piece in rest:
            inside = draw(gap) + draw(comment_texts) if comments and draw(st.booleans()) else ""
            first += inside + "\n" + draw(pad) + piece
        body = first
        if comments and not comment and draw(st.integers(0, 3)) == 0:
            body += draw(gap) + draw(comment_texts)
        out.append(draw(pad) + body + draw(st.sampled_from(["", " ", "\t"])))
    text = draw(st.sampled_from(["\n", "\r\n"])).join(out) + draw(st.sampled_from(["", "\n", "\n\n"]))
    return ("\ufeff" if draw(st.booleans()) else "") + text


def _split_comment(line: str) -> tuple[str, str]:
    """(code, comment) of one line: the comment starts at the first `#` outside a string."""
    parts = _STRING.split(line)
    for i in range(0, len(parts), 2):
        if "#" in parts[i]:
            cut = len("".join(parts[:i])) + parts[i].index("#")
            return line[:cut], line[cut:]
    return line, ""


def _respell(draw, m: re.Match) -> str:
    currency, whole, fraction = m.group(1), m.group(2), (m.group(3) or "").rstrip("0").rstrip(".")
    zeros = draw(st.sampled_from(["", "0", "00"]))
    return f"{currency} {zeros}{whole}{fraction}"


# ---- Sessions v2 bodies --------------------------------------------------------------------------

v2_currencies = st.sampled_from(sorted(V2_CURRENCIES))


@st.composite
def v2_money(draw) -> dict[str, Decimal | int]:
    keys = draw(st.lists(v2_currencies, min_size=1, max_size=4, unique=True))
    return {k: draw(amounts(k)) for k in keys}


@st.composite
def eds_money(draw) -> dict[str, Decimal | int]:
    """An EDS fee: more than its 1.50 base in every currency."""
    keys = draw(st.lists(v2_currencies, min_size=1, max_size=3, unique=True))
    out: dict[str, Decimal | int] = {}
    for k in keys:
        places = minor_units(k)
        out[k] = Decimal(draw(st.integers(2 * 10**places, 10**6))).scaleb(-places)
    return out


locales = st.sampled_from(sorted(LANGUAGES)) | st.builds(
    lambda lang, country: f"{lang}-{country}",
    st.sampled_from(sorted(LANGUAGES)),
    st.sampled_from(sorted(COUNTRIES)),
)
methods = st.sampled_from(["CARD", "PAYPAL", "WIRE", "AMAZON", "APPLEPAY", "GOOGLEPAY"])
v2_texts = _texts(1).filter(lambda t: len(t) <= 50)


@st.composite
def line_items(draw, product: str) -> dict[str, Any]:
    out: dict[str, Any] = {"productPath": product}
    if draw(st.booleans()):
        out["quantity"] = draw(st.integers(1, 10**6))
    if draw(st.booleans()):
        out["quantityBehavior"] = draw(st.sampled_from(["ALLOW", "LOCK", "HIDE"]))
    if draw(st.booleans()):
        out["quantityDefault"] = draw(st.integers(1, 1000))
    custom: dict[str, Any] = {}
    if draw(st.booleans()):
        custom["unitPrice"] = draw(v2_money())
    if draw(st.booleans()):
        percent = draw(st.booleans())
        tiers = draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=4, unique=True))
        custom["discounts"] = [
            {"minQuantity": t, "percentDiscount": draw(st.integers(1, 100))}
            if percent
            else {"minQuantity": t, "amountDiscount": draw(v2_money())}
            for t in tiers
        ]
        if draw(st.booleans()):
            custom["discountDuration"] = draw(st.integers(1, 24))
    for name in ("setupFee", "shippingFee"):
        if draw(st.booleans()):
            custom[name] = draw(v2_money())
    if draw(st.booleans()):
        custom["edsFee"] = draw(eds_money())
    if custom:
        out["customPrice"] = custom
    overrides: dict[str, Any] = {}
    if draw(st.booleans()):
        unit = draw(st.sampled_from(["ON_DEMAND", "DAY", "WEEK", "MONTH", "YEAR"]))
        frequency: dict[str, Any] = {"intervalUnit": unit}
        if unit != "ON_DEMAND":
            frequency["intervalLength"] = draw(st.integers(1, 36))
            if draw(st.booleans()):
                frequency["intervalCount"] = draw(st.integers(1, 120))
        overrides["billingFrequency"] = frequency
    if draw(st.booleans()):
        overrides["trialDays"] = draw(st.integers(0, 365))
    if overrides:
        out["subscriptionOverrides"] = overrides
    descriptions: dict[str, Any] = {}
    for kind in ("display", "summary", "instructions"):
        if draw(st.booleans()):
            langs = draw(st.lists(locales, min_size=1, max_size=3, unique=True))
            descriptions[kind] = {lang: draw(non_empty) for lang in langs}
    if draw(st.booleans()):
        descriptions["imageUrl"] = draw(
            st.from_regex(r"https://[a-z]{1,10}\.example\.com/[a-z0-9/]{0,12}", fullmatch=True)
        )
    if descriptions:
        out["descriptions"] = descriptions
    if draw(st.booleans()):
        out["attributes"] = draw(attributes)
    return out


@st.composite
def v2_payloads(draw) -> dict[str, Any]:
    """A Sessions v2 request body the v2 schema accepts and an offer can say."""
    p: dict[str, Any] = {}
    customer: dict[str, Any] = {}
    # The buyer: a contact (`billToContact`, perhaps with a country), an account, a contact of
    # only a country (`contact { country DE }`: no `billToContact` on v2), or nobody named.
    buyer = draw(st.sampled_from(["contact", "account", "country", "none"]))
    contact = buyer == "contact"
    if contact:
        customer["billToContact"] = {
            "email": draw(non_empty | st.emails()).strip()[:255] or "a@example.com",
            "firstName": draw(v2_texts),
            "lastName": draw(v2_texts),
        }
        for name in ("company", "phoneNumber"):
            if draw(st.booleans()):
                customer["billToContact"][name] = draw(v2_texts)
    elif buyer == "account":
        customer["accountId"] = draw(st.from_regex(r"[A-Za-z0-9_-]{22}|[A-Za-z0-9_-]{1,30}", fullmatch=True))
    if draw(st.booleans()):
        customer["externalAccountId"] = draw(st.from_regex(r"[A-Za-z0-9_-]{4,20}", fullmatch=True))
    if draw(st.booleans()):
        customer["accountTags"] = draw(st.dictionaries(non_empty, texts, min_size=1, max_size=3))
    if customer:
        p["customer"] = customer
    if buyer == "country" or (contact and draw(st.booleans())):
        p["country"] = draw(st.sampled_from(sorted(COUNTRIES)))
    if draw(st.booleans()):
        p["locale"] = draw(locales)
    if draw(st.booleans()):
        p["orderTags"] = draw(st.dictionaries(non_empty, texts, min_size=1, max_size=4))
    chosen = draw(st.lists(methods, min_size=0, max_size=6, unique=True))
    split = draw(st.integers(0, len(chosen)))
    if chosen[:split]:
        p["paymentMethodsOrder"] = chosen[:split]
    if chosen[split:]:
        p["hidePaymentMethods"] = chosen[split:]
    cart: dict[str, Any] = {}
    if draw(st.booleans()):
        cart["couponCode"] = draw(non_empty)
    names = draw(st.lists(products, min_size=1, max_size=3, unique=True))
    cart["lineItems"] = [draw(line_items(name)) for name in names]
    p["cart"] = cart
    return p
