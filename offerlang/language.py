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
from typing import Final

from offerlang.iso import ZERO_DECIMAL_CURRENCIES

# ---- keywords: where each statement may stand -----------------------------------------------

TOP_KEYWORDS: Final = ("account", "contact", "lookup", "coupon", "expires", "tag", "item", "param")
ITEM_KEYWORDS: Final = ("quantity", "price", "trial", "billed", "renew", "discount", "attribute", "setup")
CONTACT_FIELDS: Final = ("first", "last", "email", "company", "phone", "country", "language")
FEE_KEYWORDS: Final = ("title", "price")

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

# `renew MODE` → pricing.renew. What each means to the buyer: SESSIONS-V1.md "Renewal choices".
RENEW_MODES: Final = ("auto", "manual", "opt-auto", "opt-manual")
# Each mode in the buyer's terms, as explain, diff, hints and docs say it. The opt- modes are
# FastSpring's checkout checkbox "securely save payment details for automated subscription
# renewal": opt-auto leaves it unticked (Allow, Opt-In), opt-manual ticks it (Allow, Opt-Out).
# House reading of the names, not verified against a live store.
RENEW_MEANINGS: Final[dict[str, str]] = {
    "auto": "renews automatically; the buyer is offered no choice",
    "manual": "renews manually (the buyer pays each period from their account page); no choice offered",
    "opt-auto": "renews manually unless the buyer opts in to automatic renewal "
    "(FastSpring's checkout checkbox, unticked)",
    "opt-manual": "renews automatically unless the buyer opts out to manual renewal "
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
# `quantity … BEHAVIOUR` → pricing.quantityBehavior
QUANTITY_BEHAVIORS: Final = ("allow", "lock", "hide")
# `billed every N UNIT` → pricing.interval (singular); `billed adhoc` → "adhoc"
ADHOC: Final = "adhoc"
INTERVALS: Final = (ADHOC, "day", "week", "month", "year")
# The words an offer may write for a unit, singular or plural, and the interval each means.
INTERVAL_UNITS: Final[dict[str, str]] = {word: unit for unit in INTERVALS[1:] for word in (unit, unit + "s")}
# `discount VALUE …`: a percent or a money list → pricing.discountType
DISCOUNT_KINDS: Final = ("percent", "amount")
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
# `param NAME TYPE`
PARAM_TYPES: Final = ("text", "email", "country", "language", "money", "integer", "product")
# The parameter types that may stand for an amount (`price USD $price`).
AMOUNT_PARAM_TYPES: Final = ("money", "integer")

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


def round_money(amount: Decimal, currency: str) -> Decimal:
    """THE money rounding rule: to the currency's minor units, half up (as people round money by
    hand: 9.985 → 9.99; Python's default, half even, gives 9.98). An amount that already has at
    most that many decimals is only padded (`9.9` → `9.90`), never changed. This is our model of
    FastSpring's arithmetic, not a rule FastSpring publishes."""
    with localcontext(EXACT):
        return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str) -> str:
    """An amount as text with its currency's minor units (`9.9` USD → `9.90`, JPY → `1200`)."""
    return format(round_money(amount, currency), "f")
