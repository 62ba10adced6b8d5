"""The local record of the sessions `offer send` created: a journal (send/journal.py).

FastSpring has no idempotency key and no way to list sessions, so this file is the only guard
against creating the same session twice by accident, also when two `offer send` run at once.
It is never locked across an HTTP call (that would hold up unrelated sends); instead a send

1. locks the file, reads it, and decides: an identical request (same body hash, store, test
   mode and API URL) with a session still valid is not sent again; one whose latest attempt
   has no known outcome (in flight in another run right now, or cut off without an answer) is
   not sent either: both only with --force;
2. otherwise appends a `started` record (fsynced) and unlocks;
3. sends, and appends the outcome: the receipt, or a `failed` record saying whether a session
   may exist all the same (uncertain) — before anything is printed.

Records (one JSON object a line, never rewritten):

    {"event":"started","attempt":"<id>","offer":…,"sha256":…,"store":…,"test_store":…,"api_url":…,"pid":…,"at":…}
    {"offer":…,"sha256":…,"store":…,"test_store":…,"api_url":…,"id":…,"url":…,"expires_ms":…,"expires":…,"created":…,"attempt":…}
    {"event":"failed","attempt":…,"kind":"rejected","status":400,"uncertain":false,"at":…}

A receipt keeps the format of earlier versions (no `event`), so receipts they wrote still count.
`offer` is the absolute path of the offer, percent-encoded if it is not UTF-8.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from offerlang.files import path_text
from offerlang.send import journal as j
from offerlang.send.journal import Damage, Journal, payload_hash

if TYPE_CHECKING:
    from offerlang.send.client import Target

RECEIPTS_DIR = ".offer"
RECEIPTS_FILE = "receipts.jsonl"

payload_sha256 = payload_hash  # the name earlier versions used


def offer_name(offer_path: str) -> str:
    """How a receipt names its offer: the absolute path, so that runs from any folder agree
    (percent-encoded when it is not UTF-8: a receipt must be recordable for every path)."""
    if offer_path in ("-", "<stdin>"):
        return offer_path
    return path_text(str(Path(offer_path).resolve()))


def default_path(offer_path: str) -> Path:
    """`.offer/receipts.jsonl` beside the offer; in the current folder for standard input."""
    folder = Path.cwd() if offer_path in ("-", "<stdin>") else Path(offer_path).parent
    return folder / RECEIPTS_DIR / RECEIPTS_FILE


def iso_utc(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="seconds")


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


@dataclass(frozen=True)
class Receipt:
    offer: str
    sha256: str
    store: str
    test_store: bool
    api_url: str
    id: str
    url: str
    expires_ms: int
    expires: str  # the same instant as expires_ms, readable: ISO 8601 in UTC
    created: str  # ISO 8601 in UTC

    @staticmethod
    def new(
        offer: str, sha256: str, target: Target, *, session_id: str, url: str, expires_ms: int
    ) -> Receipt:
        created = datetime.now(UTC).isoformat(timespec="seconds")
        return Receipt(
            offer,
            sha256,
            target.store,
            target.test_store,
            target.api_url,
            session_id,
            url,
            expires_ms,
            iso_utc(expires_ms),
            created,
        )

    def same_target(self, sha256: str, target: Target) -> bool:
        """The same body sent to the same place: a session on a stand-in or on another store
        does not make a send to FastSpring a duplicate."""
        mine = (self.sha256, self.store, self.test_store, self.api_url)
        return mine == (sha256, target.store, target.test_store, target.api_url)


@dataclass(frozen=True)
class ReceiptV2(Receipt):
    """A receipt of a Sessions v2 session: the v1 receipt's fields (its `api_url` already names
    the checkout, which is all the duplicate guard needs), and what FastSpring's answer said that
    a rerun must say again: its `warnings` (with what offerlang had to assume, send/v2.py) and
    the `prices` it computed (the answer's `currency` and the price fields of its `cart`), so
    that a second send of the same offer re-shows them, and its exit code, instead of "still
    valid" alone."""

    target: str = "v2"
    warnings: list[dict[str, Any]] = field(default_factory=list)
    prices: dict[str, Any] | None = None


_TARGET: j.Fields = {"sha256": j.sha256_hex, "store": j.text, "test_store": j.flag, "api_url": j.text}
_RECEIPT: j.Fields = {
    "offer": j.text,
    **_TARGET,
    "id": j.session_id,
    "url": j.link,
    "expires_ms": j.epoch_ms,
    "expires": j.timestamp,
    "created": j.timestamp,
}
_STARTED: j.Fields = {"attempt": j.text, "offer": j.text, **_TARGET, "at": j.timestamp}
_FAILED: j.Fields = {"attempt": j.text, "kind": j.text, "status": j.http_status, "uncertain": j.flag}
_FIELDS = tuple(f.name for f in fields(Receipt))


# What is known of an unresolved attempt (Unresolved.outcome).
NO_OUTCOME = "none"  # nothing recorded: in flight in another run right now, or cut off by a kill
INTERRUPTED = "interrupted"  # stopped (Ctrl-C, SIGTERM) after an attempt that got no answer
UNANSWERED = "unanswered"  # no answer it could read: a timeout, a dropped connection, a garbled one
UNREADABLE = "unreadable"  # a success answer (2xx) whose session could not be read


@dataclass(frozen=True)
class Unresolved:
    """The latest attempt at the same request, without a session to show for it."""

    at: str  # when it started (ISO 8601, UTC)
    pid: int | None  # the process that started it
    outcome: str = NO_OUTCOME  # one of the four above

    @property
    def answered(self) -> bool:
        """FastSpring answered, and the answer may hide a session."""
        return self.outcome == UNREADABLE


def _unresolved_outcome(failed: dict[str, Any] | None) -> str:
    """What a `failed` record (or none) says of an uncertain attempt: an answer is only known
    to have come for a 2xx (any other status settles the attempt, unless an earlier try of it
    got none)."""
    if failed is None:
        return NO_OUTCOME
    if failed["kind"] == "interrupted":
        return INTERRUPTED
    status = failed["status"]
    return UNREADABLE if status is not None and 200 <= status < 300 else UNANSWERED


@dataclass(frozen=True)
class Decision:
    action: Literal["send", "already-sent", "unresolved"]
    attempt: str | None = None  # for "send": the id of the `started` record
    receipt: Receipt | None = None  # for "already-sent"
    unresolved: Unresolved | None = None  # for "unresolved"


class Receipts:
    """One receipts file, open for the length of a run."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.damaged: list[Damage] = []  # from the last reading
        self._journal = Journal(self.path)

    def open_file(self) -> None:
        """Create the folder and the file if need be. OSError (files.Refused among them) if the
        receipts cannot be kept there."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._journal.open(create=True)

    def read_all(self) -> None:
        """Read every record once, so that a file that cannot be read stops a run before anything
        is sent. OSError if it cannot be read."""
        self._journal.lock(wait=True)
        try:
            self._read()
        finally:
            self._journal.unlock()

    def close(self) -> None:
        self._journal.close()

    def begin(
        self, sha256: str, target: Target, *, offer: str, force: bool, now_ms: int | None = None
    ) -> Decision:
        """Decide, under the lock, whether to send; if so, record that the request starts."""
        aimed = (sha256, target.store, target.test_store, target.api_url)
        now = now_ms if now_ms is not None else _now_ms()
        self._journal.lock(wait=True)  # held for a read and one append, never across a request
        try:
            valid: Receipt | None = None
            latest: dict[str, Any] | None = None  # the last attempt at this request
            outcomes: dict[str, dict[str, Any] | Receipt] = {}  # by attempt id
            for record, attempt in self._read():
                if isinstance(record, Receipt):
                    live = record.same_target(sha256, target) and record.expires_ms > now
                    if live and (valid is None or record.expires_ms >= valid.expires_ms):
                        valid = record
                    if attempt is not None:
                        outcomes[attempt] = record
                elif record["event"] == "started":
                    if (record["sha256"], record["store"], record["test_store"], record["api_url"]) == aimed:
                        latest = record
                else:  # failed
                    outcomes[record["attempt"]] = record
            if not force:
                if valid is not None:
                    return Decision("already-sent", receipt=valid)
                if latest is not None:
                    outcome = outcomes.get(latest["attempt"])
                    if outcome is None or (isinstance(outcome, dict) and outcome["uncertain"]):
                        pid = latest.get("pid")
                        failed = outcome if isinstance(outcome, dict) else None
                        return Decision(
                            "unresolved",
                            unresolved=Unresolved(
                                latest["at"], pid if j.count(pid) else None, _unresolved_outcome(failed)
                            ),
                        )
            attempt = secrets.token_hex(8)
            self._journal.append(
                {
                    "event": "started",
                    "attempt": attempt,
                    "offer": offer,
                    "sha256": sha256,
                    "store": target.store,
                    "test_store": target.test_store,
                    "api_url": target.api_url,
                    "pid": os.getpid(),
                    "at": j.now_utc(),
                }
            )
            return Decision("send", attempt=attempt)
        finally:
            self._journal.unlock()

    def created(self, attempt: str, receipt: Receipt) -> None:
        """The session, recorded (fsynced) before anyone is told about it."""
        self._append(asdict(receipt) | {"attempt": attempt})

    def failed(self, attempt: str, kind: str, status: int | None, *, uncertain: bool) -> None:
        record = {"event": "failed", "attempt": attempt, "kind": kind, "status": status}
        self._append(record | {"uncertain": uncertain, "at": j.now_utc()})

    def _append(self, record: dict[str, Any]) -> None:
        self._journal.lock(wait=True)
        try:
            self._journal.append(record)
        finally:
            self._journal.unlock()

    def _read(self) -> list[tuple[Receipt | dict[str, Any], str | None]]:
        """(receipt, its attempt id if any), and (`started` or `failed` record, its attempt id);
        lines that are none of these go to `damaged`."""
        out: list[tuple[Receipt | dict[str, Any], str | None]] = []
        self.damaged = []
        for number, record in self._journal.read():
            if isinstance(record, Damage):
                self.damaged.append(record)
                continue
            event = record.get("event")
            if event is None:
                wrong = j.wrong_field(record, _RECEIPT, {"attempt": j.text})
                if wrong is None:
                    out.append((_receipt(record), record.get("attempt")))
                    continue
            elif event in ("started", "failed"):
                wrong = j.wrong_field(record, _STARTED if event == "started" else _FAILED)
                if wrong is None:
                    out.append((record, record["attempt"]))
                    continue
            else:
                continue  # written by a newer offerlang: not ours to judge
            self.damaged.append(Damage(number, wrong, record=record))
        return out


def _receipt(record: dict[str, Any]) -> Receipt:
    """A receipt record as a Receipt; a Sessions v2 one (`"target": "v2"`) as a ReceiptV2 with
    what FastSpring's answer said, each part kept only if it has its shape (a damaged part is
    left out: the session, which the duplicate guard needs, is still read)."""
    base = {name: record[name] for name in _FIELDS}
    if record.get("target") != "v2":
        return Receipt(**base)
    warnings = record.get("warnings")
    prices = record.get("prices")
    return ReceiptV2(
        **base,
        warnings=[w for w in warnings if isinstance(w, dict)] if isinstance(warnings, list) else [],
        prices=prices if isinstance(prices, dict) else None,
    )
