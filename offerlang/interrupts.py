"""Ctrl-C and SIGTERM, taken the same way while offerlang sends.

SIGTERM is what `timeout`, `docker stop` and a cancelled CI job send. Its default kills the
process at once: a campaign would not finish the requests in flight, not record them, not
write --out. While `offer send` runs, SIGTERM raises `Terminated` (a KeyboardInterrupt) in the
main thread instead, so every place that handles Ctrl-C handles it too; the exit code is then
143 (128 + 15, as a shell reports a process killed by SIGTERM) instead of 130.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_state = {"terminated": False}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be."""


def terminated() -> bool:
    """Whether SIGTERM arrived while `sigterm_as_interrupt` was in force."""
    return _state["terminated"]


def _on_sigterm(_signum: int, _frame: Any) -> None:
    _state["terminated"] = True
    raise Terminated


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    if not _main_thread():  # signals are only ever handled in the main thread
        yield
        return
    _state["terminated"] = False
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM held back until the block ends, then taken: for work that must not be
    cut in half (handing a row to a worker, recording an outcome, writing the report)."""
    if not _main_thread():
        yield
        return
    caught: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda signum, _frame: caught.append(signum))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for signum in dict.fromkeys(caught):
        sig = signal.Signals(signum)
        handler = previous[sig]
        if callable(handler):
            handler(sig, None)
        elif handler == signal.SIG_DFL:
            signal.raise_signal(sig)
