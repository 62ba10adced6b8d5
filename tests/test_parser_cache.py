"""The built parser is cached in the user's cache dir: safely, atomically, and never trusted blindly."""

from __future__ import annotations

import os
import stat

import pytest

from offerlang.compiler import parser as offer_parser
from offerlang.compiler.parser import cached_parser
from offerlang.usercache import cache_dir

from .conftest import EXAMPLES, FIXTURES

SAMPLE = (EXAMPLES / "spring-promotion.offer").read_text("utf-8")


class _NeverBuilt(offer_parser.Lark):
    def __init__(self, *args, **kwargs):
        raise AssertionError("the parser was built instead of loaded from the cache")


def _cache_files(directory):
    return sorted(p.name for p in directory.iterdir())


def test_the_first_run_writes_the_cache_privately(tmp_path):
    directory = tmp_path / "offerlang"
    cached_parser(directory)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    (name,) = _cache_files(directory)
    assert name.startswith("parser-") and name.endswith(".lark")
    assert stat.S_IMODE((directory / name).stat().st_mode) & 0o077 == 0


def test_the_next_run_loads_it_and_parses_the_same(tmp_path, monkeypatch):
    built = cached_parser(tmp_path)
    monkeypatch.setattr(offer_parser, "Lark", _NeverBuilt)
    loaded = cached_parser(tmp_path)
    assert loaded.parse(SAMPLE) == built.parse(SAMPLE)
    # the options came back too: spans (propagate_positions) are what the diagnostics stand on
    assert loaded.parse(SAMPLE).children[0].meta.line == 3


def test_a_loaded_parser_reports_syntax_errors_the_same(tmp_path, monkeypatch):
    # Error messages read the grammar's terminals and the parser's expected tokens: they must
    # survive the round trip through the cache file.
    built = cached_parser(tmp_path)
    monkeypatch.setattr(offer_parser, "Lark", _NeverBuilt)
    loaded = cached_parser(tmp_path)
    for path in sorted((FIXTURES / "invalid").glob("*.offer")):
        text = path.read_text("utf-8")
        with monkeypatch.context() as m:
            m.setattr(offer_parser, "lark_parser", lambda: built)
            expected = offer_parser.parse(text)[1]
        with monkeypatch.context() as m:
            m.setattr(offer_parser, "lark_parser", lambda: loaded)
            assert offer_parser.parse(text)[1] == expected, path.name


def test_a_damaged_cache_file_is_rebuilt(tmp_path):
    cached_parser(tmp_path)
    (name,) = _cache_files(tmp_path)
    (tmp_path / name).write_bytes(b"not a parser")
    assert cached_parser(tmp_path).parse(SAMPLE)
    assert (tmp_path / name).read_bytes() != b"not a parser"
    assert _cache_files(tmp_path) == [name], "no temporary file left behind"


def test_a_cache_others_can_write_to_is_neither_read_nor_written(tmp_path):
    cached_parser(tmp_path)
    (name,) = _cache_files(tmp_path)
    (tmp_path / name).write_bytes(b"planted by someone else")
    os.chmod(tmp_path, 0o777)
    try:
        assert cached_parser(tmp_path).parse(SAMPLE)
        assert (tmp_path / name).read_bytes() == b"planted by someone else"
    finally:
        os.chmod(tmp_path, 0o700)


def test_a_changed_grammar_gets_its_own_cache_file(tmp_path, monkeypatch):
    cached_parser(tmp_path)
    grammar = offer_parser.grammar_text()
    monkeypatch.setattr(offer_parser, "grammar_text", lambda: grammar + "\n// a change\n")
    cached_parser(tmp_path)
    assert len(_cache_files(tmp_path)) == 2


def test_without_a_cache_dir_the_parser_is_built(monkeypatch):
    monkeypatch.setattr(offer_parser, "Lark", _NeverBuilt)
    with pytest.raises(AssertionError, match="built"):
        cached_parser(None)


@pytest.mark.parametrize(
    ("xdg", "home", "expected"),
    [
        ("/x/cache", "/home/u", "/x/cache/offerlang"),
        ("", "/home/u", "/home/u/.cache/offerlang"),
        ("relative/cache", "/home/u", "/home/u/.cache/offerlang"),
    ],
)
def test_the_cache_dir_follows_xdg(xdg, home, expected, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    monkeypatch.setenv("HOME", home)
    assert str(cache_dir()) == expected
