"""A loopback stand-in for the parts of GitHub's REST API the Action uses: a pull request's
issue comments (list with pagination, create, update). Tokens decide what a caller may do:
WRITE_TOKEN may write, READ_TOKEN (a fork's pull request) may only read, anything else is 401."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

WRITE_TOKEN = "ghs_write"
READ_TOKEN = "ghs_readonly"
REPO = "acme/offers"
BOT = {"login": "github-actions[bot]", "type": "Bot"}
PERSON = {"login": "octocat", "type": "User"}


@dataclass
class FakeGitHub:
    page_size: int = 100  # GitHub's per_page cap; tests lower it to see pagination
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # pull request -> comments
    requests: list[tuple[str, str, Any]] = field(default_factory=list)  # (method, path, body)
    _next_id: int = 1000

    def start(self) -> FakeGitHub:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add(self, pr: int, body: str, user: dict[str, str] = BOT) -> dict[str, Any]:
        self._next_id += 1
        c = {"id": self._next_id, "body": body, "user": dict(user)}
        self.comments.setdefault(pr, []).append(c)
        return c

    def writes(self) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] != "GET"]


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _token(self) -> str | None:
            auth = self.headers.get("Authorization", "")
            return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length)) if length else None

        def _route(self, method: str) -> None:
            parts = urlsplit(self.path)
            body = self._body() if method != "GET" else None
            fake.requests.append((method, self.path, body))
            token = self._token()
            if token not in (WRITE_TOKEN, READ_TOKEN):
                return self._answer(401, {"message": "Bad credentials"})
            if method != "GET" and token == READ_TOKEN:
                return self._answer(403, {"message": "Resource not accessible by integration"})
            listing = re.fullmatch(rf"/repos/{REPO}/issues/(\d+)/comments", parts.path)
            if listing and method == "GET":
                query = parse_qs(parts.query)
                per_page = min(int(query.get("per_page", ["30"])[0]), fake.page_size)
                page = int(query.get("page", ["1"])[0])
                all_comments = fake.comments.get(int(listing[1]), [])
                chunk = all_comments[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(all_comments):
                    nxt = f"{fake.url}{parts.path}?per_page={per_page}&page={page + 1}"
                    headers["Link"] = f'<{nxt}>; rel="next"'
                return self._answer(200, chunk, headers)
            if listing and method == "POST":
                return self._answer(201, fake.add(int(listing[1]), body["body"]))
            one = re.fullmatch(rf"/repos/{REPO}/issues/comments/(\d+)", parts.path)
            if one and method == "PATCH":
                for comments in fake.comments.values():
                    for c in comments:
                        if c["id"] == int(one[1]):
                            c["body"] = body["body"]
                            return self._answer(200, c)
            return self._answer(404, {"message": "Not Found"})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PATCH(self) -> None:
            self._route("PATCH")

    return Handler
