"""A client-side rate limiter that never lets more than N requests start in any one-minute window.

It is a token bucket with a burst of one: permits are released at least `60/N` seconds apart,
measured between the times they were actually released (under a lock, after the waiting thread
woke up, so a thread that overslept pushes the next permit back). Any window of length W then
holds at most ceil(W * N / 60) starts, however many threads ask at once. The spacing carries a
MARGIN, so that the few milliseconds between a permit and its request reaching the store cannot
bring the N+1st request of a window into that window.

Waits are taken on the campaign's stop event, not in time.sleep: Ctrl-C never waits for a slot.

When the store says it is overloaded (429, or FastSpring's rate-limit 404) the spacing doubles
(up to MAX_SLOWDOWN times the configured one) and every thread pauses for the delay the store
asked for; each later permit then brings the spacing back a little toward the configured rate.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable


class Stopped(Exception):
    """The campaign is stopping (Ctrl-C, refused credentials): no permit is handed out."""


MAX_SLOWDOWN = 8.0
# Each permit granted after a rate-limit answer keeps this fraction of the extra spacing:
# about 7 permits halve it, 30 bring a doubled spacing back to within 5% of normal.
RECOVERY = 0.9
# 5% above the configured spacing: at 10/s, 105 ms apart, so 11 starts span 1.05 s and a request
# delayed by up to 50 ms on its way still leaves every one-second window with 10.
MARGIN = 1.05

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
    """Thread-safe. `acquire()` (or calling the limiter) blocks until the caller may start;
    raises Stopped once `stop` is set."""

    def __init__(
        self,
        per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("the rate must be positive")
        self.per_minute = per_minute
        self.interval = 60.0 / per_minute
        self.slowdown = 1.0
        self.stop = stop or threading.Event()
        self._clock = clock
        self._sleep = sleep or self.stop.wait
        self._lock = threading.Lock()
        self._next_start = float("-inf")
        self._ahead = threading.local()

    def acquire(self) -> float:
        """Wait for this caller's turn; returns the time its permit was released."""
        while True:
            if self.stop.is_set():
                raise Stopped
            with self._lock:
                now = self._clock()
                if now >= self._next_start:
                    # Released now, so the next permit counts from now: a caller that overslept
                    # pushes the next one back instead of leaving it on its old schedule.
                    self._next_start = now + self.interval * self.slowdown * MARGIN
                    self.slowdown = max(1.0, 1.0 + (self.slowdown - 1.0) * RECOVERY)
                    return now
                wait = self._next_start - now
            self._sleep(wait)

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
