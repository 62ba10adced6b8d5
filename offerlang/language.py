"""Every fact about the offer language, in one place.

Keywords, the values an enum clause takes, the shapes of names and keys, the limits the checks
enforce, and money: each currency's minor units and the **one** rounding rule. The checks, the
emitter, the formatter, the importer, the timeline, explain and diff, the schema generator
(`scripts/make_schema.py`) and the tests all import from here, so adding a renew mode or an
interval unit is one edit here plus the wording that describes it (drift tests fail until every
value has its wording everywhere).

This module imports nothing from the rest of offerlang except the generated ISO tables.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from enum import StrEnum
from typing import Final

from offerlang.iso import ZERO_DECIMAL_CURRENCIES

# ---- keywords: where each statement may stand -----------------------------------------------

TOP_KEYWORDS: Final = (
    "account",
    "contact",
    "lookup",
    "coupon",
    "expires",
    "tag",
    "item",
    "param",
    # Sessions v2 only (see "targets" below)
    "locale",
    "buyer",
    "payment",
    "hide",
)
ITEM_KEYWORDS: Final = (
    "quantity",
    "price",
    "trial",
    "billed",
    "renew",
    "discount",
    "attribute",
    "setup",
    # Sessions v2 only
    "eds",
    "shipping",
    "display",
    "summary",
    "instructions",
    "image",
)
CONTACT_FIELDS: Final = ("first", "last", "email", "company", "phone", "country", "language")
FEE_KEYWORDS: Final = ("title", "price")
# The statements (and payload fields) that say who the buyer is: a session naming one is that
# buyer's, so two identical ones in a campaign would give one buyer two sessions.
BUYER_KEYWORDS: Final = ("account", "contact", "lookup")

# The blocks a statement stands in, and the keywords each takes: a keyword written in another
# block is pointed at its home (`title` in an item belongs in its `setup fee { … }`).
BLOCK_KEYWORDS: Final[dict[str, tuple[str, ...]]] = {
    "top": TOP_KEYWORDS,
    "item": ITEM_KEYWORDS,
    "contact": CONTACT_FIELDS,
    "setup fee": FEE_KEYWORDS,
}
# Per block: where a statement stands ("in an item"), and how to put one there.
BLOCK_PLACES: Final[dict[str, tuple[str, str]]] = {
    "top": ("at the top level", "put it at the top level, outside every block"),
    "item": ("in an item", "put it inside an `item … { }` block"),
    "contact": ("in a contact", "put it inside `contact { }`"),
    "setup fee": ("in a setup fee", "put it inside a `setup fee { … }` block in an item"),
}
# What a keyword of each block is about, for "`title` names a setup fee: put it …".
BLOCK_ROLES: Final[dict[str, str]] = {
    "top": "applies to the whole session",
    "item": "describes an item",
    "contact": "is a contact field",
    "setup fee": "describes a setup fee",
}

# ---- enums: the values a clause takes, in the order the docs list them ---------------------
#
# Each is a StrEnum, so that the tables that say what a value means (explain's wording, for
# one) can be keyed by it and a test can hold them to every value; the tuples beside them are
# the plain values, for membership tests, messages and the schema generator.


class RenewMode(StrEnum):
    """`renew MODE` → pricing.renew: what happens when a subscription period ends."""

    AUTO = "auto"
    MANUAL = "manual"
    OPT_AUTO = "opt-auto"
    OPT_MANUAL = "opt-manual"


class QuantityBehavior(StrEnum):
    """`quantity BEHAVIOUR` → pricing.quantityBehavior: may the buyer change the quantity."""

    ALLOW = "allow"
    LOCK = "lock"
    HIDE = "hide"


class Interval(StrEnum):
    """`billed every N UNIT` → pricing.interval (the unit, singular); `billed adhoc` → "adhoc"."""

    ADHOC = "adhoc"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class DiscountKind(StrEnum):
    """`discount 10%` or `discount USD 5.00` → pricing.discountType."""

    PERCENT = "percent"
    AMOUNT = "amount"


class TrialKind(StrEnum):
    """`trial … free` or `trial … paid` → pricing.paidTrial."""

    FREE = "free"
    PAID = "paid"


class ParamType(StrEnum):
    """`param NAME TYPE`: what a campaign value must be."""

    TEXT = "text"
    EMAIL = "email"
    COUNTRY = "country"
    LANGUAGE = "language"
    MONEY = "money"
    INTEGER = "integer"
    PRODUCT = "product"


RENEW_MODES: Final = tuple(m.value for m in RenewMode)
# Each mode in the buyer's terms, as explain, diff, hints and docs say it. The opt- modes are
# FastSpring's checkout checkbox "securely save payment details for automated subscription
# renewal": opt-auto leaves it unticked (Allow, Opt-In), opt-manual ticks it (Allow, Opt-Out).
# House reading of the names, not verified against a live store.
# Keyed by the enum, and held to every mode by tests/test_language.py.
RENEW_MEANINGS: Final[dict[str, str]] = {
    RenewMode.AUTO: "renews automatically; the buyer is offered no choice",
    RenewMode.MANUAL: "renews manually (the buyer pays each period from their account page); "
    "no choice offered",
    RenewMode.OPT_AUTO: "renews manually unless the buyer opts in to automatic renewal "
    "(FastSpring's checkout checkbox, unticked)",
    RenewMode.OPT_MANUAL: "renews automatically unless the buyer opts out to manual renewal "
    "(FastSpring's checkout checkbox, ticked)",
}
# Renewal words people write for a mode, and the mode they mean: `opt-in` is the buyer
# opting IN to automatic renewal (opt-auto), not the spelling-nearest opt-manual.
RENEW_MISTAKES: Final[dict[str, str]] = {
    "opt-in": "opt-auto",
    "optin": "opt-auto",
    "opt_in": "opt-auto",
    "opt-in-auto": "opt-auto",
    "opt-out": "opt-manual",
    "optout": "opt-manual",
    "opt_out": "opt-manual",
    "opt-out-manual": "opt-manual",
}
QUANTITY_BEHAVIORS: Final = tuple(b.value for b in QuantityBehavior)
ADHOC: Final = Interval.ADHOC.value
INTERVALS: Final = tuple(i.value for i in Interval)
# The words an offer may write for a unit, singular or plural, and the interval each means.
INTERVAL_UNITS: Final[dict[str, str]] = {word: unit for unit in INTERVALS[1:] for word in (unit, unit + "s")}
# Words for a billing cycle that are not `every N unit`, and the cycle they mean (N, unit):
# `billed biweekly` is `billed every 2 weeks`.
INTERVAL_ADVERBS: Final[dict[str, tuple[int, str]]] = {
    "daily": (1, "day"),
    "weekly": (1, "week"),
    "biweekly": (2, "week"),
    "bi-weekly": (2, "week"),
    "fortnightly": (2, "week"),
    "monthly": (1, "month"),
    "quarterly": (3, "month"),
    "semiannually": (6, "month"),
    "semi-annually": (6, "month"),
    "half-yearly": (6, "month"),
    "yearly": (1, "year"),
    "annually": (1, "year"),
    "annual": (1, "year"),
}
# Units FastSpring does not have that are a whole number of one it has: `every fortnight` is
# `every 2 weeks`, `every 2 quarters` is `every 6 months`.
UNIT_MULTIPLES: Final[dict[str, tuple[int, str]]] = {
    "fortnight": (2, "week"),
    "fortnights": (2, "week"),
    "quarter": (3, "month"),
    "quarters": (3, "month"),
}
# Numbers written as words (`every two weeks`, `every other week`), for the hint that writes
# them in digits.
NUMBER_WORDS: Final[dict[str, int]] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "other": 2,  # `every other week`
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
DISCOUNT_KINDS: Final = tuple(k.value for k in DiscountKind)
TRIAL_KINDS: Final = tuple(k.value for k in TrialKind)
PARAM_TYPES: Final = tuple(t.value for t in ParamType)
# The parameter types that may stand for an amount (`price USD $price`).
AMOUNT_PARAM_TYPES: Final = (ParamType.MONEY.value, ParamType.INTEGER.value)

# The code lists a currency, country or language is checked against (offerlang/iso.py), as the
# messages name them.
CURRENCY_CODE: Final = "ISO 4217 currency code"
COUNTRY_CODE: Final = "ISO 3166 country code"
LANGUAGE_CODE: Final = "ISO 639-1 language code"

# Codes people write that are not ISO codes, and the one they mean: "UK" is GB in ISO 3166;
# three-letter and English names of languages are not ISO 639-1.
CODE_MISTAKES: Final[dict[str, str]] = {
    "uk": "GB",
    "eng": "en",
    "english": "en",
    "ger": "de",
    "deu": "de",
    "german": "de",
    "fre": "fr",
    "fra": "fr",
    "french": "fr",
    "spa": "es",
    "spanish": "es",
    "ita": "it",
    "italian": "it",
    "jpn": "ja",
    "japanese": "ja",
    "jp": "ja",
    "kor": "ko",
    "korean": "ko",
    "kr": "ko",
    "chi": "zh",
    "zho": "zh",
    "chinese": "zh",
    "cn": "zh",
    # English names pycountry does not list (or lists under another name).
    "america": "US",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "britain": "GB",
    "great britain": "GB",
    "holland": "NL",
    "russia": "RU",
    "greek": "el",
    "farsi": "fa",
    "mandarin": "zh",
}

# Words people write for a keyword (or, in `offer import`, a field), and the one they mean.
# The did-you-mean helper (compiler/diagnostics.py) consults it before any spelling distance,
# and only offers the meant word where it is one of the choices. Keys are lower case.
SYNONYMS: Final[dict[str, str]] = {
    # keywords of an item
    "qty": "quantity",
    "amount": "price",
    "cost": "price",
    "prices": "price",
    "interval": "billed",
    "billing": "billed",
    "bill": "billed",
    "cycle": "billed",
    "renewal": "renew",
    "renews": "renew",
    "autorenew": "renew",
    "discounts": "discount",
    "attributes": "attribute",
    "fee": "setup",
    "setupfee": "setup",
    # the session
    "promo": "coupon",
    "promocode": "coupon",
    "voucher": "coupon",
    "coupons": "coupon",
    "expiry": "expires",
    "expiration": "expires",
    "expire": "expires",
    "tags": "tag",
    "product": "item",
    "products": "item",
    "sku": "item",
    "customer": "contact",
    "buyer": "contact",
    # a setup fee
    "name": "title",
    "label": "title",
    # contact fields
    "firstname": "first",
    "first_name": "first",
    "given": "first",
    "lastname": "last",
    "last_name": "last",
    "surname": "last",
    "mail": "email",
    "e-mail": "email",
    "organization": "company",
    "organisation": "company",
    "org": "company",
    "telephone": "phone",
    "tel": "phone",
    "mobile": "phone",
    "locale": "language",
    "lang": "language",
    # values
    "automatic": "auto",
    "automatically": "auto",
    "manually": "manual",
    # payload fields (offer import): names other APIs use for Sessions v1's
    "intervalcount": "intervalLength",
    "trialdays": "trial",
    "quantitybehaviour": "quantityBehavior",
}


def name_key(text: str) -> str:
    """How a country's or language's English name is looked up: accents dropped, case folded,
    punctuation and runs of blanks as one space ("Côte d'Ivoire" → "cote d ivoire")."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.casefold()).split())


# ---- patterns (the schema generator writes the same ones, anchored) -------------------------

PRODUCT_PATH: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LOOKUP_KEY: Final = re.compile(r"[A-Za-z0-9_-]{4,}")
ACCOUNT_ID: Final = re.compile(r"[A-Za-z0-9_-]+")
PARAM_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # what `$name` can spell (PARAM_REF)
EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# A number as an author writes it: no exponent, no thousands separator (the grammar's NUMBER;
# a campaign value for a `money` parameter must read the same way).
NUMBER: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?")
WHOLE_NUMBER: Final = re.compile(r"-?[0-9]+")
# quantityDiscounts keys: a minimum quantity written as a positive whole number
TIER_KEY: Final = re.compile(r"[1-9][0-9]*")

# ---- limits -----------------------------------------------------------------------------------

# `expires after N days` → expiration: FastSpring keeps a session 1 to 7 days.
EXPIRATION_DAYS: Final = (1, 7)
# Order tags above about this many characters (keys + values) may be cut by FastSpring.
TAGS_SOFT_LIMIT: Final = 4000
# No checkout sells anything for a trillion; a longer number is a typo (and beyond what exact
# decimal arithmetic downstream is set up for). An amount has at most this many digits before
# the decimal point (E230 refuses more).
MAX_INTEGER_DIGITS: Final = 12
# Upper bounds of counts, so a slip of the finger (`99999999999`) is caught here and not by
# FastSpring: quantities and periods fit 10 digits; a trial or an interval is at most ten years.
MAX_COUNT: Final = 9_999_999_999
MAX_DAYS: Final = 3650
# Blocks nested deeper than this are refused (E107) before they exhaust the tree builder; an
# offer needs two levels (item, setup fee).
MAX_BLOCK_DEPTH: Final = 16
# Independent syntax errors reported in one run before the parser gives up recovering.
MAX_SYNTAX_ERRORS: Final = 20
# An offer is a page of text; anything bigger is a mistake (a log, a dump, a binary).
MAX_SOURCE_BYTES: Final = 1024 * 1024

# A language tag with a region or script (`pt-BR`, `zh_Hans`): FastSpring takes the language
# alone (ISO 639-1), the region goes in `country`.
LANGUAGE_TAG: Final = re.compile(r"([A-Za-z]{2,3})[-_][A-Za-z0-9]{2,8}(?:[-_][A-Za-z0-9]{1,8})*")
# A number written with thousands separators (`7,400`, `1,299.00`): offers write `7400`.
THOUSANDS: Final = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
# A number written with a decimal comma (`7,40`, as in much of Europe): offers write `7.40`.
DECIMAL_COMMA: Final = re.compile(r"[0-9]+,[0-9]{1,2}")

# ---- money -----------------------------------------------------------------------------------

# Room for every digit an exact computation can produce (amounts have at most 12 integer
# digits and a currency's decimals; percents are short), so nothing is rounded by accident.
EXACT: Final = Context(prec=10_000, rounding=ROUND_HALF_UP)


def minor_units(currency: str) -> int:
    """Decimals FastSpring reads for `currency`: 0 for zero-decimal currencies (JPY, KRW …), else 2."""
    return 0 if currency in ZERO_DECIMAL_CURRENCIES else 2


def decimals(value: Decimal) -> int:
    """How many decimals `value` is written with (`9.90` → 2, `10` → 0)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def round_half_up(value: Decimal, places: int) -> Decimal:
    """`value` to `places` decimals, half up, exactly (the only rounding offerlang does)."""
    with localcontext(EXACT):
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """THE money rounding rule: to the currency's minor units, half up (as people round money by
    hand: 9.985 → 9.99; Python's default, half even, gives 9.98). An amount that already has at
    most that many decimals is only padded (`9.9` → `9.90`), never changed. This is our model of
    FastSpring's arithmetic, not a rule FastSpring publishes."""
    return round_half_up(amount, minor_units(currency))


def format_money(amount: Decimal, currency: str) -> str:
    """An amount as text with its currency's minor units (`9.9` USD → `9.90`, JPY → `1200`)."""
    return format(round_money(amount, currency), "f")


# ---- targets: the two FastSpring session APIs an offer compiles to --------------------------
# The contracts: shared/fastspring/SESSIONS-V1.md (legacy `POST /sessions`) and SESSIONS-V2.md
# (the current `POST /v2/checkouts/{store}/{checkout}/sessions`). docs/targets.md says in words
# what maps and what does not; offerlang/compiler/targets/ holds the checks and the emitters.

# Short names (`--target v1|v2`) and the names the repository config uses (`target = "..."`).
TARGETS: Final = ("v1", "v2")
DEFAULT_TARGET: Final = "v1"
TARGET_CONFIG_NAMES: Final[dict[str, str]] = {"v1": "sessions-v1", "v2": "sessions-v2"}
# A v2 checkout is `{type}-{name}` inside a store (`acme/web-main`); FastSpring fixes the type.
V2_CHECKOUT_TYPES: Final = ("popup", "embedded", "web")
V2_CHECKOUT: Final = re.compile(
    r"(?P<store>[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
    r"/(?P<checkout>(?:popup|embedded|web)-[A-Za-z0-9_-]+)"
)
# The 36 currencies v2 takes prices in (SESSIONS-V2.md, "Prices").
V2_CURRENCIES: Final = frozenset(
    [
        "AED",
        "ARS",
        "AUD",
        "BRL",
        "CAD",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CZK",
        "DKK",
        "EUR",
        "GBP",
        "HKD",
        "HUF",
        "IDR",
        "INR",
        "JPY",
        "KRW",
        "MXN",
        "MYR",
        "NOK",
        "NZD",
        "PEN",
        "PHP",
        "PLN",
        "RUB",
        "SAR",
        "SEK",
        "SGD",
        "THB",
        "TRY",
        "TWD",
        "USD",
        "VND",
        "ZAR",
    ]
)
# `billed every N unit` -> subscriptionOverrides.billingFrequency.intervalUnit; `billed adhoc`
# is ON_DEMAND (house reading). Quantity behaviours are upper case in v2 (house reading).
V2_INTERVAL_UNITS: Final[dict[str, str]] = {
    ADHOC: "ON_DEMAND",
    "day": "DAY",
    "week": "WEEK",
    "month": "MONTH",
    "year": "YEAR",
}
V2_QUANTITY_BEHAVIORS: Final[dict[str, str]] = {b: b.upper() for b in QUANTITY_BEHAVIORS}
# Payment methods `payment methods` orders and `hide payment methods` hides. SESSIONS-V2.md
# names CARD, PAYPAL and WIRE; the others are FastSpring's method names as its checkout lists
# them (house reading). Another upper-case name is accepted with a warning (W503): FastSpring
# adds methods, and offerlang should not stand in the way of one it does not know yet.
V2_PAYMENT_METHODS: Final = ("CARD", "PAYPAL", "WIRE", "AMAZON", "APPLEPAY", "GOOGLEPAY")
PAYMENT_METHOD_NAME: Final = re.compile(r"[A-Z][A-Z0-9_]*")
# `image …` -> descriptions.imageUrl: an http(s) address with a host and no white space
# anywhere (Unicode white space included: a tab or a no-break space pasted with the address).
WEB_ADDRESS: Final = re.compile(r"https?://[^\s/]+\S*")
# `locale pt-BR` -> locale: a language, optionally with a region; at most 5 characters.
LOCALE: Final = re.compile(r"(?P<language>[a-z]{2})(?:-(?P<region>[A-Z]{2}))?")
V2_LOCALE_LENGTH: Final = 5
# v2's own lengths (SESSIONS-V2.md, "Request body"): checked on v2 only.
V2_MAX_LENGTHS: Final[dict[str, int]] = {
    "account": 64,
    "email": 255,
    "first": 50,
    "last": 50,
    "company": 255,
    "phone": 64,
    "coupon": 256,
    "product": 256,
    "description": 512,
    "lookup": 512,
}
# customer.externalAccountId (the v1 lookup key): 4 to 512 characters.
V2_EXTERNAL_ID: Final = re.compile(r"[_a-zA-Z0-9-]{4,512}")
# An EDS fee (FastSpring's Extended Download Service) must exceed its base price.
EDS_FEE_BASE: Final = Decimal("1.50")
# What offerlang records, beside FastSpring's own warnings, when a v2 201 names a valid session
# but leaves out (or garbles) something else: the session exists, so it is recorded (a rerun
# must not create it twice), with what was assumed; each is a warning and exit 5 like
# FastSpring's. Codes FastSpring would not use (`OFFERLANG_…`), with what to do.
V2_ANSWER_GAPS: Final[dict[str, str]] = {
    "OFFERLANG_NO_LINK": "check the link before handing it out: a checkout in test mode has `.test.` "
    "in its link",
    "OFFERLANG_NO_EXPIRY": "the session may expire sooner or later than shown: check it in the "
    "FastSpring app",
    "OFFERLANG_UNREADABLE_WARNING": "check the session in the FastSpring app before sending its link",
}
# A FastSpring session id: URL-safe base64 (22 characters in every example). Anything else would
# end up inside a checkout link, so an answer (or a journal line) with another is not trusted.
SESSION_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")
# A checkout link offerlang hands out (prints, keeps in receipts, ledgers and links.csv): https,
# a host name, and a path of printable ASCII (a URL is ASCII: RFC 3986) of a length a link can
# have. Not an escape sequence, a bidi control or a megabyte from a server or a tampered file.
CHECKOUT_LINK: Final = re.compile(r"https://[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?/[!-~]{0,2000}")
# How long a v2 session lives when its answer does not say (the contract's example: 24 hours).
V2_ASSUMED_LIFETIME_MS: Final = 24 * 60 * 60 * 1000
# Top-level fields of a v2 request (SESSIONS-V2.md, "v2 only") that offerlang does not support
# yet, and what to do meanwhile: `offer import` names them as such, not as unknown fields.
V2_UNSUPPORTED_FIELDS: Final[dict[str, str]] = {
    "taxId": "remove it to import the rest; the checkout then asks the buyer for a tax id if it needs one",
    "buyerIp": "remove it to import the rest; FastSpring then locates the buyer itself",
    "live": "remove it to import the rest; a checkout in test mode makes test sessions whatever is sent",
}
# The warnings a v2 session may come back with (a 201 all the same); SESSIONS-V2.md "Response".
V2_WARNING_CODES: Final[dict[str, str]] = {
    "INVALID_PROMO_CODE": "the coupon was not applied: the buyer gets no discount from it",
    "INVALID_COUNTRY": "the country was not accepted: the checkout falls back to the buyer's location",
    "CHECKOUT_NOT_LIVE": "the checkout is not live: buyers cannot complete an order yet",
    "INVALID_TAX_ID": "the tax id was not accepted",
    "INVALID_BUYER_IP": "the buyer IP was not accepted",
    "INVALID_LOCALE": "the locale was not accepted: the checkout shows its default language",
    "INVALID_POSTAL_CODE": "the postal code was not accepted",
}
