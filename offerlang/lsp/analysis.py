"""What an editor asks of an offer, answered from its text: no LSP types, no pygls.

Positions here are 0-based lines and characters (code points) of the text split at `\\n`,
the way the compiler counts; `Positions` converts them to and from the client's encoding.
Everything works on half-typed text: completion reads the line and the braces before the
cursor (a lexical scan that needs no parse), the rest uses the tree when the parser could
recover one and answers nothing rather than fail when it could not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offerlang.compiler import nodes as n
from offerlang.compiler.diagnostics import Diagnostic
from offerlang.compiler.parser import code_only
from offerlang.compiler.pipeline import ExtraChecks, parse_source
from offerlang.compiler.targets import parse_target
from offerlang.iso import COUNTRIES, CURRENCIES, LANGUAGES
from offerlang.language import (
    CONTACT_FIELDS,
    DEFAULT_TARGET,
    FEE_KEYWORDS,
    ITEM_KEYWORDS,
    PARAM_NAME,
    PARAM_TYPES,
    TOP_KEYWORDS,
    V2_PAYMENT_METHODS,
)
from offerlang.lsp import keywords

# ---- positions ------------------------------------------------------------------------------


class Positions:
    """Line/character conversions for one text, in the encoding agreed with the client
    ("utf-16", LSP's default; "utf-8"; or "utf-32", which counts code points as we do)."""

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        self.lines = text.split("\n")
        self.encoding = encoding

    def _units(self, s: str) -> int:
        if self.encoding == "utf-8":
            return len(s.encode("utf-8", "surrogatepass"))
        if self.encoding == "utf-16":
            return len(s.encode("utf-16-le", "surrogatepass")) // 2
        return len(s)

    def to_client(self, line: int, char: int) -> tuple[int, int]:
        """(line, code point) -> (line, client units); clamped into the text."""
        if line >= len(self.lines):
            line = len(self.lines) - 1
            char = len(self.lines[line])
        line = max(line, 0)
        text = self.lines[line]
        char = min(max(char, 0), len(text))
        if self.encoding == "utf-32" or text.isascii():
            return line, char
        return line, self._units(text[:char])

    def from_client(self, line: int, units: int) -> tuple[int, int]:
        """(line, client units) -> (line, code point); clamped into the text."""
        if line >= len(self.lines):
            return len(self.lines) - 1, len(self.lines[-1])
        line = max(line, 0)
        text = self.lines[line]
        if self.encoding == "utf-32" or text.isascii():
            return line, min(max(units, 0), len(text))
        count = 0
        for i, ch in enumerate(text):
            if count >= units:
                return line, i
            count += self._units(ch)
        return line, len(text)

    def span_range(self, span: n.Span) -> tuple[tuple[int, int], tuple[int, int]]:
        """A compiler Span (1-based, end exclusive) as client (start, end) positions."""
        start = self.to_client(span.line - 1, span.column - 1)
        end = self.to_client(span.end_line - 1, span.end_column - 1)
        return start, max(start, end)

    def offset(self, line: int, char: int) -> int:
        """Code point offset into the text of a (line, code point) position."""
        line = min(max(line, 0), len(self.lines) - 1)
        return sum(len(s) + 1 for s in self.lines[:line]) + min(char, len(self.lines[line]))


# LSP's line breaks: a client counts lines at these and only these (the specification's
# "\n, \r\n and \r"); str.splitlines also breaks at \x0b, \x0c, \x1c-\x1e, \x85, U+2028 and
# U+2029, which an offer may hold in a comment or a string.
_LSP_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def apply_change(
    text: str, start: tuple[int, int], end: tuple[int, int], new_text: str, encoding: str = "utf-16"
) -> str:
    """`text` with the range from `start` to `end` replaced by `new_text`: positions as the
    client sends them in a didChange (line, units of `encoding`), lines counted as LSP counts
    them. A character past the end of its line means the end of the line, a line past the end
    of the text the end of the text (as the specification says)."""
    first, last = sorted((_client_offset(text, *start, encoding), _client_offset(text, *end, encoding)))
    return text[:first] + new_text + text[last:]


def _client_offset(text: str, line: int, units: int, encoding: str) -> int:
    begin = 0
    if line < 0:
        return 0
    for _ in range(line):
        m = _LSP_LINE_BREAK.search(text, begin)
        if m is None:
            return len(text)
        begin = m.end()
    m = _LSP_LINE_BREAK.search(text, begin)
    content = text[begin : m.start() if m else len(text)]
    return begin + Positions(content, encoding).from_client(0, units)[1]


# ---- the document ---------------------------------------------------------------------------


@dataclass
class Analysis:
    """Parse and checks of one version of a document: what runs on every keystroke. Emitting
    and the schema gate are left out (they find nothing the checks have not, and cost most)."""

    text: str
    offer: n.Offer | None
    diagnostics: list[Diagnostic]
    target: str = DEFAULT_TARGET

    @classmethod
    def of(
        cls,
        text: str,
        path: str = "<editor>",
        checks: ExtraChecks | None = None,
        target: str = DEFAULT_TARGET,
    ) -> Analysis:
        """`checks`: the store's checks for this document (lsp/stores.py), when any apply;
        `target`: the API it is checked for (`v1`, `v2`, or a config's `sessions-v2`)."""
        resolved = parse_target(target)
        offer, diagnostics = parse_source(text, path, resolved, checks=checks)
        return cls(text.removeprefix("\ufeff"), offer, diagnostics, resolved.value)


# ---- completion -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    label: str
    kind: str  # keyword | value | snippet | parameter | product | unit
    detail: str | None = None
    documentation: str | None = None
    snippet: str | None = None  # LSP snippet syntax, when the client takes snippets
    sort: str = ""


@dataclass
class CompletionContext:
    block: str  # top | item | contact | setup | other
    words: list[str]  # the statement's words before the one being typed
    partial: str  # what is typed of the current word
    start: int  # character where the current word starts
    after_comma: bool = False


SNIPPETS: dict[str, list[tuple[str, str, str]]] = {
    # block: (label, snippet, detail)
    "top": [
        (
            "item … { }",
            "item ${1:product-path} {\n\tprice ${2:USD} ${3:9.99}\n}$0",
            "an item with its own terms",
        ),
        (
            "contact { }",
            "contact {\n\tfirst ${1:Jane}\n\tlast ${2:Doe}\n\temail ${3:jane@example.com}\n"
            "\tcountry ${4:US}\n}$0",
            "a new buyer",
        ),
        ("expires after … days", "expires after ${1:7} days$0", "how long the link stays open"),
    ],
    "item": [
        (
            "setup fee { }",
            'setup fee {\n\tprice ${1:USD} ${2:10.00}\n\ttitle ${3:en} "${4:Setup fee}"\n}$0',
            "a one-time fee at signup",
        ),
        ("trial … days free", "trial ${1:14} days ${2|free,paid|}$0", "a trial"),
        ("billed every …", "billed every ${1:1} ${2|month,year,week,day|}$0", "the billing period"),
    ],
}

_BLOCK_KEYWORDS = {
    "top": TOP_KEYWORDS,
    "item": [k for k in ITEM_KEYWORDS if k != "setup"],
    "contact": CONTACT_FIELDS,
    "setup": FEE_KEYWORDS,
}
_PARTIAL = re.compile(r"[^\s{},]*$")
_DECLARATION = re.compile(r"^[ \t]*param[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]+([A-Za-z_][\w-]*)", re.M)


def context_at(text: str, line: int, char: int) -> CompletionContext | None:
    """Where the cursor is: the block, the statement's words so far and the word being typed;
    None inside a comment or a string (nothing to complete there)."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    before = lines[line][:char]
    if _inside_comment_or_string(before):
        return None
    code = code_only(before)
    offset = sum(len(s) + 1 for s in lines[:line])
    block = _block_at(code_only(text[:offset]) + code)
    # The statement starts after the last brace on this line.
    cut = max(code.rfind("{"), code.rfind("}")) + 1
    statement = code[cut:]
    partial = _PARTIAL.search(statement)
    typed = partial.group() if partial else ""
    rest = statement[: len(statement) - len(typed)]
    words = rest.replace(",", " , ").split()
    after_comma = bool(words) and words[-1] == ","
    return CompletionContext(
        block, [w for w in words if w != ","], typed, len(before) - len(typed), after_comma
    )


_COMMENT_OR_STRING = re.compile(r'"(?:[^"\\\r\n]|\\[^\r\n])*(?P<closed>")?|#[^\r\n]*')


def _inside_comment_or_string(before: str) -> bool:
    """Does the line, cut at the cursor, end inside a comment or a string still open?"""
    last = None
    for m in _COMMENT_OR_STRING.finditer(before):
        last = m
    if last is None or last.end() != len(before):
        return False
    return last.group().startswith("#") or last.group("closed") is None


def _block_at(code: str) -> str:
    """The kind of the innermost block still open at the end of `code` (strings and comments
    already blanked)."""
    stack: list[int] = []
    for i, ch in enumerate(code):
        if ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            stack.pop()
    if not stack:
        return "top"
    opening = stack[-1]
    line_start = code.rfind("\n", 0, opening) + 1
    words = code[line_start:opening].split()
    first = words[0] if words else ""
    return {"item": "item", "contact": "contact", "setup": "setup"}.get(first, "other")


def declared_params(text: str) -> dict[str, str]:
    """`param NAME TYPE` declarations: name -> type (read from the text, so they complete even
    while the file does not parse)."""
    return {m.group(1): m.group(2) for m in _DECLARATION.finditer(code_only(text))}


def complete(
    text: str, line: int, char: int, products: Callable[[], list[str]] = list
) -> tuple[CompletionContext | None, list[Completion]]:
    ctx = context_at(text, line, char)
    if ctx is None:
        return None, []
    if ctx.partial.startswith("$"):
        return ctx, _params(text, ctx)
    return ctx, _in_context(ctx, products)


def _params(text: str, ctx: CompletionContext) -> list[Completion]:
    if ctx.words[:1] == ["param"]:
        return []
    return [
        Completion(f"${name}", "parameter", f"param {name} {kind}", sort=f"0{name}")
        for name, kind in declared_params(text).items()
    ]


def _values(
    words: Sequence[str], kind: str, detail: Callable[[str], str | None] | None = None
) -> list[Completion]:
    return [
        Completion(w, kind, detail(w) if detail else keywords.word_doc(w), sort=f"{i:03d}")
        for i, w in enumerate(words)
    ]


def _currencies(given: list[str]) -> list[Completion]:
    """ISO 4217 codes, the most used first, without those the list already has."""
    from offerlang.iso_labels import CURRENCY_LABELS

    common = ["USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "SEK", "DKK", "NOK", "BRL", "INR"]
    rest = sorted(CURRENCIES - set(common))
    codes = [c for c in common + rest if c not in given]
    return [Completion(c, "value", CURRENCY_LABELS.get(c), sort=f"{i:03d}") for i, c in enumerate(codes)]


def _countries() -> list[Completion]:
    from offerlang.iso_labels import COUNTRY_LABELS

    return [Completion(c, "value", COUNTRY_LABELS.get(c), sort=c) for c in sorted(COUNTRIES)]


def _languages() -> list[Completion]:
    from offerlang.iso_labels import LANGUAGE_LABELS

    return [Completion(c, "value", LANGUAGE_LABELS.get(c), sort=c) for c in sorted(LANGUAGES)]


def _statement_start(block: str) -> list[Completion]:
    out = [
        Completion(k, "keyword", keywords.doc(k), sort=f"1{i:02d}")
        for i, k in enumerate(_BLOCK_KEYWORDS[block])
    ]
    out += [
        Completion(label, "snippet", detail, snippet=body, sort=f"2{i:02d}")
        for i, (label, body, detail) in enumerate(SNIPPETS.get(block, []))
    ]
    return out


def _money_position(words: list[str], after_comma: bool) -> bool:
    """Does a currency code come next in this money list (`price ␣`, `…, ␣`)?"""
    if not words:
        return False
    if words[0] == "trial" and words[1:2] == ["price"]:
        money = words[2:]
    elif words[0] in ("price", "discount"):
        money = words[1:]
    elif words[0] in ("eds", "shipping") and words[1:2] == ["fee"]:  # Sessions v2
        money = words[2:]
    else:
        return False
    if any(w.endswith("%") for w in money):
        return False
    return not money or after_comma


def _in_context(ctx: CompletionContext, products: Callable[[], list[str]]) -> list[Completion]:
    words, block = ctx.words, ctx.block
    if block == "other":
        return []
    if not words:
        return _statement_start(block)
    first, count = words[0], len(words)
    if _money_position(words, ctx.after_comma) and block in ("item", "setup"):
        return _currencies(words)
    if block == "top":
        if first == "buyer" and count == 1:  # Sessions v2
            return _values(["tag"], "keyword")
        if first in ("payment", "hide") and count == 1:
            return _values(["methods"] if first == "payment" else ["payment"], "keyword")
        if words[:2] == ["hide", "payment"] and count == 2:
            return _values(["methods"], "keyword")
        if words[-1:] == ["methods"] or (ctx.after_comma and "methods" in words):
            return _values([m for m in V2_PAYMENT_METHODS if m not in words], "value")
        if first == "expires":
            if count == 1:
                return _values(["after"], "keyword")
            if count == 3:
                return _values(["days"] if words[2] != "1" else ["day"], "unit")
        elif first == "param" and count == 2:
            return _values(PARAM_TYPES, "value", lambda t: f"a parameter of type {t}")
        elif first == "item" and count == 1:
            return [Completion(p, "product", "a product in the catalog", sort=p) for p in products()]
        return []
    if block == "contact":
        if count == 1 and first == "country":
            return _countries()
        if count == 1 and first == "language":
            return _languages()
        return []
    if block == "setup":
        if count == 1 and first == "title":
            return _languages()
        return []
    return _item_words(words)


def _item_words(words: list[str]) -> list[Completion]:
    first, count, last = words[0], len(words), words[-1]
    if first in ("display", "summary", "instructions") and count == 1:  # Sessions v2
        return _languages()
    if first in ("eds", "shipping") and count == 1:
        return _values(["fee"], "keyword")
    if first == "renew" and count == 1:
        return _values(keywords.RENEW_MODES, "value")
    if first == "quantity" and count == 1:
        return _values(keywords.QUANTITY_WORDS, "value")
    if first == "billed":
        if count == 1:
            return _values(["every", "adhoc"], "keyword")
        if words[1] == "every" and count in (2, 3):
            units = keywords.INTERVAL_UNITS
            if count == 3:
                units = [u for u in units if u.endswith("s") != (last == "1")]
            return _values(units, "unit")
        return []
    if first == "setup" and count == 1:
        return _values(["fee"], "keyword")
    if first == "trial":
        return _trial_words(words)
    if first == "discount" and count >= 2:
        if words[-2] == "for" and _is_number(last):
            return _values(["periods"] if last != "1" else ["period"], "unit")
        if words[-2] == "on" and _is_number(last):
            return _values(["or more"], "keyword", lambda w: keywords.doc("on"))
        if words[-2:] == ["or", "more"]:
            return _values(["for"], "keyword")
        if last.endswith("%") or (count >= 3 and _is_number(last)):
            return _values(["on", "for"], "keyword")
    return []


def _trial_words(words: list[str]) -> list[Completion]:
    count, last = len(words), words[-1]
    if count == 1:
        return _values(["price", "free", "paid"], "keyword")
    if words[1] == "price":
        return []
    if _is_number(last):
        return _values(["days"] if last != "1" else ["day"], "unit")
    if last in ("day", "days"):
        return _values(["free", "paid"], "keyword")
    if last in ("free", "paid"):
        return _values(["no card required", "card required"], "keyword", lambda w: keywords.doc("card"))
    return []


def _is_number(word: str) -> bool:
    return bool(re.fullmatch(r"[0-9]+(\.[0-9]+)?", word))


# ---- the word under the cursor --------------------------------------------------------------

_WORD = re.compile(r"\$?[A-Za-z0-9_][\w\-]*%?")


def word_at(text: str, line: int, char: int) -> tuple[str, int, int] | None:
    """The word at a position (a keyword, a code, a `$name`) and its start and end characters;
    None in a comment, a string, or between words."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    code = code_only(lines[line])
    for m in _WORD.finditer(code):
        if m.start() <= char <= m.end():
            return m.group(), m.start(), m.end()
    return None


@dataclass
class Hover:
    markdown: str
    line: int
    start: int
    end: int


def hover(text: str, line: int, char: int, explain_item: Callable[[str], str | None]) -> Hover | None:
    """Markdown for the word at a position: an item's explanation on `item` or its product, a
    code's name, a `$parameter`'s declaration, a keyword's doc."""
    found = word_at(text, line, char)
    if found is None:
        return None
    word, start, end = found
    code = code_only(text.split("\n")[line])
    words = code.split()
    first = words[0] if words else ""
    block = _block_at(code_only(text[: Positions(text).offset(line, 0)]))
    md: str | None = None
    if first == "item" and block == "top" and len(words) >= 2:
        product = words[1]
        md = explain_item(product) or keywords.doc("item")
    elif word.startswith("$"):
        kind = declared_params(text).get(word[1:])
        md = f"`param {word[1:]} {kind}`: a campaign parameter" if kind else None
    elif word in CURRENCIES and first in ("price", "trial", "discount"):
        md = _name("CURRENCY_LABELS", word, "ISO 4217 currency")
    elif word in COUNTRIES and first == "country":
        md = _name("COUNTRY_LABELS", word, "ISO 3166 country")
    elif word in LANGUAGES and first in ("language", "title"):
        md = _name("LANGUAGE_LABELS", word, "ISO 639-1 language")
    elif word == first and keywords.doc(word):
        md = f"**{word}**: {keywords.doc(word)}"
    elif word != first and word in keywords.WORDS:
        md = f"**{word}**: {keywords.WORDS[word]}"
    if md is None:
        return None
    return Hover(md, line, start, end)


def _name(table: str, code: str, what: str) -> str:
    from offerlang import iso_labels

    return f"`{code}`: {getattr(iso_labels, table)[code]} ({what} code)"


# ---- outline and $parameters ----------------------------------------------------------------


@dataclass
class Symbol:
    name: str
    kind: str  # item | setup | contact | param | statement
    span: n.Span
    selection: n.Span
    detail: str | None = None
    children: list[Symbol] = field(default_factory=list)


def symbols(offer: n.Offer | None) -> list[Symbol]:
    if offer is None:
        return []
    out: list[Symbol] = []
    for c in offer.clauses:
        if isinstance(c, n.Item):
            name = c.product.value if isinstance(c.product, n.Text) else f"${c.product.name}"
            children = [
                Symbol("setup fee", "setup", s.span, s.span) for s in c.clauses if isinstance(s, n.SetupFee)
            ]
            out.append(Symbol(name, "item", c.span, c.product.span, "item", children))
        elif isinstance(c, n.Contact):
            out.append(Symbol("contact", "contact", c.span, _first_word(c.span, "contact")))
        elif isinstance(c, n.Param):
            out.append(Symbol(f"${c.name.value}", "param", c.span, c.name.span, c.type.value))
        elif isinstance(c, n.Account | n.Lookup | n.Coupon):
            value = c.value.value if isinstance(c.value, n.Text) else f"${c.value.name}"
            out.append(Symbol(f"{c.keyword} {value}", "statement", c.span, c.span))
    return out


def _first_word(span: n.Span, word: str) -> n.Span:
    return n.Span(span.line, span.column, span.line, span.column + len(word))


_REF = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Occurrence:
    line: int
    start: int  # of the name: after `$` in a reference
    end: int
    declaration: bool


def occurrences(text: str, name: str) -> list[Occurrence]:
    """Every `$name` reference and the `param name …` declaration, in order (strings and
    comments skipped: `$` never expands inside a quoted string)."""
    out: list[Occurrence] = []
    for i, line in enumerate(code_only(text).split("\n")):
        m = _DECLARATION.match(line)
        if m and m.group(1) == name:
            out.append(Occurrence(i, m.start(1), m.end(1), True))
        for r in _REF.finditer(line):
            if r.group(1) == name:
                out.append(Occurrence(i, r.start(1), r.end(1), False))
    return out


def param_at(text: str, line: int, char: int) -> str | None:
    """The parameter named at a position: a `$name`, or the name in its declaration."""
    found = word_at(text, line, char)
    if found is None:
        return None
    word, start, _ = found
    if word.startswith("$"):
        return word[1:]
    m = _DECLARATION.match(code_only(text.split("\n")[line]))
    if m and m.start(1) == start:
        return word
    return None


def valid_param_name(name: str) -> bool:
    return bool(PARAM_NAME.fullmatch(name))


# ---- hover on an item: what the buyer pays --------------------------------------------------


def explain_item_markdown(
    text: str,
    path: str,
    product: str,
    target: str = DEFAULT_TARGET,
    catalog: Mapping[str, dict[str, Any]] | None = None,
) -> str | None:
    """The `offer explain` facts and timeline of one item, as markdown; None when the offer
    does not compile (the diagnostics say why) or has no such item. `target` and `catalog`
    (product path -> record, the store's) as `offer explain` takes them for this file."""
    from offerlang.compiler.pipeline import compile_source
    from offerlang.review.document import Heading, Line, Table, to_markdown
    from offerlang.review.explain import explain, timeline_table

    result = compile_source(text, path, unbound_ok=True, target=target)
    if result.template_only:
        return (
            f"**item {product}**\n\nThis offer is a campaign template: what the buyer pays is known "
            "once its parameters are filled."
        )
    if not result.ok or result.payload is None:
        return None
    explanation = explain(result.payload, path, result.target.value, catalog=catalog)
    for it in explanation.items:
        if it.product != product:
            continue
        blocks: list[Any] = [Heading(f"item {it.product}", 1)]
        blocks.append(Table(("", ""), [(label, sentence) for label, sentence in it.facts], show_header=False))
        for t in it.timelines:
            blocks += [
                Heading(f"{t.currency}: what the buyer pays (quantity {it.quantity})", 3),
                timeline_table(t),
            ]
        if not it.timelines:
            blocks.append(Line("What the buyer pays: the catalog's price."))
        return to_markdown(blocks).strip()
    return None


def document_path(uri: str) -> Path | None:
    if not uri.startswith("file://"):
        return None
    from urllib.parse import unquote, urlparse

    return Path(unquote(urlparse(uri).path))
