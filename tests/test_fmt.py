"""`offer fmt`: one canonical layout, every comment kept, the payload never changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offerlang import compile_source
from offerlang.authoring import formatter
from offerlang.authoring.formatter import (
    FormatterBug,
    format_source,
    is_bare,
    offer_string,
    shape,
    value_text,
)
from offerlang.authoring.importer import import_payload
from offerlang.cli import cli, main
from offerlang.compiler.diagnostics import has_errors
from offerlang.compiler.nodes import Param, Span, Text
from offerlang.compiler.parser import parse
from offerlang.compiler.source import decode
from offerlang.jsonout import dumps

from .conftest import EXAMPLES, FIXTURES
from .strategies import messy, payloads, texts

MESSY = sorted((FIXTURES / "fmt").glob("*.offer"))
UNFORMATTABLE = {"syntax-error", "unknown-keyword", "bad-escape"}
EXAMPLE_FILES = sorted(EXAMPLES.rglob("*.offer"))


def _read(path: Path) -> str:
    text = decode(path.read_bytes(), str(path)).text
    assert text is not None
    return text


def _comments(text: str) -> list[str]:
    offer, _ = parse(text.removeprefix("\ufeff"))
    assert offer is not None
    return [c.text.rstrip() for c in offer.comments]


def _payload(text: str):
    """The payload, or the error codes when the offer does not compile."""
    text = text.removeprefix("\ufeff")
    offer, _ = parse(text)
    if offer is not None and offer.of(Param):
        # Compiling needs the parameters bound (campaign work); compare the meaning instead.
        return shape(offer)
    result = compile_source(text)
    return result.payload if result.ok else [d.code for d in result.errors]


# ---- the canonical form of messy files ------------------------------------------------------


@pytest.mark.parametrize("path", [p for p in MESSY if p.stem not in UNFORMATTABLE], ids=lambda p: p.stem)
def test_messy_file_formats_to_snapshot(path, snapshot):
    text = _read(path)
    formatted, diags = format_source(text, str(path))
    assert diags == []
    assert formatted == snapshot
    assert format_source(formatted)[0] == formatted, "idempotent"
    assert _payload(formatted) == _payload(text), "same payload (or the same errors)"
    assert _comments(formatted) == _comments(text), "every comment kept, in order"
    assert "\r" not in formatted and formatted.endswith("\n")


def test_fixtures_cover_crlf_tabs_and_bom():
    raw = {p.stem: p.read_bytes() for p in MESSY}
    assert b"\r\n" in raw["crlf"] and b"\t" in raw["crlf"] and raw["bom"].startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_examples_are_already_canonical(path):
    text = path.read_text("utf-8")
    assert format_source(text, str(path)) == (text, [])


@pytest.mark.parametrize("name", sorted(UNFORMATTABLE))
def test_unsafe_file_is_not_formatted(name):
    path = FIXTURES / "fmt" / f"{name}.offer"
    formatted, diags = format_source(_read(path), str(path))
    assert formatted is None
    assert diags and all(d.code.startswith("E1") and d.path == str(path) for d in diags)


def test_semantic_errors_do_not_block_formatting():
    formatted, diags = format_source("account x\nitem a {\n  price XYZ 5\n}\n")
    assert diags == [] and formatted is not None
    assert compile_source(formatted).errors, "the offer is still wrong, just formatted"


# ---- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("price USD 9.9", "price USD 9.90"),
        ("price USD 10", "price USD 10.00"),
        ("price USD 007.5", "price USD 7.50"),
        ("price JPY 1200", "price JPY 1200"),
        ("price KRW 0", "price KRW 0"),
        # Wrong amounts stay as written: padding or rounding would hide the mistake.
        ("price USD 9.999", "price USD 9.999"),
        ("price JPY 100.0", "price JPY 100.0"),
        ("price XYZ 5", "price XYZ 5"),
        ("price USD 1,EUR   2 ,  GBP 3.5", "price USD 1.00, EUR 2.00, GBP 3.50"),
        ("quantity 007", "quantity 7"),
        ("quantity 1.50", "quantity 1.5"),
        ("trial 1 days", "trial 1 day"),
        ("trial 0 day , card required", "trial 0 days, card required"),
        ("trial free,no card required", "trial free, no card required"),
        ("trial ,card required", "trial card required"),
        ("billed every 1 months", "billed every 1 month"),
        ("billed every 3 month", "billed every 3 months"),
        ("discount 50.0% for 1 periods", "discount 50% for 1 period"),
        ("discount 12.50% on 010 or more for 2 period", "discount 12.5% on 10 or more for 2 periods"),
        ('attribute "key" "value"', "attribute key value"),
    ],
)
def test_statement_layout(written, canonical):
    formatted, _ = format_source(f"account x\nitem a {{\n{written}\n}}\n")
    assert formatted == f"account x\n\nitem a {{\n  {canonical}\n}}\n"


@pytest.mark.parametrize(
    ("value", "bare"),
    [
        ("falcon", True),
        ("10OFF", True),
        ("9.99", True),
        ("item", True),  # a keyword is only a keyword where the grammar expects one
        ("O'Brien", True),
        ("日本", True),
        ("", False),
        ("a b", False),
        ('say"hi', False),
        ("a#b", False),
        ("{x}", False),
        ("a,b", False),
        ("$x", False),
        ("C:\\dir", False),  # a backslash would read as an escape
        ("\u200bhidden", False),  # invisible characters are spelled out
        ("no\u00a0break", False),
    ],
)
def test_when_a_value_needs_quotes(value, bare):
    assert is_bare(value) is bare
    text = f"account x\ntag k {offer_string(value)}\nitem a\n"
    assert format_source(text)[0] == f"account x\ntag k {value if bare else offer_string(value)}\n\nitem a\n"


def test_offer_strings_escape_canonically():
    assert (
        offer_string('a"b\\c\nd\te\rf$g\x00h\U000e0001é') == '"a\\"b\\\\c\\nd\\te\\rf\\$g\\u0000h\\u{e0001}é"'
    )


@given(texts)
def test_any_text_reads_back_as_itself(value):
    offer, diags = parse(f"tag {value_text(Text(value, Span(1, 1, 1, 1)))} x\n")
    # A warning may still speak (W307: `A\nA` looks like a mistyped backslash); no error may.
    assert not has_errors(diags) and offer is not None
    assert offer.clauses[0].key.value == value


def test_layout_of_blocks_and_groups():
    text = "param p text\naccount x\ncoupon c\nitem a {}\nitem b\ncontact {\n}\nitem c { quantity 1 }\n"
    assert format_source(text)[0] == (
        "param p text\n\naccount x\ncoupon c\n\nitem a\n\nitem b\n\ncontact {}\n\nitem c {\n  quantity 1\n}\n"
    )


def test_empty_and_comment_only_files():
    assert format_source("") == ("", [])
    assert format_source("\n\n  \n") == ("", [])
    assert format_source("  # only a comment   \n\n\n# another\n")[0] == "# only a comment\n\n# another\n"


def test_the_guard_stops_a_printer_bug(monkeypatch):
    # Were the printer to lose a digit, formatting must fail loudly, not change a price.
    monkeypatch.setattr(formatter, "amount_text", lambda currency, amount: "1.00")
    with pytest.raises(FormatterBug):
        format_source("account x\nitem a {\n  price USD 9.99\n}\n")


def test_the_guard_stops_a_lost_comment(monkeypatch):
    monkeypatch.setattr(formatter._Printer, "_comments", lambda self, depth, comments, nxt: None)
    with pytest.raises(FormatterBug):
        format_source("# keep me\naccount x\nitem a\n")


# ---- laws over generated offers --------------------------------------------------------------

SLOW = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SLOW
@given(st.data(), payloads())
def test_messy_spelling_formats_back_to_the_canonical_source(data, payload):
    source, _ = import_payload(dumps(payload))
    assert source is not None
    written = data.draw(messy(source, comments=False))
    assert format_source(written)[0] == source


@SLOW
@given(st.data(), payloads())
def test_fmt_is_idempotent_and_keeps_payload_and_comments(data, payload):
    source, _ = import_payload(dumps(payload))
    assert source is not None
    written = data.draw(messy(source, comments=True))
    formatted, diags = format_source(written)
    assert diags == [] and formatted is not None
    assert format_source(formatted)[0] == formatted
    assert _payload(formatted) == _payload(written) == payload
    assert _comments(formatted) == _comments(written)


@SLOW
@given(st.data(), st.sampled_from(EXAMPLE_FILES + [p for p in MESSY if p.stem not in UNFORMATTABLE]))
def test_fmt_laws_hold_for_perturbed_examples(data, path):
    canonical, _ = format_source(_read(path))
    written = data.draw(messy(canonical, comments=True))
    formatted, _ = format_source(written)
    assert formatted is not None
    assert format_source(formatted)[0] == formatted
    assert _payload(formatted) == _payload(written)
    assert _comments(formatted) == _comments(written)


# ---- the command ---------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "messy.offer").write_text("account   x\nitem a{\nquantity 01\n}\n")
    (tmp_path / "clean.offer").write_text("account x\n\nitem a\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "crlf.offer").write_bytes(b"account x\r\n\r\nitem a\r\n")
    (tmp_path / "notes.txt").write_text("not an offer")
    return tmp_path


def test_fmt_rewrites_files_in_place(tree, capsys):
    assert main(["fmt", str(tree)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [str(tree / "messy.offer"), str(tree / "sub" / "crlf.offer")]
    assert err == "2 files reformatted, 1 file already formatted\n"
    assert (tree / "messy.offer").read_text() == "account x\n\nitem a {\n  quantity 1\n}\n"
    assert (tree / "sub" / "crlf.offer").read_bytes() == b"account x\n\nitem a\n"
    assert (tree / "notes.txt").read_text() == "not an offer"
    assert main(["fmt", str(tree)]) == 0, "a second run changes nothing"
    assert capsys.readouterr().out == ""


def test_fmt_check_lists_files_and_changes_nothing(tree, capsys):
    before = {p: p.read_bytes() for p in tree.rglob("*.offer")}
    assert main(["fmt", "--check", str(tree)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [str(tree / "messy.offer"), str(tree / "sub" / "crlf.offer")]
    assert "2 files would be reformatted" in err
    assert {p: p.read_bytes() for p in tree.rglob("*.offer")} == before
    assert main(["fmt", "--check", str(tree / "clean.offer")]) == 0


def test_fmt_diff_prints_a_unified_diff(tree, capsys):
    assert main(["fmt", "--diff", str(tree / "messy.offer")]) == 1
    path = tree / "messy.offer"
    assert capsys.readouterr().out == (
        f"--- {path}\n+++ {path}\n@@ -1,4 +1,5 @@\n-account   x\n-item a{{\n-quantity 01\n"
        "+account x\n+\n+item a {\n+  quantity 1\n }\n"
    )
    assert path.read_text() == "account   x\nitem a{\nquantity 01\n}\n"


def test_fmt_diff_shows_a_missing_final_newline_and_a_bom(tmp_path, capsys):
    path = tmp_path / "a.offer"
    path.write_bytes(b"\xef\xbb\xbfaccount x\n\nitem a")
    assert main(["fmt", "--diff", str(path)]) == 1
    out = capsys.readouterr().out
    assert "-\ufeffaccount x\n+account x\n" in out
    assert "-item a\n\\ No newline at end of file\n+item a\n" in out


def test_fmt_leaves_a_file_with_syntax_errors_untouched(tree, capsys):
    broken = tree / "broken.offer"
    broken.write_text("account   x\nitem a {\n  price USD\n}\n")
    assert main(["fmt", str(tree)]) == 1
    out, err = capsys.readouterr()
    assert broken.read_text() == "account   x\nitem a {\n  price USD\n}\n"
    assert f"{broken}:3:12: error[E102]: this line ends too early" in err
    assert "1 file with errors left untouched" in err
    assert str(tree / "messy.offer") in out, "the other files are still formatted"


def _fmt_stdin(text: str):
    return CliRunner().invoke(cli, ["fmt", "-"], input=text, standalone_mode=False)


def test_fmt_stdin_to_stdout():
    result = _fmt_stdin("account   x\nitem a\n")
    assert result.return_value == 0
    assert result.stdout == "account x\n\nitem a\n"
    assert result.stderr == "", "no summary line in editor mode"


def test_fmt_stdin_with_syntax_error_prints_nothing_on_stdout():
    result = _fmt_stdin("account x\nitem a {\n")
    assert result.return_value == 1
    assert result.stdout == ""
    assert "<stdin>:2:9: error[E105]" in result.stderr


def test_fmt_stdin_check():
    result = CliRunner().invoke(
        cli, ["fmt", "--check", "-"], input="account   x\nitem a\n", standalone_mode=False
    )
    assert (result.return_value, result.stdout) == (1, "<stdin>\n")


def test_fmt_stdin_in_a_real_process():
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "offer"), "fmt", "-"],
        input=b"\xef\xbb\xbfaccount x\r\nitem a {\r\n\tquantity 1\r\n}",
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"account x\n\nitem a {\n  quantity 1\n}\n"
    broken = subprocess.run(
        [str(Path(sys.executable).parent / "offer"), "fmt", "-"],
        input=b"account x\nitem a {\n",
        capture_output=True,
        check=False,
    )
    assert (broken.returncode, broken.stdout) == (1, b"")


def test_fmt_write_is_atomic(tree, monkeypatch, capsys):
    path = tree / "messy.offer"
    original = path.read_bytes()

    def crash(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    assert main(["fmt", str(path)]) == 1
    assert "cannot be written (No space left on device)" in capsys.readouterr().err
    assert path.read_bytes() == original, "the original is intact"
    assert sorted(p.name for p in tree.iterdir()) == ["clean.offer", "messy.offer", "notes.txt", "sub"]


def test_fmt_keeps_file_permissions(tree):
    path = tree / "messy.offer"
    path.chmod(0o640)
    assert main(["fmt", str(path)]) == 0
    assert path.stat().st_mode & 0o777 == 0o640


def test_fmt_without_offer_files_is_a_usage_error(tmp_path, capsys):
    assert main(["fmt", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"Error: no *.offer files under {tmp_path}"]


def test_fmt_formats_the_file_a_symlink_names_and_keeps_the_link(tree):
    real = tree / "messy.offer"
    link = tree / "link.offer"
    link.symlink_to(real.name)
    assert main(["fmt", str(link)]) == 0
    assert link.is_symlink(), "the link is still a link"
    assert real.read_text() == "account x\n\nitem a {\n  quantity 1\n}\n"


def test_fmt_carries_on_past_an_unreadable_file(tree, monkeypatch, capsys):
    import offerlang.cli.fmt_cmd as fmt_cmd

    locked = tree / "a-locked.offer"
    locked.write_text("account   x\nitem a\n")
    real_read = fmt_cmd.read_source

    def read(path: str):
        # chmod 0 would not stop root; fail the read the way read_source does for EACCES.
        if path == str(locked):
            raise fmt_cmd.InputError(f"{path}: permission denied")
        return real_read(path)

    monkeypatch.setattr(fmt_cmd, "read_source", read)
    assert main(["fmt", str(tree)]) == 1
    out, err = capsys.readouterr()
    assert f"Error: {locked}: permission denied" in err
    assert str(tree / "messy.offer") in out, "the files after it are still formatted"
    assert err.endswith("2 files reformatted, 1 file already formatted, 1 file with errors left untouched\n")
    assert locked.read_text() == "account   x\nitem a\n"


@pytest.mark.parametrize("args", [["-", "-"], ["-", "x.offer"], ["x.offer", "-"]])
def test_fmt_stdin_cannot_be_combined_with_other_paths(args, capsys):
    assert main(["fmt", *args]) == 2
    assert "`-` (standard input) cannot be combined with other paths" in capsys.readouterr().err


# ---- files: fmt keeps what it does not own (issue 9) ----------------------------------------------


def test_fmt_keeps_the_whole_mode_setuid_included(tree):
    path = tree / "messy.offer"
    path.chmod(0o4755)
    assert main(["fmt", str(path)]) == 0
    assert path.read_text() == "account x\n\nitem a {\n  quantity 1\n}\n"
    assert path.stat().st_mode & 0o7777 == 0o4755


def test_fmt_refuses_a_file_whose_mode_says_read_only(tree, capsys):
    """Checked on the mode bits: CI runs as root, for whom writing a 0444 file would succeed."""
    path = tree / "messy.offer"
    before = path.read_bytes()
    path.chmod(0o444)
    assert main(["fmt", str(tree)]) == 2
    out, err = capsys.readouterr()
    assert f"{path}: is read-only (mode 0444); make it writable first if it should change" in err
    assert path.read_bytes() == before and path.stat().st_mode & 0o777 == 0o444
    assert str(tree / "sub" / "crlf.offer") in out, "the other files are still formatted"


def test_fmt_refuses_a_file_with_hard_links(tree, capsys):
    path = tree / "messy.offer"
    other = tree / "elsewhere.txt"
    os.link(path, other)
    before = path.read_bytes()
    assert main(["fmt", str(path)]) == 2
    assert f"{path}: has 2 hard links; replacing it would split them" in capsys.readouterr().err
    assert path.read_bytes() == other.read_bytes() == before
    assert path.stat().st_ino == other.stat().st_ino, "still one file"


def test_fmt_leaves_a_file_changed_while_it_is_formatted(tree, monkeypatch, capsys):
    """A line appended by an editor while fmt works must not be lost."""
    import offerlang.authoring.formatter as fmt

    path = tree / "messy.offer"
    format_source = fmt.format_source

    def edited_meanwhile(text: str, name: str = "<string>"):
        formatted = format_source(text, name)
        with open(path, "a") as fh:
            fh.write("coupon LATE\n")
        return formatted

    monkeypatch.setattr(fmt, "format_source", edited_meanwhile)
    assert main(["fmt", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: changed while it was being formatted; left as it is (run again)" in err
    assert path.read_text() == "account   x\nitem a{\nquantity 01\n}\ncoupon LATE\n"


def test_fmt_through_a_symlink_refuses_a_read_only_target(tree, capsys):
    real = tree / "messy.offer"
    link = tree / "link.offer"
    link.symlink_to(real.name)
    real.chmod(0o444)
    assert main(["fmt", str(link)]) == 2
    assert "is read-only" in capsys.readouterr().err
    assert link.is_symlink()
