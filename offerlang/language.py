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
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Final

from offerlang.iso import ZERO_DECIMAL_CURRENCIES

# ---- keywords: where each statement may stand -----------------------------------------------

TOP_KEYWORDS: Final = ("account", "contact", "lookup", "coupon", "expires", "tag", "item", "param")
ITEM_KEYWORDS: Final = ("quantity", "price", "trial", "billed", "renew", "discount", "attribute", "setup")
CONTACT_FIELDS: Final = ("first", "last", "email", "company", "phone", "country", "language")
FEE_KEYWORDS: Final = ("title", "price")

# ---- enums: the values a clause takes, in the order the docs list them ---------------------

# `renew MODE` → pricing.renew. What each means to the buyer: SESSIONS-V1.md "Renewal choices".
RENEW_MODES: Final = ("auto", "manual", "opt-auto", "opt-manual")
# `quantity … BEHAVIOUR` → pricing.quantityBehavior
QUANTITY_BEHAVIORS: Final = ("allow", "lock", "hide")
# `billed every N UNIT` → pricing.interval (singular); `billed adhoc` → "adhoc"
ADHOC: Final = "adhoc"
INTERVALS: Final = (ADHOC, "day", "week", "month", "year")
# The words an offer may write for a unit, singular or plural, and the interval each means.
INTERVAL_UNITS: Final[dict[str, str]] = {word: unit for unit in INTERVALS[1:] for word in (unit, unit + "s")}
# `discount VALUE …`: a percent or a money list → pricing.discountType
DISCOUNT_KINDS: Final = ("percent", "amount")
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
}

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
