"""An append-only JSON Lines journal: what `offer send` records about the sessions it creates.

FastSpring has no idempotency key and no way to list sessions, so a journal is the only guard
against creating a session twice. The receipts of single sends (send/receipts.py) and the
campaign ledger (campaign/ledger.py) are both one of these:

- one JSON object a line, only ever appended, each record fsynced before the call returns;
- opened without following a symbolic link, only if it is a regular file of the user's own
  that not everyone can write (offerlang/files.py);
- locked (an exclusive advisory lock) by whoever reads it to decide what to send, *before*
  reading it, so that no other run appends between the reading and the decision;
- read back line by line without trusting a line: one that is not UTF-8, not JSON, nested
  deeper than jsonout.MAX_DEPTH, longer than MAX_LINE, or with a field of the wrong type
  (`wrong_field`) is a damaged line (`Damage`), for a warning, and skipped: never a crash;
- a line cut short by a killed process ("torn": the last line, without its newline) never
  swallows the next record: an append after it starts on a fresh line.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from offerlang import files, jsonout
from offerlang.errors import OfferlangError
from offerlang.language import CHECKOUT_LINK, SESSION_ID

# Epoch milliseconds of 9999-12-31: a later expiry is not a time that can be shown.
LAST_MS = 253_402_300_799_999
_CHUNK = 1 << 20
# A record is a few hundred bytes; a longer line is damage, and is not read into memory.
MAX_LINE = 1 << 20
_KEPT = 4096  # of a damaged line, enough to say which record it was


class JournalBusy(OfferlangError):
    """Another process holds the journal's lock."""


@dataclass(frozen=True)
class Damage:
    """A line that is not a record this journal can use."""

    line: int
    reason: str
    torn: bool = False  # the last line, without its newline: a write cut short by a killed process
    record: dict[str, Any] | None = None  # the object, when the line was JSON with wrong-typed fields
    raw: bytes = b""  # the start of the line, when it was not a JSON object


def payload_hash(payload: Mapping[str, Any]) -> str:
    """SHA-256 of the request body (compact, exact decimals) in the one text hashes have always
    been made of (jsonout.canonical), so that an identical request is known across versions."""
    return hashlib.sha256(jsonout.canonical(payload).encode("utf-8", "surrogatepass")).hexdigest()


def now_utc() -> str:
    """A record's timestamp: ISO 8601 in UTC, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def uncertain(kind: str | None, http_status: int | None, may_have_created: bool = False) -> bool:
    """Whether a failed request may have created a session all the same. One with an HTTP answer
    did not (FastSpring said no); one without (a lost connection, a timeout, an interruption) or
    with a success answer that could not be read may have reached FastSpring: as uncertain as a
    request with no outcome at all."""
    if may_have_created:
        return True
    return kind not in ("rejected", "auth") and http_status is None


# ---- field checks: what a record's fields must be, or the line is damaged ----------------------


def text(value: Any) -> bool:
    return isinstance(value, str)


def optional_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def flag(value: Any) -> bool:
    return isinstance(value, bool)


def count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def http_status(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599)


def epoch_ms(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= LAST_MS


def session_id(value: Any) -> bool:
    """A FastSpring session id: anything else is not one a session was recorded with."""
    return isinstance(value, str) and SESSION_ID.fullmatch(value) is not None


def link(value: Any) -> bool:
    """A checkout link as offerlang hands them out: a plain https address (CHECKOUT_LINK), so
    that a tampered line cannot put an escape sequence or a bidi control in front of anyone."""
    return isinstance(value, str) and CHECKOUT_LINK.fullmatch(value) is not None


def sha256_hex(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def timestamp(value: Any) -> bool:
    """ISO 8601 with a time zone, as records are written."""
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


Fields = Mapping[str, Callable[[Any], bool]]


def wrong_field(record: Mapping[str, Any], fields: Fields, optional: Fields | None = None) -> str | None:
    """The first field that is missing or of the wrong type, described; None if all are right."""
    for name, ok in fields.items():
        if name not in record:
            return f"no {name!r}"
        if not ok(record[name]):
            return f"{name!r} is {_shown(record[name])}"
    for name, ok in (optional or {}).items():
        if name in record and not ok(record[name]):
            return f"{name!r} is {_shown(record[name])}"
    return None


def _shown(value: Any) -> str:
    try:
        shown = jsonout.dumps(value, None)
    except (TypeError, ValueError):
        shown = type(value).__name__
    return shown if len(shown) <= 40 else shown[:37] + "…"


# ---- the journal ------------------------------------------------------------------------------


class Journal:
    """One journal file. The methods are safe to call from several threads of one process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._mutex = threading.Lock()

    def open(self, *, create: bool = True, writable: bool = True) -> bool:
        """Open it (creating it if asked); False if it does not exist and `create` is false.
        files.Refused or OSError when it cannot be used."""
        self._fd = files.open_journal(self.path, create=create, writable=writable)
        return self._fd is not None

    def close(self) -> None:
        with self._mutex:
            if self._fd is not None:
                fd, self._fd = self._fd, None
                os.close(fd)  # also releases the lock

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def lock(self, *, wait: bool) -> None:
        """Take the exclusive lock: JournalBusy when another process holds it and not `wait`."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks, one run at a time
            return
        try:
            fcntl.flock(self._fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise JournalBusy(str(self.path)) from None

    def unlock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover
            return
        fcntl.flock(self._fileno(), fcntl.LOCK_UN)

    def read(self) -> Iterator[tuple[int, dict[str, Any] | Damage]]:
        """(line number, object) for every line that is a JSON object, (line number, Damage) for
        any other non-blank line; from the start, whatever was appended meanwhile. The caller
        checks the fields of each object (`wrong_field`)."""
        for number, raw, torn in self._lines():
            if raw is None:
                yield number, Damage(number, f"longer than {MAX_LINE // 2**20} MiB", torn)
                continue
            if not raw.strip():
                continue
            try:
                record = jsonout.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield number, Damage(number, "not UTF-8 text", torn, raw=raw[:_KEPT])
                continue
            except ValueError as exc:
                reason = getattr(exc, "msg", None) or str(exc)
                yield number, Damage(number, f"not JSON: {reason}", torn, raw=raw[:_KEPT])
                continue
            if not isinstance(record, dict):
                yield number, Damage(number, "not a JSON object", torn, raw=raw[:_KEPT])
                continue
            yield number, record

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record on a line of its own and fsync it. OSError when it cannot be written."""
        # A lone surrogate (a key read from bytes that were not UTF-8) can only stand inside a
        # JSON string, where backslashreplace writes it as the JSON escape \udcff: valid UTF-8
        # that reads back as the same string.
        data = (jsonout.dumps(record, None) + "\n").encode("utf-8", "backslashreplace")
        with self._mutex:
            fd = self._fileno()
            end = os.fstat(fd).st_size
            # A line cut short by a crash must stay a damaged line of its own, not swallow this one.
            if end and os.pread(fd, 1, end - 1) != b"\n":
                data = b"\n" + data
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)

    def _fileno(self) -> int:
        if self._fd is None:
            raise ValueError(f"{self.path} is not open")
        return self._fd

    def _lines(self) -> Iterator[tuple[int, bytes | None, bool]]:
        """(number, bytes without the newline, torn) from the start of the file, read by offset
        so that appends through the same descriptor do not move the reading. A line longer than
        MAX_LINE comes as None, without being held in memory."""
        fd = self._fileno()
        offset = 0
        number = 0
        pending: list[bytes] = []  # the start of a line that spans chunks
        size = 0
        while True:
            chunk = os.pread(fd, _CHUNK, offset)
            if not chunk:
                break
            offset += len(chunk)
            start = 0
            while (end := chunk.find(b"\n", start)) != -1:
                number += 1
                if size + end - start > MAX_LINE:
                    yield number, None, False
                elif pending:
                    pending.append(chunk[start:end])
                    yield number, b"".join(pending), False
                else:
                    yield number, chunk[start:end], False
                pending, size = [], 0
                start = end + 1
            if start < len(chunk):
                size += len(chunk) - start
                if size <= MAX_LINE:
                    pending.append(chunk[start:])
                else:
                    pending = []
        if size:
            yield number + 1, b"".join(pending) if size <= MAX_LINE else None, True
