"""The checks of the statements only Sessions v2 can carry: what their values must be.

They run for both targets, like every check of checks.py: on v1 such a statement is refused
anyway (E510, targets/v1.py), but a mistake in it is worth reporting at once, so that moving
the offer to v2 does not reveal a second round of problems. The rules reuse the checker's own
(currencies, amounts, parameters, "given twice"), so a money list reads the same everywhere.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from offerlang.compiler import nodes as n
from offerlang.compiler.checks import Checker, keyword_of
from offerlang.compiler.diagnostics import Diagnostic, Suggestion, did_you_mean, error, suggest, warning
from offerlang.iso import COUNTRIES, LANGUAGES
from offerlang.language import (
    CODE_MISTAKES,
    EDS_FEE_BASE,
    LOCALE,
    MAX_COUNT,
    PAYMENT_METHOD_NAME,
    V2_LOCALE_LENGTH,
    V2_PAYMENT_METHODS,
    WEB_ADDRESS,
    format_money,
)
from offerlang.text import visible


def check(offer: n.Offer) -> list[Diagnostic]:
    return _Statements(offer).run_v2()


def locale_error(value: n.Value) -> Diagnostic | None:
    """A locale is a lower-case ISO 639-1 language, optionally `-` and an upper-case ISO 3166
    country: `de`, `pt-BR` (E512, with the spelling it probably means)."""
    if not isinstance(value, n.Text):
        return None
    text = value.value
    m = LOCALE.fullmatch(text)
    if m is not None and m.group("language") in LANGUAGES and (m.group("region") or "US") in COUNTRIES:
        return None
    guess = _locale_guess(text)
    hint = suggest(guess, text) if guess and guess != text else None
    return error(
        "E512",
        f"`{text}` is not a locale: a language code, optionally with a country (`de`, `pt-BR`)",
        value.span,
        hint or "write the ISO 639-1 language in lower case, then `-` and the ISO 3166 country in upper case",
    )


def _locale_guess(text: str) -> str | None:
    language, _, region = text.replace("_", "-").partition("-")
    language = CODE_MISTAKES.get(language.lower(), language.lower())
    if language not in LANGUAGES:
        return None
    if not region:
        return language
    region = CODE_MISTAKES.get(region.lower(), region.upper())
    guess = f"{language}-{region}"
    return guess if region in COUNTRIES and len(guess) <= V2_LOCALE_LENGTH else None


class _Statements(Checker):
    def run_v2(self) -> list[Diagnostic]:
        offer = self.offer
        self._once(offer.clauses, keyword_of(n.Locale, n.PaymentOrder, n.PaymentHide))
        self._keys(offer.of(n.BuyerTag), "buyer tag")
        for c in offer.clauses:
            if isinstance(c, n.Locale):
                if self._text(c.value, "the locale") is not None:
                    problem = locale_error(c.value)
                    if problem is not None:
                        self.out.append(problem)
            elif isinstance(c, n.BuyerTag):
                self._text(c.key, "a buyer tag key")
                if isinstance(c.value, n.ParamRef):
                    self._ref(c.value)
        self._payment_methods()
        for item in offer.items:
            self._item_v2(item)
        return self.out

    def _payment_methods(self) -> None:
        where: dict[str, tuple[str, n.Name]] = {}
        for c in self.offer.clauses:
            if not isinstance(c, n.PaymentOrder | n.PaymentHide):
                continue
            said = "ordered" if isinstance(c, n.PaymentOrder) else "hidden"
            for method in c.methods:
                name = method.value
                if not PAYMENT_METHOD_NAME.fullmatch(name):
                    known = did_you_mean(name, V2_PAYMENT_METHODS)
                    hint = (
                        suggest(known, name)
                        if known
                        else Suggestion(f"write it in upper case: `{name.upper()}`", name.upper(), name)
                    )
                    self.out.append(
                        error(
                            "E513",
                            f"`{name}` is not a payment method name: FastSpring writes them in upper case",
                            method.span,
                            hint,
                        )
                    )
                    continue
                if name not in V2_PAYMENT_METHODS:
                    self.out.append(
                        warning(
                            "W501",
                            f"`{name}` is not a payment method offerlang knows; FastSpring may refuse it",
                            method.span,
                            "known: " + ", ".join(V2_PAYMENT_METHODS),
                        )
                    )
                if name in where:
                    first, at = where[name]
                    both = first != said
                    self.out.append(
                        error(
                            "E514",
                            f"`{name}` is both ordered and hidden" if both else f"`{name}` is {said} twice",
                            method.span,
                            f"the first is on line {at.span.line}; "
                            + ("a hidden method is not shown, so do not order it" if both else "keep one"),
                        )
                    )
                    continue
                where[name] = (said, method)

    def _item_v2(self, item: n.Item) -> None:
        clauses = item.clauses
        self._once(clauses, keyword_of(n.EdsFee, n.ShippingFee, n.Image))
        for c in clauses:
            if isinstance(c, n.Billed) and c.periods is not None:
                self._whole(c.periods, "the number of billing periods", 1, MAX_COUNT)
            elif isinstance(c, n.EdsFee):
                self._money(c.amounts, "EDS fee")
                for m in c.amounts:
                    if isinstance(m.amount, n.Number) and Decimal(0) <= m.amount.value <= EDS_FEE_BASE:
                        self.out.append(
                            error(
                                "E515",
                                f"an EDS fee must be more than its base price of {EDS_FEE_BASE}, "
                                f"not {m.currency.value} {m.amount.text}",
                                m.amount.span,
                                "the Extended Download Service costs more than its base, e.g. "
                                f"`{m.currency.value} {format_money(EDS_FEE_BASE + 1, m.currency.value)}`",
                            )
                        )
            elif isinstance(c, n.ShippingFee):
                self._money(c.amounts, "shipping fee")
            elif isinstance(c, n.Image):
                url = self._text(c.url, "the image address")
                if url is not None and not _web_address(url):
                    blank = next((ch for ch in url if ch.isspace()), None)
                    why = "" if blank is None else f": it has white space in it ({_character(blank)})"
                    self.out.append(
                        error(
                            "E516",
                            f"`{visible(url)}` is not a web address{why}",
                            c.url.span,
                            "give the image's full address, e.g. `https://cdn.example.com/prime.png`"
                            + ("; write a space in an address as `%20`" if blank is not None else ""),
                        )
                    )
        self._descriptions([c for c in clauses if isinstance(c, n.Description)])

    def _descriptions(self, descriptions: list[n.Description]) -> None:
        seen: dict[tuple[str, str], n.Description] = {}
        for d in descriptions:
            problem = locale_error(n.Text(d.language.value, d.language.span))
            if problem is not None:
                self.out.append(problem)
            key = (d.kind, d.language.value)
            if key in seen:
                self.out.append(
                    error(
                        "E226",
                        f"the item has two `{d.kind}` texts in `{d.language.value}`",
                        d.language.span,
                        f"the first is on line {seen[key].span.line}",
                    )
                )
            seen[key] = d
            self._text(d.text, f"the {d.kind} text")


def _character(ch: str) -> str:
    """A white-space character by name: `U+00A0 no-break space`."""
    name = {"\t": "tab", "\n": "line break", "\r": "carriage return"}.get(ch)
    return f"U+{ord(ch):04X} {name or unicodedata.name(ch, 'white space').lower()}"


def _web_address(url: str) -> bool:
    # The schema's own rule (language.WEB_ADDRESS), so that no address passes here and fails there.
    return WEB_ADDRESS.fullmatch(url) is not None
