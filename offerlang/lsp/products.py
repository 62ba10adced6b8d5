"""Product paths for completion after `item`: the seam to the product catalog.

The catalog (offerlang/store/) knows a store's products. When it is installed and finds a
catalog for the file being edited, its product paths are offered; otherwise there are none.
The seam is this one function: the server never imports the store itself, so the editor works
the same with or without it.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def product_paths(document: Path | None) -> list[str]:
    """The product paths of the catalog that applies to `document` (none when there is none)."""
    if document is None:
        return []
    try:
        # By name: the store is optional here, and is not a dependency of this module.
        catalog = importlib.import_module("offerlang.store.catalog")
    except ImportError:
        return []
    finder = getattr(catalog, "product_paths_for", None)
    if finder is None:
        return []
    try:
        return sorted(set(finder(document)))
    except Exception:  # a broken catalog file must not break completion
        log.exception("reading the catalog for %s", document)
        return []
