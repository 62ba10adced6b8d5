"""`offer catalog pull`: read a store's products from FastSpring into a catalog snapshot.

The products API (../shared/fastspring/CATALOG.md): `GET /products?limit=N&page=P` lists every
product path, page by page until `nextPage` is absent or null; `GET /products/p1,p2,…` returns
full records, one per path asked, a path that does not exist answered inside the 200 with
`"result": "error"`. Both are read-only. The client (send/client.py, FastSpringReader) brings
the credentials, retries and secrets hygiene of `offer send`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from offerlang.errors import OfferlangError
from offerlang.jsonout import dumps
from offerlang.language import PRODUCT_PATH
from offerlang.send.client import FastSpringReader, SendError, scrub_value
from offerlang.store.catalog import Catalog, CatalogProblem, Product, product_from_fastspring
from offerlang.text import shown, visible

# Paths per records call: URLs have length limits (CATALOG.md: "keep batches modest").
BATCH = 50
# Paths per listing page asked for.
PAGE_SIZE = 50
# A store with more pages than this is a paging loop, not a store.
MAX_PAGES = 10_000
# Characters of a value from an answer shown in a message.
SHOWN_VALUE = 100


@dataclass
class Pulled:
    catalog: Catalog
    listed: int  # paths the listing gave
    pages: int
    batches: int
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why) left out


class Unreadable(OfferlangError):
    """FastSpring's answer does not have the shape CATALOG.md describes."""


def pull(reader: FastSpringReader, store: str, note: Callable[[str], None] | None = None) -> Pulled:
    """Every product of the store, as a catalog. Raises SendError (from the client) or Unreadable."""
    paths, pages, skipped = list_paths(reader)
    products: list[Product] = []
    batches = 0
    for start in range(0, len(paths), BATCH):
        batch = paths[start : start + BATCH]
        batches += 1
        if note is not None and len(paths) > BATCH:
            note(f"reading records {start + 1}–{start + len(batch)} of {len(paths)}")
        found, missing = fetch(reader, batch)
        products += found
        skipped += missing
    return Pulled(Catalog.of(store, products), len(paths) + len(skipped), pages, batches, skipped)


def list_paths(reader: FastSpringReader) -> tuple[list[str], int, list[tuple[str, str]]]:
    """Every product path, following the pages: (paths in order, pages read, paths skipped)."""
    seen: dict[str, None] = {}
    skipped: list[tuple[str, str]] = []
    page = 1
    pages = 0
    while True:
        answer = reader.get_json("products", {"limit": str(PAGE_SIZE), "page": str(page)})
        pages += 1
        if not isinstance(answer, dict) or not isinstance(answer.get("products"), list):
            raise Unreadable(f"the product list (page {page}) has no `products` list")
        for path in answer["products"]:
            if not isinstance(path, str):
                raise Unreadable(f"the product list (page {page}) holds a path that is not a string")
            if not PRODUCT_PATH.fullmatch(path):
                skipped.append((_theirs(reader, path), "not a product path an offer can name"))
            else:
                seen.setdefault(path, None)
        following = answer.get("nextPage")
        if following is None:
            return list(seen), pages, skipped
        if isinstance(following, bool) or not isinstance(following, int) or following <= page:
            raise Unreadable(
                f"the product list (page {page}) names next page {_theirs(reader, following)}, "
                "not a later page"
            )
        if pages >= MAX_PAGES:
            raise Unreadable(f"the product list has more than {MAX_PAGES} pages")
        page = following


def fetch(reader: FastSpringReader, paths: list[str]) -> tuple[list[Product], list[tuple[str, str]]]:
    """The records of these paths: (products, paths FastSpring says it does not have)."""
    answer = reader.get_json("products/" + ",".join(paths))
    if not isinstance(answer, dict) or not isinstance(answer.get("products"), list):
        raise Unreadable("the product records answer has no `products` list")
    by_path: dict[str, Any] = {}
    for entry in answer["products"]:
        # Every string scrubbed of the credentials before anything of it can be written.
        entry = scrub_value(entry, reader._scrub)
        if isinstance(entry, dict) and isinstance(entry.get("product"), str):
            by_path.setdefault(entry["product"], entry)
    found: list[Product] = []
    missing: list[tuple[str, str]] = []
    for path in paths:
        entry = by_path.get(path)
        if entry is None:
            raise Unreadable(f"the product records answer has no entry for `{path}`")
        if entry.get("result") == "error":
            missing.append((path, "FastSpring answered that it does not exist (removed since the listing?)"))
            continue
        try:
            found.append(product_from_fastspring(entry))
        except CatalogProblem as exc:
            where = _theirs(reader, exc.pointer or "/")
            raise Unreadable(f"the record of `{path}` at `{where}`: {visible(exc.message)}") from None
    return found, missing


def _theirs(reader: FastSpringReader, value: Any) -> str:
    """A value from FastSpring's answer, for a message: server text, so scrubbed of the
    credentials, escaped and capped (a path, a page number, a key may be anything)."""
    text = value if isinstance(value, str) else dumps(value, None)
    return shown(reader._scrub(text), SHOWN_VALUE)


def differences(old: Catalog, new: Catalog) -> tuple[list[str], list[str], list[str]]:
    """(added, removed, changed) product paths between two snapshots."""
    added = [p for p in new.paths if p not in old]
    removed = [p for p in old.paths if p not in new]
    changed = []
    for path in new.paths:
        if path in old:
            before, after = old.get(path), new.get(path)
            if before is None or after is None or before.to_json() != after.to_json():
                changed.append(path)
    return sorted(added), sorted(removed), sorted(changed)


__all__ = ["Pulled", "SendError", "Unreadable", "differences", "fetch", "list_paths", "pull"]
