"""offerlang: FastSpring checkout offers as reviewable source files.

The package is the pipeline, dependencies pointing one way (tools never imported by the compiler):
    compiler/   source -> parser (grammar/offer.lark) -> nodes -> checks -> emit -> schema;
                targets/: Sessions v1 (default) and v2, what each can say, each one's emitter
    review/     timeline, explain, diff, revisions    authoring/  formatter, importer
    send/       FastSpring client, receipts            campaign/   rows, ledger, runner
    cli/        the thin `offer` command over all of the above
Beneath them all: language (the facts), iso, jsonout, text, usercache, errors (OfferlangError).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The public API is imported on first use (PEP 562), so that `offer --help`, which needs only
# __version__, does not pay for Lark and the whole pipeline.
_EXPORTS = {
    "CompileResult": "compiler.pipeline",
    "compile_bytes": "compiler.pipeline",
    "compile_file": "compiler.pipeline",
    "compile_source": "compiler.pipeline",
    "parse_source": "compiler.pipeline",
    "Diagnostic": "compiler.diagnostics",
    "Severity": "compiler.diagnostics",
    "Span": "compiler.nodes",
    "Target": "compiler.targets",
    "OfferlangError": "errors",
    "UnreadableFile": "compiler.source",
}

if TYPE_CHECKING:
    from offerlang.compiler.diagnostics import Diagnostic, Severity
    from offerlang.compiler.nodes import Span
    from offerlang.compiler.pipeline import (
        CompileResult,
        compile_bytes,
        compile_file,
        compile_source,
        parse_source,
    )
    from offerlang.compiler.source import UnreadableFile
    from offerlang.compiler.targets import Target
    from offerlang.errors import OfferlangError


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "CompileResult",
    "Diagnostic",
    "OfferlangError",
    "Severity",
    "Span",
    "Target",
    "UnreadableFile",
    "__version__",
    "compile_bytes",
    "compile_file",
    "compile_source",
    "parse_source",
]
