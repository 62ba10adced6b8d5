"""The local record of the sessions `offer send` created.

FastSpring has no idempotency key and no way to list sessions, so this append-only JSON Lines
file is the only guard against creating the same session twice by accident. One line per
session: the offer, a sha256 of the exact request body, where it went, the session id, link and
expiry, and when it was created. Lines are only ever appended (and fsynced), never rewritten.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offerlang.jsonout import dumps, loads

if TYPE_CHECKING:
    from offerlang.send.client import Target

RECEIPTS_DIR = ".offer"
RECEIPTS_FILE = "receipts.jsonl"


def payload_sha256(payload: dict[str, Any]) -> str:
    """The hash of the request body exactly as sent (compact, exact decimals)."""
    return hashlib.sha256(dumps(payload, None).encode("utf-8")).hexdigest()


def offer_name(offer_path: str) -> str:
    """How a receipt names its offer: the absolute path, so that runs from any folder agree."""
    return offer_path if offer_path in ("-", "<stdin>") else str(Path(offer_path).resolve())


def default_path(offer_path: str) -> Path:
    """`.offer/receipts.jsonl` beside the offer; in the current folder for standard input."""
    folder = Path.cwd() if offer_path in ("-", "<stdin>") else Path(offer_path).parent
    return folder / RECEIPTS_DIR / RECEIPTS_FILE


def iso_utc(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="seconds")


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


_FIELDS = tuple(f.name for f in fields(Receipt))
_V2_FIELDS = tuple(f.name for f in fields(ReceiptV2) if f.name not in _FIELDS)


class Receipts:
    """One receipts file. Safe to share between threads of one process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.unreadable_lines: list[int] = []
        self._lock = threading.Lock()

    def read(self) -> Iterator[Receipt]:
        """Every well-formed receipt; other lines (one cut short by a crash, or bytes that are not
        UTF-8) are skipped and their numbers kept in `unreadable_lines`. OSError if unreadable."""
        self.unreadable_lines = []
        try:
            lines = self.path.read_bytes().split(b"\n")
        except FileNotFoundError:
            return
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = loads(line.decode("utf-8"))
                # Only the known fields: a line written by a newer offerlang still counts.
                base = {name: record[name] for name in _FIELDS}
                if record.get("target") == "v2":
                    extra = {name: record[name] for name in _V2_FIELDS if name in record}
                    yield ReceiptV2(**base, **extra)
                else:
                    yield Receipt(**base)
            except (ValueError, TypeError, KeyError):  # UnicodeDecodeError is a ValueError
                self.unreadable_lines.append(number)

    def find_valid(self, sha256: str, target: Target, *, now_ms: int | None = None) -> Receipt | None:
        """The session for an identical request that has not expired yet (the latest to expire)."""
        now = now_ms if now_ms is not None else int(datetime.now(UTC).timestamp() * 1000)
        matches = [
            r
            for r in self.read()
            if r.same_target(sha256, target) and isinstance(r.expires_ms, int) and r.expires_ms > now
        ]
        return max(matches, key=lambda r: r.expires_ms, default=None)

    def append(self, receipt: Receipt) -> None:
        line = (dumps(asdict(receipt), None) + "\n").encode("utf-8")
        with self._lock:
            self.prepare_folder()
            with self.path.open("a+b") as fh:
                # A line cut short by a crash must stay a damaged line of its own, not swallow this one.
                if fh.seek(0, os.SEEK_END) > 0:
                    fh.seek(-1, os.SEEK_END)
                    if fh.read(1) != b"\n":
                        line = b"\n" + line
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())

    def prepare_folder(self) -> None:
        """OSError when the receipts cannot be written there."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.is_dir():
            raise IsADirectoryError(f"{self.path} is a directory")
