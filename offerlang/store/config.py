"""The project config: `offers.toml`, or `[tool.offerlang]` in a `pyproject.toml`.

Found the way ruff finds its config: from the offer's folder upwards, the first folder with an
`offers.toml`, or a `pyproject.toml` that has a `[tool.offerlang]` table (an `offers.toml`
beside it wins), stopping after the repository root (the folder holding `.git`). It names the
store, its catalog file and the policy; the v2 target (issue 15) also reads `target` and
`checkout` from it. Every problem in it is a Diagnostic at `offers.toml:line:col` (positions
from store/tomlpos.py), with "did you mean" for a misspelt key, like a problem in an offer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offerlang.compiler.diagnostics import Diagnostic, did_you_mean, did_you_mean_hint, error, sort_key
from offerlang.compiler.nodes import Span
from offerlang.compiler.source import UnreadableFile, read_file
from offerlang.iso import CURRENCIES
from offerlang.language import minor_units
from offerlang.store.policy import BY_NAME, MAX_RATIO, RULES, SEVERITIES, Active, Key, Policy, Rule
from offerlang.text import or_list

if TYPE_CHECKING:
    from offerlang.store.tomlpos import KeyPath, Located

CONFIG_FILE = "offers.toml"
PYPROJECT = "pyproject.toml"
TARGETS = ("sessions-v1", "sessions-v2")
DEFAULT_TARGET = "sessions-v1"
TOP_KEYS = ("store", "catalog", "target", "checkout", "policy")

# A FastSpring store id (as `offer send --store` takes it) and a v2 checkout, `store/type-name`
# with the type FastSpring fixes per checkout (../shared/fastspring/SESSIONS-V2.md).
STORE_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
CHECKOUT = re.compile(rf"(?P<store>{STORE_ID.pattern})/(?P<type>[a-z]+)-(?P<name>[A-Za-z0-9_-]+)")
CHECKOUT_TYPES = ("popup", "embedded", "web")
# `(at line 3, column 9)` in tomllib's messages.
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END = re.compile(r"\s*\(at end of document\)$")
_GLOB = re.compile(r"[*?\[]")


@dataclass
class Config:
    path: Path  # the file, absolute
    shown: str  # the file as messages name it (relative to the current folder when below it)
    text: str | None
    root: KeyPath  # where offerlang's keys live in the file: () or ("tool", "offerlang")
    store: str | None = None
    catalog: Path | None = None  # resolved against the config's folder
    target: str = DEFAULT_TARGET
    checkout: str | None = None
    policy: Policy = field(default_factory=Policy.defaults)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    located: dict[KeyPath, Located] = field(default_factory=dict)
    read: bool = False  # the file could be read as TOML (else nothing in it is known)
    # Top-level keys an error is about (an unknown key counts as the key it looks like: a
    # `catalgo` is a broken `catalog`).
    broken: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    def reliable(self, *keys: str) -> bool:
        """Are these top-level settings what the file means, whatever errors it has elsewhere?
        False when the file could not be read, or an error is about one of them."""
        return self.read and not self.broken.intersection(keys)

    def span(self, *path: str | int) -> Span | None:
        """Where a key of offerlang's table is written (its parent's place when it is not)."""
        from offerlang.store.tomlpos import nearest

        found = nearest(self.located, (*self.root, *path))
        return found.value if found is not None else None

    def key_span(self, *path: str | int) -> Span | None:
        from offerlang.store.tomlpos import nearest

        found = nearest(self.located, (*self.root, *path))
        if found is None:
            return None
        return found.key or found.value


def shown_path(path: Path) -> str:
    """`path` relative to the current folder when it lies below it, else absolute."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if rel.startswith("..") else rel


def find_config(start: Path) -> Path | None:
    """The config file that applies to offers in folder `start`, or None."""
    folder = Path(os.path.abspath(start))
    while True:
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _names_offerlang(pyproject):
            return pyproject
        if (folder / ".git").exists() or folder.parent == folder:
            return None
        folder = folder.parent


def _names_offerlang(pyproject: Path) -> bool:
    """Does this pyproject.toml have a [tool.offerlang] table? A broken file that mentions
    offerlang counts (loading it reports why it is broken); one that does not is someone else's."""
    import tomllib

    try:
        text = pyproject.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "offerlang" not in text:
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return True
    tool = data.get("tool")
    return isinstance(tool, dict) and "offerlang" in tool


def load_config(path: Path) -> Config:
    """Read and validate a config file. Never raises for bad content: every problem is a
    diagnostic in `Config.diagnostics`, and what could be read is used."""
    import tomllib

    from offerlang.store.tomlpos import locate

    path = Path(os.path.abspath(path))
    is_pyproject = path.name == PYPROJECT
    root: KeyPath = ("tool", "offerlang") if is_pyproject else ()
    config = Config(path, shown_path(path), None, root)
    try:
        src = read_file(path, kind="config")
    except UnreadableFile as exc:
        problem = error("E402", f"the config file cannot be read: {exc}", None)
        config.diagnostics.append(problem.at(config.shown))
        return config
    if src.text is None:
        config.diagnostics = [d.at(config.shown) for d in src.diagnostics]
        return config
    config.text = src.text
    try:
        data = tomllib.loads(src.text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        config.diagnostics.append(_syntax_error(str(exc), src.text).at(config.shown))
        return config
    config.located = locate(src.text)
    config.read = True
    table: Any = data
    for key in root:
        table = table.get(key, {}) if isinstance(table, dict) else {}
    _Reader(config).read(table)
    config.diagnostics = sorted((d.at(config.shown) for d in config.diagnostics), key=sort_key)
    return config


def _syntax_error(message: str, text: str) -> Diagnostic:
    at = _TOML_AT.search(message)
    if at:
        line, column = int(at.group(1)), int(at.group(2))
        span: Span | None = Span(line, column, line, column + 1)
        message = message[: at.start()]
    else:
        lines = text.split("\n")
        last = len(lines)
        span = Span(last, len(lines[-1]) + 1, last, len(lines[-1]) + 2)
        message = _TOML_END.sub("", message)
    return error(
        "E402",
        f"the config file is not valid TOML: {message[:1].lower()}{message[1:]}",
        span,
        "see https://toml.io for the syntax",
    )


_KIND_WORDS = {
    "string": "a string in quotes",
    "integer": "a whole number",
    "number": "a number",
    "list": 'a list, e.g. ["a", "b"]',
    "table": "a table",
}


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


class _Reader:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.out = config.diagnostics

    # ---- reporting ------------------------------------------------------------------------------

    def problem(self, message: str, path: tuple[str | int, ...], hint: str | None = None) -> None:
        self.out.append(error("E404", message, self.config.span(*path), hint))
        # An error about the whole table (`tool.offerlang` is not one) is about every key.
        self.config.broken.update([str(path[0])] if path else TOP_KEYS)

    def unknown(self, key: str, path: tuple[str | int, ...], known: Iterable[str], where: str) -> None:
        known = list(known)
        if len(path) == 1:
            self.config.broken.add(did_you_mean(key, TOP_KEYS) or key)
        else:
            self.config.broken.add(str(path[0]))
        fallback = f"known {where}: " + ", ".join(known) if len(known) < 20 else None
        hint = did_you_mean_hint(key, known, fallback)
        self.out.append(error("E403", f"unknown key `{key}` {where}", self.config.key_span(*path), hint))

    def expect(self, value: Any, kind: str, path: tuple[str | int, ...], name: str) -> bool:
        ok = {
            "string": isinstance(value, str),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, int | Decimal) and not isinstance(value, bool),
            "list": isinstance(value, list),
            "table": isinstance(value, dict),
        }[kind]
        if not ok:
            self.problem(f"`{name}` must be {_KIND_WORDS[kind]}, not {_kind_of(value)}", path)
        return ok

    # ---- the file -------------------------------------------------------------------------------

    def read(self, table: Any) -> None:
        c = self.config
        where = "in [tool.offerlang]" if c.root else f"in {CONFIG_FILE}"
        if not isinstance(table, dict):
            self.problem("`tool.offerlang` must be a table", ())
            return
        for key, value in table.items():
            if key not in TOP_KEYS:
                self.unknown(key, (key,), list(TOP_KEYS), where)
            elif key == "store" and self.expect(value, "string", (key,), key):
                if STORE_ID.fullmatch(value):
                    c.store = value
                else:
                    self.problem(
                        f"`{value}` is not a FastSpring store id",
                        (key,),
                        "the STORE in STORE.onfastspring.com, lower-case letters, digits and `-`",
                    )
            elif key == "catalog" and self.expect(value, "string", (key,), key):
                if value.strip():
                    c.catalog = c.path.parent / value
                else:
                    self.problem("`catalog` cannot be empty", (key,), 'e.g. `catalog = "store.catalog.json"`')
            elif key == "target" and self.expect(value, "string", (key,), key):
                if value in TARGETS:
                    c.target = value
                else:
                    hint = did_you_mean_hint(value, TARGETS, "choose " + or_list([f"`{t}`" for t in TARGETS]))
                    self.problem(f"`{value}` is not a target", (key,), hint)
            elif key == "checkout" and self.expect(value, "string", (key,), key):
                self.checkout(value)
            elif key == "policy" and self.expect(value, "table", (key,), key):
                c.policy = self.policy(value)
        owner = c.checkout.split("/")[0] if c.checkout else None
        if owner and c.store and owner != c.store:
            self.config.broken.add("store")  # which of the two is meant, the file does not say
            self.problem(
                f"checkout `{c.checkout}` belongs to store `{owner}`, but `store` is `{c.store}`",
                ("checkout",),
                "a checkout is `STORE/TYPE-NAME` of the same store",
            )

    def checkout(self, value: str) -> None:
        m = CHECKOUT.fullmatch(value)
        if m is None:
            self.problem(
                f"`{value}` is not a checkout: write `STORE/TYPE-NAME`",
                ("checkout",),
                "e.g. `acme/web-main`; TYPE is popup, embedded or web (as FastSpring names the checkout)",
            )
        elif m.group("type") not in CHECKOUT_TYPES:
            hint = did_you_mean_hint(m.group("type"), CHECKOUT_TYPES, "TYPE is popup, embedded or web")
            self.problem(f"`{m.group('type')}` is not a checkout type", ("checkout",), hint)
        else:
            self.config.checkout = value

    # ---- the policy -----------------------------------------------------------------------------

    def policy(self, table: dict[str, Any]) -> Policy:
        rules = dict(Policy.defaults().rules)
        names = [r.name for r in RULES]
        for name, body in table.items():
            path = ("policy", name)
            rule = BY_NAME.get(name)
            if rule is None:
                self.unknown(name, path, names, "in [policy]: not a rule")
                continue
            if not self.expect(body, "table", path, f"policy.{name}"):
                continue
            active = self.rule(rule, body, path)
            if active is None:
                rules.pop(rule.code, None)
            else:
                rules[rule.code] = active
        return Policy(rules)

    def rule(self, rule: Rule, body: dict[str, Any], path: tuple[str, ...]) -> Active | None:
        severity = rule.severity
        values: dict[str, Any] = {}
        known = ["severity", *(k.name for k in rule.keys)]
        broken = False
        for key, value in body.items():
            at = (*path, key)
            if key == "severity":
                if self.expect(value, "string", at, "severity"):
                    if value in SEVERITIES:
                        severity = value
                    else:
                        hint = did_you_mean_hint(value, SEVERITIES, "choose error, warning or off")
                        self.problem(f"`{value}` is not a severity", at, hint)
                continue
            if rule.per_currency is not None:
                if key not in CURRENCIES:
                    where = f"in [policy.{rule.name}]: keys are ISO 4217 currency codes"
                    self.unknown(key, at, _swapped(key, CURRENCIES) or [*CURRENCIES, "severity"], where)
                    broken = True
                    continue
                parsed = self.value(Key(key, rule.per_currency), value, at, key)
            else:
                spec = next((k for k in rule.keys if k.name == key), None)
                if spec is None:
                    self.unknown(key, at, known, f"in [policy.{rule.name}]")
                    broken = True
                    continue
                parsed = self.value(spec, value, at, key)
            if parsed is None:
                broken = True
            else:
                values[key] = parsed
        for key in rule.required:
            if key not in body:
                example = _EXAMPLES.get((rule.name, key), "…")
                self.out.append(
                    error(
                        "E404",
                        f"[policy.{rule.name}] needs `{key}`",
                        self.config.key_span(*path),
                        f"e.g. `{key} = {example}`, or remove the table",
                    )
                )
                self.config.broken.add("policy")
                broken = True
        if rule.code == "P103" and not broken:
            floor, ceiling = values.get("floor"), values.get("ceiling")
            if floor is not None and ceiling is not None and floor >= ceiling:
                self.problem(f"the floor ({floor}%) must be below the ceiling ({ceiling}%)", (*path, "floor"))
                broken = True
        if severity == "off" or broken:
            # A rule that cannot be read is not applied half-read: its error says why.
            return None
        return Active(rule, severity, values)

    def value(self, spec: Key, value: Any, at: tuple[str | int, ...], name: str) -> Any:
        kind = spec.kind
        if kind in ("percent", "ratio"):
            if not self.expect(value, "number", at, name):
                return None
            number = Decimal(value)
            if not number.is_finite():
                # TOML's `nan` and `inf`: no bound at all (and NaN cannot even be compared).
                self.problem(f"`{name}` must be a finite number, not {value}", at, _BOUNDS[kind])
                return None
            if kind == "percent" and not Decimal(0) <= number <= Decimal(100):
                self.problem(f"`{name}` is a percent from 0 to 100, not {value}", at)
                return None
            if kind == "ratio" and not Decimal(0) < number <= MAX_RATIO:
                self.problem(
                    f"`{name}` is a percent of the catalog price above 0 and at most {MAX_RATIO:,}, "
                    f"not {value}",
                    at,
                    _BOUNDS[kind],
                )
                return None
            return number
        if kind in ("days", "periods"):
            if not self.expect(value, "integer", at, name):
                return None
            high = spec.high
            if value < spec.low or (high is not None and value > high):
                bound = f"from {spec.low} to {high}" if high is not None else f"at least {spec.low}"
                self.problem(f"`{name}` must be {bound}, not {value}", at)
                return None
            return value
        if not self.expect(value, "list", at, name):
            return None
        items: list[str] = []
        good = True
        for i, item in enumerate(value):
            if not self.expect(item, "string", (*at, i), f"{name}[{i}]"):
                good = False
                continue
            if not item.strip():
                self.problem(f"`{name}` cannot hold an empty string", (*at, i))
                good = False
            elif kind == "currencies" and item not in CURRENCIES:
                choices = _swapped(item, CURRENCIES) or CURRENCIES
                hint = did_you_mean_hint(item, choices, "use ISO 4217 codes, e.g. `USD`")
                self.problem(f"`{item}` is not an ISO 4217 currency code", (*at, i), hint)
                good = False
            elif kind == "endings" and not self.ending(item, name, (*at, i)):
                good = False
            else:
                items.append(item)
        return items if good else None

    def ending(self, ending: str, currency: str, at: tuple[str | int, ...]) -> bool:
        digits = minor_units(currency)
        whole, dot, fraction = ending.partition(".")
        if not (whole + fraction).isdigit() or not (whole + fraction).isascii():
            self.problem(
                f"`{ending}` is not a price ending: digits, with a `.` before the minor units",
                at,
                "e.g. `.99`, `.00`, `9.99`; for a currency without minor units, `00` or `80`",
            )
            return False
        if dot and digits == 0:
            self.problem(
                f"{currency} has no minor unit, so `{ending}` can never match",
                at,
                f"write the last digits of a whole amount, e.g. `00` (a multiple of 100 {currency})",
            )
            return False
        if dot and len(fraction) != digits:
            self.problem(
                f"`{ending}` has {len(fraction)} decimal{'s' * (len(fraction) != 1)}; {currency} prices "
                f"have {digits}",
                at,
                f"e.g. `.{'9' * digits}`",
            )
            return False
        return True


# How a percent or a ratio is written, for the message that refuses one.
_BOUNDS = {
    "percent": "e.g. `percent = 50`: a percent from 0 to 100",
    "ratio": f"e.g. `floor = 50` (half the catalog price), `ceiling = 150`; at most {MAX_RATIO:,} "
    f"({MAX_RATIO / 100:,.0f} times the catalog price)",
}

# What `needs KEY` suggests.
_EXAMPLES = {
    ("max-discount", "percent"): "50",
    ("max-effective-discount", "percent"): "60",
    ("currencies", "allowed"): '["USD", "EUR"]',
    ("required-tags", "tags"): '["campaign"]',
    ("coupons", "allowed"): '["SPRING*"]',
    ("max-expiration", "days"): "3",
    ("max-trial", "days"): "30",
    ("max-discount-duration", "periods"): "12",
    ("locked-products", "products"): '["enterprise-*"]',
}


def _swapped(word: str, choices: frozenset[str]) -> list[str]:
    """Codes that are `word` with two neighbouring letters swapped (`UDS` -> `USD`): the likeliest
    typo of a three-letter code, which difflib ranks no higher than any one-letter change (and
    breaks ties by the larger string: `UZS`). When there is one, it is the only suggestion."""
    swaps = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return sorted(c for c in swaps if c in choices)


def matches(text: str, patterns: list[str]) -> bool:
    """Does `text` match one of the glob patterns (case-sensitive, the whole text)?"""
    from fnmatch import fnmatchcase

    return any(fnmatchcase(text, p) if _GLOB.search(p) else text == p for p in patterns)
