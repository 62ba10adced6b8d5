"""Sessions v1 payload (JSON text) -> idiomatic offer source (`offer import`).

The payload is read with exact decimals and validated against the same JSON Schema the
compiler's output is checked with. It is then rebuilt as a typed tree (`nodes.Offer`), printed
by the formatter, and compiled back: the source is only handed out when it compiles to a
payload equal to the input. A payload the schema accepts but the language cannot say (a
product listed twice, `9.999` dollars) is reported with its JSON path, and nothing is written.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from offerlang import jsonout
from offerlang.authoring.formatter import format_source, print_offer
from offerlang.compiler import nodes as n
from offerlang.compiler.diagnostics import Diagnostic, did_you_mean_hint, error
from offerlang.compiler.emit import money_value, percent_value
from offerlang.compiler.pipeline import compile_source
from offerlang.errors import OfferlangBug
from offerlang.iso import CURRENCIES
from offerlang.jsonout import json_pointer
from offerlang.language import (
    ADHOC,
    CONTACT_FIELDS,
    COUNTRY_CODE,
    CURRENCY_CODE,
    LANGUAGE_CODE,
    MAX_INTEGER_DIGITS,
    DiscountKind,
    TrialKind,
    minor_units,
)
from offerlang.text import plural

# Nodes built here have no place in any source text.
NOWHERE = n.Span(1, 1, 1, 1)
# Only for what no known limit explains: the payload is fine, offer import is not.
GAP = "this is a gap in offer import; please report it with this payload"
_SCHEMA_HINT = "offer import reads the JSON request body of FastSpring's POST /sessions"


class Inexpressible(Exception):
    """A control-flow signal: a schema-valid payload the language cannot say (shared by the v1
    and v2 importers, which turn it into a diagnostic before returning)."""

    def __init__(self, pointer: str, reason: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.pointer = pointer
        self.reason = reason
        self.hint = hint


def import_payload(text: str, path: str = "<string>") -> tuple[str | None, list[Diagnostic]]:
    """Offer source for a JSON payload, or None and the reasons (each naming a JSON path)."""
    try:
        payload = _load(text)
    except json.JSONDecodeError as exc:
        # Comments and trailing commas (FastSpring's own docs page has both) are named where
        # they are; Python's "Expecting property name" would only puzzle.
        lenient = _comments_and_trailing_commas(text)
        if lenient:
            return None, [d.at(path) for d in lenient]
        span = n.Span(exc.lineno, exc.colno, exc.lineno, exc.colno + 1, exc.pos, exc.pos + 1)
        return None, [error("E601", f"this is not valid JSON: {exc.msg}", span).at(path)]
    except RecursionError:
        return None, [error("E601", "this JSON is nested too deeply to be a payload", None).at(path)]
    except _DuplicateKey as exc:
        return None, [
            error(
                "E601",
                f"`{exc.pointer or '/'}` gives the key `{exc.key}` twice; "
                "JSON readers keep only one of them, so which one FastSpring sees is unknown",
                None,
                "keep the key once",
            ).at(path)
        ]
    try:
        _plain_json(payload, "")
    except Inexpressible as exc:
        return None, [_inexpressible(exc, path)]
    from offerlang.compiler.targets import Target, target_of_body

    if target_of_body(payload) is Target.V2:
        # A Sessions v2 body (`cart`, `customer`): recognised by its shape, imported for v2.
        from offerlang.authoring.importer_v2 import import_v2

        return import_v2(payload, path)
    forms = foreign_forms(payload)
    explained = {pointer for form in forms for pointer in form.pointers}
    problems = [
        problem
        for problem in schema_reasons(payload)
        if not any(problem[0] == p or problem[0].startswith(p + "/") for p in explained)
    ]
    if forms:
        # One line per form the body is in, then whatever else breaks the schema.
        return None, [error(form.code, form.message, None, form.hint).at(path) for form in forms] + [
            error(
                "E602",
                f"the payload breaks the Sessions v1 schema at `{pointer or '/'}`: {reason}",
                None,
                hint or _SCHEMA_HINT,
            ).at(path)
            for pointer, reason, hint in problems
        ]
    if problems:
        return None, [
            error(
                "E602",
                f"the payload breaks the Sessions v1 schema at `{pointer or '/'}`: {reason}",
                None,
                hint or _SCHEMA_HINT,
            ).at(path)
            for pointer, reason, hint in problems
        ]
    try:
        offer = Builder().offer(payload)
    except Inexpressible as exc:
        return None, [_inexpressible(exc, path)]
    source, blocking = format_source(print_offer(offer), path)
    if source is None:  # pragma: no cover - the printer writes only what the parser reads
        raise OfferlangBug(f"offer import wrote source it cannot read: {blocking}")
    result = compile_source(source, path)
    if not result.ok:
        first = result.errors[0].message
        reason = f"the offer would not compile: {first}"
        return None, [_inexpressible(Inexpressible("", reason, GAP), path)]
    if result.payload != payload:
        where = first_difference(payload, result.payload, "") or ""
        reason = "the offer would compile to a different value here"
        return None, [_inexpressible(Inexpressible(where, reason, GAP), path)]
    return source, []


# ---- bodies in another form than Sessions v1 -------------------------------------------------


@dataclass(frozen=True)
class Form:
    """A way a whole body (or a part of it) is not Sessions v1, said once: the code, one
    actionable line, and the JSON pointers it explains (their schema errors are not repeated;
    "" explains the whole body)."""

    code: str
    message: str
    hint: str
    pointers: tuple[str, ...]


_V2_FIELDS = ("customer",)
_STORE_BUILDER_FIELDS = ("products", "paymentContact", "checkout", "reset")
_REDIRECTS = ("returnUrl", "successUrl", "cancelUrl", "redirectUrl")


def sessions_v2_form(payload: dict[str, Any]) -> Form | None:
    """A body with `items` that mixes in Sessions v2 forms (`customer`, `firstName`/`lastName`,
    `items[].path`), or None. A real v2 body (`cart`, or `customer` without `items`) never gets
    here: `import_payload` hands it to the v2 importer (importer_v2.py)."""
    items = payload.get("items")
    paths = isinstance(items, list) and any(isinstance(it, dict) and "path" in it for it in items)
    names = any(
        isinstance(payload.get(k), dict) and {"firstName", "lastName"} & payload[k].keys()
        for k in ("customer", "contact")
    )
    signs = [f"`{k}`" for k in _V2_FIELDS if k in payload]
    signs += ["`items[].path`"] if paths else []
    signs += ["`firstName`/`lastName`"] if names else []
    if not signs:
        return None
    return Form(
        "E606",
        f"this is a Sessions v2 body ({', '.join(signs)}) with Sessions v1 `items`, neither API's form",
        "for Sessions v1, `items[].path` is `items[].product`, `customer` is `contact`, "
        "`firstName`/`lastName` are `first`/`last`; a Sessions v2 body keeps its items in "
        "`cart.lineItems[].productPath` and the buyer in `customer.billToContact`",
        ("",),
    )


def _store_builder_form(payload: dict[str, Any]) -> Form | None:
    found = [k for k in _STORE_BUILDER_FIELDS if k in payload]
    if not found:
        return None
    mapping = {
        "products": "`products[].path` → `items[].product`, `products[].quantity` → `items[].quantity`",
        "paymentContact": "`paymentContact` → `contact` (`firstName`/`lastName` → `first`/`last`)",
        "checkout": "`checkout` has no Sessions v1 field (send the buyer to the session's URL)",
        "reset": "`reset` has no Sessions v1 field (a session starts empty)",
    }
    return Form(
        "E605",
        "this is a Store Builder session object (" + ", ".join(f"`{k}`" for k in found) + "), "
        "not a Sessions v1 request body",
        "in Sessions v1: " + "; ".join(mapping[k] for k in found),
        ("",),
    )


def foreign_forms(payload: Any) -> list[Form]:
    """The forms of other APIs and older docs in a body, one Form each (empty for a v1 body)."""
    if not isinstance(payload, dict):
        return []
    whole = sessions_v2_form(payload) or _store_builder_form(payload)
    if whole is not None:
        return [whole]
    out: list[Form] = []
    top = [k for k in ("country", "language") if k in payload]
    if top:
        names = " and ".join(f"`{k}`" for k in top)
        out.append(
            Form(
                "E604",
                f"{names} at the top level of the body (FastSpring's older docs put "
                f"{'them' if len(top) > 1 else 'it'} there): Sessions v1 reads "
                f"{'them' if len(top) > 1 else 'it'} from the buyer's `contact`",
                f"move {names} into `contact`"
                + (
                    "; beside an `account`, leave them out (a session names one or the other)"
                    if "account" in payload
                    else ""
                ),
                tuple(f"/{k}" for k in top),
            )
        )
    if isinstance(payload.get("account"), dict):
        out.append(
            Form(
                "E607",
                "`account` is an object here; in Sessions v1 it is the id (text) of an existing "
                "FastSpring account",
                "for a new buyer's details use a top-level `contact` (`first`, `last`, `email`, …); "
                "for an existing buyer give `account` its id",
                ("/account",),
            )
        )
    redirects = [k for k in _REDIRECTS if k in payload]
    if redirects:
        out.append(
            Form(
                "E608",
                ", ".join(f"`{k}`" for k in redirects) + ": Sessions v1 has no redirect URL",
                "set where the buyer goes after paying on the checkout in the FastSpring app",
                tuple(f"/{k}" for k in redirects),
            )
        )
    return out


# ---- JSON with comments and trailing commas ---------------------------------------------------

_LENIENT = re.compile(
    r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?(?:\*/|\Z)|,(?=(?:\s|//[^\n]*|/\*.*?\*/)*[}\]])', re.S
)


def _comments_and_trailing_commas(text: str) -> list[Diagnostic]:
    """E601 for each `//` or `/* */` comment and each `,` before a `}` or `]`, at its place."""
    out: list[Diagnostic] = []
    starts = [0, *(i + 1 for i, ch in enumerate(text) if ch == "\n")]
    for m in _LENIENT.finditer(text):
        found = m.group()
        if found.startswith('"'):
            continue
        line = bisect.bisect_right(starts, m.start())
        col = m.start() - starts[line - 1] + 1
        if found == ",":
            message = "this is not valid JSON: a trailing `,` before the closing bracket"
            hint = "remove the `,`: JSON allows none after the last entry"
            width = 1
        else:
            message = f"this is not valid JSON: a `{found[:2]}` comment (JSON has no comments)"
            hint = "remove the comment (documentation pages often annotate examples with them)"
            width = len(found.split("\n", 1)[0])
        span = n.Span(line, col, line, col + width, m.start(), m.start() + width)
        out.append(error("E601", message, span, hint))
    return out


# The code lists of the schema's $defs: what each is called, and how its codes are spelt.
_CODES = {
    "currency": (CURRENCY_CODE, "codes are written in upper case"),
    "country": (COUNTRY_CODE, "codes are written in upper case"),
    "language": (LANGUAGE_CODE, "codes are written in lower case"),
}
# The form a `pattern` asks for, by the field it is on; the regular expression itself is no help.
_FORM_PRODUCT = "a product path is lower-case letters and digits in words joined by `-`, e.g. `basic-laptop`"
_FORMS = {
    "account": "an account id is letters, digits, `_` and `-`",
    "product": _FORM_PRODUCT,
    "custom": "a lookup key is at least 4 letters, digits, `_` or `-`",
    "quantityDiscounts": "tier sizes are whole numbers from 1",
    # Sessions v2 names
    "accountId": "an account id is letters, digits, `_` and `-`",
    "productPath": _FORM_PRODUCT,
    "externalAccountId": "an external account id is 4 to 512 letters, digits, `_` or `-`",
    "locale": "a locale is a language code, optionally with a country: `de`, `pt-BR`",
    "imageUrl": "an image address is a web address, e.g. `https://cdn.example.com/prime.png`",
    "paymentMethodsOrder": "payment methods are upper-case names such as `CARD`",
    "hidePaymentMethods": "payment methods are upper-case names such as `CARD`",
}
_TYPES = {
    "integer": "must be a whole number",
    "number": "must be a number",
    "string": "must be text (a JSON string)",
    "boolean": "must be true or false",
    "object": "must be a JSON object",
    "array": "must be a JSON array",
}


def schema_reasons(payload: Any, target: str = "v1") -> list[tuple[str, str, str | None]]:
    """(JSON pointer, plain reason, hint) for each way the payload breaks the schema. The reasons
    name fields and the rule broken, never jsonschema's wording or the offending value (which
    may be the whole payload)."""
    from offerlang.compiler.schema import schema_document, violations

    root = schema_document(target)
    out: list[tuple[str, str, str | None]] = []
    for err in violations(payload, target):
        for found in _explain(err, root, target):
            if found not in out:
                out.append(found)
    return out


def _explain(err: Any, root: dict[str, Any], target: str = "v1") -> list[tuple[str, str, str | None]]:
    where = json_pointer(err.absolute_path)
    keyword, rule, value, schema = err.validator, err.validator_value, err.instance, err.schema
    if "propertyNames" in err.absolute_schema_path:
        # The error is about a key of the object at `where`; `value` is that key.
        where = pointer_to(where, value)
    field = str(err.absolute_path[-1]) if err.absolute_path else ""
    if field.isdigit() and len(err.absolute_path) > 1:  # an entry of a list: named by its list
        field = str(err.absolute_path[-2])
    if keyword == "additionalProperties":
        known = list(schema.get("properties", {}))
        return [
            (
                pointer_to(where, key),
                f"unknown field `{key}` (Sessions {target} has no such field)",
                did_you_mean_hint(key, known),
            )
            for key in value
            if key not in known
        ]
    if keyword == "required":
        missing = [f"`{name}`" for name in rule if name not in value]
        return [(where, f"needs {' and '.join(missing)}{_why(err, root)}", None)]
    if keyword == "dependentRequired":
        return [
            (pointer_to(where, name), f"`{name}` needs `{need}` too", None)
            for name, needs in rule.items()
            if name in value
            for need in needs
            if need not in value
        ]
    if keyword == "oneOf":  # Sessions v2: a discount is a percent or an amount
        if not isinstance(value, dict):  # already reported: it is not an object at all
            return []
        names = " or ".join(f"`{branch['required'][0]}`" for branch in rule)
        return [(where, f"needs exactly one of {names}", None)]
    if keyword == "not":
        required = rule.get("required") or [n for branch in rule.get("anyOf", []) for n in branch["required"]]
        names = " and ".join(f"`{name}`" for name in required if name in value) or "a field"
        if where == "":
            return [(where, f"{names} cannot both be given{_why(err, root)}", None)]
        return [(where, f"{names} does not belong here{_why(err, root)}", None)]
    if keyword == "type":
        return [(where, _TYPES.get(rule, f"must be of JSON type {rule}"), None)]
    if keyword == "enum":
        for name, (what, spelling) in _CODES.items():
            if name in root["$defs"] and rule == root["$defs"][name].get("enum") and isinstance(value, str):
                if target == "v2" and name == "currency" and value in CURRENCIES:
                    return [(where, f"Sessions v2 takes no prices in {value}", "it takes " + ", ".join(rule))]
                return [
                    (
                        where,
                        f"`{value}` is not an {what}" + _did_you_mean(value, rule),
                        spelling,
                    )
                ]
        choices = ", ".join(f"`{choice}`" for choice in rule)
        said = f"`{value}` is not one of" if isinstance(value, str) and len(value) <= 40 else "must be one of"
        return [
            (
                where,
                f"{said} {choices}" + (_did_you_mean(value, rule) if isinstance(value, str) else ""),
                None,
            )
        ]
    if keyword == "pattern":
        # For a key (`propertyNames`), `field` is the object holding it, e.g. quantityDiscounts.
        form = _FORMS.get(field)
        return [(where, form or "is not in the form this field takes", None)]
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return [(where, _range(schema), None)]
    if keyword == "minLength":
        key = "propertyNames" in err.absolute_schema_path
        return [(where, "a key cannot be empty" if key else "cannot be empty", None)]
    if keyword == "maxLength":
        return [(where, f"is longer than {rule:,} characters", None)]
    if keyword == "uniqueItems":
        return [(where, "lists the same value twice", None)]
    if keyword == "minItems":
        return [(where, f"needs at least {plural(rule, 'entry', 'entries')}", None)]
    if keyword == "minProperties":
        return [(where, "cannot be an empty object", "leave the field out")]
    return [(where, f"breaks the schema's `{keyword}` rule{_why(err, root)}", None)]  # pragma: no cover


def _range(schema: dict[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if schema.get("type") == "integer":
        return f"must be a whole number from {low}" + (f" to {high}" if high is not None else "")
    if low == 0 and high is None:
        return "cannot be negative"
    parts = []
    if "exclusiveMinimum" in schema:
        parts.append(f"more than {schema['exclusiveMinimum']}")
    elif low is not None:
        parts.append(f"at least {low}")
    if high is not None:
        parts.append(f"at most {high}")
    return "must be " + " and ".join(parts)


def _why(err: Any, root: dict[str, Any]) -> str:
    """The description of the schema rule (an `allOf` entry) that the error comes from, if any."""
    node: Any = root
    why = None
    previous = None
    for step in err.absolute_schema_path:
        if isinstance(node, dict) and "$ref" in node and step not in node:
            node = _resolve(root, node["$ref"])
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if previous == "allOf" and isinstance(node, dict) and "description" in node:
            why = node["description"]
        previous = step
    return f" ({why})" if why else ""


def _resolve(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _did_you_mean(word: str, choices: list[str]) -> str:
    """The "did you mean" hint as the end of a message."""
    hint = did_you_mean_hint(word, choices)
    return f"; {hint}" if hint else ""


def _inexpressible(exc: Inexpressible, path: str) -> Diagnostic:
    return error(
        "E603",
        f"`{exc.pointer or '/'}` cannot be written as an offer: {exc.reason}",
        None,
        exc.hint,
    ).at(path)


def pointer_to(base: str, key: str | int) -> str:
    return base + json_pointer([key])


class _DuplicateKey(Exception):
    def __init__(self, pointer: str, key: str) -> None:
        super().__init__(key)
        self.pointer = pointer
        self.key = key


# Outside strings, these words can only be the constants Python's reader accepts.
_STRING_OR_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')


def _load(text: str) -> Any:
    """The payload with exact decimals, refusing what Python's JSON reader lets through but JSON
    does not allow: NaN and Infinity (a JSONDecodeError, located), and a key given twice in one
    object (a _DuplicateKey naming the object), which the reader would silently drop."""

    def constant(word: str) -> Any:
        # The reader does not say where it is; the first such word outside a string is the one.
        at = next(m.start(1) for m in _STRING_OR_CONSTANT.finditer(text) if m.group(1))
        raise json.JSONDecodeError(f"{word} is not a JSON number", text, at)

    duplicates: list[tuple[dict[str, Any], str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in items:
            if key in obj:
                duplicates.append((obj, key))
            obj[key] = value
        return obj

    # The shared reader: also refuses (located) nesting past jsonout.MAX_DEPTH and numbers past
    # its limits, which would otherwise crash the import. Lone surrogates are let through to
    # _plain_json, which names their JSON path.
    payload = jsonout.loads(text, parse_constant=constant, object_pairs_hook=pairs)
    if duplicates:
        # One is enough to refuse the payload: the first object the reader finished.
        obj, key = duplicates[0]
        raise _DuplicateKey(_find(payload, obj, "") or "", key)
    return payload


def _find(value: Any, target: dict[str, Any], pointer: str) -> str | None:
    """The pointer of the object `target` (by identity) inside `value`."""
    if value is target:
        return pointer
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, item in children:
        found = _find(item, target, pointer_to(pointer, key))
        if found is not None:
            return found
    return None


def _plain_json(value: Any, pointer: str) -> None:
    """Refuse strings with lone UTF-16 surrogates: JSON's `\\ud800` escape lets one through,
    but no UTF-8 file can hold it."""
    if isinstance(value, str):
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise Inexpressible(
                pointer,
                "the text holds a lone UTF-16 surrogate, which is not a character",
                "fix the text where the payload is made",
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _plain_json(key, pointer_to(pointer, key))
            _plain_json(item, pointer_to(pointer, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _plain_json(item, pointer_to(pointer, i))


def first_difference(want: Any, got: Any, pointer: str) -> str | None:
    if isinstance(want, dict) and isinstance(got, dict):
        for key in [*want, *(k for k in got if k not in want)]:
            if key not in want or key not in got:
                return pointer_to(pointer, key)
            found = first_difference(want[key], got[key], pointer_to(pointer, key))
            if found is not None:
                return found
        return None
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return pointer or "/"
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            found = first_difference(a, b, pointer_to(pointer, i))
            if found is not None:
                return found
        return None
    return None if want == got else (pointer or "/")


class Builder:
    """A schema-valid payload -> the tree an author would have written, in the emitter's order."""

    def offer(self, p: dict[str, Any]) -> n.Offer:
        clauses: list[n.Clause] = []
        if "account" in p:
            clauses.append(n.Account(NOWHERE, text_node(p["account"])))
        if "contact" in p:
            fields = [
                n.ContactField(NOWHERE, name, text_node(p["contact"][name]))
                for name in CONTACT_FIELDS
                if name in p["contact"]
            ]
            clauses.append(n.Contact(NOWHERE, fields, []))
        if "lookup" in p:
            clauses.append(n.Lookup(NOWHERE, text_node(p["lookup"]["custom"])))
        for key, value in self._object(p, "tags").items():
            clauses.append(n.Tag(NOWHERE, text_node(key), text_node(value)))
        if "coupon" in p:
            clauses.append(n.Coupon(NOWHERE, text_node(p["coupon"])))
        if "expiration" in p:
            clauses.append(n.Expires(NOWHERE, number_node(p["expiration"])))
        seen: dict[str, int] = {}
        for i, item in enumerate(p["items"]):
            product = item["product"]
            if product in seen:
                raise Inexpressible(
                    f"/items/{i}/product",
                    f"`{product}` is already item {seen[product]}; FastSpring refuses a session that "
                    'names a product twice ("Item exists.")',
                    "merge the two items into one, or raise its quantity",
                )
            seen[product] = i
            clauses.append(self.item(item, f"/items/{i}"))
        return n.Offer(clauses)

    @staticmethod
    def _object(parent: dict[str, Any], key: str) -> dict[str, Any]:
        """An optional object field (never empty: the schema refuses an empty object)."""
        return parent.get(key) or {}

    def item(self, item: dict[str, Any], ptr: str) -> n.Item:
        clauses: list[n.Clause] = []
        if "quantity" in item:
            clauses.append(n.Quantity(NOWHERE, number_node(item["quantity"])))
        clauses.extend(self.pricing(self._object(item, "pricing"), f"{ptr}/pricing"))
        for key, value in self._object(item, "attributes").items():
            clauses.append(n.Attribute(NOWHERE, text_node(key), text_node(value)))
        return n.Item(NOWHERE, text_node(item["product"]), clauses, has_body=bool(clauses))

    def pricing(self, p: dict[str, Any], ptr: str) -> list[n.Clause]:
        out: list[n.Clause] = []
        if {"trial", "paidTrial", "paymentCollected"} & p.keys():
            out.append(
                n.Trial(
                    NOWHERE,
                    number_node(p["trial"]) if "trial" in p else None,
                    None if "paidTrial" not in p else TrialKind.PAID if p["paidTrial"] else TrialKind.FREE,
                    p.get("paymentCollected"),
                )
            )
        if "trialPrice" in p:
            out.append(n.TrialPrice(NOWHERE, self.money(p["trialPrice"], f"{ptr}/trialPrice")))
        if "renew" in p:
            out.append(n.Renew(NOWHERE, name_node(p["renew"])))
        if "interval" in p:
            if p["interval"] == ADHOC:
                out.append(n.Billed(NOWHERE, False, None, name_node(ADHOC)))
            else:
                out.append(
                    n.Billed(NOWHERE, True, number_node(p["intervalLength"]), name_node(p["interval"]))
                )
        if "quantityBehavior" in p:
            out.append(n.QuantityBehavior(NOWHERE, name_node(p["quantityBehavior"])))
        if "quantityDefault" in p:
            out.append(n.QuantityDefault(NOWHERE, number_node(p["quantityDefault"])))
        if "price" in p:
            out.append(n.Price(NOWHERE, self.money(p["price"], f"{ptr}/price")))
        out.extend(self.discounts(p, ptr))
        if "setupFee" in p:
            fee = p["setupFee"]
            titles = [
                n.FeeTitle(NOWHERE, name_node(lang), text_node(title))
                for lang, title in self._object(fee, "title").items()
            ]
            prices = []
            if "price" in fee:
                prices.append(n.FeePrice(NOWHERE, self.money(fee["price"], f"{ptr}/setupFee/price")))
            out.append(n.SetupFee(NOWHERE, titles, prices, []))
        return out

    def discounts(self, p: dict[str, Any], ptr: str) -> list[n.Discount]:
        out: list[n.Discount] = []
        for i, (tier, value) in enumerate(p.get("quantityDiscounts", {}).items()):
            tier_ptr = pointer_to(f"{ptr}/quantityDiscounts", tier)
            percent = p["discountType"] == DiscountKind.PERCENT
            out.append(
                n.Discount(
                    NOWHERE,
                    number_node(percent_value(Decimal(value))) if percent else None,
                    None if percent else self.money(value, tier_ptr),
                    None if tier == "1" else number_node(int(tier)),
                    # The duration applies to every tier; the language says it once, on the first.
                    number_node(p["discountDuration"]) if i == 0 and "discountDuration" in p else None,
                )
            )
        return out

    def money(self, amounts: dict[str, Any], ptr: str) -> list[n.Money]:
        out = []
        for currency, amount in amounts.items():
            exact = Decimal(amount)
            if exact.is_zero() and exact.is_signed():
                # JSON Schema's `minimum: 0` lets -0.0 pass (it equals 0); an offer cannot say it.
                raise Inexpressible(
                    pointer_to(ptr, currency),
                    f"`{format(exact, 'f')}` is zero with a minus sign, and an amount cannot be negative",
                    "write the amount as `0` where the payload is made",
                )
            if exact.adjusted() >= MAX_INTEGER_DIGITS:  # what the compiler refuses as E230
                raise Inexpressible(
                    pointer_to(ptr, currency),
                    f"`{format(exact, 'f')}` is too large for an amount "
                    f"(at most {MAX_INTEGER_DIGITS} digits before the decimal point)",
                    "check the amount where the payload is made",
                )
            written = money_value(exact, currency)
            if written != exact:
                digits = minor_units(currency)
                places = plural(digits, "decimal") if digits else "no decimals"
                raise Inexpressible(
                    pointer_to(ptr, currency),
                    f"`{format(exact, 'f')}` {currency}: FastSpring reads {currency} with {places}",
                    f"round it to {digits} decimals" if digits else "round it to a whole amount",
                )
            out.append(n.Money(name_node(currency), number_node(written), NOWHERE))
        return out


def text_node(value: str) -> n.Text:
    return n.Text(value, NOWHERE)


def name_node(value: str) -> n.Name:
    return n.Name(value, NOWHERE)


def number_node(value: int | Decimal) -> n.Number:
    exact = Decimal(value)
    return n.Number(format(exact, "f"), exact, NOWHERE)
