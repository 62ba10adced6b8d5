"""The seam to the store (offerlang/store/): the catalog and policy that apply to an offer.

`offer check` finds, per folder, the project config (offers.toml, or [tool.offerlang] in
pyproject.toml) and its catalog snapshot, and runs the store's checks (unknown product,
policy) after its own. The server does the same for the document being edited, and completes
product paths from that catalog after `item`. Unlike a CLI run, the server lives for hours: a
config or catalog changed on disk (a new `offer catalog pull`) is read again, noticed by the
files' modification times.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class StoreSeam:
    def __init__(self) -> None:
        self._stores: Any = None  # offerlang.store.context.Stores, made on first use
        self._stamps: dict[Path, tuple[tuple[str, int], ...]] = {}

    def context(self, document: Path | None) -> Any:
        """The StoreContext for a document (its extra checks), or None when no config or
        catalog applies, or the document is not a file."""
        if document is None:
            return None
        from offerlang.store.context import Stores

        if self._stores is None:
            self._stores = Stores()
        ctx = self._stores.for_path(str(document))
        stamp = _stamp(ctx)
        folder = document.parent
        if folder in self._stamps and self._stamps[folder] != stamp:
            self._stores = Stores()  # something changed on disk: read it all again
            self._stamps.clear()
            ctx = self._stores.for_path(str(document))
            stamp = _stamp(ctx)
        self._stamps[folder] = stamp
        return ctx

    def product_paths(self, document: Path | None) -> list[str]:
        """The product paths of the catalog that applies to the document (none without one)."""
        try:
            ctx = self.context(document)
            catalog = ctx.catalog() if ctx is not None else None
        except Exception:  # a broken config or catalog must not break completion
            log.exception("reading the catalog for %s", document)
            return []
        return sorted(catalog.paths) if catalog is not None else []


def _stamp(ctx: Any) -> tuple[tuple[str, int], ...]:
    files = []
    if ctx is not None:
        if ctx.config is not None:
            files.append(ctx.config.path)
        if ctx.catalog_path is not None:
            files.append(ctx.catalog_path)
    out = []
    for f in files:
        try:
            out.append((str(f), os.stat(f).st_mtime_ns))
        except OSError:
            out.append((str(f), -1))
    return tuple(out)
