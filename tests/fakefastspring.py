"""A scripted stand-in for FastSpring's POST /sessions: a real HTTP server on 127.0.0.1.

It also serves the products API `offer catalog pull` reads (CATALOG.md): give it `products`
(path -> record, in the store's order) and it answers `GET /products?limit=N&page=P` page by
page and `GET /products/p1,p2,…` with one record per path asked, a path it does not have
answered inside the 200 with FastSpring's per-item not-found shape. `script_get(...)` puts
scripted answers (a 401, a 429, an HTML 404) before those.

Each test gives the answers in order (`server.script(Reply(...), ...)`), or a `respond` function
that makes the answer to each request (tests/campaignserver.py); the server records every request
it saw, headers and body bytes included, so tests can count and inspect them. A held answer waits
for `release`, and `wait_held(n)` waits until n answers are held: a test knows requests are in
flight without waiting for time to pass.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SESSION_ID = "FnE_y0t9R_WF5b2W0DI72Q"
EXPIRES_MS = 1490109872476  # response-200.json: 2017-03-21T15:24:32Z


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    hold: bool = False  # answer once `release` is set, at the latest when the test ends
    # Seconds between bytes: the answer is written one byte at a time (a server too slow for any
    # deadline), the body only, or with `trickle_head` the status line and headers too. Writing
    # stops when the client hangs up; `release` (teardown) sends the rest at once.
    trickle: float = 0.0
    trickle_head: bool = False
    reason: str | None = None  # the status line's reason phrase, when not the standard one


def created(session_id: str = SESSION_ID, expires_ms: int = EXPIRES_MS) -> Reply:
    """A 200 shaped like FastSpring's documented answer."""
    body = {
        "id": session_id,
        "currency": "USD",
        "expires": expires_ms,
        "order": None,
        "account": "uKj7izONRfanVwBL9eiG_A",
        "subtotal": 9.95,
        "items": [{"product": "falcon", "quantity": 1}],
    }
    return Reply(200, body)


@dataclass
class Seen:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(values) <= 1, f"{name} sent {len(values)} times"
        return values[0] if values else None


class FakeFastSpring:
    def __init__(
        self,
        port: int = 0,
        respond: Callable[[Seen], Reply] | None = None,
        products: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.requests: list[Seen] = []
        self.products: dict[str, dict[str, Any]] = dict(products or {})
        self.null_next_page = True  # the last listing page says `"nextPage": null` (else: no key)
        self._get_replies: list[Reply] = []
        self.held = 0  # answers held so far
        self.trickled = 0  # bytes written one at a time so far
        self._replies: list[Reply] = []
        self._respond = respond  # called with the lock held, the request already in `requests`
        self._lock = threading.Condition()  # also signals each newly held answer to wait_held()
        self.release = threading.Event()  # lets held replies go; set at teardown at the latest
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with fake._lock:
                    fake.requests.append(Seen("POST", self.path, list(self.headers.items()), body))
                    if fake._respond is not None:
                        reply = fake._respond(fake.requests[-1])
                    else:
                        reply = fake._replies.pop(0) if fake._replies else Reply(500, b"script exhausted")
                    if reply.hold:
                        fake.held += 1
                        fake._lock.notify_all()
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if reply.hold:
                    fake.release.wait(60)
                    self.close_connection = True
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                if reply.trickle:
                    self._trickle(reply, data)
                    return
                try:
                    self.send_response(reply.status, reply.reason)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up on a held reply: that is the point of holding it

            def do_GET(self) -> None:
                with fake._lock:
                    fake.requests.append(Seen("GET", self.path, list(self.headers.items()), b""))
                    reply = fake._get_replies.pop(0) if fake._get_replies else fake.products_api(self.path)
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                if reply.trickle:
                    self._trickle(reply, data)
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.headers.pop("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _trickle(self, reply: Reply, data: bytes) -> None:
                self.close_connection = True
                head = [
                    f"HTTP/1.1 {reply.status} {reply.reason or 'Whatever'}",
                    "Content-Type: application/json",
                ]
                head.append(f"Content-Length: {len(data)}")
                head += [f"{name}: {value}" for name, value in reply.headers.items()]
                raw = ("\r\n".join(head) + "\r\n\r\n").encode("utf-8")
                slow = raw + data if reply.trickle_head else data
                try:
                    if not reply.trickle_head:
                        self.wfile.write(raw)
                    for i in range(len(slow)):
                        self.wfile.write(slow[i : i + 1])
                        self.wfile.flush()
                        with fake._lock:
                            fake.trickled += 1
                        if fake.release.wait(reply.trickle):
                            self.wfile.write(slow[i + 1 :])
                            break
                except OSError:
                    pass  # the client hung up: what a deadline is for

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def script_get(self, *replies: Reply) -> FakeFastSpring:
        """Answers to the next GET requests, before the products API answers again."""
        with self._lock:
            self._get_replies = list(replies)
        return self

    def products_api(self, target: str) -> Reply:
        """FastSpring's products API over `self.products` (CATALOG.md)."""
        from urllib.parse import parse_qs, unquote, urlsplit

        url = urlsplit(target)
        if url.path == "/products":
            query = parse_qs(url.query)
            limit = int(query.get("limit", ["50"])[0])
            page = int(query.get("page", ["1"])[0])
            paths = list(self.products)
            body: dict[str, Any] = {
                "action": "products.getall",
                "result": "success",
                "page": page,
                "limit": limit,
                "total": len(paths),
                "products": paths[(page - 1) * limit : page * limit],
            }
            if page * limit < len(paths):
                body["nextPage"] = page + 1
            elif self.null_next_page:
                body["nextPage"] = None
            return Reply(200, body)
        if url.path.startswith("/products/"):
            asked = unquote(url.path.removeprefix("/products/")).split(",")
            records = []
            for path in asked:
                if path in self.products:
                    records.append(
                        {
                            "product": path,
                            "action": "products.get",
                            "result": "success",
                            **self.products[path],
                        }
                    )
                else:
                    records.append(
                        {
                            "action": "products.get",
                            "product": path,
                            "result": "error",
                            "error": {"product": "Not found"},
                        }
                    )
            return Reply(200, {"products": records})
        return Reply(404, b"<html><body>404 Not Found</body></html>", {"Content-Type": "text/html"})

    def script(self, *replies: Reply) -> FakeFastSpring:
        with self._lock:
            self._replies = list(replies)
        return self

    def wait_held(self, count: int, timeout: float = 60.0) -> None:
        """Until `count` answers are held (each request's own time: no test waits for a clock)."""
        with self._lock:
            assert self._lock.wait_for(lambda: self.held >= count, timeout), f"{self.held} held, not {count}"

    def start(self) -> FakeFastSpring:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()
