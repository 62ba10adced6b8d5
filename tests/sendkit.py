"""What the tests of `offer send` and `offer catalog pull` share: the environment they run in, the
loopback stand-ins of FastSpring, offer and rows files, ways to run `offer send` (in-process or
in a process of its own) and to read back what it recorded.

The fixtures (`server`, `campaign_server`, `offer`, `berlin_time`, `no_secret_anywhere`) reach
every test through tests/conftest.py; a module with a stand-in or an offer of its own defines a
fixture of the same name, which wins.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from .campaignserver import CampaignServer
from .fakefastspring import FakeFastSpring

OFFER_BIN = str(Path(sys.executable).parent / "offer")
# (tests/conftest.py imports this module, so it cannot take EXAMPLES from there.)
CAMPAIGN = Path(__file__).resolve().parent.parent / "examples" / "campaign" / "annual-upgrade.offer"
FALCON = """\
account uKj7izONRfanVwBL9eiG_A

item falcon {
  quantity 1
  price USD 19.99
}
"""
TOMORROW_MS = int((datetime.now(UTC) + timedelta(days=1)).timestamp() * 1000)
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")

# Credentials whose every leaked form a test can look for: quotes, a backslash, a colon and
# non-ASCII letters each have an escaped form a leak could take.
USERNAME = "offer-test-user"
PASSWORD = 'pa55"W\\0rd:never-printed-7f3e-größe'
TOKEN = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
SECRETS = (
    PASSWORD,
    TOKEN,
    json.dumps(PASSWORD)[1:-1],
    json.dumps(PASSWORD, ensure_ascii=False)[1:-1],
    quote(PASSWORD, safe=""),
)
# Everything a test's runs printed (through `send`), so that the check after each test sees it all.
PRINTED: list[str] = []


def sending_environment(monkeypatch, username: str, password: str, *, no_color: bool = True) -> None:
    """What a test that sends runs in: the store's credentials, retries 10 ms apart instead of
    seconds, and no proxy between it and its stand-in on 127.0.0.1. NO_COLOR is set, or with
    `no_color=False` removed (the output is piped, so it has no colour either way)."""
    monkeypatch.setenv("FASTSPRING_API_USERNAME", username)
    monkeypatch.setenv("FASTSPRING_API_PASSWORD", password)
    monkeypatch.setenv("_OFFERLANG_TEST_RETRY_BASE", "0.01")
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    for proxy in PROXIES:
        monkeypatch.delenv(proxy, raising=False)


# ---- fixtures (through tests/conftest.py) ----------------------------------------------------------


@pytest.fixture
def server():
    """FastSpring's stand-in, scripted answer by answer."""
    fake = FakeFastSpring().start()
    yield fake
    fake.stop()


@pytest.fixture
def campaign_server():
    """FastSpring's stand-in for campaigns: it answers by buyer."""
    fake = CampaignServer().start()
    yield fake
    fake.stop()


@pytest.fixture
def offer(tmp_path) -> Path:
    """A valid single offer, falcon.offer, in the test's own folder."""
    return write_offer(tmp_path)


def write_offer(folder: Path, text: str = FALCON, name: str = "falcon.offer") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def berlin_time():
    """Expiry is shown in local time: the zone pinned, so the output is the same everywhere."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "Europe/Berlin")
        time.tzset()
        yield
    time.tzset()


@pytest.fixture
def no_secret_anywhere(capsys, tmp_path):
    """After the test: the password (USERNAME/PASSWORD in the environment) is in nothing printed
    and in no file the test wrote."""
    PRINTED.clear()
    yield
    out, err = capsys.readouterr()
    files = [p.read_bytes().decode("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert_no_secret(*PRINTED, out, err, *files)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# ---- running `offer send` ---------------------------------------------------------------------------


def send_args(server: FakeFastSpring, *args: str | bytes) -> list[str | bytes]:
    """The arguments of `offer send ARGS...` to store acme through the stand-in."""
    return ["send", *args, "--store", "acme", "--api-url", server.url]


def campaign_args(server: FakeFastSpring, rows: Path, *args: str) -> list[str]:
    """The arguments of `offer send` of the example campaign with ROWS, to store acme."""
    return ["send", str(CAMPAIGN), "--rows", str(rows), "--store", "acme", "--api-url", server.url, *args]


def send(capsys, *args: str) -> tuple[int, str, str]:
    """`offer send ARGS...` in-process: (exit code, stdout, stderr), each kept in PRINTED."""
    from offerlang.cli import main

    code = main(["send", *args])
    out, err = capsys.readouterr()
    PRINTED.extend((out, err))
    return code, out, err


def start_send(server: FakeFastSpring, *args: str | bytes, cwd: Path | None = None) -> subprocess.Popen[str]:
    """`offer send ARGS... --store acme` in a process of its own, its output piped as text."""
    return subprocess.Popen(
        [OFFER_BIN, *send_args(server, *args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=dict(os.environ),
        cwd=cwd,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait for a process of start_send: (exit code, stdout, stderr)."""
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def read_until(stream: Iterable[str], start: str) -> str:
    """Read a running process's output up to and including the line that starts with START: the
    test knows the process got that far without waiting for time to pass."""
    seen = ""
    for line in stream:
        seen += line
        if line.startswith(start):
            return seen
    raise AssertionError(f"the run ended without printing {start!r}: {seen}")


def into_a_closed_pipe(*argv: str) -> subprocess.CompletedProcess[str]:
    """`offer ARGV...` with its standard output a pipe whose reader is gone before anything is
    printed (`offer send ... | true`)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [OFFER_BIN, *argv], stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60
        )
    finally:
        os.close(write_end)


# ---- files: rows in, receipts and links out -------------------------------------------------------


def buyer_keys(count: int, prefix: str = "b") -> list[str]:
    return [f"{prefix}{i:05d}@example.com" for i in range(count)]


def buyers(tmp_path: Path, count: int, prefix: str = "b") -> Path:
    """buyers.csv with COUNT valid rows, keyed by email (buyer_keys)."""
    path = tmp_path / "buyers.csv"
    lines = ["email,first,last,country"] + [
        f"{key},First{i},Last{i},DE" for i, key in enumerate(buyer_keys(count, prefix))
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def links(path: Path) -> list[dict[str, str]]:
    """The rows of a campaign's --out file."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def receipts_file(offer: Path) -> Path:
    """Where an offer's receipts are kept when --receipts does not say."""
    return offer.parent / ".offer" / "receipts.jsonl"


def records(book: Path) -> list[dict]:
    """Every record of a receipts file: `started` and `failed` ones, and the receipts."""
    return [json.loads(line) for line in book.read_text("utf-8").splitlines()] if book.exists() else []


def receipts(offer: Path) -> list[dict]:
    """The receipts (sessions created) beside an offer: the records without an `event`."""
    return [r for r in records(receipts_file(offer)) if "event" not in r]
