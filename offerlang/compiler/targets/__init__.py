"""The two FastSpring session APIs an offer compiles to, and what each can say.

A *target* is the API a compiled payload is for:

- `Target.V1`: Sessions v1, FastSpring's legacy `POST /sessions` (the default: nothing changes
  for an offer that does not ask for v2);
- `Target.V2`: Sessions v2, the current `POST /v2/checkouts/{store}/{checkout}/sessions`.

One offer language serves both. The checks of `offerlang/compiler/checks.py` (and those of the
v2-only statements, `statements.py`) hold for both targets; then each target refuses, at the
statement, what it cannot carry (`v1.check`, `v2.check`), in the marketer's words and with the
alternative, so that nothing is ever silently dropped. Each target has its emitter and its
JSON Schema (`offerlang/schemas/sessions-{v1,v2}.request.schema.json`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from offerlang.compiler import nodes as n
from offerlang.compiler.diagnostics import Diagnostic
from offerlang.language import (
    DEFAULT_TARGET,
    TARGET_CONFIG_NAMES,
    TARGETS,
    V2_CHECKOUT,
    V2_CHECKOUT_TYPES,
)


class Target(StrEnum):
    V1 = "v1"
    V2 = "v2"

    @property
    def short(self) -> str:
        """ "Sessions v1" / "Sessions v2"."""
        return "Sessions " + self.value

    @property
    def config_name(self) -> str:
        """The name a repository config uses: "sessions-v1" / "sessions-v2"."""
        return TARGET_CONFIG_NAMES[self.value]


DEFAULT = Target(DEFAULT_TARGET)
assert {t.value for t in Target} == set(TARGETS)  # the enum is the language's list


def parse_target(text: str) -> Target:
    """`v1`, `v2`, `sessions-v1` or `sessions-v2` (any case); ValueError naming the choices."""
    word = text.strip().lower()
    for target in Target:
        if word in (target.value, target.config_name):
            return target
    choices = ", ".join(f"`{t.value}` or `{t.config_name}`" for t in Target)
    raise ValueError(f"`{text}` is not a target: use {choices}")


@dataclass(frozen=True)
class Checkout:
    """A v2 checkout: `acme/web-main` is checkout `web-main` of store `acme`."""

    store: str
    checkout: str  # `{type}-{name}`, the type fixed by FastSpring per checkout

    @property
    def type(self) -> str:
        return self.checkout.split("-", 1)[0]

    def __str__(self) -> str:
        return f"{self.store}/{self.checkout}"


def parse_checkout(text: str) -> Checkout:
    """`STORE/TYPE-NAME` (`acme/web-main`); ValueError with what is wrong otherwise."""
    m = V2_CHECKOUT.fullmatch(text.strip())
    if m is not None:
        return Checkout(m.group("store").lower(), m.group("checkout"))
    types = ", ".join(V2_CHECKOUT_TYPES)
    if "/" not in text:
        reason = "give the store and the checkout, e.g. `acme/web-main`"
    else:
        _, checkout = text.split("/", 1)
        kind = checkout.split("-", 1)[0]
        if kind not in V2_CHECKOUT_TYPES:
            reason = f"a checkout id starts with its type ({types}) and a `-`, e.g. `web-main`"
        else:
            reason = "the store is letters, digits and `-`; the checkout name letters, digits, `_` and `-`"
    raise ValueError(f"`{text}` is not a checkout: {reason}")


# ---- the per-target steps of the pipeline ------------------------------------------------------


def check_for(offer: n.Offer, target: Target | str = DEFAULT) -> list[Diagnostic]:
    """Every check an offer gets for `target`: the language's, the v2-only statements', and
    the target's own "can this be said" checks."""
    from offerlang.compiler.checks import check
    from offerlang.compiler.targets import statements, v1, v2

    diags = check(offer, Target(target).value) + statements.check(offer)
    return diags + (v2.check(offer) if Target(target) is Target.V2 else v1.check(offer))


def emit_for(offer: n.Offer, target: Target | str = DEFAULT) -> tuple[dict[str, Any], dict[str, n.Span]]:
    """The request body of `target` and the map from its JSON pointers to source spans."""
    from offerlang.compiler.targets import v1, v2

    return v2.emit(offer) if Target(target) is Target.V2 else v1.emit(offer)


def target_of_body(body: Any) -> Target | None:
    """Which API a request body is for, recognised from its shape: v2 keeps the cart in `cart`
    and the buyer in `customer`; v1 has `items` and `account`/`contact`. None: neither."""
    if not isinstance(body, dict):
        return None
    # `customer` beside v1 `items` is neither API's body: v1's import names the mix (E606).
    if "cart" in body or (("customer" in body or "orderTags" in body) and "items" not in body):
        return Target.V2
    if "items" in body or "account" in body or "contact" in body:
        return Target.V1
    return None
