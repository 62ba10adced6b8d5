"""Which config and catalog apply to an offer, found once per folder and loaded once per file.

`Stores(catalog=..., isolated=...)` is what a command makes from `--catalog PATH` and
`--isolated`; `stores.for_path(offer_path)` gives the offer's StoreContext, or None when
neither a config nor a catalog applies (then offers are checked exactly as without this
module). A StoreContext is the extra check family the compiler pipeline runs after its own
checks (`checks=` of compile_source and friends), and it remembers each offer's waivers for
`explain`, `diff` and the JSON output.

Everything is lazy: no config file is read until an offer in its folder is checked, and the
catalog is parsed the first time an offer needs it, once per run whatever the number of offers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offerlang.compiler import nodes as n
from offerlang.compiler.diagnostics import Diagnostic, error, warning
from offerlang.store.catalog import Catalog, load
from offerlang.store.config import Config, find_config, load_config, shown_path

if TYPE_CHECKING:
    from offerlang.store.policy import Policy
    from offerlang.store.waivers import Waiver


@dataclass
class StoreContext:
    config: Config | None
    catalog_path: Path | None
    catalog_shown: str | None
    # The offer path (as the pipeline names it) -> its waivers, after the checks ran.
    waivers: dict[str, list[Waiver]] = field(default_factory=dict)
    _catalog: Catalog | None = None
    _loaded: bool = False
    _problems: list[Diagnostic] = field(default_factory=list)

    @property
    def policy(self) -> Policy:
        from offerlang.store.policy import Policy

        return self.config.policy if self.config is not None else Policy.defaults()

    def catalog(self) -> Catalog | None:
        """The catalog, parsed on first use (None when there is none or it is unusable)."""
        if not self._loaded:
            self._loaded = True
            if self.catalog_path is not None:
                self._catalog, problems = self._load()
                self._problems.extend(problems)
        return self._catalog

    def _load(self) -> tuple[Catalog | None, list[Diagnostic]]:
        assert self.catalog_path is not None and self.catalog_shown is not None
        config = self.config
        if not self.catalog_path.is_file():
            span = config.span("catalog") if config is not None else None
            where = config.shown if config is not None and span is not None else self.catalog_shown
            store = f" --store {config.store}" if config is not None and config.store else ""
            problem = error(
                "E405",
                f"the catalog file {self.catalog_shown} does not exist",
                span,
                f"write it with `offer catalog pull{store} -o {self.catalog_shown}`, and commit it",
            )
            return None, [problem.at(where)]
        catalog, problems = load(self.catalog_path, self.catalog_shown)
        if catalog is not None and config is not None and config.store and catalog.store != config.store:
            problems.append(
                warning(
                    "W404",
                    f"the catalog is a snapshot of store `{catalog.store}`, but the config names store "
                    f"`{config.store}`",
                    config.span("store"),
                    f"pull the store the config names: `offer catalog pull --store {config.store} "
                    f"-o {self.catalog_shown}`",
                ).at(config.shown)
            )
        return catalog, problems

    def problems(self) -> list[Diagnostic]:
        """What is wrong with the config and catalog files themselves (reported once per run)."""
        out = list(self.config.diagnostics) if self.config is not None else []
        out += self._problems
        if self._catalog is not None:
            out += self._catalog.problems
        return out

    @property
    def usable(self) -> bool:
        return self.config is None or self.config.ok

    def __call__(self, offer: n.Offer, path: str) -> list[Diagnostic]:
        """The store checks of one offer (the pipeline's `checks=`)."""
        from offerlang.store.checks import check_offer

        if not self.usable:
            return []  # the config's own errors are reported; its rules are not half-applied
        found = check_offer(
            offer, catalog=self.catalog(), policy=self.policy, catalog_name=self.catalog_shown
        )
        self.waivers[path] = found.waivers
        return found.diagnostics

    def records(self) -> Mapping[str, dict[str, Any]] | None:
        """The catalog as explain and diff read it: product path -> {"display", "pricing"}.
        Only the products asked for are converted (a lazy mapping)."""
        catalog = self.catalog()
        return None if catalog is None else _Records(catalog)

    def waivers_json(self, path: str) -> list[dict[str, object]]:
        return [w.to_json() for w in self.waivers.get(path, [])]


class _Records(Mapping[str, dict[str, Any]]):
    """A read-only mapping over a catalog that converts a product on first access."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def __getitem__(self, key: str) -> dict[str, Any]:
        product = self._catalog.get(key)
        if product is None:
            raise KeyError(key)
        return {"display": product.display, "pricing": product.pricing}

    def __iter__(self) -> Iterator[str]:
        return iter(self._catalog.paths)

    def __len__(self) -> int:
        return len(self._catalog)


class Stores:
    """Finds each offer's StoreContext, caching per folder, per config file and per catalog."""

    def __init__(self, catalog: str | None = None, isolated: bool = False) -> None:
        self.catalog_override = Path(catalog) if catalog is not None else None
        self.isolated = isolated
        self._by_folder: dict[Path, StoreContext | None] = {}
        self._by_config: dict[Path | None, StoreContext | None] = {}
        self._catalogs: dict[Path, StoreContext] = {}

    def for_path(self, path: str) -> StoreContext | None:
        """The context for an offer file (`-` and labels like `REV:path` use the current folder)."""
        folder = Path(os.path.abspath(os.path.dirname(path) if path not in ("-", "<stdin>") else "."))
        if folder not in self._by_folder:
            self._by_folder[folder] = self._context(folder)
        return self._by_folder[folder]

    def _context(self, folder: Path) -> StoreContext | None:
        config_path = None if self.isolated else find_config(folder)
        if config_path in self._by_config:
            return self._by_config[config_path]
        config = load_config(config_path) if config_path is not None else None
        catalog_path = self.catalog_override or (config.catalog if config is not None else None)
        if config is None and catalog_path is None:
            context = None
        else:
            shown = shown_path(catalog_path) if catalog_path is not None else None
            context = StoreContext(config, catalog_path, shown)
            if catalog_path is not None and config is None:
                # --catalog without a config: one catalog, one context, whatever the folder.
                context = self._catalogs.setdefault(catalog_path, context)
        self._by_config[config_path] = context
        return context

    def contexts(self) -> list[StoreContext]:
        seen: list[StoreContext] = []
        for context in self._by_config.values():
            if context is not None and all(context is not s for s in seen):
                seen.append(context)
        return seen

    def problems(self) -> list[Diagnostic]:
        """Every config and catalog problem met so far, once each."""
        out: list[Diagnostic] = []
        for context in self.contexts():
            out += [d for d in context.problems() if d not in out]
        return out

    def sources(self) -> dict[str, str | None]:
        """Config texts by shown path, so problems in them are printed with their line."""
        return {c.config.shown: c.config.text for c in self.contexts() if c.config is not None}

    def waivers_json(self, path: str) -> list[dict[str, object]]:
        context = self.for_path(path)
        return context.waivers_json(path) if context is not None else []
