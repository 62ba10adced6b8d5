"""The campaign ledger: an append-only JSON Lines journal of what was sent, fsynced per record.

Records, one JSON object a line, never rewritten:

    {"event": "campaign", "offer": "annual-upgrade.offer", "key": "email", "at": "<UTC>"}
    {"event": "started", "key": "ada@example.com", "line": 2, "hash": "<sha256>", "at": "<UTC>"}
    {"event": "done", "key": …, "hash": …, "session": …, "url": …, "expires": <epoch ms>, "at": …}
    {"event": "failed", "key": …, "hash": …, "kind": "rejected", "status": 400, "message": …, "at": …}

A row is marked `started` (on disk) before its request leaves, and `done` or `failed` after.
On a later run:
- done: skipped, its link kept;
- started without an outcome, or failed with no HTTP answer (connection lost, timeout):
  uncertain (the session may or may not exist; FastSpring cannot be asked), re-sent only with
  --retry-uncertain;
- failed with an HTTP answer (rejected, or retries exhausted on 429/503): sent again (no
  session was created).

The key column is recorded in the campaign record: rows are known by their key, and another
key column would make every row look new. A row whose exact payload is already done under
another key (the same buyer, keyed differently) is not sent either.

`hash` is the SHA-256 of the exact payload sent, so it covers the template and the row. A done
row whose payload has changed since is reported as changed and NOT sent again: its buyer
already has a session, and a second one must be a deliberate act (a new ledger).

The ledger is a journal (send/journal.py): a run opens it without following a link (a file of
the user's own), takes its exclusive lock *before* reading it, and holds the lock until it ends;
a second run on the same ledger is refused ("in use") before it sends anything.

A process killed mid-write can leave a partial last line; it is ignored when reading, and the
next run starts on a fresh line (with its `campaign` record). Any other damaged line (not
JSON, nested too deep, a field of the wrong type) is reported as a warning and skipped; if it
still names a row, that row becomes uncertain: it may have a session, so it is not sent again
without --retry-uncertain.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offerlang import jsonout
from offerlang.errors import OfferlangError
from offerlang.send import journal as j
from offerlang.send.journal import Damage, Journal, JournalBusy, payload_hash
from offerlang.text import BIDI_CONTROLS

DONE = "done"
FAILED = "failed"
STARTED = "started"
UNCERTAIN = "uncertain"

__all__ = ["DONE", "FAILED", "STARTED", "UNCERTAIN", "Entry", "Ledger", "LedgerError", "payload_hash"]


class LedgerError(OfferlangError):
    """The ledger cannot be used for this campaign (unreadable, not a ledger, another offer's)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """The last known state of one row."""

    status: str  # done, failed, uncertain
    hash: str
    session: str | None = None
    url: str | None = None
    expires: int | None = None
    message: str | None = None
    warnings: tuple[str, ...] = ()  # Sessions v2: the codes of the warnings FastSpring created it with


@dataclass
class LedgerState:
    header: dict[str, Any] | None = None  # the first campaign record
    rows: dict[str, Entry] = field(default_factory=dict)  # by key
    damaged: list[Damage] = field(default_factory=list)  # lines warned about (torn ones are not)
    damaged_keys: dict[int, str] = field(default_factory=dict)  # line -> the row it still names


def _warning_list(value: Any) -> bool:
    """Sessions v2: the warnings FastSpring created a session with, one object each, its code as
    offerlang writes them (escaped and capped server text: a summary and links.csv repeat it)."""
    return isinstance(value, list) and all(
        isinstance(w, dict) and isinstance(w.get("code"), str) and _CODE.fullmatch(w["code"]) for w in value
    )


_FIELDS: dict[str, j.Fields] = {
    "campaign": {"offer": j.text},
    STARTED: {"key": j.text, "hash": j.text},
    DONE: {"key": j.text, "hash": j.text, "session": j.session_id, "url": j.link, "expires": j.epoch_ms},
    FAILED: {"key": j.text, "hash": j.text, "kind": j.text, "status": j.http_status},
}
_OPTIONAL: dict[str, j.Fields] = {
    "campaign": {"key": j.optional_text, "at": j.timestamp},
    STARTED: {"line": j.count, "at": j.timestamp},
    DONE: {"at": j.timestamp, "warnings": _warning_list},
    FAILED: {"message": j.optional_text, "uncertain": j.flag, "at": j.timestamp},
}
# A warning's code as offerlang records it: FastSpring's, escaped and capped (text.shown), or its
# own (OFFERLANG_…); no control, separator or bidi character (a summary and links.csv repeat it),
# and not longer than a shown text can be.
_CODE = re.compile(f"[^\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029{BIDI_CONTROLS}]{{1,600}}")
# The key of a row in a line too damaged to read as JSON (a torn or garbled record).
_KEY_IN_TEXT = re.compile(rb'"key"\s*:\s*"((?:[^"\\]|\\.)*)"')


def read_ledger(path: str | Path) -> tuple[dict[str, Any] | None, dict[str, Entry]]:
    """(the first campaign record, the state of every row) from an existing ledger."""
    state = read_state(path)
    return state.header, state.rows


def read_state(path: str | Path) -> LedgerState:
    """Everything a ledger says, without writing to it (a dry run). LedgerError if unusable."""
    journal = Journal(path)
    try:
        if not journal.open(create=False, writable=False):
            return LedgerState()
    except OSError as exc:
        raise LedgerError(f"{path}: {exc.strerror or exc}") from None
    with journal:
        return _read(journal)


def outcome_status(kind: str | None, http_status: int | None, may_have_created: bool = False) -> str:
    """A failure with an HTTP answer created no session; one without (a lost connection, a
    timeout), or with a success answer that could not be read, may have reached FastSpring: as
    uncertain as no outcome at all."""
    return UNCERTAIN if j.uncertain(kind, http_status, may_have_created) else FAILED


def done_hashes(state: dict[str, Entry]) -> set[str]:
    return {entry.hash for entry in state.values() if entry.status == DONE}


def _read(journal: Journal) -> LedgerState:
    out = LedgerState()
    first = True
    pending: list[Damage] = []  # damaged lines since the last good record
    try:
        for number, item in journal.read():
            if first:
                if (
                    isinstance(item, Damage)
                    or item.get("event") != "campaign"
                    or j.wrong_field(item, _FIELDS["campaign"])
                ):
                    # Appending to a links.csv or a payloads file would corrupt it: refuse.
                    raise LedgerError(
                        f"{journal.path}: not a campaign ledger (its first line is not one); use another path"
                    )
                first = False
            if isinstance(item, Damage):
                pending.append(item)
                continue
            event = item.get("event")
            event = event if isinstance(event, str) else None
            if event == "campaign":
                # A run killed mid-write leaves its last line cut short; the next run starts
                # afresh with this record. That line is not news: it is dropped silently.
                pending = []
            _warn(out, pending)
            pending = []
            wrong = j.wrong_field(item, _FIELDS[event], _OPTIONAL[event]) if event in _FIELDS else None
            if wrong is not None:
                _warn(out, [Damage(number, wrong, record=item)])
            elif event in _FIELDS:  # other events: written by a newer offerlang, not ours to judge
                _apply(out, event, item)
    except OSError as exc:
        raise LedgerError(f"{journal.path}: {exc.strerror or exc}") from None
    # The last line, cut short without its newline, is the write a kill interrupted.
    _warn(out, [d for d in pending if not d.torn])
    return out


def _apply(out: LedgerState, event: str, record: dict[str, Any]) -> None:
    if event == "campaign":
        out.header = out.header or record
        return
    key = record["key"]
    if event == STARTED:
        out.rows[key] = Entry(UNCERTAIN, record["hash"])
    elif event == DONE:
        codes = tuple(str(w.get("code")) for w in record.get("warnings", []))  # Sessions v2
        entry = Entry(
            DONE, record["hash"], record["session"], record["url"], record["expires"], warnings=codes
        )
        out.rows[key] = entry
    elif event == FAILED:
        status = outcome_status(record["kind"], record["status"], record.get("uncertain") is True)
        out.rows[key] = Entry(status, record["hash"], message=record.get("message"))


def _warn(out: LedgerState, damages: list[Damage]) -> None:
    """Damaged lines are warned about; one that still names a row makes it uncertain: whatever
    it recorded (a request started, a session created), that row may have a session."""
    for damage in damages:
        out.damaged.append(damage)
        key = _key_of(damage)
        if key is not None:
            out.damaged_keys[damage.line] = key
            previous = out.rows.get(key)
            out.rows[key] = Entry(UNCERTAIN, previous.hash if previous is not None else "")


def _key_of(damage: Damage) -> str | None:
    if damage.record is not None:
        key = damage.record.get("key")
        return key if isinstance(key, str) and key else None
    match = _KEY_IN_TEXT.search(damage.raw)
    if match is None:
        return None
    try:
        key = jsonout.loads((b'"' + match.group(1) + b'"').decode("utf-8"))
    except ValueError:
        return None
    return key if isinstance(key, str) and key else None


class Ledger:
    """The ledger of one run: locked from before it is read until `close()`; appends records,
    each on disk before the call returns; thread-safe."""

    def __init__(self, path: str | Path, offer: str, key: str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._journal = Journal(self.path)
        try:
            self._journal.open(create=True)
        except OSError as exc:
            raise LedgerError(f"{self.path}: {exc.strerror or exc}") from None
        try:
            try:
                self._journal.lock(wait=False)
            except JournalBusy:
                raise LedgerError(
                    f"{self.path} is in use by another run of this campaign; let it finish"
                ) from None
            # Read only now, under the lock: a run that read first could act on a state another
            # run has moved on from since (and send its rows again).
            read = _read(self._journal)
            check_header(self.path, read.header, offer, key)
            self.state = read.rows
            self.damaged = read.damaged
            self.damaged_keys = read.damaged_keys
            self.done_hashes = done_hashes(self.state)
            try:
                self._append({"event": "campaign", "offer": offer, "key": key, "at": j.now_utc()})
            except OSError as exc:
                raise LedgerError(f"{self.path}: cannot be written ({exc.strerror or exc})") from None
        except BaseException:
            self._journal.close()
            raise

    def started(self, key: str, line: int, row_hash: str) -> None:
        self._append({"event": STARTED, "key": key, "line": line, "hash": row_hash, "at": j.now_utc()})

    def done(
        self,
        key: str,
        row_hash: str,
        session: str,
        url: str,
        expires: int,
        warnings: list[dict[str, Any]] | None = None,
    ) -> None:
        record: dict[str, Any] = {"event": DONE, "key": key, "hash": row_hash, "session": session, "url": url}
        record["expires"] = expires
        if warnings:  # Sessions v2: created, with FastSpring's warnings (a v1 record never has them)
            record["warnings"] = warnings
        self._append(record | {"at": j.now_utc()})
        codes = tuple(str(w.get("code")) for w in warnings or [])
        with self._lock:
            self.state[key] = Entry(DONE, row_hash, session, url, expires, warnings=codes)
            self.done_hashes.add(row_hash)

    def failed(
        self, key: str, row_hash: str, kind: str, status: int | None, message: str, *, uncertain: bool = False
    ) -> None:
        record: dict[str, Any] = {
            "event": FAILED,
            "key": key,
            "hash": row_hash,
            "kind": kind,
            "status": status,
        }
        if uncertain:
            record["uncertain"] = True
        self._append(record | {"message": message, "at": j.now_utc()})
        with self._lock:
            self.state[key] = Entry(outcome_status(kind, status, uncertain), row_hash, message=message)

    def close(self) -> None:
        """Releases the lock. OSError if the file cannot be closed cleanly (every record was
        fsynced when it was written: nothing is lost)."""
        self._journal.close()

    def _append(self, record: dict[str, Any]) -> None:
        self._journal.append(record)


def check_header(path: Path, header: dict[str, Any] | None, offer: str, key: str) -> None:
    """Refuse a ledger of another offer, or one that knows its rows by another key column."""
    if header is None:
        return
    # By file name: the same campaign may be resumed from another directory.
    if Path(str(header.get("offer"))).name != Path(offer).name:
        raise LedgerError(
            f"{path} records a campaign of {header.get('offer')}, not {offer}; use another ledger"
        )
    recorded = header.get("key")
    if recorded is not None and recorded != key:
        raise LedgerError(
            f"{path} knows its rows by the column {recorded!r}, not {key!r}: with another key every row "
            f"would look new and be sent again; use --key {recorded}"
        )
