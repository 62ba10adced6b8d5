"""Waivers: an offer sets a policy rule aside where finance agreed, in the file, with a reason.

    # offer: allow P103 — approved by finance, ticket 123

A waiver is a comment. Inside an item's braces, on its `item` line, or in the comment lines
directly above it (no blank line between), it covers that item; anywhere else, the whole offer.
A rule about the session (required tags, coupons, expiration) is waived for the whole offer
wherever its waiver stands.
A comment is a waiver when its verb is `allow` (a near miss of it, `alow`, or a code where the
verb belongs, is a waiver written wrong: an error); `# Offer: spring sale` is only a comment.
It names one or more policy codes (`allow P103, P106 — …`) and must give a reason after `—`,
`–`, `--`, `-` or `:`. Only policy rules (P1xx) can be waived: an error of the language or the
catalog is fixed, not waived. Waivers show in `explain`, `diff` and the JSON output, so a
reviewer sees every rule an offer sets aside and why; one that waives nothing is a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from offerlang.compiler import nodes as n
from offerlang.compiler.diagnostics import Diagnostic, did_you_mean, did_you_mean_hint, error, warning
from offerlang.store.policy import BY_CODE

_DIRECTIVE = re.compile(r"#\s*offer\s*:\s*(?P<verb>[^\s:]*)\s*(?P<rest>.*)$", re.IGNORECASE)
_CODE = re.compile(r"[A-Za-z]\d{3}")
_LEADING_CODE = re.compile(r"[A-Za-z]\d{3}\b")
_RULE = re.compile(
    r"(?P<codes>[A-Za-z]\d{3}(?:\s*,\s*[A-Za-z]\d{3})*)\s*"
    r"(?:(?:—|–|--|-|:)\s*(?P<reason>.*?))?\s*$"
)
FORM = "# offer: allow P103 — the reason finance agreed"


@dataclass(slots=True)
class Waiver:
    codes: tuple[str, ...]
    reason: str
    item: str | None  # the product path it covers, or None: the whole offer
    span: n.Span  # the comment
    lines: tuple[int, int] | None  # the lines it covers (an item's), or None: every line
    used: set[str] = field(default_factory=set)

    def covers(self, d: Diagnostic) -> bool:
        if d.code not in self.codes:
            return False
        if self.lines is None or BY_CODE[d.code].session:
            return True
        return d.span is not None and self.lines[0] <= d.span.line <= self.lines[1]

    def to_json(self) -> dict[str, object]:
        return {
            "codes": list(self.codes),
            "rules": [BY_CODE[c].name for c in self.codes],
            "reason": self.reason,
            "item": self.item,
            "line": self.span.line,
            "used": sorted(self.used),
        }


def read_waivers(offer: n.Offer) -> tuple[list[Waiver], list[Diagnostic]]:
    """Every waiver comment of the offer, and the problems of those that cannot be read."""
    waivers: list[Waiver] = []
    problems: list[Diagnostic] = []
    comment_lines = _comment_lines(offer)
    for comment in offer.comments:
        m = _DIRECTIVE.match(comment.text)
        if m is None:
            continue
        verb, rest = m.group("verb"), m.group("rest")
        if not _meant_as_waiver(verb, rest):
            continue  # `# Offer: spring sale for returning buyers` is a comment, not a waiver
        if verb.lower() != "allow":
            problems.append(
                error(
                    "E408",
                    f"`{verb or rest}` is not a waiver: an `# offer:` comment says `allow` and the codes",
                    _part(comment, m.start("verb"), max(m.end("verb"), m.end("rest"))),
                    did_you_mean_hint(verb, ["allow"], f"write `{FORM}`") if verb else f"write `{FORM}`",
                )
            )
            continue
        rule = _RULE.match(rest)
        if rule is None:
            problems.append(
                error(
                    "E408",
                    "this waiver does not name the policy codes it allows",
                    _part(comment, m.start("rest"), m.end("rest")),
                    f"write `{FORM}`",
                )
            )
            continue
        codes: list[str] = []
        for found in _CODE.finditer(rule.group("codes")):
            code = found.group().upper()
            start = m.start("rest") + found.start()
            where = _part(comment, start, start + 4)
            if code in BY_CODE:
                codes.append(code)
            elif code[0] == "P":
                # No "did you mean": a code one digit away is another rule, not a typo to guess.
                hint = f"the policy rules are {min(BY_CODE)} to {max(BY_CODE)} (docs/store.md)"
                problems.append(error("E408", f"`{code}` is not a policy rule", where, hint))
            else:
                problems.append(
                    error(
                        "E408",
                        f"`{code}` cannot be waived: only policy rules (P1xx) can",
                        where,
                        "an error of the offer or the catalog is fixed, not waived",
                    )
                )
        reason = (rule.group("reason") or "").strip()
        if not reason:
            problems.append(
                error(
                    "E407",
                    "a waiver needs a reason",
                    _part(comment, m.start(), len(comment.text)),
                    f"say why after the codes: `{FORM}`",
                )
            )
            continue
        if codes:
            item, lines = _scope(offer, comment, comment_lines)
            waivers.append(Waiver(tuple(dict.fromkeys(codes)), reason, item, comment.span, lines))
    return waivers, problems


def _meant_as_waiver(verb: str, rest: str) -> bool:
    """Is an `# offer:` comment a waiver (or a misspelt one, worth an error)? Its verb is
    `allow` or a near miss of it (`alow`, `allows`), or it names a code where the verb or the
    first word after it stands (`# offer: P103 — …`, `# offer: waive P103 — …`). Anything else
    is prose that happens to start with "offer:"."""
    if verb.lower() == "allow" or did_you_mean(verb, ["allow"]) is not None:
        return True
    return bool(_CODE.fullmatch(verb.rstrip(",")) or _LEADING_CODE.match(rest))


def apply(waivers: list[Waiver], diags: list[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics no waiver covers; each waiver records the codes it set aside."""
    kept: list[Diagnostic] = []
    for d in diags:
        waiver = next((w for w in waivers if w.covers(d)), None)
        if waiver is None:
            kept.append(d)
        else:
            waiver.used.add(d.code)
    return kept


def unused(waivers: list[Waiver]) -> list[Diagnostic]:
    out = []
    for w in waivers:
        idle = [c for c in w.codes if c not in w.used]
        if idle:
            where = f"item `{w.item}`" if w.item else "this offer"
            codes = ", ".join(idle)
            out.append(
                warning(
                    "W405",
                    f"the waiver for {codes} waives nothing: {where} breaks no such rule",
                    w.span,
                    "remove the waiver (or the code), so it cannot hide a later problem",
                )
            )
    return out


def _comment_lines(offer: n.Offer) -> set[int]:
    """Lines that hold a comment and nothing else (a comment after a statement shares its line)."""
    taken: set[int] = set()
    for clause in offer.clauses:
        taken.update(range(clause.span.line, clause.span.end_line + 1))
    return {c.span.line for c in offer.comments} - taken


def _part(comment: n.Comment, start: int, end: int) -> n.Span:
    s = comment.span
    line = s.line
    return n.Span(
        line, s.column + start, line, s.column + max(end, start + 1), s.start + start, s.start + end
    )


def _scope(
    offer: n.Offer, comment: n.Comment, comment_lines: set[int]
) -> tuple[str | None, tuple[int, int] | None]:
    """The item a waiver comment covers, or (None, None): the whole offer."""
    line = comment.span.line
    for item in offer.items:
        first, last = item.span.line, item.span.end_line
        inside = first <= line <= last
        above = line < first and all(x in comment_lines for x in range(line, first))
        if inside or above:
            product = item.product.value if isinstance(item.product, n.Text) else None
            return product, (first, last)
    return None, None
