"""`offer preview`: the server, without a browser (test_card_browser.py has the browser's view).
Every request goes to 127.0.0.1; waits are for an event, with a generous timeout."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from offerlang.review.preview import PreviewServer, offer_paths

from .conftest import FIXTURES, run

OFFER = (FIXTURES / "diff" / "base.offer").read_text()
TIMEOUT = 30.0


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[PreviewServer, Path]]:
    folder = tmp_path / "offers"
    folder.mkdir()
    (folder / "a.offer").write_text(OFFER)
    with PreviewServer(folder) as server:
        yield server, folder


def get(server: PreviewServer, path: str, host: str | None = None, method: str = "GET") -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        conn.putrequest(method, path, skip_host=True)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        answer = conn.getresponse()
        return answer.status, answer.read().decode()
    finally:
        conn.close()


def test_it_listens_on_loopback_only_on_a_free_port(served):
    server, _ = served
    assert server.httpd.server_address[0] == "127.0.0.1"
    assert server.port != 0 and server.url == f"http://127.0.0.1:{server.port}/"


def test_the_page_is_the_card_and_its_script(served):
    server, _ = served
    status, page = get(server, "/", f"127.0.0.1:{server.port}")
    assert status == 200
    assert "USD" in page and "prime-sub" in page and 'new EventSource("/events")' in page
    # The one script is the page's own (a nonce); it may only talk back to this server.
    assert re.search(r"script-src 'nonce-[\w-]+'; connect-src 'self'", page)
    assert get(server, "/", f"localhost:{server.port}")[0] == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",
        "127.0.0.1",
        "127.0.0.1:1",
        "evil.example",
        "127.0.0.2:{port}",
        "[::1]:{port}",
        "",
    ],
)
def test_any_other_host_header_is_refused(served, host):
    # DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends its own name as Host.
    server, _ = served
    for path in ("/", "/body", "/events"):
        status, text = get(server, path, host.format(port=server.port))
        assert status == 403 and "USD" not in text
    assert get(server, "/", None)[0] == 403  # no Host at all


@pytest.mark.parametrize(
    "path", ["/a.offer", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/favicon.ico", "//x"]
)
def test_nothing_but_the_card_is_served(served, path):
    server, _ = served
    status, text = get(server, path, f"127.0.0.1:{server.port}")
    assert status == 404 and text == "not found\n"


def test_it_is_read_only(served):
    server, _ = served
    assert get(server, "/", f"127.0.0.1:{server.port}", method="POST")[0] == 405
    assert get(server, "/", f"127.0.0.1:{server.port}", method="HEAD") == (200, "")


def test_a_link_leading_out_of_path_is_not_shown(tmp_path):
    secret = tmp_path / "secret.offer"
    secret.write_text(OFFER.replace("SPRING10", "SECRET99"))
    folder = tmp_path / "offers"
    folder.mkdir()
    (folder / "mine.offer").write_text(OFFER)
    (folder / "leak.offer").symlink_to(secret)
    (folder / "outside").symlink_to(tmp_path)
    assert [p.name for p in offer_paths(folder)] == ["mine.offer"]
    with PreviewServer(folder) as server:
        page = get(server, "/body", f"127.0.0.1:{server.port}")[1]
    assert "SPRING10" in page and "SECRET99" not in page


def events(server: PreviewServer) -> Iterator[str]:
    """The data of each `update` event from /events."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    conn.request("GET", "/events", headers={"Host": f"127.0.0.1:{server.port}"})
    answer = conn.getresponse()
    assert answer.getheader("Content-Type") == "text/event-stream"
    try:
        event = None
        while line := answer.fp.readline().decode():
            if line.startswith("retry:"):
                assert int(line.split(":")[1]) >= 1000  # the page never reconnects faster than once a second
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            if line.startswith("data:") and event == "update":
                yield line.split(":", 1)[1].strip()
    finally:
        conn.close()


def test_a_save_sends_an_update_and_the_body_follows(served):
    server, folder = served
    stream = events(server)
    assert next(stream) == "1"  # the current version, at once
    (folder / "a.offer").write_text(OFFER.replace("9.99", "7.99"))
    assert next(stream) == "2"
    status, body = get(server, "/body", f"127.0.0.1:{server.port}")
    assert status == 200 and "7.99" in body and "<html" not in body
    (folder / "a.offer").write_text("item {\n")
    assert next(stream) == "3"
    body = get(server, "/body", f"127.0.0.1:{server.port}")[1]
    assert "does not compile" in body and "error[" in body
    (folder / "b.offer").write_text(OFFER)
    assert next(stream) == "4"  # a new file counts too
    (folder / "b.offer").unlink()
    assert next(stream) == "5"  # and a removed one


def test_two_saves_within_one_timestamp_are_two_changes(tmp_path):
    offer = tmp_path / "a.offer"
    offer.write_text(OFFER)
    # The watcher thread sleeps: this test does the looking itself.
    with PreviewServer(tmp_path, interval=3600) as server:
        offer.write_text(OFFER.replace("9.99", "8.88"))
        assert server.check() and server.version == 2
        first = offer.stat()
        offer.write_text(OFFER.replace("9.99", "7.77"))
        # Same size, modification time and inode as the save before: only the bytes differ.
        os.utime(offer, ns=(first.st_atime_ns, first.st_mtime_ns))
        assert (offer.stat().st_size, offer.stat().st_ino) == (first.st_size, first.st_ino)
        assert server.check() and server.version == 3
        assert "7.77" in server.body()[1]
        assert not server.check()  # nothing new: no event


def test_ctrl_c_stops_it_cleanly(tmp_path):
    (tmp_path / "a.offer").write_text(OFFER)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from offerlang.cli import entry; entry()", "preview", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line)[1])
    # An open event stream must not keep it from stopping.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request("GET", "/events", headers={"Host": f"127.0.0.1:{port}"})
    assert conn.getresponse().fp.readline().startswith(b"retry:")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=TIMEOUT)
    conn.close()
    assert (proc.returncode, err) == (0, "")
    assert out == "offer preview: stopped\n"  # after the first line, read above
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT):
        pass


def test_a_port_in_use_or_a_missing_path_is_a_usage_error(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run(capsys, "preview", str(tmp_path), "--port", str(port))
    assert code == 2 and f"cannot serve on 127.0.0.1:{port}" in err
    code, _, err = run(capsys, "preview", str(tmp_path / "nope"))
    assert code == 2 and "no such file or directory" in err


V2_ONLY = "account abCdE1FGH2Hij3KLMnOpqR\nlocale de\n\nitem prime-sub {\n  price USD 9.99\n}\n"


def test_a_v2_offer_is_previewed_for_v2(tmp_path):
    # `locale` is a Sessions v2 statement: on v1 (the default) the file does not compile.
    (tmp_path / "v2.offer").write_text(V2_ONLY)
    with PreviewServer(tmp_path) as v1:
        assert "E510" in get(v1, "/body", f"127.0.0.1:{v1.port}")[1]
    with PreviewServer(tmp_path, target="v2") as v2:
        body = get(v2, "/body", f"127.0.0.1:{v2.port}")[1]
    assert "does not compile" not in body and "locale" in body and "9.99" in body


def test_offer_preview_takes_target(tmp_path):
    (tmp_path / "v2.offer").write_text(V2_ONLY)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from offerlang.cli import entry; entry()",
            "preview",
            "--target",
            "v2",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", proc.stdout.readline())[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        conn.request("GET", "/body", headers={"Host": f"127.0.0.1:{port}"})
        body = conn.getresponse().read().decode()
        conn.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=TIMEOUT)
    assert "does not compile" not in body and "9.99" in body


# ---- the watcher's cost ----------------------------------------------------------------------


def test_hidden_folders_and_node_modules_are_never_looked_into(tmp_path, monkeypatch):
    # A repository's .git, .venv and node_modules hold thousands of files and no offer: they
    # are left out before the walk descends into them, not listed and then dropped.
    for folder in ("offers/deep", ".venv/lib", ".git/objects", "node_modules/pkg", "offers/.cache"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "x.offer").write_text(OFFER)
    listed: list[str] = []
    real = os.scandir

    def scandir(path="."):
        listed.append(os.path.relpath(path, tmp_path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert [p.relative_to(tmp_path).as_posix() for p in offer_paths(tmp_path)] == ["offers/deep/x.offer"]
    assert sorted(listed) == [".", "offers", "offers/deep"]


def test_the_watcher_rests_while_nobody_looks_or_nothing_changes(tmp_path):
    from offerlang.review import preview

    (tmp_path / "a.offer").write_text(OFFER)
    server = PreviewServer(tmp_path, interval=0.1)  # not started: the schedule alone
    now = time.monotonic()
    assert server.next_interval(now) == preview.ALONE_IDLE  # no page open
    server.watched(True)
    assert server.next_interval(now) == 0.1  # someone looks: every save shows at once
    assert server.next_interval(now + preview.IDLE_AFTER + 1) == preview.WATCHED_IDLE
    (tmp_path / "a.offer").write_text(OFFER.replace("9.99", "7.99"))
    later = time.monotonic()
    assert server.check() and server.next_interval(later) == 0.1  # a save: quick again
    server.watched(False)
    assert server.next_interval(later) == preview.ALONE_IDLE
    assert preview.RECENT > preview.ALONE_IDLE + 2  # a second save in a coarse tick is still hashed
    server.httpd.server_close()


def test_a_page_opened_while_the_watcher_rests_is_current(tmp_path):
    offer = tmp_path / "a.offer"
    offer.write_text(OFFER)
    with PreviewServer(tmp_path, interval=3600) as server:  # the watcher never looks by itself
        offer.write_text(OFFER.replace("9.99", "7.77"))
        status, page = get(server, "/", f"127.0.0.1:{server.port}")
    assert status == 200 and "7.77" in page and 'data-version="2"' in page


def test_opening_a_page_wakes_a_resting_watcher(tmp_path, monkeypatch):
    from offerlang.review import preview

    monkeypatch.setattr(preview, "ALONE_IDLE", 3600.0)  # with no page open it would not look again
    offer = tmp_path / "a.offer"
    offer.write_text(OFFER)
    with PreviewServer(tmp_path) as server:
        offer.write_text(OFFER.replace("9.99", "7.77"))
        stream = events(server)
        assert next(stream) == "1"
        assert next(stream) == "2"  # the opening woke the watcher, which saw the save
