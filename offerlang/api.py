"""The library API: what the CLI calls, and what other Python code can call.

>>> from offerlang import compile_source
>>> result = compile_source('account abCdE1FGH2Hij3KLMnOpqR\\nitem falcon\\n')
>>> result.ok, result.payload["items"]
(True, [{'product': 'falcon'}])
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from . import nodes as n
from .checks import check
from .diagnostics import Diagnostic, error, has_errors, sort_key
from .emit import Pointers, emit
from .parser import parse
from .schema import validate
from .source import Source, decode, read_file


@dataclass
class CompileResult:
    path: str
    text: str | None
    payload: dict[str, Any] | None
    diagnostics: list[Diagnostic]
    offer: n.Offer | None = None
    pointers: Pointers = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.payload is not None and not has_errors(self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def parse_source(text: str, path: str = "<string>") -> tuple[n.Offer | None, list[Diagnostic]]:
    """Parse and check without emitting (what `offer fmt`, `explain` and `diff` build on)."""
    offer, diags = parse(text)
    if offer is not None:
        diags = diags + check(offer)
    return offer, _located(diags, path)


def compile_source(text: str, path: str = "<string>") -> CompileResult:
    """Source text -> payload and diagnostics. Never raises for bad input."""
    offer, diags = parse_source(text, path)
    if offer is not None and not has_errors(diags):
        diags = diags + _located(_unbound_parameters(offer), path)
    if offer is None or has_errors(diags):
        return CompileResult(path, text, None, diags, offer)
    payload, pointers = emit(offer)
    diags = diags + _located(validate(payload, pointers), path)
    if has_errors(diags):
        return CompileResult(path, text, None, diags, offer, pointers)
    return CompileResult(path, text, payload, diags, offer, pointers)


def compile_bytes(data: bytes, path: str = "<stdin>") -> CompileResult:
    return _from_source(decode(data, path))


def compile_file(path: str | Path) -> CompileResult:
    """Raises source.UnreadableFile when the path cannot be read at all."""
    return _from_source(read_file(path))


def _from_source(src: Source) -> CompileResult:
    if src.text is None:
        return CompileResult(src.path, None, None, src.diagnostics)
    return compile_source(src.text, src.path)


def _unbound_parameters(offer: n.Offer) -> list[Diagnostic]:
    """A `$name` left in the offer has no value yet: the payload cannot be written."""
    return [
        error(
            "E228",
            f"parameter `${ref.name}` has no value here",
            ref.span,
            "an offer with parameters is a campaign template: its values come from the campaign; "
            f"to compile this file on its own, write the value in place of `${ref.name}`",
        )
        for ref in _param_refs(offer)
    ]


def _param_refs(node: object) -> Iterator[n.ParamRef]:
    if isinstance(node, n.ParamRef):
        yield node
    elif isinstance(node, list):
        for child in node:
            yield from _param_refs(child)
    elif is_dataclass(node):
        for f in fields(node):
            yield from _param_refs(getattr(node, f.name))


def _located(diags: list[Diagnostic], path: str) -> list[Diagnostic]:
    return sorted((replace(d, path=path) for d in diags), key=sort_key)
