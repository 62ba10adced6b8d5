"""`offer preview PATH`: the offer card, live, on http://127.0.0.1:PORT.

A small threaded HTTP server on the loopback interface only. It serves three things, all made
from the offer files under PATH and nothing else (no file is ever served by name, so nothing
outside PATH can be asked for):

    /        the page: the card (or a broken file's diagnostics) and a short script
    /body    the same card without the page around it, fetched by the script on each update
    /events  server-sent events: `update` with a version number whenever an offer file changes

A watcher thread looks at the files' sizes and modification times (and, for files changed in
the last RECENT seconds, their bytes: two saves within one timestamp tick must not look like
one): every WATCH_INTERVAL seconds while a page is open and the files were changed in the last
minute, every WATCHED_IDLE seconds while a page is open and nothing changes, and every
ALONE_IDLE seconds while no page is open (a page that opens is made from a fresh look and wakes
the watcher). Hidden folders and node_modules are never looked into. The page never polls: it
holds one EventSource, which the browser reconnects at most once a second (`retry: 1000`) if
the server goes away.

DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1 could read
the card; every request whose Host header is not this server's own loopback address and port
is refused (403), so only http://127.0.0.1:PORT (or localhost:PORT) gets an answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from offerlang.compiler.diagnostic_output import render_text
from offerlang.compiler.pipeline import CompileResult, compile_bytes
from offerlang.compiler.targets import Target
from offerlang.language import DEFAULT_TARGET
from offerlang.review import html

WATCH_INTERVAL = 0.1  # seconds between looks at the files while someone edits and watches
IDLE_AFTER = 60.0  # seconds without a change after which a watched folder counts as idle
WATCHED_IDLE = 0.5  # between looks while a page is open and nothing changes
ALONE_IDLE = 2.0  # between looks while no page is open: nobody to tell
# A file modified this recently is hashed too: its mtime may not have moved between two saves.
# Longer than the longest wait between looks plus a coarse (2 s, FAT) timestamp tick, so a
# second save in the tick of the first is still hashed at the next look.
RECENT = 5.0
RETRY_MS = 1000  # the EventSource reconnect delay: the page never asks more often than this
HEARTBEAT = 15.0  # seconds between comments on an idle event stream, to notice closed tabs

Fingerprint = dict[str, tuple[int, int, int, str]]


# Folders never looked into: hidden ones (.git, .venv, .tox …) and npm's. A repository's root can
# hold tens of thousands of files in them and not one offer.
SKIPPED_FOLDERS = frozenset({"node_modules"})


def offer_paths(root: Path) -> Iterator[Path]:
    """The offer files under `root` (itself, when it is a file), sorted, hidden folders (and
    node_modules) skipped without being looked into, and never a file outside `root`: linked
    folders are not followed, and a linked file that leads out of `root` is left out."""
    if root.is_file():
        yield root
        return
    real_root: Path | None = None
    found: list[Path] = []
    folders = [str(root)]
    while folders:
        try:
            with os.scandir(folders.pop()) as entries:
                listed = list(entries)
        except OSError:
            continue  # unreadable, or removed since it was listed
        for e in listed:
            if e.is_dir(follow_symlinks=False):
                if not e.name.startswith(".") and e.name not in SKIPPED_FOLDERS:
                    folders.append(e.path)
            elif not e.name.endswith(".offer"):
                continue
            elif e.is_symlink():
                # Only a link can lead out: everything else found here is under `root`, so
                # the costly resolve() is for links alone.
                real_root = real_root or root.resolve()
                target = Path(e.path).resolve()
                if target.is_file() and target.is_relative_to(real_root):
                    found.append(Path(e.path))
            elif e.is_file(follow_symlinks=False):
                found.append(Path(e.path))
    yield from sorted(found)


def fingerprint(root: Path, now: float | None = None) -> Fingerprint:
    now = time.time() if now is None else now
    out: Fingerprint = {}
    for f in offer_paths(root):
        try:
            st = f.stat()
            digest = ""
            if now - st.st_mtime < RECENT:
                digest = hashlib.sha256(f.read_bytes()).hexdigest()
        except OSError:
            continue  # removed between the listing and the look: the next look sees it gone
        out[str(f)] = (st.st_mtime_ns, st.st_size, st.st_ino, digest)
    return out


def render_body(root: Path, stores: Any = None, target: Target | str = DEFAULT_TARGET) -> str:
    """The card for every offer under `root`, or its diagnostics where one does not compile,
    for `target` (the API the offers are checked and explained for, as with `--target`).
    `stores`: where each offer's catalog and policy are found (offerlang.store.context.Stores,
    made fresh for each render by the command, so an edited catalog shows too); None: none."""
    from offerlang.review.explain import explain

    explanations = []
    broken: list[html.Broken] = []
    templates: list[str] = []
    for f in offer_paths(root):
        try:
            data = f.read_bytes()
        except OSError as exc:
            broken.append(html.Broken(str(f), f"{f}: cannot be read ({exc.strerror or exc})\n"))
            continue
        context = stores.for_path(str(f)) if stores is not None else None
        r: CompileResult = compile_bytes(data, str(f), unbound_ok=True, target=target, checks=context)
        if not r.ok:
            broken.append(html.Broken(str(f), render_text(r.diagnostics, {r.path: r.text}, color=False)))
        elif r.payload is None:
            templates.append(str(f))
        else:
            records = context.records() if context is not None else None
            waivers = stores.waivers_json(r.path) if stores is not None else None
            explanations.append(explain(r.payload, r.path, str(target), catalog=records, waivers=waivers))
    body = html.explain_body(explanations, broken)
    if templates:
        names = ", ".join(html.esc(t) for t in templates)
        body += (
            f'<p class="note">Templates with parameters (shown per buyer by offer send --rows): {names}</p>'
        )
    if not explanations and not broken and not templates:
        body = f'<p class="empty">No *.offer file under {html.esc(str(root))} yet.</p>'
    return body


SCRIPT = """
document.addEventListener("DOMContentLoaded", function () {
  var version = document.body.dataset.version;
  var status = document.getElementById("preview-status");
  var events = new EventSource("/events");
  events.addEventListener("update", function (e) {
    if (e.data === version) { status.textContent = "watching for changes"; return; }
    fetch("/body", {cache: "no-store"}).then(function (r) {
      var v = r.headers.get("X-Offer-Version");
      return r.text().then(function (t) { return [v, t]; });
    }).then(function (vt) {
      document.querySelector("main").innerHTML = vt[1];
      version = vt[0];
      document.body.dataset.version = version;
      status.textContent = "updated " + new Date().toLocaleTimeString();
      document.dispatchEvent(new CustomEvent("offer-preview-updated", {detail: version}));
    });
  });
  events.onerror = function () { status.textContent = "offer preview stopped: reconnecting"; };
});
"""


@dataclass
class _State:
    version: int
    fingerprint: Fingerprint


class PreviewServer:
    """`start()` binds 127.0.0.1:`port` (0: a free port) and starts serving and watching;
    `stop()` ends the event streams, the watcher and the server, and returns once they have."""

    def __init__(
        self,
        root: str | Path,
        port: int = 0,
        *,
        interval: float = WATCH_INTERVAL,
        stores: Callable[[], Any] | None = None,
        target: Target | str = DEFAULT_TARGET,
    ) -> None:
        self.root = Path(root)
        self.stores = stores  # makes the store lookup of one render (cli: --catalog, --isolated)
        self.target = target
        self.interval = interval
        self._streams = 0  # event streams open: pages someone is looking at
        self._last_change = time.monotonic()
        self._wake = threading.Event()
        self._look_lock = threading.Lock()  # one look at a time: the watcher's or a page's
        self._state = _State(1, fingerprint(self.root))
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._cache: tuple[int, str] | None = None
        self._render_lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self), bind_and_activate=False)
        self.httpd.daemon_threads = True
        self.httpd.allow_reuse_address = False
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def version(self) -> int:
        with self._changed:
            return self._state.version

    def start(self) -> PreviewServer:
        """Raises OSError when the port cannot be bound (in use)."""
        try:
            self.httpd.server_bind()
            self.httpd.server_activate()
        except OSError:
            self.httpd.server_close()
            raise
        self._threads = [
            threading.Thread(target=self.httpd.serve_forever, args=(0.2,), name="preview-http", daemon=True),
            threading.Thread(target=self._watch, name="preview-watch", daemon=True),
        ]
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        with self._changed:
            self._changed.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        for t in self._threads:
            t.join()

    def __enter__(self) -> PreviewServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- watching --------------------------------------------------------------------------

    def _watch(self) -> None:
        while True:
            self._wake.wait(self.next_interval(time.monotonic()))
            self._wake.clear()
            if self._stopping.is_set():
                return
            self.check()

    def next_interval(self, now: float) -> float:
        """Seconds until the next look: soon while someone edits and watches, later when idle."""
        with self._changed:
            streams, quiet = self._streams, now - self._last_change
        if streams == 0:
            return max(self.interval, ALONE_IDLE)
        return self.interval if quiet < IDLE_AFTER else max(self.interval, WATCHED_IDLE)

    def watched(self, opened: bool) -> None:
        """A page's event stream opened (True) or closed. An opening wakes the watcher: the
        reader is back, and saves from now on are shown at once."""
        with self._changed:
            self._streams += 1 if opened else -1
            if opened:
                self._last_change = time.monotonic()
        if opened:
            self._wake.set()

    def check(self) -> bool:
        """Look at the files once; True (and the event sent) when one changed."""
        with self._look_lock:
            return self._look()

    def _look(self) -> bool:
        now = fingerprint(self.root)
        with self._changed:
            if now == self._state.fingerprint:
                return False
            # A file's digest appears when it is touched and goes when it ages: only a change
            # of what is on disk counts.
            if _same_files(now, self._state.fingerprint):
                self._state.fingerprint = now
                return False
            self._state = _State(self._state.version + 1, now)
            self._last_change = time.monotonic()
            self._changed.notify_all()
            return True

    def wait_change(self, seen: int, timeout: float) -> int:
        """The version once it is past `seen`, or the current one after `timeout` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self._state.version != seen or self._stopping.is_set(), timeout)
            return self._state.version

    def body(self) -> tuple[int, str]:
        version = self.version
        with self._render_lock:
            if self._cache is None or self._cache[0] != version:
                stores = self.stores() if self.stores else None
                self._cache = (version, render_body(self.root, stores, self.target))
            return self._cache

    def page(self, nonce: str) -> tuple[int, str]:
        # A page is made from a fresh look: the watcher may be resting while no page is open.
        self.check()
        version, body = self.body()
        csp = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; connect-src 'self'"
        title = f"{self.root} · offer preview"
        top = f'<div id="preview-status" role="status">watching {html.esc(str(self.root))}</div>'
        text = html.page(title, body, head=f'<script nonce="{nonce}">{SCRIPT}</script>', csp=csp, top=top)
        # The version the page was made from, for the script to compare with the first event.
        return version, text.replace("<body>", f'<body data-version="{version}">', 1)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def allowed_hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}


def _same_files(a: Fingerprint, b: Fingerprint) -> bool:
    if a.keys() != b.keys():
        return False
    for k, (mtime, size, ino, digest) in a.items():
        m2, s2, i2, d2 = b[k]
        if (mtime, size, ino) != (m2, s2, i2) or (digest and d2 and digest != d2):
            return False
    return True


def _handler(server: PreviewServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "offer-preview"
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:
            pass  # a browser's requests are not news; errors reach the page itself

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            if self.headers.get("Host", "").lower() not in server.allowed_hosts():
                text = f"offer preview answers only {server.url}\n"
                return self._send(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", text)
            path = urlsplit(self.path).path
            if path == "/":
                nonce = secrets.token_urlsafe(16)
                version, text = server.page(nonce)
                return self._send(HTTPStatus.OK, "text/html; charset=utf-8", text, version)
            if path == "/body":
                version, text = server.body()
                return self._send(HTTPStatus.OK, "text/html; charset=utf-8", text, version)
            if path == "/events":
                return self._events()
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", "not found\n")

        def _refuse(self) -> None:
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "read only\n")

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

        def _send(self, status: HTTPStatus, kind: str, text: str, version: int | None = None) -> None:
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            if version is not None:
                self.send_header("X-Offer-Version", str(version))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _events(self) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if self.command == "HEAD":
                return
            seen = server.version
            server.watched(True)
            try:
                # The current version first: the page compares it with its own, so a save made
                # between loading the page and opening the stream is not missed.
                self._event(f"retry: {RETRY_MS}\nevent: update\ndata: {seen}\n\n")
                while not server.stopping:
                    now = server.wait_change(seen, HEARTBEAT)
                    if server.stopping:
                        break
                    if now == seen:
                        self._event(": still here\n\n")
                        continue
                    seen = now
                    self._event(f"event: update\ndata: {json.dumps(now)}\n\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the tab was closed
            finally:
                server.watched(False)

        def _event(self, text: str) -> None:
            self.wfile.write(text.encode("utf-8"))
            self.wfile.flush()

    return Handler
