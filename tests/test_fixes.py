"""Fixes: every suggestion a diagnostic makes is also an edit, and `offer check --fix/--diff`."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

from offerlang import compile_source
from offerlang.authoring.fixes import apply_fixes
from offerlang.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, cli
from offerlang.compiler.diagnostics import Suggestion, did_you_mean_hint, error
from offerlang.compiler.nodes import Span

from .conftest import FIXTURES

INVALID = sorted((FIXTURES / "invalid").glob("*.offer"))
DID_YOU_MEAN = re.compile(r"did you mean `(.+)`\?")


def _run(*args: str, **kwargs):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)


def _text(path) -> str:
    return path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")


def test_the_did_you_mean_helper_returns_a_suggestion_that_becomes_a_fix():
    hint = did_you_mean_hint("EUT", ["EUR", "USD"])
    assert isinstance(hint, Suggestion) and hint == "did you mean `EUR`?"
    d = error("E202", "x", Span(3, 9, 3, 12), hint)
    assert [(f.title, [(e.span, e.new_text) for e in f.edits]) for f in d.fixes] == [
        ("Replace with `EUR`", [(Span(3, 9, 3, 12), "EUR")])
    ]
    # Nothing to replace: no span, a span over several lines, or a plain hint.
    assert error("E202", "x", None, hint).fixes == ()
    assert error("E202", "x", Span(3, 9, 4, 2), hint).fixes == ()
    assert error("E202", "x", Span(3, 9, 3, 12), "choose one").fixes == ()


def test_a_suggestion_for_a_word_fixes_only_that_word_or_inside_its_quotes():
    hint = did_you_mean_hint("alow", ["allow"])
    # A span wider than the word (a waiver comment, a whole line): nothing to apply.
    assert error("P001", "x", Span(6, 10, 6, 38), hint).fixes == ()
    # The word in quotes (a TOML string, a quoted offer value): replaced inside the quotes.
    quoted = error("E401", "x", Span(2, 10, 2, 16, 20, 26), hint)
    assert [(e.span, e.new_text) for f in quoted.fixes for e in f.edits] == [
        (Span(2, 11, 2, 15, 21, 25), "allow")
    ]


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_every_did_you_mean_hint_carries_its_fix(path):
    result = compile_source(_text(path), path.name, unbound_ok=True)
    for d in result.diagnostics:
        m = DID_YOU_MEAN.search(d.hint or "")
        if m and d.span is not None and d.span.line == d.span.end_line:
            assert [e.new_text for f in d.fixes for e in f.edits][:1] == [m.group(1)], d


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_a_fixed_problem_is_gone_after_the_fix(path):
    text = _text(path)
    result = compile_source(text, path.name, unbound_ok=True)
    fixed_text, fixed = apply_fixes(text, result.diagnostics)
    if not fixed:
        assert fixed_text == text
        return
    after = compile_source(fixed_text, path.name, unbound_ok=True).diagnostics
    still = {(d.code, d.span.line, d.span.column) for d in after if d.span}
    for d in fixed:
        assert (d.code, d.span.line, d.span.column) not in still, (d, fixed_text)


def test_overlapping_fixes_are_applied_one_at_a_time():
    text = "abc\n"
    a = error("E104", "a", Span(1, 1, 1, 4), Suggestion("h", "xyz"))
    b = error("E104", "b", Span(1, 2, 1, 3), Suggestion("h", "Q"))
    assert apply_fixes(text, [a, b]) == ("xyz\n", [a])
    # A fix made for another version of the text (past its end) is skipped, never misapplied.
    c = error("E104", "c", Span(9, 1, 9, 2), Suggestion("h", "Q"))
    assert apply_fixes(text, [c]) == (text, [])


@pytest.fixture
def broken(tmp_path):
    dst = tmp_path / "broken.offer"
    shutil.copy(FIXTURES / "invalid" / "several-problems.offer", dst)
    return dst


def test_check_diff_previews_and_changes_nothing(broken, monkeypatch, text_snapshot):
    monkeypatch.chdir(broken.parent)
    before = broken.read_bytes()
    result = _run("check", "--diff", "broken.offer")
    assert result.exit_code == EXIT_INVALID
    assert broken.read_bytes() == before
    assert result.stderr == "broken.offer: 3 fixes would be applied\n"
    assert result.stdout == text_snapshot


def test_check_fix_writes_the_fixes_then_reports_what_is_left(broken, monkeypatch):
    monkeypatch.chdir(broken.parent)
    result = _run("check", "--fix", "broken.offer")
    assert result.exit_code == EXIT_INVALID  # a renewal mode and a percent have no single right fix
    assert "item basic-laptop {\n  price USD 10.00, EUR 5\n" in broken.read_text()
    assert result.stderr == "broken.offer: 3 fixes applied\n"
    assert [m for m in re.findall(r"error\[(E\d+)\]", result.stdout)] == ["E207", "E219", "E214"]
    # Nothing left to fix: a second run changes nothing.
    again = broken.read_bytes()
    assert _run("check", "--fix", "broken.offer").stderr == ""
    assert broken.read_bytes() == again


def test_check_fix_on_a_valid_file_changes_nothing(tmp_path):
    good = tmp_path / "good.offer"
    good.write_text("account abCdE1FGH2Hij3KLMnOpqR\nitem falcon\n")
    result = _run("check", "--fix", str(good))
    assert result.exit_code == EXIT_OK
    assert good.read_text() == "account abCdE1FGH2Hij3KLMnOpqR\nitem falcon\n"


def test_check_fix_refuses_standard_input():
    result = _run("check", "--fix", "-", input=b"item falcon\n")
    assert result.exit_code == EXIT_USAGE


def test_check_json_carries_the_fixes(broken):
    doc = json.loads(_run("check", "--format", "json", str(broken)).stdout)
    fixes = {d["code"]: d["fixes"] for d in doc["diagnostics"]}
    assert fixes["E202"] == [
        {
            "title": "Replace with `USD`",
            "edits": [{"span": {"line": 5, "column": 9, "end_line": 5, "end_column": 12}, "new_text": "USD"}],
        }
    ]
    assert fixes["E207"] == []


def test_check_fix_keeps_a_byte_order_mark(tmp_path):
    # The fixes and nothing else: --diff shows one changed word, and --fix must not also drop
    # the mark the file began with (that is `offer fmt`'s to do).
    path = tmp_path / "bom.offer"
    path.write_bytes(b"\xef\xbb\xbfaccount abCdE1FGH2Hij3KLMnOpqR\nitem falcon {\n  renew automatic\n}\n")
    assert _run("check", "--fix", str(path)).exit_code == EXIT_OK
    assert (
        path.read_bytes() == b"\xef\xbb\xbfaccount abCdE1FGH2Hij3KLMnOpqR\nitem falcon {\n  renew auto\n}\n"
    )


def test_check_fix_over_several_files_leaves_a_read_only_file_and_a_link_as_they_are(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    broken = "account abCdE1FGH2Hij3KLMnOpqR\nitem falcon {\n  pirce USD 1\n}\n"
    for name in ("a.offer", "read-only.offer"):
        (tmp_path / name).write_text(broken)
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "c.offer").write_text(broken.replace("pirce", "price").replace("USD", "EUO"))
    (tmp_path / "link.offer").symlink_to("real/c.offer")
    (tmp_path / "read-only.offer").chmod(0o444)
    crlf = broken.replace("\n", "\r\n")
    (tmp_path / "crlf.offer").write_bytes(crlf.encode())
    result = _run("check", "--fix", ".")
    assert result.exit_code == EXIT_INVALID  # the two files left untouched still have their error
    assert (tmp_path / "a.offer").read_text() == broken.replace("pirce", "price")
    assert (tmp_path / "crlf.offer").read_bytes() == crlf.replace("pirce", "price").encode()
    assert (tmp_path / "read-only.offer").read_text() == broken
    assert (tmp_path / "link.offer").is_symlink()
    # The link's target is fixed under its own name, never through the link.
    assert (tmp_path / "real" / "c.offer").read_text() == broken.replace("pirce", "price").replace(
        "USD", "EUR"
    )
    lines = sorted(result.stderr.splitlines())
    assert lines[:2] == ["a.offer: 1 fix applied", "crlf.offer: 1 fix applied"]
    assert lines[2].startswith("link.offer: cannot be written (is a symbolic link")
    assert lines[2].endswith("left untouched")
    assert lines[3].startswith("read-only.offer: cannot be written (is read-only") and len(lines) == 5
    assert lines[4] == "real/c.offer: 1 fix applied"


# Hints that say exactly what to write, and the text their fix makes (first fix: what --fix does).
WRITTEN = [
    ("v1", "  price JPY 7,400\n", "  price JPY 7400\n"),
    ("v1", "  price EUR 7,40\n", "  price EUR 7.40\n"),
    ("v1", "  renew opt-in\n", "  renew opt-auto\n"),
    ("v1", "  renew opt-out\n", "  renew opt-manual\n"),
    ("v1", "  billed every two weeks\n", "  billed every 2 weeks\n"),
    ("v1", "  billed every 2 quarters\n", "  billed every 6 months\n"),
    ("v1", "  billed every fortnightly\n", "  billed every 2 weeks\n"),
    ("v2", "  billed every 1 quarter for 4 periods\n", "  billed every 3 months for 4 periods\n"),
]


@pytest.mark.parametrize(
    ("target", "line", "fixed"), WRITTEN, ids=lambda v: v.strip() if isinstance(v, str) else v
)
def test_a_hint_that_says_what_to_write_is_a_fix_that_writes_it(target, line, fixed):
    head = "account abCdE1FGH2Hij3KLMnOpqR\nitem falcon {\n"
    text = head + line + "}\n"
    result = compile_source(text, "x.offer", unbound_ok=True, target=target)
    said = [d for d in result.diagnostics if d.span and d.span.line == 3]
    assert len(said) == 1 and said[0].fixes, said
    assert re.search(r"`([^`]+)`", said[0].hint or "").group(1) in fixed  # what the hint says
    after, done = apply_fixes(text, said)
    assert after == head + fixed + "}\n" and done == said
    assert [d for d in compile_source(after, "x.offer", target=target).diagnostics if d.span.line == 3] == []


def test_v2_locale_and_payment_method_spellings_are_fixes():
    text = "account abCdE1FGH2Hij3KLMnOpqR\nlocale pt_br\npayment methods paypal, Card\nitem falcon\n"
    result = compile_source(text, "x.offer", target="v2")
    assert [(d.code, [f.title for f in d.fixes]) for d in result.diagnostics] == [
        ("E512", ["Replace with `pt-BR`"]),
        ("E513", ["Replace with `PAYPAL`"]),
        ("E513", ["Replace with `CARD`"]),
    ]
    fixed, _ = apply_fixes(text, result.diagnostics)
    assert (
        fixed == "account abCdE1FGH2Hij3KLMnOpqR\nlocale pt-BR\npayment methods PAYPAL, CARD\nitem falcon\n"
    )


def test_a_v2_language_with_a_region_has_the_hints_two_fixes():
    # The hint says: write `locale pt-BR` outside the contact in place of this line, or
    # `language pt`. The fix was only the second, applied by --fix without a word: the region
    # was dropped. Now the first fix (what --fix applies) is the hint's first way.
    text = (
        "contact {\n  first Ana\n  last Silva\n  email ana@example.com\n  country BR\n  language pt-BR\n}\n"
        "item falcon\n"
    )
    (d,) = compile_source(text, "x.offer", target="v2").diagnostics
    assert d.code == "E204"
    assert [f.title for f in d.fixes] == ["Write `locale pt-BR` outside the contact", "Replace with `pt`"]
    fixed, _ = apply_fixes(text, [d])
    assert fixed.startswith("locale pt-BR\ncontact {\n") and "language" not in fixed
    assert compile_source(fixed, "x.offer", target="v2").diagnostics == []
    # With a locale already there (E511 says the language is given twice), the language alone.
    said = compile_source("locale en-US\n" + text, "x.offer", target="v2").diagnostics
    assert [[f.title for f in d.fixes] for d in said if d.code == "E204"] == [["Replace with `pt`"]]
