"""`offer lsp`: the language server, over standard input and output (pygls + lsprotocol).

Every answer comes from the library: diagnostics from parse + checks (the same codes,
messages and hints as `offer check`), fixes from the diagnostics, formatting from `offer fmt`,
item hovers from `offer explain`. Emitting and the schema gate stay out of the keystroke path.

Robustness: each handler is guarded, so an internal error is logged to the client
(window/logMessage, with its traceback) and answered with "nothing", and the server goes on.
State is one Analysis per open document, dropped on close: memory does not grow with edits.
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import logging
import re
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from offerlang import __version__
from offerlang.compiler.diagnostics import Diagnostic, Severity
from offerlang.compiler.targets import parse_target
from offerlang.lsp import analysis as a
from offerlang.lsp.stores import StoreSeam, config_target

log = logging.getLogger(__name__)

# Diagnostics are computed at most once per this interval while the user types: the first
# change after a pause is analysed at once (no added latency), a burst of keystrokes is
# coalesced into one run on the newest text when the interval is over.
DEFAULT_DEBOUNCE_MS = 50

COMPLETION_TRIGGERS = ["$", " ", ","]
SOURCE_FIX_ALL = "source.fixAll.offerlang"


class _Protocol(LanguageServerProtocol):
    @lsp_method(t.INITIALIZE)
    def lsp_initialize(self, params: t.InitializeParams):
        # Position encoding: UTF-8 when the client offers it, else UTF-16 (which every client
        # must support). pygls takes the client's first choice; narrow the offer to ours.
        general = params.capabilities.general
        if general is not None and general.position_encodings:
            offered = list(general.position_encodings)
            utf8 = t.PositionEncodingKind.Utf8
            general.position_encodings = [utf8 if utf8 in offered else t.PositionEncodingKind.Utf16]
        return (yield from super().lsp_initialize(params))

    @lsp_method(t.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: t.DidChangeTextDocumentParams):
        # pygls applies an incremental change to lines it splits with str.splitlines, which also
        # breaks at \x0c, \x1c, \x85, U+2028 ... (a client breaks at \n, \r\n and \r only), and
        # it takes a character past the end of the last line for the one before it: the edit
        # lands elsewhere than in the editor. Each change is applied here, as LSP counts, and
        # handed to pygls as the whole new text.
        document = self.workspace.get_text_document(params.text_document.uri)
        encoding = _encoding_name(self.workspace.position_encoding)
        for change in params.content_changes:
            if isinstance(change, t.TextDocumentContentChangePartial):
                r = change.range
                change = t.TextDocumentContentChangeWholeDocument(
                    text=a.apply_change(
                        document.source,
                        (r.start.line, r.start.character),
                        (r.end.line, r.end.character),
                        change.text,
                        encoding,
                    )
                )
            self.workspace.update_text_document(params.text_document, change)
        if (handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    def _handle_notification(self, method_name: str, params: Any) -> None:
        # pygls 2.1 files the future of every notification whose handler is a generator (its own
        # didOpen, didChange, didClose) under a fresh id in _request_futures and never removes it:
        # a few hundred bytes per keystroke, forever. Drop each one when it is done.
        known = set(self._request_futures)
        super()._handle_notification(method_name, params)
        for msg_id in set(self._request_futures) - known:
            self._request_futures[msg_id].add_done_callback(functools.partial(self._forget, msg_id))

    def _forget(self, msg_id: str | int, _future: object) -> None:
        self._request_futures.pop(msg_id, None)


@dataclass
class _Document:
    analysis: a.Analysis | None = None
    timer: asyncio.TimerHandle | None = None
    last_run: float = float("-inf")


class OfferServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "offerlang",
            __version__,
            protocol_cls=_Protocol,
            text_document_sync_kind=t.TextDocumentSyncKind.Incremental,
        )
        self.docs_url: str | None = None
        # The `target` setting, like `offer check --target`; None: the project config's, else v1.
        self.target: str | None = None
        self.debounce = DEFAULT_DEBOUNCE_MS / 1000
        self.documents: dict[str, _Document] = {}
        self.stores = StoreSeam()

    # ---- helpers --------------------------------------------------------------------------

    @property
    def encoding(self) -> str:
        return _encoding_name(self.workspace.position_encoding)

    def text(self, uri: str) -> str:
        # A leading byte order mark becomes a space: the compiler drops it, the editor may
        # count it, and a space keeps every column where the editor has it.
        source = self.workspace.get_text_document(uri).source
        return " " + source[1:] if source.startswith("\ufeff") else source

    def positions(self, uri: str, text: str | None = None) -> a.Positions:
        return a.Positions(self.text(uri) if text is None else text, self.encoding)

    def current(self, uri: str) -> a.Analysis:
        """The analysis of the document as it is now (run here if the debounced one is due)."""
        text = self.text(uri)
        doc = self.documents.get(uri)
        if doc is not None and doc.analysis is not None and doc.analysis.text == text:
            return doc.analysis
        # The store's checks (catalog, policy) when a project config applies, as `offer check`.
        try:
            checks = self.stores.context(a.document_path(uri))
        except Exception:
            self.report(f"reading the store config for {uri}")
            checks = None
        target = self.target or config_target(checks)
        analysis = a.Analysis.of(text, _path_of(uri), checks, target)
        if doc is not None:  # a document that is not open is not kept
            doc.analysis = analysis
        return analysis

    def report(self, what: str) -> None:
        """An internal error: to the client's log, with the traceback; the server goes on."""
        message = f"offerlang: internal error while {what} (please report it):\n{traceback.format_exc()}"
        log.error("%s", message)
        try:
            self.window_log_message(t.LogMessageParams(type=t.MessageType.Error, message=message))
        except Exception:  # the client is gone: nothing more to tell it
            log.exception("could not log to the client")

    # ---- diagnostics ------------------------------------------------------------------------

    def schedule(self, uri: str) -> None:
        doc = self.documents.setdefault(uri, _Document())
        if doc.timer is not None:
            return  # the pending run reads the newest text
        delay = max(0.0, doc.last_run + self.debounce - time.monotonic())
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.publish(uri)
            return
        doc.timer = loop.call_later(delay, self.publish, uri)

    def publish(self, uri: str) -> None:
        doc = self.documents.get(uri)
        if doc is None:
            return  # closed meanwhile
        doc.timer = None
        try:
            version = self.workspace.get_text_document(uri).version
            analysis = self.current(uri)
            pos = self.positions(uri, analysis.text)
            diagnostics = [self.lsp_diagnostic(d, pos) for d in analysis.diagnostics]
            self.text_document_publish_diagnostics(
                t.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
            )
        except Exception:
            self.report(f"checking {uri}")
        finally:
            doc.last_run = time.monotonic()

    def lsp_diagnostic(self, d: Diagnostic, pos: a.Positions) -> t.Diagnostic:
        start, end = pos.span_range(d.span) if d.span is not None else ((0, 0), (0, 0))
        return t.Diagnostic(
            range=_range(start, end),
            message=d.message + (f"\nhelp: {d.hint}" if d.hint else ""),
            severity=t.DiagnosticSeverity.Error
            if d.severity is Severity.ERROR
            else t.DiagnosticSeverity.Warning,
            code=d.code,
            code_description=t.CodeDescription(href=f"{self.docs_url}#{d.code.lower()}")
            if self.docs_url
            else None,
            source="offerlang",
            data={"hint": d.hint, "fixes": [f.to_dict() for f in d.fixes]},
        )

    def configure(self, options: Any) -> None:
        if not isinstance(options, dict):
            return
        settings = options.get("offerlang", options)
        if not isinstance(settings, dict):
            return
        url = settings.get("docsUrl")
        if isinstance(url, str):
            self.docs_url = url.split("#")[0] or None
        if "target" in settings:
            target = settings["target"]
            try:
                self.target = parse_target(target).value if isinstance(target, str) and target else None
            except ValueError:
                self.target = None
                self.window_show_message(
                    t.ShowMessageParams(
                        type=t.MessageType.Warning,
                        message=f"offerlang: the target setting `{target}` is not v1 or v2; "
                        "the project config's target applies",
                    )
                )
        debounce = settings.get("debounceMs")
        if isinstance(debounce, int | float) and 0 <= debounce <= 10_000:
            self.debounce = debounce / 1000


class _Refusals(logging.Filter):
    """pygls logs every error answer with a traceback; a refusal (a rename to a name that cannot
    be) is an answer for the user, not a fault of the server: it is not logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, JsonRpcException) and exc.code == t.LSPErrorCodes.RequestFailed)


logging.getLogger("pygls.protocol.json_rpc").addFilter(_Refusals())
server = OfferServer()
F = TypeVar("F", bound=Callable[..., Any])


def guarded(what: str, default: Any = None) -> Callable[[F], F]:
    """Answer `default` instead of failing: a half-typed file must never break the editor."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(ls: OfferServer, params: Any) -> Any:
            try:
                return fn(ls, params)
            except JsonRpcException:
                raise  # an answer for the user (a refused rename), not an internal error
            except Exception:
                ls.report(what)
                return default

        return wrapper  # type: ignore[return-value]

    return decorate


# ---- life cycle and document sync -----------------------------------------------------------


@server.feature(t.INITIALIZE)
@guarded("starting")
def initialize(ls: OfferServer, params: t.InitializeParams) -> None:
    ls.configure(params.initialization_options)
    from offerlang.compiler.parser import lark_parser

    lark_parser()  # load the parser now, not on the first keystroke


@server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
@guarded("reading the settings")
def did_change_configuration(ls: OfferServer, params: t.DidChangeConfigurationParams) -> None:
    ls.configure(params.settings)
    for uri in list(ls.documents):
        ls.schedule(uri)


@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
@guarded("opening a document")
def did_open(ls: OfferServer, params: t.DidOpenTextDocumentParams) -> None:
    ls.documents[params.text_document.uri] = _Document()
    ls.publish(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
@guarded("applying an edit")
def did_change(ls: OfferServer, params: t.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
@guarded("closing a document")
def did_close(ls: OfferServer, params: t.DidCloseTextDocumentParams) -> None:
    doc = ls.documents.pop(params.text_document.uri, None)
    if doc is not None and doc.timer is not None:
        doc.timer.cancel()
    ls.text_document_publish_diagnostics(
        t.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
    )


# ---- completion and hover -------------------------------------------------------------------

_KINDS = {
    "keyword": t.CompletionItemKind.Keyword,
    "value": t.CompletionItemKind.EnumMember,
    "unit": t.CompletionItemKind.Unit,
    "snippet": t.CompletionItemKind.Snippet,
    "parameter": t.CompletionItemKind.Variable,
    "product": t.CompletionItemKind.Module,
}


@server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=COMPLETION_TRIGGERS))
@guarded("completing", None)
def completion(ls: OfferServer, params: t.CompletionParams) -> t.CompletionList | None:
    uri = params.text_document.uri
    text = ls.text(uri)
    pos = ls.positions(uri, text)
    line, char = pos.from_client(params.position.line, params.position.character)
    ctx, found = a.complete(text, line, char, lambda: ls.stores.product_paths(a.document_path(uri)))
    if ctx is None:
        return None
    snippets = bool(
        (cap := ls.client_capabilities.text_document)
        and cap.completion
        and cap.completion.completion_item
        and cap.completion.completion_item.snippet_support
    )
    where = _range(pos.to_client(line, ctx.start), pos.to_client(line, char))
    items = []
    for c in found:
        if c.snippet is not None and not snippets:
            continue
        body = c.snippet if c.snippet is not None else c.label
        items.append(
            t.CompletionItem(
                label=c.label,
                kind=_KINDS[c.kind],
                detail=c.detail,
                sort_text=c.sort or None,
                filter_text=c.label.split(" ")[0] if c.snippet else None,
                insert_text_format=t.InsertTextFormat.Snippet if c.snippet else t.InsertTextFormat.PlainText,
                text_edit=t.TextEdit(range=where, new_text=body),
            )
        )
    return t.CompletionList(is_incomplete=False, items=items)


@server.feature(t.TEXT_DOCUMENT_HOVER)
@guarded("hovering")
def hover(ls: OfferServer, params: t.HoverParams) -> t.Hover | None:
    uri = params.text_document.uri
    text = ls.text(uri)
    pos = ls.positions(uri, text)
    line, char = pos.from_client(params.position.line, params.position.character)

    def explain_item(product: str) -> str | None:
        # As `offer explain` shows this file: for its target, with its catalog's records.
        store = ls.stores.context(a.document_path(uri))
        records = store.records() if store is not None else None
        return a.explain_item_markdown(text, _path_of(uri), product, ls.current(uri).target, records)

    found = a.hover(text, line, char, explain_item)
    if found is None:
        return None
    return t.Hover(
        contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=found.markdown),
        range=_range(pos.to_client(found.line, found.start), pos.to_client(found.line, found.end)),
    )


# ---- code actions and formatting ------------------------------------------------------------


@server.feature(
    t.TEXT_DOCUMENT_CODE_ACTION,
    t.CodeActionOptions(
        code_action_kinds=[t.CodeActionKind.QuickFix, t.CodeActionKind.Source, SOURCE_FIX_ALL],
        resolve_provider=True,
    ),
)
@guarded("listing code actions", None)
def code_action(ls: OfferServer, params: t.CodeActionParams) -> list[t.CodeAction] | None:
    uri = params.text_document.uri
    analysis = ls.current(uri)
    pos = ls.positions(uri, analysis.text)
    only = params.context.only
    actions: list[t.CodeAction] = []
    if _wanted(only, t.CodeActionKind.QuickFix):
        first, last = params.range.start.line, params.range.end.line
        for d in analysis.diagnostics:
            if d.span is None or not d.fixes or not first <= d.span.line - 1 <= last:
                continue
            lsp = ls.lsp_diagnostic(d, pos)
            for fix in d.fixes:
                actions.append(
                    t.CodeAction(
                        title=fix.title,
                        kind=t.CodeActionKind.QuickFix,
                        diagnostics=[lsp],
                        is_preferred=len(d.fixes) == 1,
                        edit=_workspace_edit(uri, [_text_edit(pos, e.span, e.new_text) for e in fix.edits]),
                    )
                )
    # The whole-file actions are offered on every request without a kind (VS Code asks at each
    # move of the cursor): their edits, a format or every fix over the whole text, are made
    # when one is chosen (codeAction/resolve) where the client can resolve them.
    lazy = _resolves_edits(ls)
    if _wanted(only, SOURCE_FIX_ALL) and any(d.fixes for d in analysis.diagnostics):
        action = t.CodeAction(title="Apply every suggested fix", kind=SOURCE_FIX_ALL, data={"uri": uri})
        actions.append(action if lazy else _resolved(ls, action))
    formattable = analysis.offer is not None and not any(
        d.is_error and d.code.startswith("E1") for d in analysis.diagnostics
    )
    if _wanted(only, t.CodeActionKind.Source) and formattable:
        action = t.CodeAction(title="Format file", kind=t.CodeActionKind.Source, data={"uri": uri})
        actions.append(action if lazy else _resolved(ls, action))
    return [a for a in actions if a.edit is None or a.edit.changes]


@server.feature(t.CODE_ACTION_RESOLVE)
@guarded("making a code action's edit", None)
def resolve_code_action(ls: OfferServer, action: t.CodeAction) -> t.CodeAction:
    return _resolved(ls, action)


def _resolved(ls: OfferServer, action: t.CodeAction) -> t.CodeAction:
    """The action with its edit over the document as it is now (none when nothing changes)."""
    uri = action.data["uri"] if isinstance(action.data, dict) else None
    if not isinstance(uri, str) or action.edit is not None:
        return action
    analysis = ls.current(uri)
    pos = ls.positions(uri, analysis.text)
    edits: list[t.TextEdit] | None = []
    if action.kind == SOURCE_FIX_ALL:
        from offerlang.authoring.fixes import apply_fixes

        fixed, _ = apply_fixes(analysis.text, [d for d in analysis.diagnostics if d.fixes])
        edits = _diff_edits(analysis.text, fixed, pos)
    elif action.kind == t.CodeActionKind.Source:
        edits = _format_edits(analysis.text, pos, _path_of(uri))
    action.edit = t.WorkspaceEdit(changes={uri: edits} if edits else {})
    return action


def _resolves_edits(ls: OfferServer) -> bool:
    cap = ls.client_capabilities.text_document
    support = cap.code_action.resolve_support if cap and cap.code_action else None
    return support is not None and "edit" in support.properties


def _wanted(only: Sequence[str] | None, kind: str) -> bool:
    return only is None or any(kind == k or kind.startswith(k + ".") for k in only)


@server.feature(t.TEXT_DOCUMENT_FORMATTING)
@guarded("formatting", None)
def formatting(ls: OfferServer, params: t.DocumentFormattingParams) -> list[t.TextEdit] | None:
    uri = params.text_document.uri
    text = ls.text(uri)
    edits = _format_edits(text, ls.positions(uri, text), _path_of(uri))
    if edits is None:
        ls.window_show_message(
            t.ShowMessageParams(
                type=t.MessageType.Warning,
                message="offerlang: not formatted: the file has syntax errors (see Problems)",
            )
        )
    return edits


def _format_edits(text: str, pos: a.Positions, path: str) -> list[t.TextEdit] | None:
    """The edits that turn the text into `offer fmt`'s output; None when fmt refuses."""
    from offerlang.authoring.formatter import format_source

    formatted, _ = format_source(text, path)
    if formatted is None:
        return None
    return _diff_edits(text, formatted, pos)


def _diff_edits(before: str, after: str, pos: a.Positions) -> list[t.TextEdit]:
    """Line-wise edits from `before` to `after` (the cursor and folds outside them stay put)."""
    old, new = _lines(before), _lines(after)
    starts = [0]
    for line in old:
        starts.append(starts[-1] + len(line))
    edits = []
    # autojunk (difflib's default): a large offer repeats its lines (`}`, `renew auto`) hundreds
    # of times, and matching on each of them made this quadratic: 12 s for a 2,000-line file
    # whose items gained blank lines, two minutes for 5,000. Popular lines are not used as
    # anchors; the edits are as correct, at most a little larger.
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
        if tag == "equal":
            continue
        start = pos.to_client(*_line_char(before, starts[i1]))
        end = pos.to_client(*_line_char(before, starts[i2]))
        edits.append(t.TextEdit(range=_range(start, end), new_text="".join(new[j1:j2])))
    return edits


def _lines(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _line_char(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    return line, offset - (text.rfind("\n", 0, offset) + 1)


# ---- outline, definition, references, rename ------------------------------------------------

_SYMBOL_KINDS = {
    "item": t.SymbolKind.Object,
    "setup": t.SymbolKind.Struct,
    "contact": t.SymbolKind.Struct,
    "param": t.SymbolKind.Variable,
    "statement": t.SymbolKind.Property,
}


@server.feature(t.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@guarded("listing symbols", None)
def document_symbol(ls: OfferServer, params: t.DocumentSymbolParams) -> list[t.DocumentSymbol]:
    uri = params.text_document.uri
    analysis = ls.current(uri)
    pos = ls.positions(uri, analysis.text)

    def convert(s: a.Symbol) -> t.DocumentSymbol:
        return t.DocumentSymbol(
            name=s.name,
            kind=_SYMBOL_KINDS[s.kind],
            detail=s.detail,
            range=_range(*pos.span_range(s.span)),
            selection_range=_range(*pos.span_range(s.selection)),
            children=[convert(c) for c in s.children] or None,
        )

    return [convert(s) for s in a.symbols(analysis.offer)]


def _occurrences(ls: OfferServer, uri: str, position: t.Position) -> tuple[a.Positions, list[a.Occurrence]]:
    text = ls.text(uri)
    pos = ls.positions(uri, text)
    line, char = pos.from_client(position.line, position.character)
    name = a.param_at(text, line, char)
    return pos, a.occurrences(text, name) if name else []


def _occurrence_range(pos: a.Positions, o: a.Occurrence) -> t.Range:
    return _range(pos.to_client(o.line, o.start), pos.to_client(o.line, o.end))


@server.feature(t.TEXT_DOCUMENT_DEFINITION)
@guarded("finding a definition", None)
def definition(ls: OfferServer, params: t.DefinitionParams) -> list[t.Location] | None:
    uri = params.text_document.uri
    pos, found = _occurrences(ls, uri, params.position)
    return [t.Location(uri=uri, range=_occurrence_range(pos, o)) for o in found if o.declaration] or None


@server.feature(t.TEXT_DOCUMENT_REFERENCES)
@guarded("finding references", None)
def references(ls: OfferServer, params: t.ReferenceParams) -> list[t.Location] | None:
    uri = params.text_document.uri
    pos, found = _occurrences(ls, uri, params.position)
    keep = [o for o in found if params.context.include_declaration or not o.declaration]
    return [t.Location(uri=uri, range=_occurrence_range(pos, o)) for o in keep] or None


@server.feature(t.TEXT_DOCUMENT_PREPARE_RENAME)
@guarded("preparing a rename", None)
def prepare_rename(ls: OfferServer, params: t.PrepareRenameParams) -> t.Range | None:
    pos, found = _occurrences(ls, params.text_document.uri, params.position)
    line, char = pos.from_client(params.position.line, params.position.character)
    for o in found:
        if o.line == line and o.start - 1 <= char <= o.end:
            return _occurrence_range(pos, o)
    return None


@server.feature(t.TEXT_DOCUMENT_RENAME)
@guarded("renaming", None)
def rename(ls: OfferServer, params: t.RenameParams) -> t.WorkspaceEdit | None:
    uri = params.text_document.uri
    new = params.new_name.removeprefix("$")
    # A refused rename is an error answer (LSP's RequestFailed): the editor shows its message
    # where the new name was typed, and nothing changes.
    if not a.valid_param_name(new):
        raise _refused(
            f"`{params.new_name}` cannot name a parameter: letters, digits and `_`, not starting with a digit"
        )
    pos, found = _occurrences(ls, uri, params.position)
    if not found:
        return None
    old = a.param_at(ls.text(uri), *pos.from_client(params.position.line, params.position.character))
    declared = a.declared_params(ls.text(uri))
    # (An undeclared `$name` may be renamed to a declared one: that is fixing a typo.)
    if new != old and old in declared and new in declared:
        raise _refused(f"`${new}` is already a parameter of this offer: renaming `${old}` would merge them")
    return _workspace_edit(uri, [t.TextEdit(range=_occurrence_range(pos, o), new_text=new) for o in found])


def _refused(message: str) -> JsonRpcException:
    return JsonRpcException(f"offerlang: {message}", code=t.LSPErrorCodes.RequestFailed)


# ---- conversions ----------------------------------------------------------------------------


def _range(start: tuple[int, int], end: tuple[int, int]) -> t.Range:
    return t.Range(
        start=t.Position(line=start[0], character=start[1]), end=t.Position(line=end[0], character=end[1])
    )


def _text_edit(pos: a.Positions, span: Any, new_text: str) -> t.TextEdit:
    return t.TextEdit(range=_range(*pos.span_range(span)), new_text=new_text)


def _workspace_edit(uri: str, edits: list[t.TextEdit]) -> t.WorkspaceEdit:
    return t.WorkspaceEdit(changes={uri: edits})


def _encoding_name(encoding: t.PositionEncodingKind | str | None) -> str:
    encoding = encoding or t.PositionEncodingKind.Utf16
    return encoding.value if isinstance(encoding, t.PositionEncodingKind) else str(encoding)


def _path_of(uri: str) -> str:
    path = a.document_path(uri)
    return str(path) if path is not None else uri


def serve() -> None:
    """Run the server on standard input and output until the client says exit."""
    import gc

    from offerlang.compiler.parser import lark_parser

    logging.basicConfig(level=logging.WARNING, format="offerlang lsp: %(levelname)s %(name)s: %(message)s")
    lark_parser()
    # Parsing a large offer allocates a few hundred thousand short-lived objects; with the
    # default threshold (700) the cyclic collector runs hundreds of times per keystroke over
    # everything alive, a third of the time of a 2,000-line check. The trees are freed by
    # reference counting; what lives for the whole session (modules, the parser) is frozen
    # out of the collector's sight.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    server.start_io()
