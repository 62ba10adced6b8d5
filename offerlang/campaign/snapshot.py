"""A rows file read once: the copy that is checked is the copy that is sent.

A campaign passes over its rows several times (check every row, then send, then write
links.csv). Reading the file itself each time would send rows that were never checked if the
file is rewritten mid-run, and leave links.csv short of rows already sent if it is truncated
or deleted. So the file is copied once, when the campaign opens it, into a private spooled
buffer (memory up to SPOOL_BYTES, an unlinked temporary file beyond, so memory stays flat
for any row count), and every pass reads the copy. `changed()` says afterwards whether the
file on disk still holds the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO

from offerlang.compiler.source import open_regular

SPOOL_BYTES = 1024 * 1024


class Snapshot:
    def __init__(self, path: str | Path) -> None:
        """OSError if the file cannot be read; NotRegularFile if it is not a regular file."""
        self.path = Path(path)
        self._copy = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - kept open
        self._lock = threading.Lock()  # passes share the copy; each keeps its own position
        digest = hashlib.sha256()
        # A regular file only (NotRegularFile otherwise): a named pipe would block the campaign.
        with open_regular(self.path) as fh:
            self._stat = os.fstat(fh.fileno())
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
                self._copy.write(chunk)
        self.sha256 = digest.hexdigest()
        self.size = self._copy.tell()

    def open(self) -> BinaryIO:
        """A reader of the copy from its start, independent of any other reader."""
        return io.BufferedReader(_Reader(self))

    def changed(self) -> bool:
        """Whether the file on disk no longer holds the bytes that were copied (or is gone)."""
        try:
            st = os.stat(self.path)
            if (st.st_size, st.st_mtime_ns, st.st_ino) == (
                self._stat.st_size,
                self._stat.st_mtime_ns,
                self._stat.st_ino,
            ):
                return False
            digest = hashlib.sha256()
            with open(self.path, "rb") as fh:
                shutil.copyfileobj(fh, _Hasher(digest))
        except OSError:
            return True
        return digest.hexdigest() != self.sha256

    def close(self) -> None:
        self._copy.close()

    def _read_at(self, offset: int, size: int) -> bytes:
        with self._lock:
            self._copy.seek(offset)
            return self._copy.read(size)


class _Reader(io.RawIOBase):
    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._snapshot._read_at(self._offset, len(buffer))
        buffer[: len(data)] = data
        self._offset += len(data)
        return len(data)


class _Hasher:
    def __init__(self, digest: hashlib._Hash) -> None:
        self._digest = digest

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        return len(data)
