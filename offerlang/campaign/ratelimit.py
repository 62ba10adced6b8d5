"""A client-side rate limiter that never lets more than N requests start in any one-minute window.

It is a token bucket with a burst of one, which is the same as handing out start times at
least `60/N` seconds apart: any window of length W then holds at most ceil(W * N / 60) starts
(N in a minute, N/60 rounded up in a second), however many threads ask at once.

When the store says it is overloaded (429, or FastSpring's rate-limit 404) the spacing doubles
(up to MAX_SLOWDOWN times the configured one) and every thread pauses for the delay the store
asked for; each later permit then brings the spacing back a little toward the configured rate.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

MAX_SLOWDOWN = 8.0
# Each permit granted after a rate-limit answer keeps this fraction of the extra spacing:
# about 7 permits halve it, 30 bring a doubled spacing back to within 5% of normal.
RECOVERY = 0.9

_RATE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(?:/\s*(s|sec|second|m|min|minute|h|hour))?\s*")
_PER_MINUTE = {None: 1.0, "m": 1.0, "min": 1.0, "minute": 1.0, "s": 60.0, "sec": 60.0, "second": 60.0}
_PER_MINUTE.update({"h": 1 / 60, "hour": 1 / 60})


def parse_rate(text: str) -> float:
    """`120/min`, `2/s`, `600/hour` or a bare number (per minute) -> requests per minute."""
    m = _RATE.fullmatch(text)
    if m is None or float(m.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a rate: write it like 120/min or 2/s")
    return float(m.group(1)) * _PER_MINUTE[m.group(2)]


class RateLimiter:
    """Thread-safe. `acquire()` (or calling the limiter) blocks until the caller may start."""

    def __init__(
        self,
        per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("the rate must be positive")
        self.interval = 60.0 / per_minute
        self.slowdown = 1.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start = float("-inf")
        self._ahead = threading.local()

    def acquire(self) -> float:
        """Wait for this caller's turn; returns the start time it was given."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            # Reserve the slot under the lock, sleep outside it: waiting callers queue in order
            # and never two of them get the same slot.
            self._next_start = start + self.interval * self.slowdown
            self.slowdown = max(1.0, 1.0 + (self.slowdown - 1.0) * RECOVERY)
        if start > now:
            self._sleep(start - now)
        return start

    def acquire_ahead(self) -> None:
        """Wait for a slot now, for the next attempt this thread makes: the campaign waits
        before it records a row as started, so a row is only `started` once it may leave."""
        self.acquire()
        self._ahead.taken = True

    def __call__(self, *_args: object, **_kwargs: object) -> None:
        # The send client calls its `before_attempt` hook before every attempt, retries too.
        if getattr(self._ahead, "taken", False):
            self._ahead.taken = False
            return
        self.acquire()

    def on_rate_limited(self, delay: float | None = None, *_args: object) -> None:
        """The store answered 429 / rate-limit 404: slow down, and pause everyone for `delay`."""
        with self._lock:
            self.slowdown = min(MAX_SLOWDOWN, self.slowdown * 2)
            resume = self._clock() + max(delay or 0.0, self.interval * self.slowdown)
            self._next_start = max(self._next_start, resume)
