"""A stand-in for FastSpring's POST /sessions for campaigns: tests/fakefastspring.py's server,
answering by buyer.

Each request is identified by its contact email; `faults(key, attempt)` may inject a 429, 404,
503, 400, a dropped connection or a garbled 200 answer for that attempt, and otherwise a
session with a new id is created when the request arrives. It counts, per key, every attempt
and every session created.
With `hold_after` set, the answers to the requests after that many are held until `release`
is set: those requests are in flight for as long as a test needs (`wait_held`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

from .fakefastspring import FakeFastSpring, Reply, Seen

EXPIRES_MS = 1490109872476

Fault = Callable[[str, int], str | None]  # (key, attempt number for that key) -> fault or None


def no_faults(_key: str, _attempt: int) -> str | None:
    return None


class CampaignServer(FakeFastSpring):
    def __init__(self, faults: Fault = no_faults) -> None:
        super().__init__(respond=self._answer)
        self.faults = faults
        self.hold_after: int | None = None
        self.attempts: Counter[str] = Counter()
        self.sessions: Counter[str] = Counter()

    def _answer(self, request: Seen) -> Reply:
        key = json.loads(request.body)["contact"]["email"]
        self.attempts[key] += 1
        fault = self.faults(key, self.attempts[key])
        hold = self.hold_after is not None and len(self.requests) > self.hold_after
        if fault == "drop":
            return Reply(drop=True)
        if fault is None:
            self.sessions[key] += 1
            number = sum(self.sessions.values())
            return Reply(200, {"id": f"S{number:021d}", "expires": EXPIRES_MS, "order": None}, hold=hold)
        if fault == "garbled":  # a success answer without a session in it
            return Reply(200, b"<html>maintenance</html>", hold=hold)
        if fault == "400":
            return Reply(400, {"message": f"Coupon not valid for {key}", "params": []}, hold=hold)
        return Reply(int(fault), {"message": "slow down"}, {"Retry-After": "0.01"}, hold=hold)
