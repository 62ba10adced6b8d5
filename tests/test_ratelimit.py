"""The rate limiter never lets more than N requests start in any window, on a fake clock."""

from __future__ import annotations

import itertools
import math
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offerlang.campaign.ratelimit import MARGIN, MAX_SLOWDOWN, RateLimiter, Stopped, parse_rate


class FakeClock:
    """Time that moves only when someone sleeps (or the test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now = max(self.now, self.now + seconds)

    def advance(self, seconds: float) -> None:
        self.sleep(seconds)


def peak(starts: list[float], window: float) -> int:
    """The most starts in any half-open window [t, t + window)."""
    times = sorted(starts)
    best, first = 0, 0
    for last, t in enumerate(times):
        while times[first] <= t - window + 1e-9:  # starts exactly `window` apart: not both inside
            first += 1
        best = max(best, last - first + 1)
    return best


def limiter(per_minute: float) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(per_minute, clock=clock, sleep=clock.sleep), clock


def test_parse_rate():
    assert parse_rate("120/min") == 120
    assert parse_rate("2/s") == 120
    assert parse_rate("600/hour") == 10
    assert parse_rate("90") == 90
    for bad in ("fast", "0/min", "-1/s", "5/day"):
        with pytest.raises(ValueError, match="is not a rate"):
            parse_rate(bad)


def test_peak_over_any_second_from_many_threads():
    """16 threads ask at once, 400 times in all: at 120/min, never 3 starts in one second.
    Every sleeping thread moves the shared fake clock: they all oversleep, all the time."""
    rate, _clock = limiter(120)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            start = rate.acquire()
            with lock:
                starts.append(start)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(starts) == 400
    assert peak(starts, 1.0) == 2
    assert 110 <= peak(starts, 60.0) <= 120
    assert len(set(starts)) == 400, "no two callers share a slot"


@given(
    per_minute=st.sampled_from([1, 7, 60, 120, 250, 3000]),
    steps=st.lists(
        st.one_of(
            st.just(("acquire", 0.0)),
            st.tuples(st.just("idle"), st.floats(0, 5)),
            st.tuples(st.just("limited"), st.floats(0, 3)),
        ),
        max_size=120,
    ),
)
def test_no_window_ever_holds_more_than_the_rate(per_minute, steps):
    rate, clock = limiter(per_minute)
    starts = []
    for action, amount in steps:
        if action == "acquire":
            starts.append(rate.acquire())
        elif action == "idle":
            clock.advance(amount)
        else:
            rate.on_rate_limited(amount)
    interval = 60 / per_minute
    assert all(b - a >= interval - 1e-9 for a, b in itertools.pairwise(starts))
    for window in (1.0, 60.0):
        assert peak(starts, window) <= max(1, math.ceil(window / interval - 1e-9))


def test_rate_limited_answers_slow_down_then_recover():
    rate, clock = limiter(600)  # one start every 0.1 s
    rate.acquire()
    rate.on_rate_limited(2.0)
    resumed = rate.acquire()
    assert resumed >= clock.now - 1e-9 and resumed >= 1000.0 + 2.0, "everyone waits the store's delay"
    gaps = []
    previous = resumed
    for _ in range(200):
        start = rate.acquire()
        gaps.append(start - previous)
        previous = start
    assert gaps[0] == pytest.approx(0.2 * MARGIN), "the spacing doubled"
    assert gaps[0] > gaps[5] > gaps[20] > 0.1 * MARGIN
    assert gaps[199] == pytest.approx(0.1 * MARGIN), "back to the configured rate"


def test_slowdown_is_capped():
    rate, _clock = limiter(60)
    for _ in range(50):
        rate.on_rate_limited(0)
    assert rate.slowdown == MAX_SLOWDOWN


def test_a_slot_taken_ahead_serves_the_next_attempt_on_that_thread_only():
    rate, clock = limiter(60)
    rate.acquire_ahead()  # start 1000
    rate()  # the first attempt: already paid for, no new slot
    taken = []
    other = threading.Thread(target=lambda: taken.append(rate.acquire()))
    other.start()
    other.join()
    assert taken == [pytest.approx(1000 + MARGIN)], "another thread still queues behind the slot taken ahead"
    rate()  # this thread's retry pays again
    assert clock.now == pytest.approx(1000 + 2 * MARGIN)


def test_a_thread_that_oversleeps_pushes_the_next_permit_back():
    """Permits count from when they were really released: a late waker must not leave the next
    caller on its old schedule, two requests 50 ms apart at 10/s."""
    clock = FakeClock()
    late = iter([0.05])  # the first sleep overruns by 50 ms, the others are exact

    def sleep(seconds: float) -> None:
        clock.sleep(seconds + next(late, 0.0))

    rate = RateLimiter(600, clock=clock, sleep=sleep)
    released = []
    for _ in range(4):
        rate.acquire()
        released.append(clock.now)
    assert all(b - a >= 0.1 - 1e-9 for a, b in itertools.pairwise(released)), released


def test_a_stopped_limiter_hands_out_no_permit_and_does_not_wait():
    stop = threading.Event()
    rate = RateLimiter(1, stop=stop)  # one a minute: the second caller would wait 63 s
    rate.acquire()
    threading.Timer(0.05, stop.set).start()
    with pytest.raises(Stopped):
        rate.acquire()  # returns as soon as stop is set, not a minute later
