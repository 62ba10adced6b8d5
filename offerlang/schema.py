"""The last gate: every payload is validated against the Sessions v1 JSON Schema.

A failure here means the checks let something through; it is still reported at the source
span that produced the field, through the emitter's pointer map.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from . import jsonout
from .diagnostics import Diagnostic, error
from .nodes import Span

SCHEMA_FILE = "schemas/sessions-v1.request.schema.json"


def schema_text() -> str:
    return resources.files("offerlang").joinpath(SCHEMA_FILE).read_text("utf-8")


@cache
def _validator():
    import jsonschema  # heavy: only imported when something is validated

    # Decimals in the schema too, so that numeric keywords compare exactly with our amounts.
    schema = jsonout.loads(schema_text())
    cls = jsonschema.Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(payload: Any) -> list[tuple[str, str]]:
    """(JSON pointer, message) for each way the payload breaks the schema, deepest first."""
    out = []
    for err in sorted(_validator().iter_errors(payload), key=lambda e: (list(e.path), e.message)):
        leaves = _leaves(err)
        for leaf in leaves:
            pointer = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in leaf.absolute_path)
            out.append((pointer, leaf.message))
    return out


def _leaves(err):
    # oneOf/anyOf failures carry their real reasons in context; report the most specific one.
    if err.context:
        deepest = max(err.context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) > len(err.absolute_path):
            return _leaves(deepest)
    return [err]


def validate(payload: Any, pointers: dict[str, Span]) -> list[Diagnostic]:
    diags = []
    for pointer, message in schema_errors(payload):
        diags.append(
            error(
                "E901",
                f"the payload breaks the Sessions v1 schema at `{pointer or '/'}`: {message}",
                _span_for(pointer, pointers),
                "this is a gap in offerlang's checks; please report it with this offer",
            )
        )
    return diags


def _span_for(pointer: str, pointers: dict[str, Span]) -> Span | None:
    while True:
        if pointer in pointers:
            return pointers[pointer]
        if not pointer:
            return None
        pointer = pointer.rsplit("/", 1)[0]
