"""The user's own cache folder, $XDG_CACHE_HOME/offerlang (default ~/.cache/offerlang).

`offer` is a short-lived process, so what is expensive and never changes for the same input is
kept here between runs: the built LALR parser, and the schema gate's verdict on payloads it has
already accepted. Never the shared temp dir (Lark's cache=True writes a predictable pickle
there), and only ever read from a folder that this user owns and no one else can write to.
A cache file is never read or written through a symbolic link (the folder may be one): such a
file is not used and not replaced, silently, as the cache only ever saves time.
`OFFERLANG_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def cache_dir() -> Path | None:
    if os.environ.get("OFFERLANG_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset, or relative: which the XDG spec says to ignore
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "offerlang"


def trusted(path: Path) -> bool:
    """Ours, and writable by no one else: the only files and folders the cache reads."""
    try:
        return _ours(path.stat())
    except OSError:
        return False


def _ours(st: os.stat_result) -> bool:
    if not hasattr(os, "getuid"):  # no POSIX owners (Windows): no cache
        return False
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def exists(path: Path) -> bool:
    """A trusted cache file is there (a link in its place is not one)."""
    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and _ours(st)


def open_file(path: Path) -> BinaryIO | None:
    """A trusted cache file, opened for reading without following a link; None otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    st = os.fstat(fd)
    if not (stat.S_ISREG(st.st_mode) and _ours(st)):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def touch(path: Path) -> None:
    """An empty marker file, created 0600 if missing, never through a link; failures ignored."""
    with contextlib.suppress(OSError):
        flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        os.close(os.open(path, flags, 0o600))


def subdir(name: str) -> Path | None:
    """A trusted folder inside the cache, created 0700 on first use; None when there can be none."""
    base = cache_dir()
    if base is None:
        return None
    directory = private_dir(base / name)
    return directory if directory is not None and trusted(base) else None


def private_dir(directory: Path) -> Path | None:
    """The folder, created 0700 if new; None unless it is trusted."""
    with contextlib.suppress(OSError):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory if trusted(directory) else None


def write(path: Path, fill: Callable[[BinaryIO], None]) -> None:
    """Write atomically (another process never reads a half-written file); a cache that
    cannot be written is simply not kept."""
    import tempfile  # only needed when writing

    with contextlib.suppress(OSError):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fill(fh)
            if os.path.islink(path):
                return  # someone's link in its place: not ours to replace
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
