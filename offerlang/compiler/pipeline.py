"""The library API: what the CLI calls, and what other Python code can call.

>>> from offerlang import compile_source
>>> result = compile_source('account abCdE1FGH2Hij3KLMnOpqR\\nitem falcon\\n')
>>> result.ok, result.payload["items"]
(True, [{'product': 'falcon'}])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offerlang.compiler import nodes as n
from offerlang.compiler import params
from offerlang.compiler.diagnostics import Diagnostic, has_errors, sort_key
from offerlang.compiler.emit import Pointers
from offerlang.compiler.parser import parse
from offerlang.compiler.schema import validate
from offerlang.compiler.source import Source, decode, read_file
from offerlang.compiler.targets import DEFAULT, Target, check_for, emit_for

# A further family of checks a caller runs after the language's own, on the same tree and with
# the same Diagnostic type: (offer, path) -> diagnostics. The store's catalog and policy checks
# are one (offerlang/store/context.py); the compiler knows nothing about what they check.
ExtraChecks = Callable[[n.Offer, str], list[Diagnostic]]


@dataclass
class CompileResult:
    path: str
    text: str | None
    payload: dict[str, Any] | None
    diagnostics: list[Diagnostic]
    offer: n.Offer | None = None
    pointers: Pointers = field(default_factory=dict)
    # A template checked without values (`offer check`): valid without a payload.
    template_only: bool = False
    # The API the payload is for (compiler/targets): Sessions v1 unless asked otherwise.
    target: Target = DEFAULT

    @property
    def ok(self) -> bool:
        return (self.payload is not None or self.template_only) and not has_errors(self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def parse_source(
    text: str,
    path: str = "<string>",
    target: Target | str = DEFAULT,
    *,
    checks: ExtraChecks | None = None,
) -> tuple[n.Offer | None, list[Diagnostic]]:
    """Parse and check without emitting (what `offer fmt`, `explain` and `diff` build on)."""
    return _parse_checked(_without_bom(text), path, Target(target), checks)


def _parse_checked(
    text: str, path: str, target: Target, checks: ExtraChecks | None = None
) -> tuple[n.Offer | None, list[Diagnostic]]:
    # `text` has no byte order mark: each public entry point strips it once.
    offer, diags = parse(text)
    if offer is not None:
        diags = diags + check_for(offer, target)
        if checks is not None:
            diags = diags + checks(offer, path)
    return offer, _located(diags, path)


def compile_source(
    text: str,
    path: str = "<string>",
    values: Mapping[str, str] | None = None,
    *,
    unbound_ok: bool = False,
    target: Target | str = DEFAULT,
    checks: ExtraChecks | None = None,
) -> CompileResult:
    """Source text -> payload and diagnostics. Never raises for bad input.

    An offer that declares parameters is bound with `values` first; a parameter without a
    value is an error, unless `unbound_ok` asks only whether the template itself is valid.
    `target` is the API the payload is for (Sessions v1 unless asked otherwise). `checks` runs
    after the language's checks (and again on the bound offer of a template).
    """
    target = Target(target)
    text = _without_bom(text)
    offer, diags = _parse_checked(text, path, target, checks)
    if offer is None or has_errors(diags):
        return CompileResult(path, text, None, diags, offer, target=target)
    if offer.of(n.Param) or values:
        if values is None and unbound_ok:
            return CompileResult(path, text, None, diags, offer, template_only=True, target=target)
        return Template(path, text, offer, diags, target, checks).bind(values or {})
    return _emitted(path, text, offer, diags, target)


def _emitted(
    path: str, text: str, offer: n.Offer, diags: list[Diagnostic], target: Target, schema: bool = True
) -> CompileResult:
    payload, pointers = emit_for(offer, target)
    if schema:
        diags = diags + _located(validate(payload, pointers, target), path)
    if has_errors(diags):
        return CompileResult(path, text, None, diags, offer, pointers, target=target)
    return CompileResult(path, text, payload, diags, offer, pointers, target=target)


class Template:
    """An offer parsed and checked once, then bound and emitted once per buyer.

    Binding reruns the checks on the bound tree (a value from a row is checked like a
    literal). The JSON Schema gate runs on the first payload only: every payload of one
    template has the same fields and JSON types, only the values the parameters fill differ,
    and the rules on those values (patterns, codes, lengths, decimals) are the checks' rules.
    """

    def __init__(
        self,
        path: str,
        text: str,
        offer: n.Offer,
        diagnostics: list[Diagnostic],
        target: Target | str = DEFAULT,
        checks: ExtraChecks | None = None,
    ) -> None:
        self.path = path
        self.text = text
        self.offer = offer
        self.target = Target(target)
        self.diagnostics = diagnostics  # the template's own (warnings only: it checked)
        self.parameters = params.analyse(offer)
        self.checks = checks
        self._schema_passed = False

    @property
    def declared(self) -> dict[str, n.Param]:
        return self.parameters.declared

    def bind(self, values: Mapping[str, str], source_label: str | None = None) -> CompileResult:
        bound, diags = params.bind(self.offer, values, source_label, self.parameters, self.target)
        if bound is not None and self.checks is not None:
            diags = diags + self.checks(bound, self.path)
        diags = _located(diags, self.path)
        if bound is None or has_errors(diags):
            return CompileResult(self.path, self.text, None, diags, bound, target=self.target)
        result = _emitted(self.path, self.text, bound, diags, self.target, schema=not self._schema_passed)
        self._schema_passed = self._schema_passed or result.ok
        return result


def compile_template(
    text: str,
    path: str = "<string>",
    target: Target | str = DEFAULT,
    *,
    checks: ExtraChecks | None = None,
) -> tuple[Template | None, list[Diagnostic]]:
    """Parse and check an offer once, for binding many rows. None when the template is invalid."""
    text = _without_bom(text)
    offer, diags = _parse_checked(text, path, Target(target), checks)
    if offer is None or has_errors(diags):
        return None, diags
    return Template(path, text, offer, diags, target, checks), diags


def compile_bytes(
    data: bytes,
    path: str = "<stdin>",
    values: Mapping[str, str] | None = None,
    *,
    unbound_ok: bool = False,
    target: Target | str = DEFAULT,
    checks: ExtraChecks | None = None,
) -> CompileResult:
    return compile_loaded(decode(data, path), values, unbound_ok, target, checks=checks)


def compile_file(
    path: str | Path,
    values: Mapping[str, str] | None = None,
    *,
    unbound_ok: bool = False,
    target: Target | str = DEFAULT,
    checks: ExtraChecks | None = None,
) -> CompileResult:
    """Raises source.UnreadableFile when the path cannot be read at all."""
    return compile_loaded(read_file(path), values, unbound_ok, target, checks=checks)


def compile_loaded(
    src: Source,
    values: Mapping[str, str] | None = None,
    unbound_ok: bool = False,
    target: Target | str = DEFAULT,
    *,
    checks: ExtraChecks | None = None,
) -> CompileResult:
    """Compile what `source` read (or report why it could not be read)."""
    if src.text is None:
        return CompileResult(src.path, None, None, src.diagnostics, target=Target(target))
    return compile_source(src.text, src.path, values, unbound_ok=unbound_ok, target=target, checks=checks)


def compile_loaded_for_review(
    src: Source,
    values: Mapping[str, str] | None = None,
    target: Target | str = DEFAULT,
    *,
    checks: ExtraChecks | None = None,
) -> CompileResult:
    """What `offer explain` and `offer diff` compile (for `target`). A template is bound with
    `values` when given; without them it comes back with a preview payload in which every
    parameter reads `$name` (still `template_only`), or without a payload when a parameter
    stands for an amount. `checks`: as for compile_source."""
    result = compile_loaded(src, None, True, target, checks=checks)
    if not result.template_only or result.offer is None:
        return result
    if values:
        return compile_loaded(src, values, target=target, checks=checks)
    shown = params.preview(result.offer)
    if shown is not None:
        result.payload, _ = emit_for(shown, Target(target))
    return result


def _without_bom(text: str) -> str:
    # Text read by other means than `source.decode` (an editor buffer, a string built in code)
    # may still start with the byte order mark; it is not part of the offer.
    return text.removeprefix("\ufeff")


def _located(diags: list[Diagnostic], path: str) -> list[Diagnostic]:
    return sorted((d.at(path) for d in diags), key=sort_key)
