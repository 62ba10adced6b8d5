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

A process killed mid-write can leave a partial last line; it is ignored when reading, and the
next run starts on a fresh line (with its `campaign` record).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from offerlang import jsonout
from offerlang.errors import OfferlangError

DONE = "done"
FAILED = "failed"
STARTED = "started"
UNCERTAIN = "uncertain"


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


def payload_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(jsonout.dumps(payload, None).encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_ledger(path: str | Path) -> tuple[dict[str, str] | None, dict[str, Entry]]:
    """(the first campaign record, the state of every row) from an existing ledger."""
    header: dict[str, str] | None = None
    state: dict[str, Entry] = {}
    for record in _records(path):
        event = record.get("event")
        key = record.get("key")
        if event == "campaign":
            header = header or record
        elif not isinstance(key, str):
            continue
        elif event == STARTED:
            state[key] = Entry(UNCERTAIN, record.get("hash", ""))
        elif event == DONE:
            warned = record.get("warnings")
            codes = (
                tuple(str(w.get("code")) for w in warned if isinstance(w, dict))
                if isinstance(warned, list)
                else ()
            )
            state[key] = Entry(
                DONE,
                record.get("hash", ""),
                record.get("session"),
                record.get("url"),
                record.get("expires"),
                warnings=codes,
            )
        elif event == FAILED:
            status = outcome_status(record.get("kind"), record.get("status"), record.get("uncertain") is True)
            state[key] = Entry(status, record.get("hash", ""), message=record.get("message"))
    return header, state


def outcome_status(kind: str | None, http_status: int | None, may_have_created: bool = False) -> str:
    """A failure with an HTTP answer created no session; one without (a lost connection, a
    timeout), or with a success answer that could not be read, may have reached FastSpring: as
    uncertain as no outcome at all."""
    if may_have_created:
        return UNCERTAIN
    return FAILED if kind in ("rejected", "auth") or http_status is not None else UNCERTAIN


def done_hashes(state: dict[str, Entry]) -> set[str]:
    return {entry.hash for entry in state.values() if entry.status == DONE}


def _records(path: str | Path) -> Iterator[dict[str, Any]]:
    try:
        fh = open(path, encoding="utf-8")  # noqa: SIM115 - closed by the `with` below
    except FileNotFoundError:
        return
    except OSError as exc:
        raise LedgerError(f"{path}: {exc.strerror or exc}") from None
    with fh:
        # A line cut short by a killed process is the last one of its run: the next run starts
        # on a fresh line with a `campaign` record. Anything else unreadable is not a ledger.
        cut_short: int | None = None
        first = True
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = jsonout.loads(line)
            except ValueError:
                record = None
            if cut_short is not None and not (isinstance(record, dict) and record.get("event") == "campaign"):
                raise LedgerError(f"{path}:{cut_short}: not a ledger record (is it a ledger?)")
            cut_short = None
            if first and not (isinstance(record, dict) and record.get("event") == "campaign"):
                # Appending to a links.csv or a payloads file would corrupt it: refuse.
                raise LedgerError(
                    f"{path}: not a campaign ledger (its first line is not one); use another path"
                )
            first = False
            if isinstance(record, dict):
                yield record
            else:
                cut_short = number


class Ledger:
    """Appends records for one run; thread-safe; each record is on disk before the call returns."""

    def __init__(self, path: str | Path, offer: str, key: str) -> None:
        self.path = Path(path)
        header, self.state = read_ledger(self.path)
        check_header(self.path, header, offer, key)
        self.done_hashes = done_hashes(self.state)
        self._lock = threading.Lock()
        try:
            self._fh: TextIO = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise LedgerError(f"{self.path}: {exc.strerror or exc}") from None
        _lock_exclusively(self._fh, self.path)
        if self._fh.tell() > 0 and not _ends_with_newline(self.path):
            self._fh.write("\n")
        self._append({"event": "campaign", "offer": offer, "key": key, "at": _now()})

    def started(self, key: str, line: int, row_hash: str) -> None:
        self._append({"event": STARTED, "key": key, "line": line, "hash": row_hash, "at": _now()})

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
        self._append(record | {"at": _now()})
        codes = tuple(str(w.get("code")) for w in warnings or [])
        with self._lock:
            self.state[key] = Entry(DONE, row_hash, session, url, expires, warnings=codes)
            self.done_hashes.add(row_hash)

    def failed(
        self, key: str, row_hash: str, kind: str, status: int | None, message: str, *, uncertain: bool = False
    ) -> None:
        record = {"event": FAILED, "key": key, "hash": row_hash, "kind": kind, "status": status}
        if uncertain:
            record["uncertain"] = True
        self._append(record | {"message": message, "at": _now()})
        with self._lock:
            self.state[key] = Entry(outcome_status(kind, status, uncertain), row_hash, message=message)

    def close(self) -> None:
        with self._lock:
            self._fh.close()

    def _append(self, record: dict[str, Any]) -> None:
        text = jsonout.dumps(record, None) + "\n"
        with self._lock:
            self._fh.write(text)
            self._fh.flush()
            os.fsync(self._fh.fileno())


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


def _lock_exclusively(fh: TextIO, path: Path) -> None:
    """Two runs on one ledger would each send the rows the other has not recorded yet."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks, one run at a time
        return
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise LedgerError(f"{path} is in use by another run of this campaign; let it finish") from None


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"
