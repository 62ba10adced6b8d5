"""The one canonical layout of an offer file (`offer fmt`), printed from the parsed tree.

The printer works on the typed tree (`nodes.Offer`) plus the comments the parser collected,
so every statement is rewritten from what it means, never patched as text. Each comment is
attached to a construct before printing (see `_Layout`) and printed with it. The rules are
documented in docs/language.md, "Canonical layout".

A guard re-parses the output and compares it with the input tree (spans and spellings aside)
and the comments with the input comments: a formatting bug raises `FormatterBug` instead of
changing what an offer means or losing a comment.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache
from typing import Any

from offerlang.compiler import nodes as n
from offerlang.compiler.diagnostics import Diagnostic
from offerlang.compiler.parser import lark_parser, parse
from offerlang.compiler.pipeline import parse_source
from offerlang.errors import OfferlangBug
from offerlang.iso import CURRENCIES
from offerlang.language import INTERVAL_UNITS, decimals, format_money, minor_units

INDENT = "  "

# Escapes the printer writes inside quotes; every other printable character is written as is.
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "$": "\\$"}


class FormatterBug(OfferlangBug):
    """The printed text would mean something else than the input: a bug in offerlang."""


def format_source(text: str, path: str = "<string>") -> tuple[str | None, list[Diagnostic]]:
    """The canonical form of an offer, or None and the reasons it cannot be formatted safely.

    Only problems that make the tree incomplete block formatting: syntax errors, unknown
    keywords and bad string escapes (codes E1xx). Semantic errors (a bad currency, a missing
    buyer) do not: the file is formatted and `offer check` reports them.
    """
    text = text.removeprefix("\ufeff")
    offer, diagnostics = parse_source(text, path)
    blocking = [d for d in diagnostics if d.is_error and d.code.startswith("E1")]
    if offer is None or blocking:
        return None, blocking
    formatted = _Printer(offer, _Layout(text, offer)).render()
    _guard(offer, formatted)
    return formatted, []


def print_offer(offer: n.Offer) -> str:
    """Canonical text for a tree built in code (by `offer import`); it has no comments."""
    return _Printer(offer, None).render()


# ---- values ----------------------------------------------------------------------------------


@cache
def _bare_pattern() -> re.Pattern[str]:
    # The grammar's own BARE terminal, so the two can never drift apart.
    bare = next(t for t in lark_parser().terminals if t.name == "BARE")
    return re.compile(bare.pattern.to_regexp())


def is_bare(value: str) -> bool:
    """A value can go without quotes when it lexes as one BARE token and reads as itself:
    no backslash (which a reader would take for an escape) and nothing invisible."""
    return bool(_bare_pattern().fullmatch(value)) and value.isprintable() and "\\" not in value


def offer_string(value: str) -> str:
    """`value` as an offer's string literal, with the escapes the parser reads back."""
    out = ['"']
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif not ch.isprintable():
            code = ord(ch)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\u{{{code:x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def value_text(v: n.Value) -> str:
    if isinstance(v, n.ParamRef):
        return "$" + v.name
    return v.value if is_bare(v.value) else offer_string(v.value)


def plain_number(text: str) -> str:
    """`007` -> `7`, `2.50` -> `2.5`, `1.0` -> `1`: done on the digits, so nothing is rounded."""
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return sign + whole + ("." + fraction if fraction else "")


def amount_text(currency: str, amount: n.Amount) -> str:
    """An amount with its currency's minor units (`9.9` -> `9.90`, JPY `1200`), as the emitter
    writes it. An amount the checker rejects (unknown currency, too many decimals) is left as
    written: padding or rounding it would hide the mistake."""
    if isinstance(amount, n.ParamRef):
        return "$" + amount.name
    if currency not in CURRENCIES or decimals(amount.value) > minor_units(currency):
        return amount.text
    return format_money(amount.value, currency)


def money_text(amounts: list[n.Money]) -> str:
    return ", ".join(f"{m.currency.value} {amount_text(m.currency.value, m.amount)}" for m in amounts)


def _count(num: n.Number, one: str, many: str) -> str:
    plain = plain_number(num.text)
    return f"{plain} {one if plain == '1' else many}"


# ---- statements ------------------------------------------------------------------------------


def statement_text(c: n.Clause) -> str:
    """One leaf statement on one line (blocks are printed by `_Printer._block`)."""
    match c:
        case n.Account():
            return f"account {value_text(c.value)}"
        case n.ContactField():
            return f"{c.name} {value_text(c.value)}"
        case n.Lookup():
            return f"lookup {value_text(c.value)}"
        case n.Coupon():
            return f"coupon {value_text(c.value)}"
        case n.Expires():
            return "expires after " + _count(c.days, "day", "days")
        case n.Tag():
            return f"tag {value_text(c.key)} {value_text(c.value)}"
        case n.Param():
            return f"param {c.name.value} {c.type.value}"
        case n.Item():
            return f"item {value_text(c.product)}"
        case n.Quantity():
            return f"quantity {plain_number(c.amount.text)}"
        case n.QuantityDefault():
            return f"quantity default {plain_number(c.amount.text)}"
        case n.QuantityBehavior():
            return f"quantity {c.behavior.value}"
        case n.Price():
            return "price " + money_text(c.amounts)
        case n.TrialPrice():
            return "trial price " + money_text(c.amounts)
        case n.Trial():
            return _trial_text(c)
        case n.Billed():
            return _billed_text(c)
        case n.Renew():
            return f"renew {c.mode.value}"
        case n.Discount():
            return _discount_text(c)
        case n.Attribute():
            return f"attribute {value_text(c.key)} {value_text(c.value)}"
        case n.FeeTitle():
            return f"title {c.language.value} {value_text(c.text)}"
        case n.FeePrice():
            return "price " + money_text(c.amounts)
        # Sessions v2 only
        case n.Locale():
            return f"locale {value_text(c.value)}"
        case n.BuyerTag():
            return f"buyer tag {value_text(c.key)} {value_text(c.value)}"
        case n.PaymentOrder():
            return "payment methods " + ", ".join(m.value for m in c.methods)
        case n.PaymentHide():
            return "hide payment methods " + ", ".join(m.value for m in c.methods)
        case n.EdsFee():
            return "eds fee " + money_text(c.amounts)
        case n.ShippingFee():
            return "shipping fee " + money_text(c.amounts)
        case n.Description():
            return f"{c.kind} {c.language.value} {value_text(c.text)}"
        case n.Image():
            return f"image {value_text(c.url)}"
    raise FormatterBug(f"no layout for {type(c).__name__}")  # pragma: no cover - unknown blocks earlier


def _trial_text(c: n.Trial) -> str:
    words = ["trial"]
    if c.days is not None:
        words.append(_count(c.days, "day", "days"))
    if c.kind is not None:
        words.append(c.kind)
    line = " ".join(words)
    if c.card is not None:
        rule = "card required" if c.card else "no card required"
        line += f", {rule}" if len(words) > 1 else f" {rule}"
    return line


def _billed_text(c: n.Billed) -> str:
    if not c.every:
        periods = f" for {_count(c.periods, 'period', 'periods')}" if c.periods is not None else ""
        return f"billed {c.unit.value}{periods}"
    unit = c.unit.value
    if c.length is None or unit not in INTERVAL_UNITS:
        # Wrong either way (the checker says how); keep the author's words.
        length = f" {plain_number(c.length.text)}" if c.length is not None else ""
        length = f" {c.count.value}" if c.count is not None else length
        periods = f" for {_count(c.periods, 'period', 'periods')}" if c.periods is not None else ""
        return f"billed every{length} {unit}{periods}"
    base = INTERVAL_UNITS[unit]
    line = "billed every " + _count(c.length, base, base + "s")
    if c.periods is not None:
        line += " for " + _count(c.periods, "period", "periods")
    return line


def _discount_text(c: n.Discount) -> str:
    if c.percent is not None:
        line = f"discount {plain_number(c.percent.text)}%"
    else:
        line = "discount " + money_text(c.amounts or [])
    if c.from_quantity is not None:
        line += f" on {plain_number(c.from_quantity.text)} or more"
    if c.periods is not None:
        line += " for " + _count(c.periods, "period", "periods")
    return line


# ---- comment attachment ----------------------------------------------------------------------


@dataclass
class _Notes:
    leading: list[n.Comment] = field(default_factory=list)  # own-line comments, printed before
    trailing: list[n.Comment] = field(default_factory=list)  # printed at the end of the line


@dataclass(frozen=True)
class _Anchor:
    """A place a comment can attach to: a leaf statement, or the `{` / `}` line of a block."""

    start: int
    end: int
    end_line: int
    key: tuple[int, str]  # (id of the node, "stmt" | "open" | "close")


def _is_block(c: n.Clause) -> bool:
    return isinstance(c, n.Contact | n.SetupFee) or (isinstance(c, n.Item) and c.has_body)


def _children(c: n.Clause) -> list[n.Clause]:
    if isinstance(c, n.Item):
        return list(c.clauses)
    if isinstance(c, n.Contact):
        parts: list[n.Clause] = [*c.fields, *c.unknown]
    elif isinstance(c, n.SetupFee):
        parts = [*c.titles, *c.prices, *c.unknown]
    else:
        return []
    # The tree keeps titles and prices apart; the author's order is in the spans.
    return sorted(parts, key=lambda p: p.span.start)


def _first_key(c: n.Clause) -> tuple[int, str]:
    return (id(c), "open" if _is_block(c) else "stmt")


class _Layout:
    """Which construct each comment belongs to.

    - A comment after code on the same line trails the last construct that ends before it on
      that line: a statement, a block's `{` line or its `}` line.
    - A comment on its own line leads the next construct: a statement, a block, or - when only
      a `}` follows - the end of that block. After the last statement it ends the file.
    - A comment inside a statement written over several lines (a money list broken after a
      comma) leads that statement; the last one, on the statement's last line, trails it.
    """

    def __init__(self, text: str, offer: n.Offer) -> None:
        self.text = text
        self.anchors: list[_Anchor] = []
        for c in offer.clauses:
            self._collect(c)
        self.notes: dict[tuple[int, str], _Notes] = {a.key: _Notes() for a in self.anchors}
        self.end_of_file: list[n.Comment] = []
        starts = [a.start for a in self.anchors]
        for comment in offer.comments:
            at = comment.span.start
            i = bisect.bisect_right(starts, at) - 1
            if i >= 0 and at < self.anchors[i].end:
                self.notes[self.anchors[i].key].leading.append(comment)
            elif i >= 0 and self.anchors[i].end_line == comment.span.line:
                self.notes[self.anchors[i].key].trailing.append(comment)
            elif i + 1 < len(self.anchors):
                self.notes[self.anchors[i + 1].key].leading.append(comment)
            else:
                self.end_of_file.append(comment)
        self.last_code_end = self.anchors[-1].end if self.anchors else 0

    def _collect(self, c: n.Clause) -> None:
        if not _is_block(c):
            self.anchors.append(_Anchor(c.span.start, c.span.end, c.span.end_line, (id(c), "stmt")))
            return
        # A block's `{` is on its first line, after the keyword and (for an item) the product.
        after = c.product.span.end if isinstance(c, n.Item) else c.span.start
        brace = self.text.index("{", after)
        self.anchors.append(_Anchor(c.span.start, brace + 1, c.span.line, (id(c), "open")))
        for child in _children(c):
            self._collect(child)
        self.anchors.append(_Anchor(c.span.end - 1, c.span.end, c.span.end_line, (id(c), "close")))

    def blank_between(self, start: int, end: int | None) -> bool:
        """Did the author leave a blank line between these two offsets?"""
        return end is not None and self.text.count("\n", start, end) >= 2


class _Printer:
    def __init__(self, offer: n.Offer, layout: _Layout | None) -> None:
        self.offer = offer
        self.layout = layout
        self.lines: list[str] = []

    def render(self) -> str:
        previous: n.Clause | None = None
        for c in self.offer.clauses:
            # Groups: the parameter declarations, the run of session clauses, then each item;
            # one blank line between.
            if previous is not None and (
                isinstance(c, n.Item)
                or isinstance(previous, n.Item)
                or isinstance(c, n.Param) != isinstance(previous, n.Param)
            ):
                self.lines.append("")
            self._clause(c, 0)
            previous = c
        if self.layout is not None and self.layout.end_of_file:
            first = self.layout.end_of_file[0]
            if self.lines and self.layout.blank_between(self.layout.last_code_end, first.span.start):
                self.lines.append("")
            self._comments(0, self.layout.end_of_file, None)
        return "\n".join(self.lines) + "\n" if self.lines else ""

    def _notes(self, key: tuple[int, str]) -> _Notes:
        return self.layout.notes[key] if self.layout is not None else _Notes()

    def _line(self, depth: int, text: str, trailing: list[n.Comment]) -> None:
        words = [text, *(c.text.rstrip() for c in trailing)]
        self.lines.append(INDENT * depth + " ".join(words))

    def _comments(self, depth: int, comments: list[n.Comment], next_start: int | None) -> None:
        """Own-line comments; a blank line the author left after one of them is kept (one)."""
        for i, c in enumerate(comments):
            self.lines.append(INDENT * depth + c.text.rstrip())
            following = comments[i + 1].span.start if i + 1 < len(comments) else next_start
            if self.layout is not None and self.layout.blank_between(c.span.end, following):
                self.lines.append("")

    def _clause(self, c: n.Clause, depth: int) -> None:
        self._comments(depth, self._notes(_first_key(c)).leading, c.span.start)
        if _is_block(c):
            self._block(c, depth)
        else:
            self._line(depth, statement_text(c), self._notes((id(c), "stmt")).trailing)

    def _block(self, c: n.Clause, depth: int) -> None:
        head = {n.Contact: "contact", n.SetupFee: "setup fee"}.get(type(c)) or statement_text(c)
        children = _children(c)
        opening, closing = self._notes((id(c), "open")), self._notes((id(c), "close"))
        if not children and not opening.trailing and not closing.leading:
            # An empty item body says nothing: `item falcon {}` is `item falcon`.
            self._line(depth, head if isinstance(c, n.Item) else head + " {}", closing.trailing)
            return
        self._line(depth, head + " {", opening.trailing)
        for child in children:
            self._clause(child, depth + 1)
        self._comments(depth + 1, closing.leading, None)
        self._line(depth, "}", closing.trailing)


# ---- the guard -------------------------------------------------------------------------------

# What the printer may change: positions, spellings of numbers, values and units, `{}` bodies.
_IGNORED_FIELDS = {"span", "quoted", "has_body", "comments"}


def shape(node: Any) -> Any:
    """A tree without positions and spellings: two offers with the same shape mean the same."""
    if isinstance(node, list):
        return [shape(x) for x in node]
    if isinstance(node, n.Number):
        return ("Number", node.value)  # Decimal equality: 9.9 == 9.90
    if isinstance(node, n.Billed):
        unit = INTERVAL_UNITS.get(node.unit.value, node.unit.value)
        count = node.count.value if node.count is not None else None
        return ("Billed", node.every, shape(node.length), unit, count, shape(node.periods))
    if is_dataclass(node):
        kept = [f.name for f in fields(node) if f.name not in _IGNORED_FIELDS]
        return (type(node).__name__, tuple((name, shape(getattr(node, name))) for name in kept))
    return node


def _comment_texts(offer: n.Offer) -> list[str]:
    return [c.text.rstrip() for c in offer.comments]


def _guard(before: n.Offer, formatted: str) -> None:
    after, diagnostics = parse(formatted)
    if after is None or any(d.is_error for d in diagnostics):
        raise FormatterBug("the formatted text does not parse")
    if shape(after) != shape(before):
        raise FormatterBug("the formatted text means something else than the input")
    if _comment_texts(after) != _comment_texts(before):
        raise FormatterBug("the formatted text lost or moved a comment")
