"""offerlang: FastSpring checkout offers as reviewable source files.

Pipeline, one module per phase:
    source.py (bytes -> text) -> parser.py (grammar/offer.lark -> nodes.py tree)
    -> checks.py (diagnostics) -> emit.py (payload + pointer map) -> schema.py (JSON Schema)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The public API is imported on first use (PEP 562), so that `offer --help`, which needs only
# __version__, does not pay for Lark and the whole pipeline.
_EXPORTS = {
    "CompileResult": "api",
    "compile_bytes": "api",
    "compile_file": "api",
    "compile_source": "api",
    "parse_source": "api",
    "Diagnostic": "diagnostics",
    "Severity": "diagnostics",
    "Span": "nodes",
}

if TYPE_CHECKING:
    from .api import CompileResult, compile_bytes, compile_file, compile_source, parse_source
    from .diagnostics import Diagnostic, Severity
    from .nodes import Span


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "CompileResult",
    "Diagnostic",
    "Severity",
    "Span",
    "__version__",
    "compile_bytes",
    "compile_file",
    "compile_source",
    "parse_source",
]
