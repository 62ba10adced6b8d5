"""One-line docs of the words of the language: hover text and completion details.

Each doc says what the statement does in the marketer's words, with one example; the full
reference is docs/language.md. tests/test_lsp_analysis.py checks that every keyword the
checker knows has a doc here.
"""

from __future__ import annotations

from offerlang import language

STATEMENTS: dict[str, str] = {
    # top level
    "account": "The buyer is an existing FastSpring account: `account abCdE1FGH2Hij3KLMnOpqR` "
    "(22 characters).",
    "contact": "The buyer is new: `contact { first … last … email … }`, with company, phone, country "
    "and language optional.",
    "lookup": "Find the buyer's account by your own key: `lookup crm-10042`.",
    "coupon": "Apply a coupon code to the session: `coupon SPRING10`.",
    "expires": "How long the checkout link stays open: `expires after 7 days` (1 to 7; 24 hours without it).",
    "tag": "A tag on the session, returned with the order: `tag campaign spring-2026`.",
    "param": "A campaign parameter, filled per buyer by `--set` or `--rows`: `param code text`.",
    "item": "A product in the session, by its product path: `item basic-laptop { … }` overrides its terms "
    "for this session only.",
    # items
    "quantity": "How many (`quantity 2`), the buyer's starting quantity (`quantity default 1`), or whether "
    "the buyer may change it (`quantity allow`, `lock`, `hide`).",
    "price": "The price for this session, one amount per currency: `price USD 9.99, EUR 8.99`.",
    "trial": "A trial before the first charge: `trial 14 days free, no card required`; a paid one also "
    "needs `trial price USD 1.00`.",
    "billed": "How often a subscription bills: `billed every 1 month`, or `billed adhoc`.",
    "renew": "How a subscription renews: `renew auto`, `manual`, `opt-auto` or `opt-manual`.",
    "discount": "A discount, percent or amounts, from a quantity and for a number of periods: "
    "`discount 10% on 5 or more for 2 periods`.",
    "attribute": "An attribute of the item, passed on to fulfilment: `attribute segment education`.",
    "setup": 'A one-time fee at signup: `setup fee { price USD 10.00  title en "Setup fee" }`.',
    "title": 'The setup fee\'s title in one language: `title en "Setup fee"`.',
    # Sessions v2 only (`--target v2`, or target = "sessions-v2" in the project config)
    "locale": "Sessions v2: the checkout's language with a country, `locale pt-BR`.",
    "buyer": "Sessions v2: a tag on the buyer's account, `buyer tag tier gold`.",
    "payment": "Sessions v2: the order of the payment methods, `payment methods PAYPAL, CARD`.",
    "hide": "Sessions v2: payment methods the checkout does not offer, `hide payment methods WIRE`.",
    "eds": "Sessions v2: an extended download service fee, `eds fee USD 2.50`.",
    "shipping": "Sessions v2: a shipping fee, `shipping fee USD 4.99`.",
    "display": 'Sessions v2: the item\'s name at checkout in a language, `display en "Laptop"`.',
    "summary": 'Sessions v2: the item\'s short description in a language, `summary en "…"`.',
    "instructions": 'Sessions v2: what the buyer is told after buying, `instructions en "…"`.',
    "image": "Sessions v2: the item's picture at checkout, `image https://…`.",
    # contact fields
    "first": "The new buyer's first name (required in a contact).",
    "last": "The new buyer's last name (required in a contact).",
    "email": "The new buyer's email address, where the receipt goes (required in a contact).",
    "company": "The new buyer's company name.",
    "phone": "The new buyer's phone number.",
    "country": "The buyer's country, an ISO 3166 code such as `DE`; it decides currency and tax "
    "(FastSpring assumes US without it).",
    "language": "The buyer's language, an ISO 639-1 code such as `de`.",
}

# Words inside statements, and the values of the enumerations.
WORDS: dict[str, str] = {
    "fee": "A fee: `setup fee { … }` once at signup; `eds fee` and `shipping fee` (Sessions v2).",
    "methods": "Payment methods (Sessions v2): CARD, PAYPAL, WIRE, AMAZON, APPLEPAY, GOOGLEPAY.",
    "after": "`expires after N days`: the checkout link closes N days after the session is created.",
    "every": "`billed every N month`: the length of one billing period.",
    "adhoc": "`billed adhoc`: you charge the subscription yourself, when you choose.",
    "default": "`quantity default N`: the quantity the buyer starts with.",
    "allow": "The buyer may change the quantity.",
    "lock": "The buyer cannot change the quantity.",
    "hide": "The quantity is hidden from the buyer, who cannot change it.",
    # The renewal modes in the buyer's terms: language.RENEW_MEANINGS, as explain says them.
    **{mode: meaning[0].upper() + meaning[1:] + "." for mode, meaning in language.RENEW_MEANINGS.items()},
    "free": "The trial costs nothing.",
    "paid": "The buyer pays the trial price (`trial price USD 1.00`) for the trial.",
    "card": "Whether the buyer must give a card to start the trial.",
    "required": "Whether the buyer must give a card to start the trial.",
    "on": "`on N or more`: the discount tier starts at that quantity.",
    "for": "`for N periods`: the discount applies to the first N billing periods.",
    "period": "A billing period (`billed every …`).",
    "periods": "Billing periods (`billed every …`).",
}

# The values of each enumeration, in the order a completion list shows them (the checker's
# lists, so the two cannot drift apart).
RENEW_MODES = list(language.RENEW_MODES)
QUANTITY_WORDS = ["default", *language.QUANTITY_BEHAVIORS]
_UNIT_ORDER = ["month", "year", "week", "day"]  # the usual billing periods first
INTERVAL_UNITS = sorted(
    language.INTERVAL_UNITS, key=lambda u: (_UNIT_ORDER.index(language.INTERVAL_UNITS[u]), u)
)


def doc(word: str) -> str | None:
    """The doc of a word where it starts a statement."""
    return STATEMENTS.get(word) or WORDS.get(word)


def word_doc(word: str) -> str | None:
    """The doc of a word inside a statement (`quantity hide` is not `hide payment methods`)."""
    return WORDS.get(word) or STATEMENTS.get(word)
