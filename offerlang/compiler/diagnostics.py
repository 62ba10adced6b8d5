"""One Diagnostic type for every phase and every renderer (terminal, JSON, GitHub, editors)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from offerlang.compiler.nodes import Span
from offerlang.language import SYNONYMS


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Suggestion(str):
    """A hint that proposes text to put where the diagnostic points ("did you mean `EUR`?").

    It reads as the hint string everywhere a hint is shown; a Diagnostic built with one also
    carries the replacement as a Fix, so an editor's quick fix and `offer check --fix` apply
    exactly what the hint says, with no call site doing anything more than giving the hint.
    """

    replacement: str
    # The word the hint replaces, when the diagnostic's span may hold more than that word (a
    # did-you-mean on a whole line, a key in a TOML file): the fix is then made only where the
    # span is exactly the word, or the word in quotes (the quotes are kept).
    word: str | None

    def __new__(cls, text: str, replacement: str, word: str | None = None) -> Suggestion:
        self = super().__new__(cls, text)
        self.replacement = replacement
        self.word = word
        return self


def suggest(replacement: str, word: str | None = None) -> Suggestion:
    """The one wording of a "did you mean" hint, with its replacement attached."""
    return Suggestion(f"did you mean `{replacement}`?", replacement, word)


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text at `span` (one line, columns as in every Span) with `new_text`."""

    span: Span
    new_text: str

    def to_dict(self) -> dict[str, Any]:
        return {"span": _span_dict(self.span), "new_text": self.new_text}


@dataclass(frozen=True, slots=True)
class Fix:
    """A change that resolves a diagnostic: a title for a menu, and its edits."""

    title: str
    edits: tuple[Edit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "edits": [e.to_dict() for e in self.edits]}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span | None
    hint: str | None = None
    path: str | None = None
    # Derived from a Suggestion hint unless given; an empty tuple when there is nothing to apply.
    fixes: tuple[Fix, ...] = ()

    def __post_init__(self) -> None:
        if not self.fixes and isinstance(self.hint, Suggestion):
            fix = replacement_fix(self.span, self.hint.replacement, self.hint.word)
            if fix is not None:
                object.__setattr__(self, "fixes", (fix,))

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def at(self, path: str) -> Diagnostic:
        """The same diagnostic, about the file at `path`."""
        return replace(self, path=path)

    def to_dict(self) -> dict[str, Any]:
        span = self.span
        return {
            "path": self.path,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
            "span": None if span is None else _span_dict(span),
            "fixes": [f.to_dict() for f in self.fixes],
        }


def replacement_fix(span: Span | None, replacement: str, word: str | None = None) -> Fix | None:
    """A fix that writes `replacement` over `span`; None where a span cannot take it: none, or
    over several lines (a suggestion replaces a word or a statement on one line), or empty, or
    (when the replaced `word` is known) wider than that word and its quotes."""
    if span is None or span.end_line != span.line or span.end_column <= span.column:
        return None
    if word is not None:
        width = span.end_column - span.column
        if width == len(word) + 2:  # the word in quotes: replace inside them
            span = replace(
                span,
                column=span.column + 1,
                end_column=span.end_column - 1,
                start=span.start + 1 if span.start else 0,
                end=span.end - 1 if span.end else 0,
            )
        elif width != len(word):
            return None
    return Fix(f"Replace with `{replacement}`", (Edit(span, replacement),))


def _span_dict(span: Span) -> dict[str, int]:
    return {
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


def error(code: str, message: str, span: Span | None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, hint)


def warning(code: str, message: str, span: Span | None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, span, hint)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    s = d.span
    return (d.path or "", s.line if s else 0, s.column if s else 0, d.code)


def did_you_mean(word: str, choices: Iterable[str], *, fold_case: bool = True) -> str | None:
    """The choice a mistyped word most likely means, or None when none is likely.

    The metric, in order: the same word in another case (with `fold_case`); a known synonym
    from `language.SYNONYMS` that is one of the choices (`qty` → `quantity`); else the choice at
    the smallest optimal-string-alignment distance (insertions, deletions, substitutions and
    swaps of two neighbours count 1), if that distance is at most a third of the typed word's
    length (at least 1; none for a word of one or two letters) and smaller than the choice's own
    length. So `pirce` → `price` (1 of 5)
    and `hidden` → `hide` (2 of 6), but not `checkout` → `account` (5) or `country` → `account`
    (4 of 7). Ties go to the earlier choice.
    """
    choices = list(choices)
    if fold_case:
        folded = word.lower()
        for c in choices:
            if c.lower() == folded:
                return c
        meant = SYNONYMS.get(folded)
        if meant is not None:
            for c in choices:
                if c.lower() == meant.lower():
                    return c
    else:
        folded = word
    best: tuple[int, str] | None = None
    # One edit in a two-letter code is half of it: no guess (`XX` is not `AX`).
    bound = max(1, len(word) // 3) if len(word) >= 3 else 0
    for c in choices:
        distance = _distance(folded, c.lower() if fold_case else c)
        if distance <= bound and distance < len(c) and (best is None or distance < best[0]):
            best = (distance, c)
    return best[1] if best else None


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance: edits (insert, delete, substitute, swap neighbours)
    that turn `a` into `b`."""
    if abs(len(a) - len(b)) > max(1, len(a) // 3):  # the largest bound did_you_mean uses
        return abs(len(a) - len(b))  # too far apart already: not worth the table
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], previous2[j - 2] + 1)
        previous2, previous = previous, row
    return previous[len(b)]


def did_you_mean_hint(
    word: str, choices: Iterable[str], fallback: str | None = None, *, fold_case: bool = True
) -> str | None:
    """The "did you mean `x`?" hint for a mistyped word, or `fallback` when nothing is close.
    The hint is a Suggestion: a diagnostic given it offers the guess as a fix of its span."""
    guess = did_you_mean(word, choices, fold_case=fold_case)
    return suggest(guess, word) if guess else fallback


# Every code the tool can report, with a one-line title. docs/language.md lists the same table;
# tests/test_docs.py keeps the two in step.
CODES: dict[str, str] = {
    # reading the file
    "E001": "the file is not valid UTF-8",
    "E002": "the file is binary",
    "E003": "the file is too large",
    "E004": "the file is empty",
    # syntax
    "E101": "unexpected character",
    "E102": "unexpected token",
    "E103": "unterminated string",
    "E104": "unknown keyword",
    "E105": "unexpected end of file",
    "E106": "invalid escape in a string",
    "E107": "blocks nested too deep",
    # meaning
    "E201": "clause given twice",
    "E202": "unknown currency",
    "E203": "unknown country",
    "E204": "unknown language",
    "E205": "negative amount",
    "E206": "too many decimals for the currency",
    "E207": "expiration outside 1..7 days",
    "E208": "product listed twice",
    "E209": "both account and contact",
    "E212": "paid trial without a trial price",
    "E213": "billing interval without length",
    "E214": "percent outside (0, 100]",
    "E215": "percent and amount discounts in one item",
    "E216": "lookup key shape",
    "E217": "product path shape",
    "E218": "not a whole number in range",
    "E219": "unknown value",
    "E220": "currency listed twice",
    "E221": "no items",
    "E222": "discount tier listed twice",
    "E223": "discount periods given twice",
    "E224": "trial that says nothing",
    "E225": "account id shape",
    "E226": "key given twice",
    "E227": "empty setup fee",
    "E228": "parameter problem",
    "E229": "empty value",
    "E230": "amount too large",
    "E240": "empty contact",
    # warnings: FastSpring would accept it, but may not do what the author expects
    "W301": "contact without country",
    "W302": "tags longer than about 4,000 characters",
    "W303": "trial price on a free trial",
    "W304": "unusual account id length",
    "W305": "email address looks wrong",
    "W306": "contact without email",
    "W307": "control character from an escape in a word",
    "W308": "trial price on a trial that is neither paid nor free",
    # targets: what one of the two session APIs cannot carry (docs/targets.md)
    "E501": "renewal cannot be said on Sessions v2",
    "E502": "free or paid trial, or trial price, cannot be said on Sessions v2",
    "E503": "card rule cannot be said on Sessions v2",
    "E504": "session expiry cannot be said on Sessions v2",
    "E505": "setup fee title cannot be said on Sessions v2",
    "E506": "fractional percent cannot be said on Sessions v2",
    "E507": "currency Sessions v2 does not take",
    "E508": "value too long for Sessions v2",
    "E510": "Sessions v2 statement on Sessions v1",
    "E511": "locale given twice",
    "E512": "not a locale",
    "E513": "not a payment method name",
    "E514": "payment method listed twice",
    "E515": "EDS fee not above its base price",
    "E516": "image is not a web address",
    "E517": "billing periods counted on an ad hoc item",
    "E530": "payload does not match the Sessions v2 schema",
    "W501": "payment method offerlang does not know",
    "W510": "FastSpring warned about a session it created",
    "W511": "FastSpring's price differs from the offer's",
    "W512": "FastSpring's answer lacked the link or expiry: offerlang assumed it",
    "W520": "a form from FastSpring's examples read as its schema's",
    "W521": "a discount without a minimum quantity read as 1",
    # offer import: the payload being imported
    "E601": "payload is not valid JSON",
    "E602": "payload does not match the Sessions v1 schema",
    "E603": "payload cannot be written as an offer",
    "E604": "country or language at the top level of the payload",
    "E605": "payload is a Store Builder session object",
    "E606": "payload is a Sessions v2 body",
    "E607": "account as an object",
    "E608": "redirect URL in the payload",
    # offer import of a Sessions v2 body
    "E620": "payload does not match the Sessions v2 schema",
    "E621": "Sessions v2 payload cannot be written as an offer",
    # the final gate
    "E901": "payload does not match the Sessions v1 schema",
    # the store (offerlang/store): the project config, the catalog file, the catalog checks,
    # waivers. Only the codes: the compiler knows nothing of what they check.
    "E401": "product not in the catalog",
    "E402": "config file cannot be read as TOML",
    "E403": "unknown key in the config file",
    "E404": "wrong type or value in the config file",
    "E405": "catalog file missing",
    "E406": "catalog file cannot be used",
    "E407": "waiver without a reason",
    "E408": "waiver that cannot be read",
    "W401": "price in a currency the catalog does not price",
    "W402": "subscription terms on a one-time product",
    "W403": "billing period other than the catalog's",
    "W404": "catalog of another store than the config names",
    "W405": "waiver that waives nothing",
    # policy rules (offerlang/store/policy.py): the severity is the one the config sets
    "P101": "discount above the policy's maximum",
    "P102": "price paid below the catalog price by more than the policy allows",
    "P103": "price override outside the range allowed around the catalog price",
    "P104": "currency the policy does not allow",
    "P105": "price override without every currency the catalog prices",
    "P106": "price ending the policy does not allow",
    "P107": "order tag the policy requires is missing",
    "P108": "coupon code the policy does not allow",
    "P109": "session open longer than the policy allows",
    "P110": "trial longer than the policy allows",
    "P111": "discount lasting more billing periods than the policy allows",
    "P112": "pricing override on a product the policy locks",
}

# Codes that no longer fire, and why. A retired code is never given another meaning: tools and
# CI scripts may match on it. docs/language.md lists them as retired.
RETIRED: dict[str, str] = {
    "E210": "no buyer (retired: without account or contact the buyer enters their details at checkout)",
    "E211": "contact without first, last or email (retired: every field is optional; see E240, W306)",
}
