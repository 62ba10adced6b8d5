"""offerlang: FastSpring checkout offers as reviewable source files.

Pipeline, one module per phase:
    source.py (bytes -> text) -> parser.py (grammar/offer.lark -> nodes.py tree)
    -> checks.py (diagnostics) -> emit.py (payload + pointer map) -> schema.py (JSON Schema)
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import CompileResult, compile_bytes, compile_file, compile_source, parse_source
from .diagnostics import Diagnostic, Severity
from .nodes import Span

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
