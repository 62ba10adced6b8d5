"""The last gate: every payload is validated against its target's JSON Schema (Sessions v1 by
default, Sessions v2 for `--target v2`).

A failure here means the checks let something through; it is still reported at the source
span that produced the field, through the emitter's pointer map.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offerlang import __version__, jsonout, usercache
from offerlang.compiler.diagnostics import Diagnostic, error
from offerlang.compiler.nodes import Span
from offerlang.jsonout import json_pointer

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

SCHEMA_DIR = Path(__file__).parent.parent / "schemas"
SCHEMA_PATH = SCHEMA_DIR / "sessions-v1.request.schema.json"
# The gate's code and name per target (a str: the targets package builds on this module).
_GATE = {"v1": ("E901", "Sessions v1"), "v2": ("E530", "Sessions v2")}


def schema_path(target: str = "v1") -> Path:
    return SCHEMA_DIR / f"sessions-{target}.request.schema.json"


@cache
def schema_text(target: str = "v1") -> str:
    return schema_path(str(target)).read_text("utf-8")


@cache
def schema_document(target: str = "v1") -> dict[str, Any]:
    """The target's schema as data. Decimals in it too, so that numeric keywords compare exactly
    with our amounts. Shared: do not modify it."""
    document: dict[str, Any] = jsonout.loads(schema_text(target))
    return document


@cache
def _validator(target: str = "v1") -> Validator:
    import jsonschema  # heavy: only imported when something is validated

    base = jsonschema.Draft202012Validator
    cls = jsonschema.validators.extend(base, {"pattern": _ecma_pattern})  # type: ignore[no-untyped-call, unused-ignore]
    validator: Validator = cls(schema_document(target), format_checker=base.FORMAT_CHECKER)
    return validator


def _ecma_pattern(
    validator: Validator, pattern: str, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """JSON Schema's `pattern` as the specification reads it (ECMA-262), not as Python's `re`
    does: jsonschema searches with `re.search`, where `$` also matches before a final newline,
    so `"abCdE1FGH2Hij3KLMnOpqR\\n"` would pass `^[A-Za-z0-9_-]+$` and reach the checks as an
    account id. In ECMA-262 `$` is the end of the string; `ecma_regex` says so to Python."""
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """A JSON Schema (ECMA-262) pattern compiled for Python: each `$` that is an anchor (not
    escaped, not in a character class) becomes `\\Z`, the end of the string and nothing else."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "$":
            c = r"\Z"
        out.append(c)
        i += 1
    return re.compile("".join(out))


def violations(payload: Any, target: str = "v1") -> list[ValidationError]:
    """The jsonschema errors for a payload, the most specific ones, deepest first."""
    out = []
    errors = _validator(str(target)).iter_errors(payload)
    for err in sorted(errors, key=lambda e: (list(e.path), e.message)):
        out.extend(_leaves(err))
    return out


def schema_errors(payload: Any, target: str = "v1") -> list[tuple[str, str]]:
    """(JSON pointer, message) for each way the payload breaks the schema, deepest first."""
    return [(json_pointer(err.absolute_path), err.message) for err in violations(payload, target)]


def _leaves(err: ValidationError) -> list[ValidationError]:
    # oneOf/anyOf failures carry their real reasons in context; report the most specific one.
    if err.context:
        deepest = max(err.context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) > len(err.absolute_path):
            return _leaves(deepest)
    return [err]


def validate(payload: Any, pointers: dict[str, Span], target: str = "v1") -> list[Diagnostic]:
    """Schema diagnostics for a payload, located at the source spans that produced it.

    A payload this schema has accepted before (same bytes, same schema, same offerlang) is not
    validated again: its verdict is kept in the user's cache, which spares `offer check` the
    import of jsonschema, most of its start-up time.
    """
    target = str(target)
    marker = _verdict_marker(payload, target)
    if marker is not None and usercache.exists(marker):
        return []
    diags = []
    code, name = _GATE[target]
    for pointer, message in schema_errors(payload, target):
        diags.append(
            error(
                code,
                f"the payload breaks the {name} schema at `{pointer or '/'}`: {message}",
                _span_for(pointer, pointers),
                "this is a gap in offerlang's checks; please report it with this offer",
            )
        )
    if marker is not None and not diags:
        usercache.touch(marker)
    return diags


# How our validator reads a schema beyond jsonschema's release (ECMA-262 `$`): a change here
# must not let a verdict from before it stand.
_VALIDATOR = "pattern: ECMA-262 end anchor"


def _verdict_marker(payload: Any, target: str = "v1") -> Path | None:
    """An empty file named for what was validated; only its existence is ever read."""
    directory = usercache.subdir("verdicts")
    if directory is None:
        return None
    import hashlib

    digest = hashlib.sha256()
    validated = (__version__, _VALIDATOR, _jsonschema_release(), schema_text(target))
    for part in (*validated, jsonout.dumps(payload, None)):
        digest.update(part.encode())
        digest.update(b"\0")
    return directory / digest.hexdigest()


def _jsonschema_release() -> str:
    """Which jsonschema would validate (a verdict is only as good as its validator), found
    without importing it: the name of its dist-info folder carries the installed version.
    importlib.metadata.version() would say the same, but importing importlib.metadata costs
    about 35 ms, ten times all of this warm path; locating the package and listing its folder
    costs about 0.15 ms. With no dist-info (a vendored copy), the package folder's mtime,
    which an upgrade in place changes, stands in for the version."""
    import importlib.util

    spec = importlib.util.find_spec("jsonschema")
    if spec is None or spec.origin is None:
        return ""
    package = Path(spec.origin).parent
    with contextlib.suppress(OSError):
        releases = sorted(
            name
            for name in os.listdir(package.parent)
            if name.startswith("jsonschema-") and name.endswith(".dist-info")
        )
        return " ".join(releases) or f"mtime {package.stat().st_mtime_ns}"
    return ""


def _span_for(pointer: str, pointers: dict[str, Span]) -> Span | None:
    while True:
        if pointer in pointers:
            return pointers[pointer]
        if not pointer:
            return None
        pointer = pointer.rsplit("/", 1)[0]
