"""A stand-in for FastSpring's POST /sessions for campaigns: a real HTTP server on 127.0.0.1.

Unlike tests/fakefastspring.py (a fixed script of answers, in order), it answers by buyer: each
request is identified by its contact email, `faults(key, attempt)` may inject a 429, 404, 503,
400 or a dropped connection for that attempt, and otherwise a session with a new id is created.
It records, per key, every attempt and every session created, with the time it arrived.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EXPIRES_MS = 1490109872476

Fault = Callable[[str, int], str | None]  # (key, attempt number for that key) -> fault or None


def no_faults(_key: str, _attempt: int) -> str | None:
    return None


class CampaignServer:
    def __init__(self, faults: Fault = no_faults, delay: float = 0.0) -> None:
        self.faults = faults
        self.delay = delay  # seconds each answer takes: keeps requests in flight for kill tests
        self.attempts: Counter[str] = Counter()
        self.sessions: Counter[str] = Counter()
        self.arrivals: list[float] = []  # time.monotonic() of every request
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                key = body["contact"]["email"]
                with server._lock:
                    server.arrivals.append(time.monotonic())
                    server.attempts[key] += 1
                    fault = server.faults(key, server.attempts[key])
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if server.delay:
                    time.sleep(server.delay)
                if fault is None:
                    with server._lock:
                        server.sessions[key] += 1
                        number = sum(server.sessions.values())
                    self._answer(200, {"id": f"S{number:021d}", "expires": EXPIRES_MS, "order": None})
                elif fault == "400":
                    self._answer(400, {"message": f"Coupon not valid for {key}", "params": []})
                else:
                    self._answer(int(fault), {"message": "slow down"}, {"Retry-After": "0.01"})

            def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> CampaignServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()

    def peak_per_second(self) -> int:
        """The most requests that arrived in any one-second window [t, t + 1)."""
        times = sorted(self.arrivals)
        peak, start = 0, 0
        for end, t in enumerate(times):
            while times[start] <= t - 1.0:
                start += 1
            peak = max(peak, end - start + 1)
        return peak
