"""Semantic checks: every independent problem in an offer, collected, never raised.

Each check speaks the marketer's language and points at the exact span that is wrong. The
checks are the single source of truth for what a valid offer is; the JSON Schema gate that
runs after emitting only catches what slipped through here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from offerlang.compiler import nodes as n
from offerlang.compiler.diagnostics import (
    Diagnostic,
    Edit,
    Fix,
    Suggestion,
    did_you_mean,
    did_you_mean_hint,
    error,
    replacement_fix,
    suggest,
    warning,
)
from offerlang.iso import COUNTRIES, CURRENCIES, LANGUAGES
from offerlang.iso_names import COUNTRY_NAMES, LANGUAGE_NAMES
from offerlang.language import (
    ACCOUNT_ID,
    ADHOC,
    AMOUNT_PARAM_TYPES,
    BLOCK_KEYWORDS,
    BLOCK_PLACES,
    BLOCK_ROLES,
    CODE_MISTAKES,
    CONTACT_FIELDS,
    COUNTRY_CODE,
    CURRENCY_CODE,
    EMAIL,
    EXPIRATION_DAYS,
    FEE_KEYWORDS,
    INTERVAL_ADVERBS,
    INTERVAL_UNITS,
    LANGUAGE_CODE,
    LANGUAGE_TAG,
    LOCALE,
    LOOKUP_KEY,
    MAX_COUNT,
    MAX_DAYS,
    MAX_INTEGER_DIGITS,
    NUMBER_WORDS,
    PARAM_NAME,
    PARAM_TYPES,
    PRODUCT_PATH,
    QUANTITY_BEHAVIORS,
    RENEW_MEANINGS,
    RENEW_MISTAKES,
    RENEW_MODES,
    TAGS_SOFT_LIMIT,
    TOP_KEYWORDS,
    UNIT_MULTIPLES,
    DiscountKind,
    ParamType,
    TrialKind,
    decimals,
    minor_units,
    name_key,
    round_money,
)
from offerlang.text import or_list, plural

# What FastSpring does with a contact that has no country, per target (W301, and explain's
# buyer line): Sessions v1 bills as US; Sessions v2 infers the country from the buyer's IP.
# (message, hint)
NO_COUNTRY: dict[str, tuple[str, str]] = {
    "v1": (
        "FastSpring will bill the buyer as US, in USD",
        "add `country XX` (ISO 3166 code) if the buyer is elsewhere",
    ),
    "v2": (
        "on Sessions v2 FastSpring infers it from the buyer's IP address",
        "add `country XX` (ISO 3166 code) if you know where the buyer is: the buyer's location "
        "may not be their billing country",
    ),
}


def check(offer: n.Offer, target: str = "v1") -> list[Diagnostic]:
    """Every problem of `offer`; `target` ("v1" or "v2") only changes what a warning says
    FastSpring will do (a contact without a country is billed as US on v1, located by IP on v2)."""
    return Checker(offer, target).run()


class Checker:
    def __init__(self, offer: n.Offer, target: str = "v1") -> None:
        self.offer = offer
        self.target = str(target)
        self.out: list[Diagnostic] = []
        self.params = {p.name.value: p for p in offer.of(n.Param)}

    def run(self) -> list[Diagnostic]:
        offer = self.offer
        if not offer.clauses and not offer.blanked:
            # One plain error, not "no buyer" and "no items" about a file that says nothing.
            return [
                error(
                    "E004",
                    "the file is empty",
                    n.Span(1, 1, 1, 2),
                    "start with an item, e.g. `item basic-laptop`",
                )
            ]
        self._params()
        self._once(offer.clauses, keyword_of(n.Account, n.Contact, n.Lookup, n.Coupon, n.Expires))
        for clause in offer.clauses:
            self._top(clause)
        self._buyer()
        self._keys(offer.of(n.Tag), "tag")
        tag_chars = sum(len(_plain(t.key) or "") + len(_plain(t.value) or "") for t in offer.of(n.Tag))
        if tag_chars > TAGS_SOFT_LIMIT:
            first = offer.of(n.Tag)[0]
            self.out.append(
                warning(
                    "W302",
                    f"the tags add up to {tag_chars:,} characters; FastSpring may cut or reject "
                    f"tags beyond about {TAGS_SOFT_LIMIT:,}",
                    first.span,
                    "keep order tags short; put long data in your own system and tag its id",
                )
            )
        items = offer.items
        if not items and not self._misspelt("item"):
            self.out.append(
                error(
                    "E221",
                    "the offer has no items: a session needs at least one",
                    n.Span(1, 1, 1, 2),
                    "add a product, e.g. `item basic-laptop`",
                )
            )
        seen: dict[str, n.Item] = {}
        for item in items:
            self._item(item)
            product = _plain(item.product)
            if product and product in seen:
                self.out.append(
                    error(
                        "E208",
                        f"`{product}` is listed twice; FastSpring refuses a session that names a "
                        'product more than once ("Item exists.")',
                        item.product.span,
                        f"merge it with the item on line {seen[product].span.line}, or raise its quantity",
                    )
                )
            elif product:
                seen[product] = item
        return self.out

    # ---- helpers ------------------------------------------------------------------------------

    def _misspelt(self, *keywords: str) -> bool:
        """Is one of these top-level keywords already reported as misspelt (E104 with "did you
        mean") or unreadable (a syntax error on its line)? Then "no buyer" or "no items" would
        only repeat that error in other words."""
        return self._lost(*keywords) or any(
            did_you_mean(u.name.value, TOP_KEYWORDS) in keywords for u in self.offer.of(n.Unknown)
        )

    def _lost(self, *keywords: str) -> bool:
        """Was a statement starting with one of these keywords blanked after a syntax error?"""
        return not self.offer.blanked.isdisjoint(keywords)

    def _unknown(self, u: n.Unknown, block: str) -> None:
        """E104 for a statement this block does not take: where it belongs when another block
        takes it (`title` in an item belongs in its setup fee), else the closest keyword."""
        word = u.name.value
        where = BLOCK_PLACES[block][0]
        if block == "item" and word == "item":
            hint = "items cannot be nested: close this item with `}` first"
            self.out.append(error("E104", f"`{word}` does not belong {where}", u.name.span, hint))
            return
        home = home_block(word, block)
        if home is not None:
            role, put = BLOCK_ROLES[home], BLOCK_PLACES[home][1]
            if word == "item":
                role = "starts an item of its own"
            if (block, home) == ("setup fee", "item"):
                put = "put it in the item itself, outside `setup fee { … }`"
            hint = f"`{word}` {role}: {put}"
            self.out.append(error("E104", f"`{word}` does not belong {where}", u.name.span, hint))
            return
        if block == "item" and word.lower() == "intervalcount":
            # Sessions v2's field name for what `billed … for N periods` says.
            count = u.args[0] if u.args and u.args[0].isdigit() else "12"
            hint = (
                "the number of billing periods is part of `billed` (Sessions v2): write "
                f"`billed every 1 month for {count} period{'' if count == '1' else 's'}` with the "
                "item's own cycle"
            )
            self.out.append(error("E104", f"unknown keyword `{word}` {where}", u.name.span, hint))
            return
        known = BLOCK_KEYWORDS[block]
        guess = did_you_mean_hint(word, known, "known here: " + ", ".join(known))
        self.out.append(error("E104", f"unknown keyword `{word}` {where}", u.name.span, guess))

    def _once(self, clauses: Iterable[n.C], key_of: Callable[[n.C], str | None]) -> None:
        """E201 for each clause whose key (None: not counted) an earlier clause already has."""
        seen: dict[str, n.C] = {}
        for c in clauses:
            key = key_of(c)
            if key is None:
                continue
            if key in seen:
                self.out.append(
                    error(
                        "E201",
                        f"`{key}` is given twice",
                        c.span,
                        f"the first one is on line {seen[key].span.line}; keep one",
                    )
                )
            else:
                seen[key] = c

    def _keys(self, clauses: Sequence[n.Tag | n.Attribute | n.BuyerTag], what: str) -> None:
        seen: dict[str, n.Clause] = {}
        for c in clauses:
            key = _plain(c.key)
            if key is None:
                continue
            if key in seen:
                self.out.append(
                    error(
                        "E226",
                        f"{what} `{key}` is given twice",
                        c.key.span,
                        f"the first one is on line {seen[key].span.line}; a key holds one value",
                    )
                )
            else:
                seen[key] = c

    def _whole(self, num: n.Number, what: str, low: int, high: int) -> bool:
        v = num.value
        if v > high:
            message = f"{what} is at most {high:,}, not `{num.text}`"
            hint = "check for extra digits"
        elif v != v.to_integral_value() or v < low:
            # The upper bound only matters to whoever wrote too large a number.
            rng = f"from {low} to {high:,}" if high < MAX_DAYS else f"of at least {low}"
            message = f"{what} must be a whole number {rng}, not `{num.text}`"
            hint = (
                "FastSpring counts these in whole units: drop the decimals"
                if v != v.to_integral_value()
                else f"the smallest allowed is `{low}`"
            )
        else:
            return True
        self.out.append(error("E218", message, num.span, hint))
        return False

    def _code(self, name: n.Name | n.Text, codes: frozenset[str], code: str, what: str, example: str) -> None:
        problem = code_error(name, codes, code, what, example)
        if problem is not None:
            self.out.append(problem)

    def _money(self, amounts: list[n.Money], what: str) -> None:
        seen: dict[str, n.Money] = {}
        for m in amounts:
            cur = m.currency.value
            self._code(m.currency, CURRENCIES, "E202", CURRENCY_CODE, "USD")
            if cur in seen:
                self.out.append(
                    error(
                        "E220",
                        f"{cur} appears twice in this {what}",
                        m.currency.span,
                        "give each currency once",
                    )
                )
            seen[cur] = m
            if isinstance(m.amount, n.ParamRef):
                self._ref(m.amount, ParamType.MONEY)
                continue
            self._amount(m.amount, cur)

    def _amount(self, num: n.Number, currency: str) -> None:
        v = num.value
        # is_signed, not `< 0`: `-0` and `-0.00` are zero, but would be emitted with their minus.
        if v.is_signed():
            self.out.append(
                error(
                    "E205",
                    f"amounts cannot be negative: `{num.text}`",
                    num.span,
                    Suggestion(
                        f"remove the `-`: write `{num.text.removeprefix('-')}`", num.text.removeprefix("-")
                    ),
                )
            )
            return
        if v.adjusted() >= MAX_INTEGER_DIGITS:
            self.out.append(
                error(
                    "E230",
                    f"`{num.text}` is too large for an amount (at most {MAX_INTEGER_DIGITS} digits "
                    "before the decimal point)",
                    num.span,
                    "check for a missing decimal point",
                )
            )
            return
        allowed = minor_units(currency)
        # Decimals are only countable for a known currency (an unknown one is already E202).
        if currency in CURRENCIES and decimals(v) > allowed:
            if allowed == 0:
                msg = f"{currency} has no minor unit: write a whole amount, not `{num.text}`"
            else:
                msg = f"`{num.text}` has more than {allowed} decimals; FastSpring reads {currency} "
                msg += f"to {allowed} decimals"
            rounded = round_money(v, currency)
            hint = Suggestion(f"write it rounded: `{rounded}`", str(rounded))
            self.out.append(error("E206", msg, num.span, hint))

    def _ref(self, ref: n.ParamRef, expected: str | None = None) -> None:
        if ref.name not in self.params:
            if self._lost("param"):
                return
            declare = f"declare it: `param {ref.name} {expected or 'text'}`"
            hint = did_you_mean_hint(f"${ref.name}", [f"${p}" for p in self.params], declare, fold_case=False)
            self.out.append(error("E228", f"parameter `${ref.name}` is not declared", ref.span, hint))
            return
        declared = self.params[ref.name].type.value
        if expected == ParamType.MONEY and declared not in AMOUNT_PARAM_TYPES and declared in PARAM_TYPES:
            self.out.append(
                error(
                    "E228",
                    f"parameter `${ref.name}` is declared `{declared}` but stands for an amount here",
                    ref.span,
                    f"declare it `param {ref.name} money`",
                )
            )

    def _text(self, value: n.Value, what: str) -> str | None:
        """The literal text of a value, or None when it is a parameter (checked when bound)."""
        if isinstance(value, n.ParamRef):
            self._ref(value)
            return None
        if value.value == "":
            self.out.append(error("E229", f"{what} cannot be empty", value.span, "fill in a value"))
            return None
        return value.value

    # ---- parameters ---------------------------------------------------------------------------

    def _params(self) -> None:
        seen: dict[str, n.Param] = {}
        for p in self.offer.of(n.Param):
            if p.name.value in seen:
                self.out.append(
                    error(
                        "E228",
                        f"parameter `{p.name.value}` is declared twice",
                        p.name.span,
                        f"the first one is on line {seen[p.name.value].span.line}",
                    )
                )
            seen[p.name.value] = p
            if not PARAM_NAME.fullmatch(p.name.value):
                self.out.append(
                    error(
                        "E228",
                        f"parameter name `{p.name.value}` cannot be referenced: use letters, digits and `_`",
                        p.name.span,
                        f"e.g. `{p.name.value.replace('-', '_')}`",
                    )
                )
            if p.type.value not in PARAM_TYPES:
                self.out.append(
                    error(
                        "E228",
                        f"`{p.type.value}` is not a parameter type",
                        p.type.span,
                        did_you_mean_hint(p.type.value, PARAM_TYPES, "types: " + ", ".join(PARAM_TYPES)),
                    )
                )

    # ---- top level ----------------------------------------------------------------------------

    def _top(self, c: n.Clause) -> None:
        if isinstance(c, n.Unknown):
            self._unknown(c, "top")
        elif isinstance(c, n.Account):
            value = self._text(c.value, "the account id")
            if value is not None:
                self._account_id(c.value, value)
        elif isinstance(c, n.Contact):
            self._contact(c)
        elif isinstance(c, n.Lookup):
            value = self._text(c.value, "the lookup key")
            if value is not None and not LOOKUP_KEY.fullmatch(value):
                self.out.append(
                    error(
                        "E216",
                        f"lookup key `{value}` must be at least 4 letters, digits, `_` or `-`",
                        c.value.span,
                        "FastSpring uses it to find the buyer's account, e.g. `crm-10042`",
                    )
                )
        elif isinstance(c, n.Coupon):
            self._text(c.value, "the coupon code")
        elif isinstance(c, n.Expires):
            v = c.days.value
            low, high = EXPIRATION_DAYS
            if v == v.to_integral_value() and not low <= v <= high:
                self.out.append(
                    error(
                        "E207",
                        f"a session can stay open {low} to {high} days, not {c.days.text}",
                        c.days.span,
                        f"FastSpring's limit is {high} days; leave `expires` out for 24 hours",
                    )
                )
            else:
                self._whole(c.days, "the expiration", low, high)
        elif isinstance(c, n.Tag):
            self._text(c.key, "a tag key")
            if isinstance(c.value, n.ParamRef):
                self._ref(c.value)

    def _account_id(self, node: n.Value, value: str) -> None:
        if not ACCOUNT_ID.fullmatch(value):
            self.out.append(
                error(
                    "E225",
                    f"`{value}` is not a FastSpring account id (letters, digits, `_` and `-` only)",
                    node.span,
                    "copy the id from the account page, e.g. `abCdE1FGH2Hij3KLMnOpqR`",
                )
            )
        elif len(value) != 22:
            self.out.append(
                warning(
                    "W304",
                    f"FastSpring account ids are 22 characters; this one has {len(value)}",
                    node.span,
                    "check that the whole id was copied",
                )
            )

    def _contact(self, c: n.Contact) -> None:
        for u in c.unknown:
            self._unknown(u, "contact")
        self._once(c.fields, lambda f: f.name)
        given = {f.name: f for f in c.fields}
        # A misspelt field (`mail`) is already reported with its "did you mean": not missing too.
        # So is a field lost to a syntax error on its line.
        misspelt = {did_you_mean(u.name.value, CONTACT_FIELDS) for u in c.unknown} | self.offer.blanked
        head = n.Span(c.span.line, c.span.column, c.span.line, c.span.column + 7)
        if not given:
            if not c.unknown and self.offer.blanked.isdisjoint(CONTACT_FIELDS):
                self.out.append(
                    error(
                        "E240",
                        "this contact is empty: a contact gives at least one detail of the buyer",
                        head,
                        "add e.g. `email jane@example.com`, or remove the block to let the buyer "
                        "enter their details at checkout",
                    )
                )
            return
        if "email" not in given and "email" not in misspelt:
            self.out.append(
                warning(
                    "W306",
                    "this contact has no email: FastSpring cannot link the session to an existing "
                    "account or send the receipt before the buyer types one",
                    head,
                    "add `email …` if you know it; the checkout asks the buyer for the rest",
                )
            )
        if "country" not in given and "country" not in misspelt:
            self.out.append(
                warning(
                    "W301",
                    f"this contact has no country: {NO_COUNTRY[self.target][0]}",
                    head,
                    NO_COUNTRY[self.target][1],
                )
            )
        for f in c.fields:
            value = self._text(f.value, f"`{f.name}`")
            if value is None or not isinstance(f.value, n.Text):  # a parameter: checked when bound
                continue
            if f.name == "country":
                self._code(f.value, COUNTRIES, "E203", COUNTRY_CODE, "DE")
            elif f.name == "language":
                problem = code_error(f.value, LANGUAGES, "E204", LANGUAGE_CODE, "de")
                locale = as_locale(value) if problem is not None and self.target == "v2" else None
                if problem is not None and locale is not None:
                    # Sessions v2 can say the language with its country: that is `locale`.
                    language = locale.split("-")[0]
                    # The hint's two ways, as two fixes (the first is what --fix applies): the
                    # line moved out as a locale (unless the offer has one), or the language alone.
                    move = Fix(
                        f"Write `locale {locale}` outside the contact",
                        (
                            Edit(n.Span(c.span.line, 1, c.span.line, 1), f"locale {locale}\n"),
                            Edit(f.span, ""),
                        ),
                    )
                    alone = replacement_fix(f.value.span, language)
                    has_locale = any(isinstance(x, n.Locale) for x in self.offer.clauses)
                    problem = replace(
                        problem,
                        hint=f"on Sessions v2 a language with its country is a locale: write "
                        f"`locale {locale}` outside the contact, in place of this line (or `language "
                        f"{language}` for the language alone)",
                        fixes=tuple(x for x in (None if has_locale else move, alone) if x is not None),
                    )
                if problem is not None:
                    self.out.append(problem)
            elif f.name == "email" and not EMAIL.fullmatch(value):
                self.out.append(
                    warning(
                        "W305",
                        f"`{value}` does not look like an email address",
                        f.value.span,
                        "FastSpring sends the receipt there",
                    )
                )

    def _buyer(self) -> None:
        # Neither is valid: the buyer enters their details at checkout (docs/language.md, "The buyer").
        accounts, contacts = self.offer.of(n.Account), self.offer.of(n.Contact)
        if accounts and contacts:
            self.out.append(
                error(
                    "E209",
                    "the offer names both an account and a contact",
                    contacts[0].span if contacts[0].span.line > accounts[0].span.line else accounts[0].span,
                    "use `account` for an existing buyer, or `contact { … }` for a new one, not both",
                )
            )

    # ---- items --------------------------------------------------------------------------------

    def _item(self, item: n.Item) -> None:
        product = self._text(item.product, "the product path")
        if product is not None:
            problem = product_error(product, item.product.span)
            if problem is not None:
                self.out.append(problem)
        clauses = item.clauses
        self._once(
            clauses,
            keyword_of(
                n.Quantity,
                n.QuantityDefault,
                n.QuantityBehavior,
                n.Price,
                n.Trial,
                n.TrialPrice,
                n.Billed,
                n.Renew,
                n.SetupFee,
            ),
        )
        self._keys([c for c in clauses if isinstance(c, n.Attribute)], "attribute")
        for c in clauses:
            self._item_clause(c)
        self._trial_rules(item)
        self._discounts([c for c in clauses if isinstance(c, n.Discount)])

    def _item_clause(self, c: n.Clause) -> None:
        if isinstance(c, n.Unknown):
            self._unknown(c, "item")
        elif isinstance(c, n.Quantity):
            self._whole(c.amount, "the quantity", 1, MAX_COUNT)
        elif isinstance(c, n.QuantityDefault):
            self._whole(c.amount, "the default quantity", 1, MAX_COUNT)
        elif isinstance(c, n.QuantityBehavior):
            self._choice(c.behavior, QUANTITY_BEHAVIORS, "quantity behaviour")
        elif isinstance(c, n.Price | n.TrialPrice):
            self._money(c.amounts, c.keyword)
        elif isinstance(c, n.Trial):
            if c.days is None and c.kind is None and c.card is None:
                self.out.append(
                    error(
                        "E224",
                        "`trial` needs a length, `free`/`paid` or a card rule",
                        c.span,
                        "e.g. `trial 14 days free, no card required`",
                    )
                )
            if c.days is not None:
                self._whole(c.days, "the trial length in days", 0, MAX_DAYS)
        elif isinstance(c, n.Billed):
            self._billed(c)
        elif isinstance(c, n.Renew):
            self._renew(c.mode)
        elif isinstance(c, n.Attribute):
            self._text(c.key, "an attribute key")
            if isinstance(c.value, n.ParamRef):
                self._ref(c.value)
        elif isinstance(c, n.SetupFee):
            self._setup_fee(c)

    def _choice(self, name: n.Name, choices: Sequence[str], what: str) -> None:
        if name.value in choices:
            return
        hint = did_you_mean_hint(name.value, choices, "choose " + or_list([f"`{x}`" for x in choices]))
        self.out.append(error("E219", f"`{name.value}` is not a {what}", name.span, hint))

    def _renew(self, mode: n.Name) -> None:
        meant = RENEW_MISTAKES.get(mode.value.lower())
        if meant is None:
            self._choice(mode, RENEW_MODES, "renewal mode")
            return
        other = next(m for m in RENEW_MODES if m.startswith("opt-") and m != meant)
        hint = (
            f"write `renew {meant}`: it {RENEW_MEANINGS[meant]}; "
            f"`renew {other}` is the other way round: it {RENEW_MEANINGS[other]}"
        )
        problem = error("E219", f"`{mode.value}` is not a renewal mode", mode.span, hint)
        self.out.append(_rewriting(problem, mode.span, meant))

    def _billed(self, c: n.Billed) -> None:
        unit = c.unit.value
        said = unit.lower()
        # `for N periods` (Sessions v2's intervalCount), kept in every hint that rewrites the line.
        tail = ""
        if c.periods is not None:
            tail = f" for {c.periods.text} period{'' if c.periods.text == '1' else 's'}"
        if not c.every:
            if unit == ADHOC:
                if c.periods is not None:
                    self.out.append(
                        error(
                            "E517",
                            "an ad hoc item has no billing periods to count: it is charged whenever "
                            "the seller bills",
                            c.periods.span,
                            f"remove `{tail.strip()}`, or bill the item in a cycle "
                            f"(`billed every 1 month{tail}`)",
                        )
                    )
                return
            if said in INTERVAL_ADVERBS or said in INTERVAL_UNITS:
                count, base = INTERVAL_ADVERBS.get(said) or (1, INTERVAL_UNITS[said])
                self.out.append(
                    error(
                        "E213",
                        f"`billed {unit}` does not say the billing interval as FastSpring takes it",
                        c.span,
                        _write(f"billed every {plural(count, base)}{tail}"),
                    )
                )
                return
            self._choice(c.unit, [ADHOC], "billing mode (`billed adhoc` or `billed every …`)")
            return
        if said not in INTERVAL_UNITS and said not in UNIT_MULTIPLES:
            adverb = INTERVAL_ADVERBS.get(said)
            if adverb:
                rewrite = f"billed every {plural(*adverb)}{tail}"
                problem = error("E219", f"`{unit}` is not a billing unit", c.unit.span, f"write `{rewrite}`")
                self.out.append(_rewriting(problem, c.span, rewrite))
                return
            hint = did_you_mean_hint(unit, INTERVAL_UNITS, "use days, weeks, months or years")
            self.out.append(error("E219", f"`{unit}` is not a billing unit", c.unit.span, hint))
            return
        per, base = UNIT_MULTIPLES.get(said) or (1, INTERVAL_UNITS[said])
        if c.count is not None:
            number = NUMBER_WORDS.get(c.count.value.lower())
            meant = f"billed every {plural(number * per, base)}{tail}" if number is not None else None
            hint = (
                f"write `{meant}`"
                if meant is not None
                else f"write the number in digits, e.g. `billed every 2 {base}s{tail}`"
            )
            self.out.append(
                _rewriting(
                    error(
                        "E218",
                        f"write the billing interval's length in digits, not `{c.count.value}`",
                        c.count.span,
                        hint,
                    ),
                    c.span,
                    meant,
                )
            )
            return
        if c.length is None:
            self.out.append(
                error(
                    "E213",
                    "the billing interval needs a length",
                    c.span,
                    _write(f"billed every {plural(per, base)}{tail}"),
                )
            )
            return
        if per != 1:
            length = c.length.value
            written = f"{c.length.text} {unit}"
            whole = length == length.to_integral_value()
            rewritten = f"billed every {plural(int(length) * per, base)}{tail}" if whole else None
            self.out.append(
                _rewriting(
                    error(
                        "E219",
                        f"`{unit}` is not a billing unit FastSpring has",
                        c.unit.span,
                        f"write `{rewritten}`" if rewritten else f"write `{written}` in {base}s",
                    ),
                    c.span,
                    rewritten,
                )
            )
            return
        self._whole(c.length, "the billing interval length", 1, MAX_DAYS)

    def _trial_rules(self, item: n.Item) -> None:
        trials = [c for c in item.clauses if isinstance(c, n.Trial)]
        prices = [c for c in item.clauses if isinstance(c, n.TrialPrice)]
        kind = next((t.kind for t in trials if t.kind), None)
        if kind == TrialKind.PAID and not prices and not self._lost("trial"):
            t = next(t for t in trials if t.kind)
            self.out.append(
                error(
                    "E212",
                    "a paid trial needs a trial price",
                    t.span,
                    "add `trial price USD 1.00` (one amount per currency) to this item",
                )
            )
        days = next((t.days for t in trials if t.days is not None), None)
        if kind is None and prices and days is not None and days.value > 0 and not self._lost("trial"):
            self.out.append(
                warning(
                    "W308",
                    "this trial is neither `paid` nor `free`, so whether the buyer pays its trial "
                    "price is left to the catalog",
                    trials[0].span,
                    f"write `trial {days.text} days paid` to charge the trial price, or `free` to "
                    "give the trial away",
                )
            )
        if kind == TrialKind.FREE and prices:
            self.out.append(
                warning(
                    "W303",
                    "this trial is free, so FastSpring ignores its trial price",
                    prices[0].span,
                    "make the trial `paid`, or remove the trial price",
                )
            )

    def _discounts(self, discounts: list[n.Discount]) -> None:
        if not discounts:
            return
        if len({discount_kind(d) for d in discounts}) > 1:
            second = next(d for d in discounts if discount_kind(d) != discount_kind(discounts[0]))
            self.out.append(
                error(
                    "E215",
                    "an item's discounts are all percent or all amounts, not both",
                    second.span,
                    "FastSpring reads every tier of an item the same way; pick one kind",
                )
            )
        tiers: dict[Decimal, n.Discount] = {}
        periods: n.Discount | None = None
        for d in discounts:
            if d.percent is not None:
                v = d.percent.value
                if not Decimal(0) < v <= Decimal(100):
                    self.out.append(
                        error(
                            "E214",
                            f"a percent discount is more than 0 and at most 100, not {d.percent.text}%",
                            d.percent.span,
                            "write the percent off, e.g. `discount 15%`; for no discount, remove the line",
                        )
                    )
            if d.amounts is not None:
                self._money(d.amounts, "discount")
            tier = Decimal(1)
            if d.from_quantity is not None:
                if not self._whole(d.from_quantity, "the tier's minimum quantity", 1, MAX_COUNT):
                    continue
                tier = d.from_quantity.value
            if tier in tiers:
                self.out.append(
                    error(
                        "E222",
                        f"two discounts start at quantity {tier}",
                        d.span,
                        f"the other is on line {tiers[tier].span.line}; each tier needs its own "
                        "`on N or more`",
                    )
                )
            tiers[tier] = d
            if d.periods is not None:
                self._whole(d.periods, "the number of discounted periods", 1, MAX_COUNT)
                if periods is not None:
                    self.out.append(
                        error(
                            "E223",
                            "the discount's number of periods is given twice",
                            d.periods.span,
                            f"it applies to every tier; keep the one on line {periods.span.line}",
                        )
                    )
                else:
                    periods = d

    def _setup_fee(self, c: n.SetupFee) -> None:
        for u in c.unknown:
            self._unknown(u, "setup fee")
        # A misspelt `title` or `price` is already reported with its "did you mean".
        misspelt = any(did_you_mean(u.name.value, FEE_KEYWORDS) for u in c.unknown)
        if not c.titles and not c.prices and not misspelt and not self._lost("title", "price"):
            self.out.append(
                error(
                    "E227",
                    "this setup fee is empty",
                    c.span,
                    'add `price USD 10.00` and, optionally, `title en "Setup fee"`',
                )
            )
        seen: dict[str, n.FeeTitle] = {}
        for t in c.titles:
            self._code(t.language, LANGUAGES, "E204", LANGUAGE_CODE, "en")
            if t.language.value in seen:
                self.out.append(
                    error(
                        "E226",
                        f"the setup fee has two titles in `{t.language.value}`",
                        t.language.span,
                        f"the first is on line {seen[t.language.value].span.line}",
                    )
                )
            seen[t.language.value] = t
            if isinstance(t.text, n.ParamRef):
                self._ref(t.text)
        self._once(c.prices, keyword_of(n.FeePrice))
        for p in c.prices:
            self._money(p.amounts, "setup fee")


def code_error(
    name: n.Name | n.Text, codes: frozenset[str], code: str, what: str, example: str
) -> Diagnostic | None:
    """A value that must be one of a list of codes (currency, country, language)."""
    value = name.value
    if value in codes:
        return None
    return error(code, f"`{value}` is not an {what}", name.span, code_hint(value, codes, what, example))


def code_hint(value: str, codes: frozenset[str], what: str, example: str) -> str | None:
    """What code a wrong one means: a known mistake (`UK` → GB), an English name or a
    three-letter code (`Brazil` → BR, `por` → pt), a language tag with a region (`pt-BR` → pt),
    else a code spelt alike."""
    names = COUNTRY_NAMES if codes is COUNTRIES else LANGUAGE_NAMES if codes is LANGUAGES else {}
    key = name_key(value)
    meant = CODE_MISTAKES.get(key) or CODE_MISTAKES.get(value.lower()) or names.get(key)
    if meant in codes:
        return suggest(meant)
    tag = LANGUAGE_TAG.fullmatch(value) if codes is LANGUAGES else None
    if tag is not None:
        base = tag.group(1).lower()
        base = base if base in codes else names.get(base, "")
        if base in codes:
            return Suggestion(
                f"did you mean `{base}`? FastSpring takes the language alone (ISO 639-1); "
                "a region goes in `country`",
                base,
            )
    return did_you_mean_hint(value, codes, f"use the {what}, e.g. `{example}`")


def as_locale(value: str) -> str | None:
    """A language tag with a region as a Sessions v2 locale (`pt_br`, `pt-BR` → `pt-BR`), or None."""
    tag = LANGUAGE_TAG.fullmatch(value)
    if tag is None:
        return None
    language, _, region = value.replace("_", "-").partition("-")
    locale = f"{language.lower()}-{region.upper()}"
    m = LOCALE.fullmatch(locale)
    if m is None or m.group("language") not in LANGUAGES or m.group("region") not in COUNTRIES:
        return None
    return locale


def product_error(product: str, span: n.Span) -> Diagnostic | None:
    if PRODUCT_PATH.fullmatch(product):
        return None
    suggestion = re.sub(r"[^a-z0-9]+", "-", product.lower()).strip("-")
    return error(
        "E217",
        f"`{product}` is not a product path: lower-case letters, digits and `-` only",
        span,
        suggest(suggestion) if suggestion else None,
    )


def _rewriting(problem: Diagnostic, span: n.Span, text: str | None) -> Diagnostic:
    """`problem` with the fix its hint spells out: `text` written over `span` (the statement the
    hint rewrites, where the problem points at one word of it). Unchanged without a text."""
    fix = replacement_fix(span, text) if text is not None else None
    return replace(problem, fixes=(fix,)) if fix is not None else problem


def _write(statement: str) -> Suggestion:
    """ "write `…`": a hint that rewrites the whole statement the diagnostic points at."""
    return Suggestion(f"write `{statement}`", statement)


def home_block(word: str, block: str) -> str | None:
    """The block a keyword written in `block` belongs to, when it is not that one."""
    if word in BLOCK_KEYWORDS[block]:
        return None
    return next((b for b, keywords in BLOCK_KEYWORDS.items() if word in keywords), None)


def discount_kind(d: n.Discount) -> DiscountKind:
    """How FastSpring reads the discount (its `discountType`)."""
    return DiscountKind.PERCENT if d.percent is not None else DiscountKind.AMOUNT


def keyword_of(*kinds: type) -> Callable[[n.Clause], str | None]:
    """The key `_once` counts clauses of these kinds by: their keyword."""
    return lambda c: c.keyword if isinstance(c, kinds) else None


def _plain(v: n.Value) -> str | None:
    return v.value if isinstance(v, n.Text) else None
