"""The one way offerlang opens a file it writes: journals it appends to, outputs it replaces.

A repository can hold `.offer/receipts.jsonl -> ~/.bashrc`; a shared folder can hold a
`links.csv` that is a link to someone's dotfile. So no file offerlang appends to or creates is
ever reached through a symbolic link in the last part of its path (a dangling link included):
it is refused with a message saying why (`Refused`, an OSError, so every caller that already
turns an unwritable path into exit 2 does so here too). Folders above may be links
(`~/.cache` often is). The one exception is `offer fmt`, which formats the file a linked offer
names, because the user named that offer (`follow_symlinks=True`).

- `open_journal`: an append-only record file (receipts, the campaign ledger): opened without
  following a link, a regular file, owned by the user running offerlang and not writable by
  everyone (another user's records could make offerlang skip a buyer or print their link).
- `open_atomic`: an output that replaces a file as a whole (`-o`, `--out`, `fmt`): written to a
  temporary file beside it, fsynced, and renamed over it; the replaced file keeps its whole
  mode (setuid included) and, where allowed, its owner. A file whose mode bits say read-only,
  one with several hard links (a rename would split them) or one that is not a regular file is
  refused; with `expect`, a file that changed since it was read is left as it is (`Changed`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from offerlang.errors import OfferlangError

# Not on Windows: there the lstat checks below are the only guard.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO must not wait for a writer


class Refused(OSError, OfferlangError):
    """offerlang will not write this path; `strerror` says why and what to do. An OSError, so that
    every caller that turns an unwritable path into exit 2 does so for this one too."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(errno.EPERM, reason, str(path))


class Changed(OSError, OfferlangError):
    """The file changed between reading it and replacing it: it was left as it is."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(
            errno.EAGAIN, "changed while offerlang was working on it; left as it is (run again)", str(path)
        )


SYMLINK = "is a symbolic link; offerlang never writes through a link: remove it, or name the real file"


def refuse_symlink(path: str | Path) -> os.stat_result | None:
    """The path's own status (None when nothing is there); Refused for a link, dangling or not."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise Refused(path, SYMLINK)
    return st


def _open_nofollow(path: str | Path, flags: int, mode: int = 0o666) -> int:
    try:
        return os.open(path, flags | _NOFOLLOW | _CLOEXEC | _NONBLOCK, mode)
    except OSError as exc:
        # ELOOP: the last part is a link (Linux); FreeBSD says EMLINK. Anything else is the
        # ordinary error (missing, a directory, no permission, a full disk).
        if exc.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path):
            raise Refused(path, SYMLINK) from None
        raise


def open_journal(path: str | Path, *, create: bool, writable: bool = True) -> int | None:
    """A file descriptor on the journal at `path`, for reading and appending (or reading only);
    None when it does not exist and `create` is false. Refused: a link, not a regular file, or
    another user's; OSError: it cannot be opened."""
    flags = (os.O_RDWR | os.O_APPEND) if writable else os.O_RDONLY
    if not _NOFOLLOW:
        refuse_symlink(path)  # no O_NOFOLLOW (Windows): checked first, if not atomically
    if create:
        flags |= os.O_CREAT
    try:
        fd = _open_nofollow(path, flags)
    except FileNotFoundError:
        if create:
            raise
        return None
    try:
        check_journal(path, os.fstat(fd))
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_journal(path: str | Path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise Refused(path, "is not a regular file")
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        raise Refused(
            path,
            f"belongs to another user (uid {st.st_uid}); offerlang only trusts records in a file of "
            "your own: check who wrote it, then take it over (chown) or choose another path",
        )
    if st.st_mode & stat.S_IWOTH:
        raise Refused(
            path,
            f"can be written by every user (mode {stat.S_IMODE(st.st_mode):04o}); offerlang only "
            "trusts records no one else can write: chmod o-w it",
        )


@dataclass(frozen=True)
class Fingerprint:
    """A file as it was read: when it is about to be replaced, it must still be exactly this."""

    size: int
    mtime_ns: int
    sha256: str

    @staticmethod
    def of(st: os.stat_result, data: bytes) -> Fingerprint:
        return Fingerprint(st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest())


def read_only(st: os.stat_result) -> bool:
    """Whether the mode bits say no one may write the file (as its owner, group or others, as
    they apply to us). Checked on the bits, not by trying: root may write anything."""
    mode = st.st_mode
    if not hasattr(os, "geteuid"):
        return not mode & stat.S_IWUSR
    euid = os.geteuid()
    if st.st_uid == euid:
        return not mode & stat.S_IWUSR
    if euid == 0:  # not the owner, but root: read-only only if nobody may write it
        return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    if st.st_gid in os.getgroups() or st.st_gid == os.getegid():
        return not mode & stat.S_IWGRP
    return not mode & stat.S_IWOTH


def check_replaceable(path: str | Path) -> os.stat_result | None:
    """Refused unless `path` may be replaced as a whole; its status, or None if it is new."""
    st = refuse_symlink(path)
    if st is None:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise Refused(path, "is not a regular file")
    if read_only(st):
        raise Refused(
            path,
            f"is read-only (mode {stat.S_IMODE(st.st_mode):04o}); make it writable first if it "
            "should change (chmod u+w)",
        )
    if st.st_nlink > 1:
        raise Refused(
            path,
            f"has {st.st_nlink} hard links; replacing it would split them (the other names would "
            "keep the old content), so it is left as it is",
        )
    return st


@contextlib.contextmanager
def open_atomic(
    path: str | Path,
    *,
    follow_symlinks: bool = False,
    expect: Fingerprint | None = None,
) -> Iterator[TextIO]:
    """A file to stream into; it replaces `path` only when the block ends without an exception
    (fsynced, then renamed), and is removed otherwise. Refused (an OSError) for a path that may
    not be replaced; Changed if `expect` no longer describes the file."""
    import tempfile  # only when writing: `offer check` never does

    target = Path(os.path.realpath(path)) if follow_symlinks else Path(path)
    check_replaceable(target)
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    replaced = False
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        # Again, just before the rename: a link or a change may have appeared while we wrote.
        st = check_replaceable(target)
        if expect is not None and (st is None or not _unchanged(target, st, expect)):
            raise Changed(path)
        if st is not None:
            # The owner first: changing it clears the setuid and setgid bits set after it.
            with contextlib.suppress(OSError):
                os.chown(tmp, st.st_uid, st.st_gid)
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
        replaced = True
    finally:
        if not replaced:
            Path(tmp).unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> None:
    """A whole text file, written atomically and never through a link (see open_atomic)."""
    with open_atomic(path) as fh:
        fh.write(text)


def append_text(path: str | Path, text: str) -> None:
    """Text appended to a file (created if new), never through a link. Refused or OSError."""
    fd = _open_nofollow(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Refused(path, "is not a regular file")
        fh.write(text)


def _unchanged(path: Path, st: os.stat_result, expect: Fingerprint) -> bool:
    if (st.st_size, st.st_mtime_ns) != (expect.size, expect.mtime_ns):
        return False
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest() == expect.sha256


_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


def path_text(path: str) -> str:
    """A path as text that can be stored as UTF-8: as it is when it is UTF-8, else every byte
    outside printable ASCII (and `%`) percent-encoded, never a lone surrogate."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = os.fsencode(path)  # the bytes the OS gave us (undecodable ones as surrogates)
        except UnicodeEncodeError:
            raw = path.encode("utf-8", "surrogatepass")
        return quote(raw, safe=_PRINTABLE)
    return path
