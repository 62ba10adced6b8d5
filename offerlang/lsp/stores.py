"""The seam to the store (offerlang/store/): the catalog, policy and target that apply to an offer.

`offer check` finds, per folder, the project config (offers.toml, or [tool.offerlang] in
pyproject.toml) and its catalog snapshot, runs the store's checks (unknown product, policy)
after its own, and checks for the API the config names (`target = "sessions-v2"`). The server
does the same for the document being edited, and completes product paths from that catalog
after `item`. Unlike a CLI run, the server lives for hours: a config or catalog changed on disk
(a new `offer catalog pull`), or a config created or removed above the document, is read
again, noticed by where the config is found and the files' modification times.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from offerlang.language import DEFAULT_TARGET

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
        from offerlang.store.config import find_config
        from offerlang.store.context import Stores

        if self._stores is None:
            self._stores = Stores()
        folder = document.parent
        ctx = self._stores.for_path(str(document))
        # Where the config is found is part of the stamp: a config written after the server
        # started (or removed) changes which one applies, not only a known file's time.
        stamp = _stamp(find_config(folder), ctx)
        if folder in self._stamps and self._stamps[folder] != stamp:
            self._stores = Stores()  # something changed on disk: read it all again
            self._stamps.clear()
            ctx = self._stores.for_path(str(document))
            stamp = _stamp(find_config(folder), ctx)
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


def config_target(ctx: Any) -> str:
    """The target a StoreContext's config names, as `offer check` reads it without --target
    (cli/targeting.py): a config with errors sets none; no config means the default."""
    config = ctx.config if ctx is not None else None
    if config is None or not config.ok:
        return DEFAULT_TARGET
    return str(config.target)


def _stamp(config: Path | None, ctx: Any) -> tuple[tuple[str, int], ...]:
    files = [] if config is None else [config]
    if ctx is not None:
        if ctx.config is not None and ctx.config.path not in files:
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
