"""The catalog snapshot: what a store sells, as a small, deterministic, reviewable JSON file.

`offer catalog pull` writes it from FastSpring's products API (store/pull.py); the store checks,
`explain` and `diff` read it. Format (offerlang/schemas/catalog.schema.json):

    {"catalog": 1, "store": "acme", "products": {"prime-sub": {"display": {"en": "…"},
      "pricing": {"price": {"EUR": 8.99, "USD": 9.99}, "interval": "month", …}}}}

Products are sorted by path, currencies and languages by code, pricing fields in one fixed order,
amounts exact with their currency's minor units: the same store always gives the same bytes, so
a price change in the store is a one-line diff in a pull request. Pricing uses FastSpring's own
field names, which are also the names of a session's `pricing` (where an offer's override and
the catalog meet). Only what offers use is kept.

Reading is lazy and indexed once: the file is parsed into a dict by product path, and a
product's record is checked and converted only when an offer names it. `offer check` is a
short-lived process, so the index (where each record stands in the file) is also kept in the
user's cache (usercache.py), keyed by the file's sha256: the next run with the same bytes reads
the index and parses only the records its offers name, instead of the whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from offerlang import jsonout
from offerlang.compiler.diagnostics import Diagnostic, did_you_mean, error
from offerlang.compiler.emit import percent_value
from offerlang.compiler.nodes import Span
from offerlang.compiler.schema import json_pointer
from offerlang.errors import OfferlangError
from offerlang.iso import CURRENCIES
from offerlang.language import (
    INTERVALS,
    MAX_COUNT,
    MAX_INTEGER_DIGITS,
    PRODUCT_PATH,
    QUANTITY_BEHAVIORS,
    minor_units,
    round_money,
)

FORMAT_VERSION = 1
# The pricing fields a snapshot keeps, in the order it writes them.
PRICING_FIELDS = (
    "price",
    "interval",
    "intervalLength",
    "trial",
    "quantityBehavior",
    "quantityDefault",
    "quantityDiscounts",
    "discountDuration",
    "setupFee",
)
# A catalog this large is not a store's snapshot (2,000 products take about 1 MiB).
MAX_BYTES = 64 * 1024 * 1024


class CatalogProblem(OfferlangError):
    """A record or file that does not have the catalog's shape: `pointer` says where."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.message = message


@dataclass(frozen=True, slots=True)
class Product:
    path: str
    display: dict[str, str]
    pricing: dict[str, Any]  # FastSpring names, amounts as Decimal

    @property
    def name(self) -> str:
        """The display name a reviewer knows the product by: English, else the first one."""
        return self.display.get("en") or next(iter(self.display.values()), self.path)

    @property
    def subscription(self) -> bool:
        return self.pricing.get("interval") is not None

    @property
    def prices(self) -> dict[str, Decimal]:
        price: dict[str, Decimal] = self.pricing.get("price", {})
        return price

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.display:
            out["display"] = self.display
        if self.pricing:
            out["pricing"] = self.pricing
        return out


@dataclass
class Catalog:
    store: str
    path: Path | None = None
    shown: str = "<catalog>"
    # product path -> the record as read, or (start, end) of its text in `_text` (a cached index)
    _raw: dict[str, Any] = field(default_factory=dict)
    _products: dict[str, Product] = field(default_factory=dict)  # converted on first use
    problems: list[Diagnostic] = field(default_factory=list)  # records found broken so far
    _broken: set[str] = field(default_factory=set)  # their paths
    _text: str = ""  # the file's text, when records are read from it one by one

    @classmethod
    def of(cls, store: str, products: list[Product]) -> Catalog:
        """A catalog of these products, each normalised as the file writes it (raises
        CatalogProblem for a product that breaks the format)."""
        catalog = cls(store)
        for p in products:
            normal = product_from_file(p.path, p.to_json())
            catalog._raw[p.path] = normal.to_json()
            catalog._products[p.path] = normal
        return catalog

    def _located(self, path: Path | None, shown: str) -> Catalog:
        self.path, self.shown = path, shown
        return self

    @property
    def paths(self) -> list[str]:
        return list(self._raw)

    def __contains__(self, path: object) -> bool:
        return path in self._raw

    def __len__(self) -> int:
        return len(self._raw)

    def get(self, path: str) -> Product | None:
        """The product, or None when the catalog has no such path or its record is broken (that
        is reported once, in `problems`; the path is still the catalog's: `path in catalog`)."""
        if path in self._products:
            return self._products[path]
        raw = self._raw.get(path)
        if raw is None or path in self._broken:
            return None
        try:
            if isinstance(raw, tuple):
                raw = self._record_at(path, raw)
            product = product_from_file(path, raw)
        except CatalogProblem as exc:
            self._broken.add(path)
            pointer = json_pointer(["products", path]) + exc.pointer
            self.problems.append(_broken(self.shown, f"`{pointer}`: {exc.message}", None))
            return None
        self._products[path] = product
        return product

    def _record_at(self, path: str, span: tuple[Any, ...]) -> Any:
        """The record a cached index places at `span`. The index is sealed for these very
        bytes; should it be wrong all the same, the whole file is parsed after all (it was
        parsed whole when the index was made) and the records are taken from there."""
        try:
            if len(span) == 2 and all(type(x) is int for x in span) and 0 <= span[0] < span[1]:
                return jsonout.loads(self._text[span[0] : span[1]])
        except (ValueError, RecursionError):
            pass
        try:
            _, records = _document(jsonout.loads(self._text))
        except (ValueError, RecursionError, CatalogProblem):
            raise CatalogProblem("", "the file cannot be read whole") from None
        self._raw = {p: records[p] for p in records}
        if path not in records:
            raise CatalogProblem("", "the file has no such record")
        return records[path]

    def products(self) -> list[Product]:
        """Every product, sorted by path (reads every record)."""
        return [p for p in (self.get(path) for path in sorted(self._raw)) if p is not None]

    def guess(self, path: str) -> str | None:
        """The catalog path closest to a mistyped one."""
        return did_you_mean(path, self._raw, fold_case=False)

    def to_text(self) -> str:
        """The file's bytes: deterministic, sorted, exact."""
        doc = {
            "catalog": FORMAT_VERSION,
            "store": self.store,
            "products": {p.path: p.to_json() for p in self.products()},
        }
        return jsonout.dumps(doc) + "\n"


def load(path: Path, shown: str) -> tuple[Catalog | None, list[Diagnostic]]:
    """Read a catalog file. Problems with the file as a whole come back as diagnostics (and no
    catalog); a broken product record is reported when an offer first names it."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return None, [_broken(shown, f"it cannot be read ({exc.strerror or exc})", None)]
    if len(data) > MAX_BYTES:
        return None, [_broken(shown, f"it is larger than {MAX_BYTES // 2**20} MiB", None)]
    marker = _index_file(data)
    indexed = _read_index(marker, data) if marker is not None else None
    if indexed is not None:
        return indexed._located(path, shown), []
    catalog, problems = parse(data, shown, path)
    if catalog is not None and marker is not None:
        _write_index(marker, data, catalog)
    return catalog, problems


# ---- the index in the user's cache ------------------------------------------------------------

# Products as the canonical layout writes them: `    "path": {` … `    }` (or `{}` on one line).
_RECORD = re.compile(r'^    "([a-z0-9-]+)": (\{\}|\{\n.*?\n    \})', re.M | re.S)


def _index_file(data: bytes) -> Path | None:
    from offerlang import __version__, usercache

    directory = usercache.subdir("catalogs")
    if directory is None:
        return None
    import hashlib

    digest = hashlib.sha256(f"catalog {FORMAT_VERSION} offerlang {__version__}\0".encode())
    digest.update(data)
    return directory / digest.hexdigest()


def _read_index(marker: Path, data: bytes) -> Catalog | None:
    """The catalog from a cached index of these very bytes, or None: no index, or one that is
    not what `_write_index` wrote for them (then the file is parsed whole, and the index written
    again). Like every cache file, it is opened without following a link, and only if it is the
    user's own."""
    import marshal

    from offerlang import usercache

    fh = usercache.open_file(marker)
    if fh is None:
        return None
    try:
        with fh:
            blob = fh.read()
        payload, seal = blob[:-_SEAL_BYTES], blob[-_SEAL_BYTES:]
        if len(blob) <= _SEAL_BYTES or seal != _seal(marker, payload):
            return None  # damaged, written by something else, or for other bytes
        index = marshal.loads(payload)
        text = data.decode("utf-8")
    except (OSError, ValueError, EOFError, TypeError, UnicodeDecodeError):
        return None
    if not (isinstance(index, tuple) and len(index) == 2):
        return None
    store, spans = index
    if not isinstance(store, str) or not isinstance(spans, dict):
        return None
    return Catalog(store, _raw=dict(spans), _text=text)


# The index ends with a seal: sha256 of the file's own digest (the index's name) and the index,
# so that a damaged or foreign index is ignored without checking each of its spans (that would
# cost, for 2,000 products, more than reading the index saves).
_SEAL_BYTES = 32


def _seal(marker: Path, payload: bytes) -> bytes:
    import hashlib

    return hashlib.sha256(marker.name.encode() + b"\0" + payload).digest()


def _fits(text: str, store: str, spans: dict[Any, Any]) -> bool:
    """Does the index describe this text: its store, and spans that are exactly the records of
    the `products` object, one after the other, each where the canonical layout puts it (so
    that no record is missed and none is read from the wrong place)? String comparisons only:
    nothing is parsed."""
    if f'\n  "store": {jsonout.dumps(store)},\n' not in text:
        return False
    order: list[tuple[int, int, str]] = []
    for path, span in spans.items():
        if not (isinstance(path, str) and PRODUCT_PATH.fullmatch(path)):
            return False
        if not (isinstance(span, tuple) and len(span) == 2 and all(type(x) is int for x in span)):
            return False
        start, end = span
        if not 0 < start < end <= len(text) or text[start] != "{" or text[end - 1] != "}":
            return False
        if text[start:end] != "{}" and not text.startswith("\n    }", end - 6):
            return False
        order.append((start, end, path))
    order.sort()
    head = '\n  "products": {'  # a newline is never inside a JSON string: this is the key
    if not order:
        return f"{head}}}" in text
    at = text.find(head)
    if at < 0:
        return False
    at += len(head)
    for i, (start, end, path) in enumerate(order):
        lead = f'{"," if i else ""}\n    "{path}": '
        if start - at != len(lead) or not text.startswith(lead, at):
            return False
        at = end
    return text.startswith("\n  }", at)


def _write_index(marker: Path, data: bytes, catalog: Catalog) -> None:
    """Remember where each record stands, when the file has the canonical layout and every
    record read at its place is the record the whole parse found (else nothing is kept)."""
    import marshal

    from offerlang import usercache

    text = data.decode("utf-8")
    spans = {m.group(1): (m.start(2), m.end(2)) for m in _RECORD.finditer(text)}
    if set(spans) != set(catalog._raw) or len(spans) != len(catalog._raw):
        return
    if not _fits(text, catalog.store, spans):
        return  # the next run could not use it
    try:
        if any(jsonout.loads(text[a:b]) != catalog._raw[p] for p, (a, b) in spans.items()):
            return
    except ValueError:
        return

    def fill(fh: BinaryIO) -> None:
        payload = marshal.dumps((catalog.store, spans))
        fh.write(payload + _seal(marker, payload))

    usercache.write(marker, fill)


def parse(data: bytes, shown: str, path: Path | None = None) -> tuple[Catalog | None, list[Diagnostic]]:
    """A catalog from the bytes of a catalog file (see `load`)."""
    try:
        doc = jsonout.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [_broken(shown, "it is not UTF-8 text", None)]
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        message = getattr(exc, "msg", str(exc))
        return None, [_broken(shown, f"it is not valid JSON: {message}", Span(line, col, line, col + 1))]
    except RecursionError:
        return None, [_broken(shown, "it is nested too deeply to be a catalog", None)]
    try:
        store, products = _document(doc)
    except CatalogProblem as exc:
        where = f"`{exc.pointer}`: " if exc.pointer else ""
        return None, [_broken(shown, where + exc.message, None)]
    return Catalog(store, path, shown, products), []


def _broken(shown: str, what: str, span: Span | None) -> Diagnostic:
    return error(
        "E406",
        f"the catalog file cannot be used: {what}",
        span,
        "write it again with `offer catalog pull` (it is generated: do not edit it by hand)",
    ).at(shown)


def _document(doc: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(doc, dict):
        raise CatalogProblem("", "a catalog file is a JSON object")
    unknown = [k for k in doc if k not in ("$schema", "catalog", "store", "products")]
    if unknown:
        raise CatalogProblem(json_pointer([unknown[0]]), "unknown field")
    if doc.get("catalog") != FORMAT_VERSION:
        raise CatalogProblem(
            "/catalog",
            f"format version {jsonout.dumps(doc.get('catalog'))} is not {FORMAT_VERSION}, the one this "
            "offerlang reads",
        )
    store = doc.get("store")
    if not isinstance(store, str) or not store:
        raise CatalogProblem("/store", "the store id must be a non-empty string")
    products = doc.get("products")
    if not isinstance(products, dict):
        raise CatalogProblem("/products", "must be an object of product path -> record")
    for p in products:
        if not PRODUCT_PATH.fullmatch(p):
            raise CatalogProblem(json_pointer(["products", p]), "not a product path")
    return store, products


# ---- records ----------------------------------------------------------------------------------


def product_from_file(path: str, raw: Any) -> Product:
    """A record of the catalog file, checked strictly (the file is ours: an unknown field is a
    typo or a hand edit)."""
    if not isinstance(raw, dict):
        raise CatalogProblem("", "a product record is an object")
    for key in raw:
        if key not in ("display", "pricing"):
            raise CatalogProblem(json_pointer([key]), "unknown field")
    display = _display(raw.get("display", {}), "/display")
    pricing = raw.get("pricing", {})
    if not isinstance(pricing, dict):
        raise CatalogProblem("/pricing", "must be an object")
    for key in pricing:
        if key not in PRICING_FIELDS:
            raise CatalogProblem(json_pointer(["pricing", key]), "unknown field")
    return Product(path, display, read_pricing(pricing, "/pricing"))


def product_from_fastspring(record: dict[str, Any]) -> Product:
    """A record of FastSpring's products API, read tolerantly: unknown fields are ignored, a
    null is as good as absent, and `pricing` may sit under an `offers[]` entry (one of
    FastSpring's schema files puts it there; CATALOG.md)."""
    path = record.get("product")
    if not isinstance(path, str) or not PRODUCT_PATH.fullmatch(path):
        raise CatalogProblem("/product", "not a product path")
    names = record.get("display")
    display = (
        _display({k: v for k, v in names.items() if v is not None}, "/display")
        if isinstance(names, dict)
        else {}
    )
    pricing = record.get("pricing")
    pointer = "/pricing"
    if pricing is None:
        offers = record.get("offers")
        if isinstance(offers, list):
            for i, offer in enumerate(offers):
                if isinstance(offer, dict) and isinstance(offer.get("pricing"), dict):
                    pricing, pointer = offer["pricing"], f"/offers/{i}/pricing"
                    break
    if pricing is None:
        return Product(path, display, {})
    if not isinstance(pricing, dict):
        raise CatalogProblem(pointer, "must be an object")
    kept = {k: v for k, v in pricing.items() if k in PRICING_FIELDS and v is not None}
    if isinstance(kept.get("setupFee"), dict):
        kept["setupFee"] = {k: v for k, v in kept["setupFee"].items() if k in ("price", "title") and v}
        if not kept["setupFee"]:
            del kept["setupFee"]
    if kept.get("interval") is None:
        # A one-time product: a length or a trial without an interval means nothing.
        for key in ("intervalLength", "trial", "discountDuration"):
            kept.pop(key, None)
    for key in ("price", "quantityDiscounts"):
        if kept.get(key) == {}:
            del kept[key]
    return Product(path, display, read_pricing(kept, pointer))


def _display(value: Any, pointer: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise CatalogProblem(pointer, "must be an object of language -> text")
    out: dict[str, str] = {}
    for lang in sorted(value):
        text = value[lang]
        if not isinstance(text, str):
            raise CatalogProblem(json_pointer([*_parts(pointer), lang]), "must be a string")
        out[lang] = text
    return out


def read_pricing(pricing: dict[str, Any], pointer: str) -> dict[str, Any]:
    """Pricing fields checked and normalised, in PRICING_FIELDS order: amounts with their
    currency's minor units, currencies sorted. Raises CatalogProblem."""
    out: dict[str, Any] = {}

    def at(*more: str) -> str:
        return json_pointer([*_parts(pointer), *more])

    for key in PRICING_FIELDS:
        if key not in pricing:
            continue
        value = pricing[key]
        if key == "price":
            out[key] = _money(value, at(key))
        elif key == "interval":
            if value not in INTERVALS:
                raise CatalogProblem(at(key), f"must be one of {', '.join(INTERVALS)}")
            out[key] = value
        elif key in ("intervalLength", "quantityDefault", "discountDuration"):
            out[key] = _whole(value, at(key), 1)
        elif key == "trial":
            out[key] = _whole(value, at(key), 0)
        elif key == "quantityBehavior":
            if value not in QUANTITY_BEHAVIORS:
                raise CatalogProblem(at(key), f"must be one of {', '.join(QUANTITY_BEHAVIORS)}")
            out[key] = value
        elif key == "quantityDiscounts":
            out[key] = _tiers(value, at(key))
        elif key == "setupFee":
            out[key] = _setup_fee(value, at(key))
    return out


def _parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


def _number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _whole(value: Any, pointer: str, low: int) -> int:
    # Bounded like the language's counts: `1e999999999` must not become a billion-digit int.
    number = Decimal(value) if _number(value) else None
    if (
        number is None
        or not number.is_finite()
        or number.adjusted() >= 10
        or number != number.to_integral_value()
        or not low <= number <= MAX_COUNT
    ):
        raise CatalogProblem(pointer, f"must be a whole number from {low} to {MAX_COUNT:,}")
    return int(number)


def _money(value: Any, pointer: str) -> dict[str, Decimal]:
    if not isinstance(value, dict):
        raise CatalogProblem(pointer, "must be an object of currency -> amount")
    out: dict[str, Decimal] = {}
    for cur in sorted(value):
        amount = value[cur]
        where = json_pointer([*_parts(pointer), cur])
        if cur not in CURRENCIES:
            raise CatalogProblem(where, "not an ISO 4217 currency code")
        if not _number(amount) or not Decimal(amount).is_finite() or amount < 0:
            raise CatalogProblem(where, "must be an amount, not negative")
        exact = Decimal(amount)
        # The language's own limit on an amount (E230): `1e30` is a slip, and beyond it the
        # arithmetic downstream would need more digits than a decimal context holds by default.
        if exact.adjusted() >= MAX_INTEGER_DIGITS:
            raise CatalogProblem(
                where, f"is too large: an amount has at most {MAX_INTEGER_DIGITS} digits before the point"
            )
        rounded = round_money(exact, cur)  # padded to the currency's decimals, or changed
        if exact != rounded:  # trailing zeros are fine (9.900), a third digit of cents is not
            raise CatalogProblem(where, f"has more decimals than {cur} has ({minor_units(cur)})")
        out[cur] = rounded
    return out


def _tiers(value: Any, pointer: str) -> dict[str, Decimal | int]:
    if not isinstance(value, dict):
        raise CatalogProblem(pointer, "must be an object of minimum quantity -> percent")
    out: dict[str, Decimal | int] = {}
    for key in sorted(value, key=lambda k: (len(k), k)):
        where = json_pointer([*_parts(pointer), key])
        percent = value[key]
        if not key.isdigit() or not key.isascii() or int(key) < 1:
            raise CatalogProblem(where, "a tier's key is its minimum quantity, a whole number from 1")
        if not _number(percent) or not 0 < percent <= 100:
            raise CatalogProblem(where, "a catalog discount is a percent above 0, at most 100")
        out[str(int(key))] = percent_value(Decimal(percent))
    return out


def _setup_fee(value: Any, pointer: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CatalogProblem(pointer, "must be an object with `price` and `title`")
    out: dict[str, Any] = {}
    for key in value:
        if key not in ("price", "title"):
            raise CatalogProblem(json_pointer([*_parts(pointer), key]), "unknown field")
    if "price" in value:
        out["price"] = _money(value["price"], pointer + "/price")
    if "title" in value:
        out["title"] = _display(value["title"], pointer + "/title")
    return out
