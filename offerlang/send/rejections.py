"""FastSpring's refusals read back against the offer they refused."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from offerlang.compiler.diagnostics import Diagnostic
    from offerlang.compiler.nodes import Span
    from offerlang.compiler.pipeline import CompileResult
    from offerlang.send.client import SendError


def item_exists_diagnostic(result: CompileResult, error: SendError) -> Diagnostic | None:
    """FastSpring's 400 "Item exists." pointed at the item it most likely means.

    The compiler already refuses a product listed twice (E208), so FastSpring is speaking of a
    product and one of its variations, or two variations: it names the product in `params`
    when it names it at all; otherwise variations are usually named after their product
    (`falcon`, `falcon-monthly`), and failing that every item is a suspect.
    """
    from offerlang.compiler.diagnostics import error as make_error
    from offerlang.send.client import ErrorKind

    if error.kind is not ErrorKind.REJECTED or error.message.strip().rstrip(".").lower() != "item exists":
        return None
    payload = result.payload or {}
    products = [item.get("product", "") for item in payload.get("items", [])]
    if not products:
        return None

    def span(i: int) -> Span | None:
        return result.pointers.get(f"/items/{i}/product")

    def line(i: int) -> str:
        s = span(i)
        return str(s.line) if s is not None else "?"

    lead = 'FastSpring refused the session ("Item exists."):'
    rule = "a session may hold a product or one of its variations, once"
    named = {str(p) for p in error.params}
    for i in reversed(range(len(products))):
        if products[i] in named:
            message = f"{lead} `{products[i]}` is the repeated item"
            return _at(make_error("E208", message, span(i), rule), result)
    for i, later in enumerate(products):
        for j, earlier in enumerate(products[:i]):
            if later.startswith(earlier + "-") or earlier.startswith(later + "-"):
                message = f"{lead} `{later}` looks like a variation of `{earlier}` (line {line(j)})"
                return _at(make_error("E208", message, span(i), f"{rule}: keep one of them"), result)
    lines = ", ".join(line(i) for i in range(len(products)))
    message = f"{lead} two of these items are the same product or variations of one product"
    return _at(make_error("E208", message, span(0), f"{rule}: check the items on lines {lines}"), result)


def _at(diagnostic: Diagnostic, result: CompileResult) -> Diagnostic:
    return replace(diagnostic, path=result.path)
