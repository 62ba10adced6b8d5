"""The user's own cache folder, $XDG_CACHE_HOME/offerlang (default ~/.cache/offerlang).

`offer` is a short-lived process, so what is expensive and never changes for the same input is
kept here between runs: the built LALR parser, and the schema gate's verdict on payloads it has
already accepted. Never the shared temp dir (Lark's cache=True writes a predictable pickle
there), and only ever read from a folder that this user owns and no one else can write to.
`OFFERLANG_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import contextlib
import os
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
    if not hasattr(os, "getuid"):  # no POSIX owners (Windows): no cache
        return False
    try:
        st = path.stat()
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


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
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
