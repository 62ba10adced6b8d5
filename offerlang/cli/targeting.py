"""`--target v1|v2` and `--checkout STORE/TYPE-NAME`: which FastSpring API a command speaks.

Resolution, first that says: the command line, then the repository config (`target =
"sessions-v2"` and `checkout = "acme/web-main"` in `offers.toml` or `[tool.offerlang]`, found
from the offers' folder upwards), then the default, Sessions v1. The config is read through one
seam, `repository_settings`, so that the rest of the CLI does not know where it comes from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from offerlang.language import DEFAULT_TARGET, TARGETS

target_option = click.option(
    "--target",
    "target_flag",
    type=click.Choice(list(TARGETS)),
    default=None,
    help="The FastSpring API: v1 (Sessions v1, legacy) or v2 (the current Sessions API). "
    "Default: `target` in the repository config (offers.toml), else v1.",
)
checkout_option = click.option(
    "--checkout",
    "checkout_flag",
    metavar="STORE/TYPE-NAME",
    default=None,
    help="The v2 checkout sessions are created in (e.g. acme/web-main). "
    "Default: `checkout` in the repository config.",
)


@dataclass(frozen=True)
class Settings:
    """What the repository config says about targets (None: it says nothing)."""

    target: str | None = None  # "sessions-v1" | "sessions-v2"
    checkout: str | None = None  # "acme/web-main"
    source: str | None = None  # the config file, for messages


def repository_settings(near: str | Path) -> Settings:
    """The target and checkout the repository config sets for offers in folder `near`.

    The seam to the config (offerlang/store/config.py): a config file that is missing, cannot
    be read or has errors sets nothing here (`offer check` reports its problems)."""
    try:
        from offerlang.store.config import find_config, load_config  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:  # a build without the config module
        return Settings()
    path = find_config(Path(near))
    if path is None:
        return Settings()
    config: Any = load_config(path)
    if not getattr(config, "ok", True):
        return Settings(source=str(path))
    return Settings(getattr(config, "target", None), getattr(config, "checkout", None), str(path))


def _folder_of(paths: Iterable[str]) -> Path:
    for raw in paths:
        if raw in ("-", ""):
            break
        p = Path(raw)
        return p if p.is_dir() else p.parent
    return Path.cwd()


def resolve_target(flag: str | None, paths: Iterable[str] = (), *, isolated: bool = False) -> Any:
    """The Target for a command: `--target`, else the config's (not with --isolated), else v1."""
    from offerlang.compiler.targets import parse_target

    if flag is not None:
        return parse_target(flag)
    settings = Settings() if isolated else repository_settings(_folder_of(paths))
    if settings.target is not None:
        try:
            return parse_target(settings.target)
        except ValueError as exc:
            raise click.UsageError(f"{settings.source}: {exc}") from None
    return parse_target(DEFAULT_TARGET)


def resolve_checkout(flag: str | None, paths: Iterable[str] = (), *, isolated: bool = False) -> Any:
    """The v2 Checkout for a command: `--checkout`, else the config's (not with --isolated);
    None when neither says."""
    from offerlang.compiler.targets import parse_checkout

    raw, where = flag, "--checkout"
    if raw is None:
        settings = Settings() if isolated else repository_settings(_folder_of(paths))
        raw, where = settings.checkout, f"{settings.source}: checkout"
    if raw is None:
        return None
    try:
        return parse_checkout(raw)
    except ValueError as exc:
        raise click.UsageError(f"{where}: {exc}") from None
