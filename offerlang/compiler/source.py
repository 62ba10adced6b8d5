"""Bytes on disk -> source text, with every way that can fail as a located Diagnostic."""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from offerlang.compiler.diagnostics import Diagnostic, error
from offerlang.compiler.nodes import Span
from offerlang.errors import OfferlangError
from offerlang.language import MAX_SOURCE_BYTES as MAX_BYTES


@dataclass
class Source:
    path: str
    text: str | None  # None when the bytes could not be decoded
    diagnostics: list[Diagnostic] = field(default_factory=list)
    bom: bool = False  # the bytes began with a UTF-8 byte order mark (dropped from `text`)


_WIDE_BOMS = (
    ("UTF-32", codecs.BOM_UTF32_LE),
    ("UTF-32", codecs.BOM_UTF32_BE),
    ("UTF-16", codecs.BOM_UTF16_LE),
    ("UTF-16", codecs.BOM_UTF16_BE),
)


class UnreadableFile(OfferlangError):
    """The path cannot be read at all (missing, a directory, no permission): a usage error."""


class NotRegularFile(UnreadableFile):
    """The path names a named pipe, a device or a socket: never read (it could block forever)."""


def read_file(path: str | Path, *, kind: str = "offer") -> Source:
    p = Path(path)
    if p.is_dir():
        raise UnreadableFile(f"{path}: is a directory, not {'an' if kind[0] in 'aeiou' else 'a'} {kind} file")
    try:
        with open_regular(path) as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such file or directory") from None
    except PermissionError:
        raise UnreadableFile(f"{path}: permission denied") from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return decode(data, str(path), kind=kind)


_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def open_regular(path: str | Path) -> BinaryIO:
    """`path` opened for reading bytes if it is a regular file; NotRegularFile if it is not,
    OSError if it cannot be opened.

    A named pipe would block the command until something writes to it (forever, in CI), and a
    device may never end: files named on the command line must be regular files. The open
    itself does not block (O_NONBLOCK), so a pipe is refused, not waited for."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = next((name for test, name in _NOT_REGULAR if test(mode)), "not a file")
            raise NotRegularFile(f"{path}: is {what}, not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def decode(data: bytes, path: str = "<stdin>", *, kind: str = "offer") -> Source:
    """`kind` names what the bytes should hold, in the messages only: "offer", "JSON"."""
    if len(data) > MAX_BYTES:
        return _unreadable(
            path,
            "E003",
            f"the file is larger than {MAX_BYTES // 2**20} MiB; {kind} files are small text files",
            Span(1, 1, 1, 2),
            "is this the right file?",
        )
    # Before the NUL test: UTF-16 and UTF-32 text is full of NUL bytes but is not binary.
    # (UTF-32 LE first: its mark starts with UTF-16 LE's.)
    for encoding, mark in _WIDE_BOMS:
        if data.startswith(mark):
            return _unreadable(
                path,
                "E001",
                f"the file is saved as {encoding}; {kind} files are UTF-8",
                Span(1, 1, 1, 2),
                "save it as UTF-8 in your editor (often under “Save as…” → encoding)",
            )
    nul = data.find(b"\0")
    if nul != -1:
        line, col = _byte_position(data, nul)
        return _unreadable(
            path,
            "E002",
            f"the file is binary (it contains a NUL byte), not {kind} text",
            Span(line, col, line, col + 1),
            "is this the right file?",
        )
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(data, exc.start)
        bad = data[exc.start : exc.start + 1].hex()
        return _unreadable(
            path,
            "E001",
            f"the file is not valid UTF-8 (byte 0x{bad})",
            Span(line, col, line, col + 1),
            "save the file as UTF-8 in your editor",
        )
    return Source(path, text, bom=bom)


def _unreadable(path: str, code: str, message: str, span: Span, hint: str) -> Source:
    return Source(path, None, [error(code, message, span, hint).at(path)])


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    # Columns count characters, so decode what precedes the offset on its line.
    col = len(data[start:offset].decode("utf-8", errors="replace")) + 1
    return line, col
