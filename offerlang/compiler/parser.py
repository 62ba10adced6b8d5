"""Source text -> typed syntax tree (nodes.Offer), with syntax errors as Diagnostics.

Lark stays behind this module: its exceptions become our diagnostics here, and its trees are
turned into nodes by a purely structural Transformer (no checks in it: that is checks.py).
"""

from __future__ import annotations

import bisect
import contextlib
import pickle
import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import TerminalDef
from lark.tree import Meta

from offerlang import usercache
from offerlang.compiler import nodes as n
from offerlang.compiler.diagnostics import Diagnostic, Suggestion, did_you_mean_hint, error, suggest, warning
from offerlang.iso import CURRENCIES
from offerlang.language import (
    DECIMAL_COMMA,
    MAX_BLOCK_DEPTH,
    MAX_SYNTAX_ERRORS,
    THOUSANDS,
    DiscountKind,
    TrialKind,
)
from offerlang.text import or_list

# How terminals read in "expected ..." messages.
TERMINAL_WORDS = {
    "NAME": "a word",
    "NUMBER": "a number",
    "STRING": "a quoted string",
    "BARE": "a value",
    "PARAM_REF": "a $parameter",
    "_NL": "a new line",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COMMA": "','",
    "PERCENT": "'%'",
    "$END": "end of file",
}

# How each statement is written, keyed by its first word: the hint of a syntax error on a line
# that starts with that word (`price USD 10 EUR 9` -> write it like `price USD 9.99, EUR 8.99`).
USAGE: dict[str, tuple[str, ...]] = {
    "account": ("account abCdE1FGH2Hij3KLMnOpqR",),
    "contact": ("contact { … }",),
    "first": ("first Jane",),
    "last": ("last Doe",),
    "email": ("email jane@example.com",),
    "company": ('company "Example Inc."',),
    "phone": ('phone "+1 555 0100"',),
    "country": ("country DE",),
    "language": ("language de",),
    "lookup": ("lookup crm-10042",),
    "coupon": ("coupon SPRING10",),
    "expires": ("expires after 7 days",),
    "tag": ('tag "campaign name" spring-2026',),
    "param": ("param code text",),
    "item": ("item basic-laptop { … }",),
    "quantity": ("quantity 2", "quantity default 1", "quantity allow"),
    "price": ("price USD 9.99, EUR 8.99",),
    "trial": ("trial 14 days free, no card required", "trial price USD 1.00"),
    "billed": ("billed every 1 month", "billed adhoc"),
    "renew": ("renew auto",),
    "discount": ("discount 10% on 5 or more for 2 periods", "discount USD 5.00, EUR 4.50"),
    "attribute": ('attribute "gift wrap" yes',),
    "setup": ("setup fee { … }",),
    "title": ('title en "Setup fee"',),
    # Sessions v2 only
    "locale": ("locale pt-BR",),
    "buyer": ("buyer tag tier gold",),
    "payment": ("payment methods PAYPAL, CARD",),
    "hide": ("hide payment methods WIRE",),
    "eds": ("eds fee USD 2.50",),
    "shipping": ("shipping fee USD 4.99",),
    "display": ('display en "Prime, billed monthly"',),
    "summary": ('summary en "Everything in Prime"',),
    "instructions": ('instructions en "Your key arrives by email"',),
    "image": ("image https://cdn.example.com/prime.png",),
}


# Keywords a statement also takes that its USAGE examples do not show.
OTHER_FORMS: dict[str, tuple[str, ...]] = {
    "expires": ("expires after 1 day",),
    "trial": ("trial 1 day paid",),
    "discount": ("discount 10% for 1 period",),
    "billed": ("billed every 1 month for 12 periods", "billed every 1 month for 1 period"),
}


@cache
def grammar_text() -> str:
    # Read beside this module, not through importlib.resources, whose import pulls in tempfile,
    # shutil and zipfile: offerlang always ships as files, so a plain path is enough.
    return (Path(__file__).parent / "grammar" / "offer.lark").read_text("utf-8")


LARK_OPTIONS = {
    "parser": "lalr",
    "lexer": "contextual",
    "propagate_positions": True,
    "maybe_placeholders": True,
}


@cache
def lark_parser() -> Lark:
    """The parser, built once per process, or loaded from the user's cache (building the LALR
    tables is most of `offer check`'s start-up; loading them takes a tenth of that)."""
    return cached_parser(usercache.cache_dir())


# What loading a damaged, truncated or stale (other Lark) cache file raises, besides OSError.
_DAMAGED_PICKLE = (
    pickle.UnpicklingError,
    EOFError,
    AttributeError,
    ValueError,
    TypeError,
    ImportError,
    IndexError,
    KeyError,
)


def cached_parser(directory: Path | None) -> Lark:
    """The parser, loaded from `directory` or built and saved there (None: always built).
    The folder is created private if new, and used only if it is the user's own."""
    directory = usercache.private_dir(directory) if directory is not None else None
    if directory is None:
        return Lark(grammar_text(), **LARK_OPTIONS)
    import hashlib

    import lark

    key = hashlib.sha256(f"{lark.__version__}\n{sorted(LARK_OPTIONS.items())}\n{grammar_text()}".encode())
    path = directory / f"parser-{key.hexdigest()[:32]}.lark"
    # The file is a pickle: it is loaded only from a folder and file that are the user's own.
    fh = usercache.open_file(path)
    if fh is not None:
        # A stale or damaged cache file is rebuilt, never fatal.
        with contextlib.suppress(OSError, *_DAMAGED_PICKLE), fh:
            return Lark.load(fh)
    parser = Lark(grammar_text(), **LARK_OPTIONS)
    usercache.write(path, parser.save)
    return parser


# ---- parse -------------------------------------------------------------------------------------


def parse(text: str) -> tuple[n.Offer | None, list[Diagnostic]]:
    """Parse decoded source. Returns the tree (None if the syntax is broken beyond recovery)
    and diagnostics.

    After a syntax error the offending part of its line is blanked and the text parsed again,
    so that independent mistakes on other lines are all reported in one run. When the blanked
    text parses, its tree is returned with the syntax errors, so the semantic checks run on
    the rest of the file too (`Offer.blanked` tells them which statements were lost). A brace
    is never blanked (that would invent new errors), except a stray `}`; nor is the end of file.
    """
    too_deep = _too_deep(text)
    if too_deep is not None:
        return None, [too_deep]
    diagnostics: list[Diagnostic] = []
    work = text
    seen_lines: set[int] = set()
    blanked_words: set[str] = set()
    while True:
        comments: list[Token] = []
        try:
            tree = _parse_tree(work, comments)
        except UnexpectedInput as exc:
            diag = _syntax_diagnostic(exc, work)
            diagnostics.append(diag)
            line = diag.span.line if diag.span else 0
            if (
                line in seen_lines
                or isinstance(exc, UnexpectedEOF)
                or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END")
                or len(diagnostics) >= MAX_SYNTAX_ERRORS
            ):
                return None, diagnostics
            seen_lines.add(line)
            repaired = _blank(work, diag)
            if repaired is None:
                return None, diagnostics
            work, word = repaired
            blanked_words.add(word)
            continue
        offer = _Builder().transform(tree)
        offer.comments = [n.Comment(str(t), _token_span(t)) for t in comments]
        offer.blanked = frozenset(blanked_words)
        return offer, diagnostics + _escape_errors(work) + _escape_warnings(offer, work)


def _parse_tree(text: str, comments: list[Token]) -> Tree[Token]:
    # Comments come from a small scan of their own rather than Lark's lexer_callbacks, so the
    # parser shared by the whole process holds no per-parse state.
    tree = lark_parser().parse(text)
    comments.extend(_comments(text))
    return tree


_COMMENT_OR_STRING = re.compile(r'"(?:[^"\\\r\n]|\\[^\r\n])*"?|#[^\r\n]*')


def _comments(text: str) -> list[Token]:
    out = []
    line_starts = _line_starts(text)
    for m in _COMMENT_OR_STRING.finditer(text):
        if m.group().startswith("#"):
            line, col = _line_col(line_starts, m.start())
            out.append(
                Token(
                    "COMMENT",
                    m.group(),
                    start_pos=m.start(),
                    line=line,
                    column=col,
                    end_line=line,
                    end_column=col + len(m.group()),
                    end_pos=m.end(),
                )
            )
    return out


def _code_only(text: str) -> str:
    """The text with strings and comments blanked out (same length), so braces and commas
    inside them are not taken for syntax."""
    return _COMMENT_OR_STRING.sub(lambda m: " " * len(m.group()), text)


# Public for the language server, which scans half-typed text for braces and `$references`.
code_only = _code_only


def _open_braces(code: str) -> list[int]:
    """Offsets of the `{` still open at the end of `code` (innermost last)."""
    stack: list[int] = []
    for i, ch in enumerate(code):
        if ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            stack.pop()
    return stack


def _too_deep(text: str) -> Diagnostic | None:
    """Blocks nested deeper than any offer needs (an item's setup fee is two levels) are refused
    before parsing: the tree builder is recursive, and thousands of levels would exhaust it."""
    depth = 0
    for i, ch in enumerate(_code_only(text)):
        if ch == "{":
            depth += 1
            if depth > MAX_BLOCK_DEPTH:
                line, col = _line_col(_line_starts(text), i)
                return error(
                    "E107",
                    f"blocks are nested more than {MAX_BLOCK_DEPTH} deep here",
                    n.Span(line, col, line, col + 1, i, i + 1),
                    "an offer nests at most an item and its setup fee; is a `}` missing?",
                )
        elif ch == "}" and depth:
            depth -= 1
    return None


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in re.finditer(r"\n", text))
    return starts


def _line_col(starts: list[int], offset: int) -> tuple[int, int]:
    i = bisect.bisect_right(starts, offset) - 1
    return i + 1, offset - starts[i] + 1


def _blank(text: str, diag: Diagnostic) -> tuple[str, str] | None:
    """The text with the error's statement blanked (same length, so spans stay true), and the
    first word of that line (what the checks must not report as missing). None when the
    line cannot be blanked without inventing new errors."""
    if diag.span is None:
        return None
    lines = text.split("\n")
    if not 1 <= diag.span.line <= len(lines):
        return None
    source = lines[diag.span.line - 1]
    body = source.rstrip("\r")
    code = _code_only(body)
    words = code.split()
    bad = min(diag.span.column - 1, len(body))
    braces = [i for i, ch in enumerate(code) if ch in "{}"]
    if not braces:
        start, end = 0, len(body)
    elif code[bad : bad + 1] == "}" and not _open_braces(_code_only(text[: diag.span.start])):
        start, end = bad, bad + 1  # a `}` that closes no block
    elif code[bad : bad + 1] == "}":
        # A statement cut short by its block's `}` (`price USD }`): blank the statement.
        start = max((i + 1 for i in braces if i < bad), default=0)
        end = bad
        if not code[start:end].strip():
            return None
    elif bad in braces:
        return None
    else:
        # Keep the braces: blank from the bad token up to the next one, or to the line's end.
        start = bad
        end = next((i for i in braces if i > bad), len(body))
    lines[diag.span.line - 1] = body[:start] + " " * (end - start) + body[end:] + source[len(body) :]
    whole_statement = words and start <= len(code) - len(code.lstrip())
    return "\n".join(lines), words[0] if whole_statement else ""


# ---- syntax errors -> diagnostics ------------------------------------------------------------


@cache
def _terminals() -> dict[str, TerminalDef]:
    """The grammar's terminals by name (what the parser's "expected" sets are made of)."""
    return {t.name: t for t in lark_parser().terminals}


def _expected_words(expected: set[str]) -> list[str]:
    by_name = _terminals()
    words = []
    for name in sorted(expected):
        term = by_name.get(name)
        if term is not None and term.pattern.type == "str":
            words.append(f"'{term.pattern.value}'")
        else:
            words.append(TERMINAL_WORDS.get(name, name))
    # A keyword list reads best in the grammar's alphabetical order; generic ones go last.
    return sorted(set(words), key=lambda w: (not w.startswith("'"), w))


def _in_statement(expected: set[str], text: str, line: int) -> set[str]:
    """The expected terminals that can continue the statement on that line. After a complete
    `price USD 9.99` the parser would also take `for` or `on`, because `discount` shares the
    money list; those belong to another statement and only confuse, so when the line starts
    with a known keyword, keywords that statement never uses are left out."""
    used = _statement_keywords(text, line)
    if not used:
        return expected
    by_name = _terminals()

    def foreign(name: str) -> bool:
        term = by_name.get(name)
        return (
            term is not None
            and term.pattern.type == "str"
            and term.pattern.value.isalpha()
            and (term.pattern.value not in used)
        )

    kept = {e for e in expected if not foreign(e)}
    return kept or expected


def _statement_keywords(text: str, line: int) -> set[str]:
    """The words of the statement on that line (from its USAGE), or none when the line does
    not start with a known keyword."""
    lines = text.split("\n")
    words = lines[line - 1].split() if 1 <= line <= len(lines) else []
    if not words or words[0] not in USAGE:
        return set()
    return {
        w
        for usage in (*USAGE[words[0]], *OTHER_FORMS.get(words[0], ()))
        for w in re.findall(r"[a-z]+", usage)
    }


def _accepted_at(text: str, pos: int) -> set[str]:
    """The terminals the parser takes at `pos`, where the text before it parses as a prefix;
    empty when it does not."""
    try:
        state = lark_parser().parse_interactive(text[:pos])
        state.exhaust_lexer()
        accepts: Callable[[], set[str]] = state.accepts  # untyped in Lark
        return set(accepts())
    except UnexpectedInput:
        return set()


def _keywords_in(expected: set[str]) -> list[str]:
    by_name = _terminals()
    return [
        by_name[e].pattern.value
        for e in expected
        if e in by_name and by_name[e].pattern.type == "str" and by_name[e].pattern.value.isalpha()
    ]


# A character of a word: the lexer may split a misspelt word after a keyword it starts with.
_WORD_CHAR = re.compile(r"[^\W\d]")  # a letter or `_`


def _word_at(text: str, pos: int) -> str:
    m = re.compile(r"[^\s\"#{},]+").match(text, pos)
    return m.group() if m else text[pos : pos + 1]


def _syntax_diagnostic(exc: UnexpectedInput, text: str) -> Diagnostic:
    diag = _raw_syntax_diagnostic(exc, text)
    if diag.hint is None and diag.span is not None:
        diag = replace(diag, hint=_line_hint(text, diag.span.line))
    return diag


def _line_hint(text: str, line: int) -> str | None:
    """A fallback hint for a syntax error: how the statement on that line is written."""
    lines = text.split("\n")
    source = lines[line - 1] if 1 <= line <= len(lines) else ""
    if any(q in source for q in "\u201c\u201d\u2018\u2019"):
        return 'use straight quotes `"…"`: curly quotes (from a word processor) do not start a string'
    words = source.split()
    if words and words[0] in USAGE:
        return "write it like " + " or ".join(f"`{usage}`" for usage in USAGE[words[0]])
    return None


def _write_instead(written: str, meant: str) -> Suggestion:
    """ "write `7.40`": the number as it should be, a fix of the number as written."""
    return Suggestion(f"write `{meant}`", meant, written)


def _thousands(text: str, pos: int) -> Diagnostic | None:
    """A number written with a thousands separator (`JPY 7,400`) whose comma made the error at
    `pos`: the parser read `7` as the amount and `400` as the next currency."""
    starts = _line_starts(text)
    line, _ = _line_col(starts, pos)
    begin = starts[line - 1]
    end = text.find("\n", begin)
    source = text[begin : len(text) if end == -1 else end]
    for m in THOUSANDS.finditer(source):
        if begin + m.start() <= pos <= begin + m.end() and not source[m.end() : m.end() + 1].isalnum():
            written = m.group()
            col = m.start() + 1
            span = n.Span(line, col, line, col + len(written), begin + m.start(), begin + m.end())
            return error(
                "E102",
                f"`{written}` has a thousands separator; numbers in an offer have none",
                span,
                _write_instead(written, written.replace(",", "")),
            )
    # One or two digits after the comma: a decimal comma (`USD 7,40`), not thousands.
    for m in DECIMAL_COMMA.finditer(source):
        after = source[m.end() : m.end() + 1]
        if begin + m.start() <= pos <= begin + m.end() and not (after.isalnum() or after == "."):
            written = m.group()
            col = m.start() + 1
            span = n.Span(line, col, line, col + len(written), begin + m.start(), begin + m.end())
            return error(
                "E102",
                f"`{written}` has a decimal comma; numbers in an offer have a decimal point",
                span,
                _write_instead(written, written.replace(",", ".")),
            )
    return None


def _raw_syntax_diagnostic(exc: UnexpectedInput, text: str) -> Diagnostic:
    pos = getattr(exc, "pos_in_stream", None)
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        pos = exc.token.start_pos
    if pos is not None:
        thousands = _thousands(text, pos)
        if thousands is not None:
            return thousands
    if isinstance(exc, UnexpectedCharacters):
        # The lexer always knows where it stopped (Lark types the field as optional).
        line, col, pos = exc.line, exc.column, exc.pos_in_stream or 0
        ch = text[pos] if pos < len(text) else ""
        if ch == '"':
            end = text.find("\n", pos)
            end = len(text) if end == -1 else end
            span = n.Span(line, col, line, col + len(text[pos:end].rstrip("\r")), pos, end)
            return error(
                "E103",
                "this string is not closed before the end of the line",
                span,
                'add the closing `"`; a string cannot span lines (use `\\n` for a line break)',
            )
        misspelt = _split_word(text, pos, line, col)
        if misspelt is not None:
            return misspelt
        word = _word_at(text, pos)
        span = n.Span(line, col, line, col + max(len(word), 1), pos, pos + max(len(word), 1))
        allowed = _in_statement(set(exc.allowed or ()), text, line)
        expected = _expected_words(allowed)
        hint = did_you_mean_hint(word, _keywords_in(allowed))
        if ch.isspace() or unicodedata.category(ch or " ") in ("Cf", "Cc"):
            # Invisible characters (a no-break space pasted from a document, a zero-width
            # space) look like nothing on screen: name them, or the message is a riddle.
            span = n.Span(line, col, line, col + 1, pos, pos + 1)
            if ch == "\r":
                return error(
                    "E101",
                    "a carriage return (U+000D) on its own is not a line break here",
                    span,
                    "save the file with LF or CRLF line endings",
                )
            name = unicodedata.name(ch, "control character").lower()
            return error(
                "E101",
                f"unexpected invisible character U+{ord(ch):04X} ({name})",
                span,
                "replace it with a plain space, or delete it; it often comes from copying text "
                "out of a document or a web page",
            )
        if ch in "{},":
            return error("E101", f"unexpected `{ch}` here; expected {or_list(expected)}", span, hint)
        return error("E102", f"unexpected `{word}`; expected {or_list(expected)}", span, hint)
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            return _eof_diagnostic(text, set(exc.expected))
        span = _token_span(tok)
        accepted = _in_statement(set(exc.expected), text, tok.line)
        kws = _keywords_in(accepted)
        value = str(tok)
        if tok.type == "_NL":
            span = n.Span(tok.line, tok.column, tok.line, tok.column + 1, tok.start_pos, tok.start_pos)
            return error(
                "E102",
                f"this line ends too early; expected {or_list(_expected_words(accepted))}",
                span,
                None,
            )
        before = _code_only(text[: tok.start_pos])
        if before.rstrip().endswith(","):
            comma = len(before.rstrip()) - 1
            line, col = _line_col(_line_starts(text), comma)
            return error(
                "E102",
                "this `,` is not followed by another amount",
                n.Span(line, col, line, col + 1, comma, comma + 1),
                "remove the `,`, or add the next amount after it (e.g. `, EUR 8.99`)",
            )
        if tok.type == "RBRACE" and not _open_braces(before):
            return error(
                "E102",
                "this `}` closes no block: every `{` above is already closed",
                span,
                "remove it, or check the braces above for one `}` too many",
            )
        if tok.type == "NAME" and value in CURRENCIES and "COMMA" in accepted:
            return error(
                "E102",
                f"a `,` is missing before `{value}`",
                span,
                f"separate the amounts with commas, e.g. `USD 9.99, {value} 8.99`",
            )
        misspelt = _split_word(text, tok.start_pos, tok.line, tok.column)
        if misspelt is not None:
            return misspelt
        return error(
            "E102",
            f"unexpected `{value}`; expected {or_list(_expected_words(accepted))}",
            span,
            did_you_mean_hint(value, kws),
        )
    if isinstance(exc, UnexpectedEOF):
        return _eof_diagnostic(text, set(exc.expected))
    raise exc  # pragma: no cover - Lark has no other UnexpectedInput


def _split_word(text: str, pos: int, line: int, col: int) -> Diagnostic | None:
    """A misspelt word the lexer cut after a keyword it starts with (`dayss` is read as `days`
    then `s`, `freebie` as `free` then `bie`), reported whole, with what the parser takes where
    it starts; None when the error is not inside a word."""
    start = pos
    while start > 0 and _WORD_CHAR.match(text[start - 1]):
        start -= 1
    if start == pos or not _WORD_CHAR.match(text[pos : pos + 1]):
        return None
    col -= pos - start
    word = _word_at(text, start)
    span = n.Span(line, col, line, col + len(word), start, start + len(word))
    expected = _in_statement(_accepted_at(text, start), text, line)
    read = text[start:pos]  # the keyword the lexer took the word's start for (`free` of `freebie`)
    hint = (
        did_you_mean_hint(word, _keywords_in(expected))
        or did_you_mean_hint(word, _statement_keywords(text, line))
        or (suggest(read) if read in _keywords_in(expected) else None)
    )
    return error("E102", f"unexpected `{word}`; expected {or_list(_expected_words(expected))}", span, hint)


def _eof_diagnostic(text: str, expected: set[str]) -> Diagnostic:
    lines = text.split("\n")
    line = len(lines)
    col = len(lines[-1].rstrip("\r")) + 1
    if lines[-1].strip() == "" and line > 1:
        line -= 1
        col = len(lines[line - 1].rstrip("\r")) + 1
    span = n.Span(line, col, line, col + 1, len(text), len(text))
    if "RBRACE" in expected:
        unclosed = _open_braces(_code_only(text))
        block = "every `{`"
        if unclosed:
            line_no, _ = _line_col(_line_starts(text), unclosed[-1])
            block = f"`{lines[line_no - 1].strip()}` (line {line_no})"
            nested = _block_inside(text, unclosed[-1])
            if nested is not None:
                return error(
                    "E105",
                    f"a `}}` is probably missing before line {nested.line}: the block opened on line "
                    f"{line_no} is still open here",
                    nested,
                    f"close {block} with a `}}` on its own line above this one",
                )
        return error(
            "E105",
            "the file ends inside a block: a `}` is missing",
            span,
            f"close {block} with a `}}` on its own line",
        )
    return error("E105", f"the file ends too early; expected {or_list(_expected_words(expected))}", span)


# Blocks that are never written inside the block the file ends in (a `setup fee` belongs in an item).
_NEVER_NESTED = {"item": ("item", "contact", "setup"), "contact": ("item", "contact", "setup")}


def _block_inside(text: str, opening: int) -> n.Span | None:
    """The first block opened directly inside the still-open block at `opening` where it cannot
    belong (`item b {` inside `item a {`): the `}` of the outer block was surely forgotten
    there, which says more than "the file ends inside a block" at its last line."""
    code = _code_only(text)
    starts = _line_starts(text)
    outer_line, _ = _line_col(starts, opening)
    outer = code[starts[outer_line - 1] : opening].split()
    barred = _NEVER_NESTED.get(outer[0] if outer else "", ("item", "contact"))
    for start in starts[outer_line:]:
        end = code.find("\n", start)
        line_code = code[start : len(code) if end == -1 else end]
        words = line_code.split()
        if words and words[0] in barred and "{" in line_code and len(_open_braces(code[opening:start])) == 1:
            line, col = _line_col(starts, start + line_code.index(words[0]))
            begin = start + col - 1
            return n.Span(line, col, line, col + len(words[0]), begin, begin + len(words[0]))
    return None


def _token_span(tok: Token) -> n.Span:
    return n.Span(
        tok.line or 1,
        tok.column or 1,
        tok.end_line or tok.line or 1,
        tok.end_column or (tok.column or 1) + len(tok),
        tok.start_pos or 0,
        tok.end_pos or 0,
    )


def _meta_span(meta: Meta) -> n.Span:
    if getattr(meta, "empty", True):
        return n.Span(1, 1, 1, 1)
    return n.Span(meta.line, meta.column, meta.end_line, meta.end_column, meta.start_pos, meta.end_pos)


# ---- tree -> nodes ---------------------------------------------------------------------------

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "$": "$"}
_ESCAPE_RE = re.compile(r"\\(u\{[0-9A-Fa-f]{1,6}\}|u[0-9A-Fa-f]{4}|.)")


def _escaped(esc: str) -> str | None:
    """The character an escape stands for (`esc` is what follows the backslash), or None when
    offerlang does not know it."""
    if esc in _ESCAPES:
        return _ESCAPES[esc]
    if esc.startswith("u") and len(esc) > 1:
        code = int(esc[2:-1] if esc.startswith("u{") else esc[1:], 16)
        if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code)
    return None


def _unescape(quoted: str) -> str:
    """The value of a string token; an unknown escape stays as written (E106 reports it)."""
    return _ESCAPE_RE.sub(lambda m: _escaped(m.group(1)) or m.group(), quoted[1:-1])


def _escape_errors(text: str) -> list[Diagnostic]:
    """E106 for each unknown escape in the strings of text that parsed. Escapes are lexical,
    so they are read from the text here, and the tree builder stays purely structural."""
    out = []
    starts = _line_starts(text)
    for string in _COMMENT_OR_STRING.finditer(text):
        if not string.group().startswith('"'):
            continue
        for m in _ESCAPE_RE.finditer(string.group(), 1, len(string.group()) - 1):
            if _escaped(m.group(1)) is not None:
                continue
            offset = string.start() + m.start()
            line, col = _line_col(starts, offset)
            out.append(
                error(
                    "E106",
                    f"`\\{m.group(1)}` is not an escape offerlang knows",
                    n.Span(line, col, line, col + len(m.group()), offset, offset + len(m.group())),
                    'known escapes: \\" \\\\ \\n \\t \\r \\$ \\u0041 \\u{1F600}; '
                    "write `\\\\` for a backslash",
                )
            )
    return out


# An escape for a control character between two letters of a value with no blank in it
# (`"email\newsletter"`, `"C:\temp"`): far more likely a backslash meant as itself.
_WORD_ESCAPE = re.compile(r"[A-Za-z](\\[ntr])[A-Za-z]")


def _escape_warnings(offer: n.Offer, text: str) -> list[Diagnostic]:
    """W307 for a tag (an order's or a buyer's), attribute or setup-fee title that looks like
    one word but holds a line break or tab from an escape."""
    values: list[n.Value] = []
    tags: list[n.Tag | n.BuyerTag] = [*offer.of(n.Tag), *offer.of(n.BuyerTag)]
    for tag in tags:
        values += [tag.key, tag.value]
    for item in offer.items:
        for c in item.clauses:
            if isinstance(c, n.Attribute):
                values += [c.key, c.value]
            elif isinstance(c, n.SetupFee):
                values += [t.text for t in c.titles]
    out = []
    for v in values:
        if not isinstance(v, n.Text) or not v.quoted:
            continue
        raw = text[v.span.start : v.span.end]
        m = _WORD_ESCAPE.search(raw)
        if m is None or " " in raw:
            continue
        offset = v.span.start + m.start(1)
        line, col = v.span.line, v.span.column + m.start(1)
        escape = m.group(1)
        name = {"\\n": "a line break", "\\t": "a tab", "\\r": "a carriage return"}[escape]
        fixed = raw[: m.start(1)] + "\\" + raw[m.start(1) :]
        out.append(
            warning(
                "W307",
                f"`{escape}` in this value is {name}, not a backslash and `{escape[1]}`",
                n.Span(line, col, line, col + 2, offset, offset + 2),
                Suggestion(f"did you mean a backslash? write `\\\\`: {fixed}", "\\" + escape),
            )
        )
    return out


# What the rules below return for the pieces of a clause, before the clause is built.
_DiscountValue = tuple[DiscountKind, Any]  # (PERCENT, Number) or (AMOUNT, list[Money])


@v_args(meta=True)
class _Builder(Transformer[Token, n.Offer]):
    """Tree -> nodes. Structural only: what is wrong with the tree is for checks.py to say.

    Each method is named after a grammar rule and gets that rule's children already
    transformed (tokens stay Tokens); `None` stands for an optional part that is absent
    (maybe_placeholders)."""

    # leaves
    def value(self, meta: Meta, children: list[Token]) -> n.Value:
        tok = children[0]
        span = _token_span(tok)
        if tok.type == "STRING":
            return n.Text(_unescape(str(tok)), span, quoted=True)
        if tok.type == "PARAM_REF":
            return n.ParamRef(str(tok)[1:], span)
        return n.Text(str(tok), span)

    def _number(self, tok: Token) -> n.Number:
        return n.Number(str(tok), Decimal(str(tok)), _token_span(tok))

    def _name(self, tok: Token) -> n.Name:
        return n.Name(str(tok), _token_span(tok))

    def _amount(self, tok: Token) -> n.Amount:
        if tok.type == "PARAM_REF":
            return n.ParamRef(str(tok)[1:], _token_span(tok))
        return self._number(tok)

    def money(self, meta: Meta, children: list[Token]) -> n.Money:
        cur, amount = children
        return n.Money(self._name(cur), self._amount(amount), _meta_span(meta))

    def money_list(self, meta: Meta, children: list[n.Money]) -> list[n.Money]:
        return list(children)

    # top level
    def start(self, meta: Meta, children: list[n.Clause]) -> n.Offer:
        return n.Offer(list(children), span=_meta_span(meta))

    def account(self, meta: Meta, children: list[n.Value]) -> n.Account:
        return n.Account(_meta_span(meta), children[0])

    def contact_field(self, meta: Meta, children: tuple[Token, n.Value]) -> n.ContactField:
        kw, value = children
        return n.ContactField(_meta_span(meta), str(kw), value)

    def contact(self, meta: Meta, children: list[n.ContactField | n.Unknown]) -> n.Contact:
        fields = [c for c in children if isinstance(c, n.ContactField)]
        unknown = [c for c in children if isinstance(c, n.Unknown)]
        return n.Contact(_meta_span(meta), fields, unknown)

    def lookup(self, meta: Meta, children: list[n.Value]) -> n.Lookup:
        return n.Lookup(_meta_span(meta), children[0])

    def coupon(self, meta: Meta, children: list[n.Value]) -> n.Coupon:
        return n.Coupon(_meta_span(meta), children[0])

    def expires(self, meta: Meta, children: list[Token]) -> n.Expires:
        return n.Expires(_meta_span(meta), self._number(children[0]))

    def tag(self, meta: Meta, children: list[n.Value]) -> n.Tag:
        return n.Tag(_meta_span(meta), children[0], children[1])

    def param(self, meta: Meta, children: list[Token]) -> n.Param:
        return n.Param(_meta_span(meta), self._name(children[0]), self._name(children[1]))

    # items
    def item(self, meta: Meta, children: tuple[n.Value, list[n.Clause] | None]) -> n.Item:
        product, body = children
        return n.Item(_meta_span(meta), product, body or [], has_body=body is not None)

    def item_body(self, meta: Meta, children: list[n.Clause]) -> list[n.Clause]:
        return list(children)

    def quantity(self, meta: Meta, children: list[Token]) -> n.Quantity:
        return n.Quantity(_meta_span(meta), self._number(children[0]))

    def quantity_default(self, meta: Meta, children: list[Token]) -> n.QuantityDefault:
        return n.QuantityDefault(_meta_span(meta), self._number(children[0]))

    def quantity_behavior(self, meta: Meta, children: list[Token]) -> n.QuantityBehavior:
        return n.QuantityBehavior(_meta_span(meta), self._name(children[0]))

    def price(self, meta: Meta, children: list[list[n.Money]]) -> n.Price:
        return n.Price(_meta_span(meta), children[0])

    def trial(self, meta: Meta, children: tuple[n.Number | None, TrialKind | None, bool | None]) -> n.Trial:
        length, kind, card = children
        return n.Trial(_meta_span(meta), length, kind, card)

    def trial_length(self, meta: Meta, children: list[Token]) -> n.Number:
        return self._number(children[0])

    def trial_kind(self, meta: Meta, children: list[Token]) -> TrialKind:
        return TrialKind(str(children[0]))

    def card(self, meta: Meta, children: list[bool]) -> bool:
        return children[-1]

    def card_required(self, meta: Meta, children: list[Token]) -> bool:
        return True

    def no_card_required(self, meta: Meta, children: list[Token]) -> bool:
        return False

    def trial_price(self, meta: Meta, children: list[list[n.Money]]) -> n.TrialPrice:
        return n.TrialPrice(_meta_span(meta), children[0])

    def billed_every(self, meta: Meta, children: tuple[Token | None, Token, n.Number | None]) -> n.Billed:
        length, unit, periods = children
        return n.Billed(
            _meta_span(meta),
            True,
            self._number(length) if length is not None else None,
            self._name(unit),
            None,
            periods,
        )

    def billed_count(self, meta: Meta, children: tuple[Token]) -> n.Number:
        return self._number(children[0])

    # `for N periods` is read after every form, so that a wrong form's hint keeps it.
    def billed_words(self, meta: Meta, children: tuple[Token, Token, n.Number | None]) -> n.Billed:
        count, unit, periods = children
        return n.Billed(_meta_span(meta), True, None, self._name(unit), self._name(count), periods)

    def billed_plain(self, meta: Meta, children: tuple[Token, n.Number | None]) -> n.Billed:
        unit, periods = children
        return n.Billed(_meta_span(meta), False, None, self._name(unit), None, periods)

    def renew(self, meta: Meta, children: list[Token]) -> n.Renew:
        return n.Renew(_meta_span(meta), self._name(children[0]))

    def discount(
        self, meta: Meta, children: tuple[_DiscountValue, n.Number | None, n.Number | None]
    ) -> n.Discount:
        value, from_q, periods = children
        kind, payload = value
        return n.Discount(
            _meta_span(meta),
            payload if kind is DiscountKind.PERCENT else None,
            payload if kind is DiscountKind.AMOUNT else None,
            from_q,
            periods,
        )

    def percent_off(self, meta: Meta, children: list[Token]) -> _DiscountValue:
        return (DiscountKind.PERCENT, self._number(children[0]))

    def amount_off(self, meta: Meta, children: list[list[n.Money]]) -> _DiscountValue:
        return (DiscountKind.AMOUNT, children[0])

    def discount_from(self, meta: Meta, children: list[Token]) -> n.Number:
        return self._number(children[0])

    def discount_for(self, meta: Meta, children: list[Token]) -> n.Number:
        return self._number(children[0])

    def attribute(self, meta: Meta, children: list[n.Value]) -> n.Attribute:
        return n.Attribute(_meta_span(meta), children[0], children[1])

    def setup_fee(self, meta: Meta, children: list[n.FeeTitle | n.FeePrice | n.Unknown]) -> n.SetupFee:
        return n.SetupFee(
            _meta_span(meta),
            [c for c in children if isinstance(c, n.FeeTitle)],
            [c for c in children if isinstance(c, n.FeePrice)],
            [c for c in children if isinstance(c, n.Unknown)],
        )

    def fee_title(self, meta: Meta, children: tuple[Token, n.Value]) -> n.FeeTitle:
        return n.FeeTitle(_meta_span(meta), self._name(children[0]), children[1])

    def fee_price(self, meta: Meta, children: list[list[n.Money]]) -> n.FeePrice:
        return n.FeePrice(_meta_span(meta), children[0])

    # Sessions v2 only
    def locale(self, meta: Meta, children: tuple[n.Value]) -> n.Locale:
        return n.Locale(_meta_span(meta), children[0])

    def buyer_tag(self, meta: Meta, children: tuple[n.Value, n.Value]) -> n.BuyerTag:
        return n.BuyerTag(_meta_span(meta), children[0], children[1])

    def method_list(self, meta: Meta, children: list[Token]) -> list[n.Name]:
        return [self._name(tok) for tok in children]

    def payment_order(self, meta: Meta, children: tuple[list[n.Name]]) -> n.PaymentOrder:
        return n.PaymentOrder(_meta_span(meta), children[0])

    def payment_hide(self, meta: Meta, children: tuple[list[n.Name]]) -> n.PaymentHide:
        return n.PaymentHide(_meta_span(meta), children[0])

    def eds_fee(self, meta: Meta, children: tuple[list[n.Money]]) -> n.EdsFee:
        return n.EdsFee(_meta_span(meta), children[0])

    def shipping_fee(self, meta: Meta, children: tuple[list[n.Money]]) -> n.ShippingFee:
        return n.ShippingFee(_meta_span(meta), children[0])

    def description(self, meta: Meta, children: tuple[Token, Token, n.Value]) -> n.Description:
        kind, language, text = children
        return n.Description(_meta_span(meta), str(kind), self._name(language), text)

    def image(self, meta: Meta, children: tuple[n.Value]) -> n.Image:
        return n.Image(_meta_span(meta), children[0])

    def unknown(self, meta: Meta, children: list[Any]) -> n.Unknown:
        # NAME, then values, commas and at most one body, in any mix the grammar allows.
        name = self._name(children[0])
        args: list[str] = []
        body: list[n.Unknown] = []
        for c in children[1:]:
            if isinstance(c, list):
                body = c
            elif isinstance(c, n.Text):
                args.append(c.value)
            elif isinstance(c, n.ParamRef):
                args.append("$" + c.name)
            elif isinstance(c, Token):
                args.append(str(c))
        return n.Unknown(_meta_span(meta), name, args, body)

    def unknown_body(self, meta: Meta, children: list[n.Unknown | None]) -> list[n.Unknown]:
        return [c for c in children if c is not None]
