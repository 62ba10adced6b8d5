"""Campaign parameters: binding `$name` references to values, one buyer at a time.

A template is parsed and checked once. Binding replaces each reference by the literal node an
author could have written in its place (Text, or Number where an amount goes), carrying the
reference's span, and then runs the normal checks on the bound tree: a value from a row gets
exactly the checks and messages a literal gets, pointed at the `$name` it filled.

Only the nodes on the way to a reference are copied; everything else is shared with the
template, so binding costs a few microseconds per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from offerlang.compiler import nodes as n
from offerlang.compiler.checks import code_error, product_error
from offerlang.compiler.diagnostics import Diagnostic, Severity, error, warning
from offerlang.iso import COUNTRIES, LANGUAGES
from offerlang.language import COUNTRY_CODE, EMAIL, LANGUAGE_CODE, NUMBER, WHOLE_NUMBER, ParamType

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# id() of a template node -> the names of its fields that lead to a reference.
_Plan = dict[int, list[str]]
# A node of the tree (a dataclass), copied with its references bound.
_Node = TypeVar("_Node", bound="DataclassInstance")


@dataclass(frozen=True)
class Parameters:
    """What binding needs to know about a template, computed once."""

    declared: dict[str, n.Param]
    first_use: dict[str, n.ParamRef]  # declared or not, in source order
    plan: _Plan
    at: dict[tuple[int, int], str]  # (line, column) of every reference -> its parameter

    @property
    def used(self) -> set[str]:
        return set(self.first_use)


def analyse(offer: n.Offer) -> Parameters:
    declared = {p.name.value: p for p in offer.of(n.Param)}
    refs: list[n.ParamRef] = []
    plan: _Plan = {}
    _plan_node(offer, plan, refs)
    first_use: dict[str, n.ParamRef] = {}
    for ref in refs:
        first_use.setdefault(ref.name, ref)
    at = {(ref.span.line, ref.span.column): ref.name for ref in refs}
    return Parameters(declared, first_use, plan, at)


def bind(
    offer: n.Offer,
    values: Mapping[str, str],
    source_label: str | None = None,
    parameters: Parameters | None = None,
    target: str = "v1",
) -> tuple[n.Offer | None, list[Diagnostic]]:
    """Substitute every reference and check the result.

    Returns the bound offer (None when a value could not even be converted, or a parameter
    has no value) and every diagnostic of the bound tree. `source_label` says where the values
    came from (`--set`, `buyers.csv:17`) in hints; `parameters` is `analyse(offer)`, passed in
    by callers that bind many rows; `target` the API the bound offer is checked for.
    """
    from offerlang.compiler.targets import check_for

    params = parameters or analyse(offer)
    diags: list[Diagnostic] = []
    literals: dict[str, str | Decimal] = {}
    for name, param in params.declared.items():
        if name not in values:
            ref = params.first_use.get(name)
            if ref is not None:
                diags.append(
                    error(
                        "E228",
                        f"parameter `${name}` has no value",
                        ref.span,
                        f"use `--set {name}=…` or `--rows FILE`",
                    )
                )
            continue
        literal, problem = _convert(param, values[name], params.first_use.get(name), source_label)
        if problem is not None:
            diags.append(problem)
        if literal is not None:
            literals[name] = literal
    unknown = sorted(set(values) - set(params.declared))
    for name in unknown:
        diags.append(error("E228", f"`{name}` is not a parameter of this offer", None, _declared(params)))
    # A declared parameter the offer never uses needs no value.
    if unknown or any(name not in literals for name in params.declared if name in params.first_use):
        return None, diags
    # A value that fails its type but can still stand as text (a bad email, country …) is bound
    # anyway, so that the row's other problems are reported in the same run.
    bound = _bind_node(offer, params.plan, literals)
    checked = check_for(bound, target)
    return bound, _merge(diags + checked) if diags else checked


def preview(offer: n.Offer) -> n.Offer | None:
    """The template with each parameter written as the text `$name`, for `offer explain` and
    `offer diff` without values. Not checked (a `$country` is no country code): only for
    showing. None when a parameter stands for an amount, which has no text to show."""
    params = analyse(offer)
    if any(isinstance(m.amount, n.ParamRef) for m in _moneys(offer)):
        return None
    literals: dict[str, str | Decimal] = {name: f"${name}" for name in params.first_use}
    return _bind_node(offer, params.plan, literals)


def _moneys(node: object) -> list[n.Money]:
    if isinstance(node, n.Money):
        return [node]
    if isinstance(node, list):
        return [m for x in node for m in _moneys(x)]
    if not is_dataclass(node) or isinstance(node, n.Span):
        return []
    return [m for f in fields(node) for m in _moneys(getattr(node, f.name))]


def _declared(params: Parameters) -> str:
    names = ", ".join(f"`{k}`" for k in params.declared)
    return f"its parameters: {names}" if names else "this offer declares no parameters"


def _convert(
    param: n.Param, raw: str, ref: n.ParamRef | None, source_label: str | None
) -> tuple[str | Decimal | None, Diagnostic | None]:
    """A raw value as its declared type: text as given, the others without surrounding blanks.
    A value that fails its type is an error at the reference it fills (or the declaration);
    an amount or a number that is not one has no literal at all."""
    kind = param.type.value
    if kind == ParamType.TEXT:
        return raw, None
    value = raw.strip()
    span = ref.span if ref is not None else param.name.span
    where = f" (from {source_label})" if source_label else ""
    if kind == ParamType.MONEY:
        if not NUMBER.fullmatch(value):
            return None, error("E228", f"`{raw}` is not an amount{where}", span, "write it like `19.99`")
        return Decimal(value), None
    if kind == ParamType.INTEGER:
        if not WHOLE_NUMBER.fullmatch(value):
            return None, error("E228", f"`{raw}` is not a whole number{where}", span)
        return value, None
    problem: Diagnostic | None = None
    if kind == ParamType.EMAIL and not EMAIL.fullmatch(value):
        # What a literal email gets (W305, a warning): FastSpring is the judge of an address.
        problem = warning("W305", f"`{value}` does not look like an email address", span)
    elif kind == ParamType.COUNTRY:
        problem = code_error(n.Text(value, span), COUNTRIES, "E203", COUNTRY_CODE, "DE")
    elif kind == ParamType.LANGUAGE:
        problem = code_error(n.Text(value, span), LANGUAGES, "E204", LANGUAGE_CODE, "de")
    elif kind == ParamType.PRODUCT:
        problem = product_error(value, span)
    return value, problem


def _merge(diags: list[Diagnostic]) -> list[Diagnostic]:
    """A typed value can be checked twice (as its type, and where it stands): keep one report
    per place and message, the error rather than the warning, the one with a hint (the check
    where it stands knows why it matters)."""
    errors = {(d.span, d.message) for d in diags if d.severity is Severity.ERROR}
    hinted = {(d.span, d.message, d.code) for d in diags if d.hint}
    seen: set[tuple[n.Span | None, str, str]] = set()
    out = []
    for d in diags:
        key = (d.span, d.message, d.code)
        if key in seen or (d.severity is Severity.WARNING and (d.span, d.message) in errors):
            continue
        if key in hinted and not d.hint:
            continue
        seen.add(key)
        out.append(d)
    return out


# ---- the tree walk ---------------------------------------------------------------------------


def _plan_node(node: object, plan: _Plan, refs: list[n.ParamRef]) -> bool:
    """Record, for each node above a reference, which of its fields lead to one."""
    if isinstance(node, n.ParamRef):
        refs.append(node)
        return True
    if isinstance(node, list):
        found = False
        for x in node:
            found = _plan_node(x, plan, refs) or found
        return found
    if not is_dataclass(node) or isinstance(node, n.Span):
        return False
    leading = [f.name for f in fields(node) if _plan_node(getattr(node, f.name), plan, refs)]
    if leading:
        plan[id(node)] = leading
    return bool(leading)


def _bind_node(node: _Node, plan: _Plan, literals: dict[str, str | Decimal]) -> _Node:
    leading = plan.get(id(node))
    if leading is None:
        return node
    amount = isinstance(node, n.Money)
    kind: type[_Node] = type(node)
    # Positional construction in field order: several times faster than dataclasses.replace,
    # and this runs for every node above a reference, for every row.
    return kind(
        *[
            _bind_value(getattr(node, f), plan, literals, amount) if f in leading else getattr(node, f)
            for f in _field_names(kind)
        ]
    )


@cache
def _field_names(cls: type[DataclassInstance]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _bind_value(value: Any, plan: _Plan, literals: dict[str, str | Decimal], amount: bool) -> Any:
    """A field's value with its references bound: a node, a list of them, or a leaf as it is."""
    if isinstance(value, n.ParamRef):
        literal = literals[value.name]
        if amount:
            number = literal if isinstance(literal, Decimal) else Decimal(literal)
            return n.Number(str(literal), number, value.span)
        return n.Text(str(literal), value.span, quoted=True)
    if isinstance(value, list):
        return [
            x if id(x) not in plan and type(x) is not n.ParamRef else _bind_value(x, plan, literals, amount)
            for x in value
        ]
    return _bind_node(value, plan, literals)
