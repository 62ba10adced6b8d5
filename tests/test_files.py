"""Files offerlang writes are never turned against the user (issue 9): no file it appends to or
creates is reached through a symbolic link, journals must be the user's own, and links.csv
cells are never spreadsheet formulas."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from offerlang.cli import main

from .conftest import EXAMPLES
from .fakefastspring import created
from .sendkit import CAMPAIGN, campaign_args, finish, send_args, sending_environment, start_send, write_offer

SPRING = EXAMPLES / "spring-promotion.offer"
REFUSED = "is a symbolic link; offerlang never writes through a link: remove it, or name the real file"


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    sending_environment(monkeypatch, "files-user", "files-secret")


@pytest.fixture
def victim(tmp_path) -> Path:
    """A file a link would point at: the user's ~/.bashrc."""
    path = tmp_path / "home" / ".bashrc"
    path.parent.mkdir()
    path.write_text("# my shell setup\n")
    return path


@pytest.fixture
def offer(tmp_path) -> Path:
    """tests/sendkit.py's offer, in a folder of its own and under a name a shell would run."""
    return write_offer(tmp_path / "repo", name="$(touch PWNED).offer")


def one_buyer(tmp_path: Path) -> Path:
    rows = tmp_path / "buyers.csv"
    rows.write_text("email,first,last,country\nada@example.com,Ada,Lovelace,GB\n")
    return rows


def link(path: Path, target: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


# ---- symbolic links in the last part of a path ---------------------------------------------------


@pytest.mark.parametrize("dangling", [False, True], ids=["link", "dangling-link"])
def test_receipts_that_are_a_link_are_refused_before_sending(server, offer, victim, dangling):
    """A repository with `.offer/receipts.jsonl -> ~/.bashrc`: `offer send` appended a line with the
    offer's path (`$(touch PWNED).offer`) to .bashrc."""
    target = victim.parent / "nothing-here" if dangling else victim
    book = link(offer.parent / ".offer" / "receipts.jsonl", target)
    server.script(created())
    code, _, err = finish(start_send(server, str(offer)))
    assert code == 2, err
    assert f"Error: {book}: {REFUSED}" in err
    assert server.requests == [], "nothing was sent"
    assert victim.read_text() == "# my shell setup\n"
    assert not target.exists() if dangling else True


def test_a_ledger_that_is_a_link_is_refused_before_sending(campaign_server, tmp_path, victim, capsys):
    rows = one_buyer(tmp_path)
    ledger = link(tmp_path / "buyers.ledger.jsonl", victim)
    args = campaign_args(campaign_server, rows)
    assert main(args) == 2
    assert f"{ledger}: {REFUSED}" in capsys.readouterr().err
    assert campaign_server.attempts == {}
    assert victim.read_text() == "# my shell setup\n"
    assert main([*args, "--dry-run"]) == 2, "the dry run refuses it as the run would"


@pytest.mark.parametrize("dangling", [False, True], ids=["link", "dangling-link"])
def test_links_csv_that_is_a_link_is_refused_before_sending(
    campaign_server, tmp_path, victim, capsys, dangling
):
    rows = one_buyer(tmp_path)
    target = tmp_path / "home" / "gone.csv" if dangling else victim
    out = link(tmp_path / "links.csv", target)
    assert main(campaign_args(campaign_server, rows, "--out", str(out))) == 2
    assert f"--out {out}: {REFUSED}" in capsys.readouterr().err
    assert campaign_server.attempts == {}
    assert victim.read_text() == "# my shell setup\n" and out.is_symlink()


@pytest.mark.parametrize("dangling", [False, True], ids=["link", "dangling-link"])
@pytest.mark.parametrize("command", ["compile", "compile-rows", "import"])
def test_outputs_that_are_links_are_refused(tmp_path, victim, capsys, command, dangling):
    target = tmp_path / "home" / "gone" if dangling else victim
    out = link(tmp_path / "out.txt", target)
    rows = one_buyer(tmp_path)
    payload = tmp_path / "payload.json"
    payload.write_text('{"account":"abCdE1FGH2Hij3KLMnOpqR","items":[{"product":"basic-laptop"}]}')
    argv = {
        "compile": ["compile", str(SPRING), "-o", str(out)],
        "compile-rows": ["compile", str(CAMPAIGN), "--rows", str(rows), "-o", str(out)],
        "import": ["import", str(payload), "-o", str(out), "--force"],
    }[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{out}: cannot be written ({REFUSED})" in err or f"Error: {out}: {REFUSED}" in err
    assert out.is_symlink() and victim.read_text() == "# my shell setup\n"
    assert not target.exists() if dangling else True


def test_an_output_may_sit_in_a_linked_folder(tmp_path, capsys):
    """Only the last part of the path matters: ~/.cache and the like are often links."""
    real = tmp_path / "real"
    real.mkdir()
    folder = link(tmp_path / "folder", real)
    assert main(["compile", str(SPRING), "-o", str(folder / "payload.json")]) == 0
    assert (real / "payload.json").exists()


def test_the_parser_cache_is_never_read_or_written_through_a_link(tmp_path, victim):
    from offerlang.compiler.parser import cached_parser

    directory = tmp_path / "cache"
    cached_parser(directory)
    (name,) = [p.name for p in directory.iterdir()]
    (directory / name).unlink()
    link(directory / name, victim)
    cached_parser(directory)  # builds the parser; does not load or replace the linked file
    assert (directory / name).is_symlink()
    assert victim.read_text() == "# my shell setup\n"


def test_the_verdict_cache_never_creates_a_file_through_a_link(tmp_path, monkeypatch):
    from offerlang import compile_file
    from offerlang.compiler import schema

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("OFFERLANG_NO_CACHE", raising=False)
    assert compile_file(SPRING).ok
    verdicts = tmp_path / "xdg" / "offerlang" / "verdicts"
    (marker,) = verdicts.iterdir()
    marker.unlink()
    elsewhere = tmp_path / "elsewhere"
    link(marker, elsewhere)  # dangling: O_CREAT through it would create `elsewhere`
    seen: list[object] = []
    real = schema.schema_errors
    monkeypatch.setattr(
        schema, "schema_errors", lambda payload, *a: seen.append(payload) or real(payload, *a)
    )
    assert compile_file(SPRING).ok
    assert len(seen) == 1, "a link is not a verdict: the payload is validated"
    assert not elsewhere.exists()


# ---- journals are the user's own ----------------------------------------------------------------


def test_receipts_of_another_user_are_refused(server, offer, capsys, monkeypatch):
    """Another user's receipts could make offerlang print their link as "already sent"."""
    book = offer.parent / ".offer" / "receipts.jsonl"
    book.parent.mkdir()
    book.write_text("")
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(book).st_uid + 1)
    assert main(send_args(server, str(offer))) == 2
    err = capsys.readouterr().err
    assert f"Error: {book}: belongs to another user (uid {os.stat(book).st_uid})" in err
    assert server.requests == []


def test_a_ledger_everyone_can_write_is_refused(campaign_server, tmp_path, capsys):
    rows = one_buyer(tmp_path)
    ledger = tmp_path / "buyers.ledger.jsonl"
    ledger.write_text('{"event":"campaign","offer":"annual-upgrade.offer","key":"email"}\n')
    ledger.chmod(0o666)
    assert main(campaign_args(campaign_server, rows)) == 2
    assert "can be written by every user (mode 0666)" in capsys.readouterr().err
    assert campaign_server.attempts == {}


# ---- links.csv: no cell a spreadsheet would run ---------------------------------------------------


def test_links_csv_neutralises_cells_a_spreadsheet_would_evaluate(campaign_server, tmp_path, capsys):
    keys = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(1,2)", "plain"]
    rows = tmp_path / "buyers.csv"
    with open(rows, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "email", "first", "last", "country"])
        for i, key in enumerate(keys):
            writer.writerow([key, f"b{i}@example.com", "A", "B", "DE"])
    out = tmp_path / "links.csv"
    code = main(campaign_args(campaign_server, rows, "--rate", "6000/min", "--out", str(out)))
    assert code == 0, capsys.readouterr().err
    with open(out, newline="") as fh:
        cells = [row[0] for row in csv.reader(fh)][1:]
    assert cells == ["'" + key for key in keys[:4]] + ["plain"]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
    ],
)
def test_csv_cell(cell, written):
    from offerlang.campaign.runner import csv_cell

    assert csv_cell(cell) == written


def test_the_github_actions_files_are_never_written_through_a_link(tmp_path, victim, monkeypatch):
    from offerlang import files
    from offerlang.action import run

    output = link(tmp_path / "github-output", victim)
    with pytest.raises(files.Refused):
        run._output({"GITHUB_OUTPUT": str(output)}, changed="true")
    state = link(tmp_path / "work" / run.STATE, victim)
    with pytest.raises(files.Refused):
        files.write_text(state, "{}")
    assert victim.read_text() == "# my shell setup\n"
    plain = tmp_path / "github-output-2"
    run._output({"GITHUB_OUTPUT": str(plain)}, changed="true", card="")
    run._output({"GITHUB_OUTPUT": str(plain)}, more="1")
    assert plain.read_text() == "changed=true\ncard=\nmore=1\n"
