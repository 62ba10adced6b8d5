"""An item as the buyer gets it once the catalog is known: what the session's `pricing` does
not give comes from the catalog.

This is the reading `explain` already uses for "set in the catalog", made concrete: field by
field, a pricing field the offer sets is the session's (a `price` override replaces the
catalog's price map as a whole: a currency it leaves out is not priced by the session), and
every other field is the catalog's. Catalog quantity discounts are percents (CATALOG.md).

Review takes the catalog as plain data (product path -> {"display", "pricing"}, FastSpring's
field names, Decimal amounts), so it does not depend on how the store package reads the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Records = Mapping[str, Mapping[str, Any]]
MARK = " (catalog)"


@dataclass(frozen=True, slots=True)
class Seen:
    """One item through the catalog: the merged item, the pricing fields taken from the
    catalog, and whether the catalog knows the product at all."""

    item: dict[str, Any]
    marks: frozenset[str] = frozenset()
    known: bool = False
    name: str | None = None  # the product's display name in the catalog


def through_catalog(item: dict[str, Any], catalog: Records | None) -> Seen:
    record = catalog.get(item["product"]) if catalog is not None else None
    if record is None:
        return Seen(item)
    display: Mapping[str, str] = record.get("display") or {}
    name = display.get("en") or next(iter(display.values()), None)
    theirs: Mapping[str, Any] = record.get("pricing") or {}
    ours: dict[str, Any] = item.get("pricing", {})
    merged = dict(ours)
    marks: set[str] = set()
    for field, value in theirs.items():
        if field in ours:
            continue
        if field == "quantityDiscounts":
            if "quantityDiscounts" in ours:
                continue
            merged["discountType"] = "percent"
            marks.add("discountType")
        merged[field] = value
        marks.add(field)
    seen = dict(item)
    if merged:
        seen["pricing"] = merged
    return Seen(seen, frozenset(marks), True, name)


def mark(text: str, field: str, marks: frozenset[str]) -> str:
    """`text (catalog)` when the value it shows came from the catalog."""
    return text + MARK if field in marks else text
