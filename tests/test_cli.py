"""`offer compile` and `offer check` as a user meets them: output, files, exit codes, bad input."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from offerlang import compile_file, jsonout
from offerlang.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, cli, main

from .conftest import EXAMPLES, FIXTURES, ROOT

OFFER = Path(sys.executable).parent / "offer"  # the installed console script
SPRING = EXAMPLES / "spring-promotion.offer"
STRAY = FIXTURES / "invalid" / "stray-token.offer"
LOCATED = re.compile(r"^(?P<path>.+):(?P<line>\d+):(?P<col>\d+): error\[(?P<code>E\d{3})\]: ")


@pytest.fixture
def in_root(monkeypatch):
    # Paths in the output are as given on the command line: run from the checkout so they are
    # short and the same on every machine.
    monkeypatch.chdir(ROOT)


def _run(*args: str, **kwargs):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)


def _expected_payload(path: Path) -> str:
    return jsonout.dumps(compile_file(path).payload) + "\n"


# ---- compile -------------------------------------------------------------------------------


def test_compile_prints_the_payload():
    result = _run("compile", str(SPRING))
    assert result.exit_code == EXIT_OK
    assert result.stdout == _expected_payload(SPRING)


def test_compile_reads_standard_input_for_a_dash():
    result = _run("compile", "-", input=SPRING.read_bytes())
    assert result.exit_code == EXIT_OK
    assert result.stdout == _expected_payload(SPRING)


def test_compile_from_standard_input_reports_problems_as_stdin():
    result = _run("compile", "-", input=STRAY.read_bytes())
    assert result.exit_code == EXIT_INVALID
    assert result.stdout == ""
    assert result.stderr.startswith("<stdin>:4:14: error[E102]: ")


def test_compile_writes_the_output_file(tmp_path):
    out = tmp_path / "payload.json"
    assert main(["compile", str(SPRING), "-o", str(out)]) == EXIT_OK
    assert out.read_text("utf-8") == _expected_payload(SPRING)
    assert [p.name for p in tmp_path.iterdir()] == ["payload.json"], "no temporary file left behind"


def test_compile_of_an_invalid_offer_writes_nothing(tmp_path, capsys):
    out = tmp_path / "payload.json"
    out.write_text("the previous payload\n", encoding="utf-8")
    assert main(["compile", str(STRAY), "-o", str(out)]) == EXIT_INVALID
    assert out.read_text("utf-8") == "the previous payload\n"
    assert [p.name for p in tmp_path.iterdir()] == ["payload.json"]
    assert "error[E102]" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["missing-folder", "directory"])
def test_an_output_that_cannot_be_written_is_one_line_and_exit_2(where, tmp_path, capsys):
    out = tmp_path / "no" / "such" / "out.json" if where == "missing-folder" else tmp_path
    assert main(["compile", str(SPRING), "-o", str(out)]) == EXIT_USAGE
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"Error: {out}: cannot be written (")
    assert list(tmp_path.iterdir()) == [], "no temporary file left behind"


# ---- check ---------------------------------------------------------------------------------


def test_check_a_directory_checks_every_offer_below_it():
    result = _run("check", str(EXAMPLES))
    assert result.exit_code == EXIT_OK
    assert (
        result.stdout.strip() == f"{len(list(EXAMPLES.rglob('*.offer')))} files checked, 0 errors, 0 warnings"
    )


def test_check_reports_every_invalid_file_and_exits_1():
    result = _run("check", str(FIXTURES / "invalid"))
    assert result.exit_code == EXIT_INVALID
    reported = {m.group("path") for m in map(LOCATED.match, result.stdout.splitlines()) if m}
    expected = {str(p) for p in (FIXTURES / "invalid").glob("*.offer")}
    # Warnings alone, or a campaign template that is fine without its values, are valid.
    valid = {p for p in expected if not compile_file(p, unbound_ok=True).errors}
    assert reported == expected - valid


def test_check_json_is_stable_and_versioned(in_root, text_snapshot):
    result = _run(
        "check", "--format", "json", "examples/spring-promotion.offer", STRAY.relative_to(ROOT).as_posix()
    )
    assert result.exit_code == EXIT_INVALID
    doc = json.loads(result.stdout)
    assert doc["version"] == 1
    assert [f["valid"] for f in doc["files"]] == [True, False]
    assert result.stdout == text_snapshot


def test_check_github_annotations(in_root):
    result = _run("check", "--format", "github", STRAY.relative_to(ROOT).as_posix())
    assert result.exit_code == EXIT_INVALID
    assert result.stdout.startswith(
        "::error file=tests/fixtures/invalid/stray-token.offer,line=4,col=14,endLine=4,endColumn=15,"
        "title=E102::"
    )
    assert "%0A%0Ahelp: " in result.stdout and result.stdout.count("\n") == 1


def test_check_without_offer_files_is_a_usage_error(tmp_path):
    result = _run("check", str(tmp_path))
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.splitlines() == [f"Error: no *.offer files under {tmp_path}"]


def test_text_output_has_no_colour_when_not_a_terminal():
    result = _run("check", str(STRAY))
    assert "\x1b[" not in result.output


# ---- the command line itself -----------------------------------------------------------------


def test_help_lists_the_exit_codes():
    result = _run("--help")
    assert result.exit_code == EXIT_OK
    assert "Exit codes:" in result.stdout
    from offerlang.cli import (
        EXIT_BROKEN_PIPE,
        EXIT_INTERNAL,
        EXIT_INTERRUPTED,
        EXIT_NETWORK,
        EXIT_REJECTED,
    )

    codes = [EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_REJECTED, EXIT_NETWORK, EXIT_INTERNAL, EXIT_INTERRUPTED]
    for code in [*codes, EXIT_BROKEN_PIPE]:
        assert re.search(rf"^\s+{code}\s+\w", result.stdout, re.M), code


def test_an_unknown_sub_command_suggests_the_closest(capsys):
    assert main(["chek", "x.offer"]) == EXIT_USAGE
    assert "Did you mean 'check'?" in capsys.readouterr().err


def test_an_unknown_option_is_a_usage_error(capsys):
    assert main(["compile", "--bogus", str(SPRING)]) == EXIT_USAGE
    assert "No such option" in capsys.readouterr().err


# ---- bad input: one line, the right exit code, never a traceback ------------------------------

CONTENT_PROBLEMS = {
    # name: (bytes, code, line, col)
    "empty": (b"", "E004", 1, 1),
    "binary": (b"account abCdE1FGH2Hij3KLMnOpqR\nitem \x00\x00", "E002", 2, 6),
    "invalid-utf8": (b"account abCdE1FGH2Hij3KLMnOpqR\nitem caf\xe9\n", "E001", 2, 9),
    "5mb": (b"#" * (5 * 1024 * 1024), "E003", 1, 1),
}


@pytest.mark.parametrize("command", ["compile", "check"])
@pytest.mark.parametrize("name", sorted(CONTENT_PROBLEMS))
def test_a_bad_file_is_reported_at_path_line_col(name, command, tmp_path, capsys):
    data, code, line, col = CONTENT_PROBLEMS[name]
    path = tmp_path / f"{name}.offer"
    path.write_bytes(data)
    assert main([command, str(path)]) == EXIT_INVALID
    out = capsys.readouterr()
    text = out.err + out.out
    assert "Traceback" not in text
    first = LOCATED.match(text.splitlines()[0])
    assert first is not None, text
    assert (first["path"], first["code"], int(first["line"]), int(first["col"])) == (
        str(path),
        code,
        line,
        col,
    )


@pytest.mark.parametrize("command", ["compile", "check"])
def test_a_missing_file_is_one_line_and_exit_2(command, tmp_path, capsys):
    missing = tmp_path / "nope.offer"
    assert main([command, str(missing)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.splitlines() == [f"Error: {missing}: no such file or directory"]


def test_a_directory_given_as_file_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["compile", str(tmp_path)]) == EXIT_USAGE
    assert capsys.readouterr().err.splitlines() == [f"Error: {tmp_path}: is a directory, not an offer file"]


# ---- real processes ----------------------------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return {**env, **extra}


def test_the_installed_offer_script_compiles_and_fails_properly(tmp_path):
    out = tmp_path / "payload.json"
    done = subprocess.run([OFFER, "compile", SPRING, "-o", out], capture_output=True, env=_env())
    assert (done.returncode, done.stderr) == (EXIT_OK, b"")
    assert out.read_text("utf-8") == _expected_payload(SPRING)

    bad = tmp_path / "bad.offer"
    bad.write_bytes(b"\xff\xfe")
    done = subprocess.run([OFFER, "check", bad], capture_output=True, env=_env())
    assert done.returncode == EXIT_INVALID
    assert done.stdout.decode().startswith(f"{bad}:1:1: error[E001]: ")
    assert b"Traceback" not in done.stderr


def _on_a_terminal(*args: str, **env: str) -> str:
    """Run `offer` with its output on a pseudo-terminal, as in a shell, and return what it printed."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen([OFFER, *args], stdout=follower, stderr=follower, env=_env(**env))
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
    finally:
        os.close(leader)
    return b"".join(chunks).decode("utf-8")


def test_colour_on_a_terminal_and_none_with_no_color():
    assert "\x1b[1;31m" in _on_a_terminal("check", str(STRAY))
    plain = _on_a_terminal("check", str(STRAY), NO_COLOR="1")
    assert "\x1b[" not in plain and "error[E102]" in plain


def test_start_up_stays_lean(tmp_path):
    # `import offerlang.cli` and `offer --help` must not pay for the parser, the network, the
    # schema or the table libraries; `offer check` needs Lark, and jsonschema for the schema
    # gate, but never httpx or rich. A payload the gate accepted before is not validated again
    # (its verdict is cached), so the second check of the same offer skips jsonschema too.
    script = (
        "import sys\n"
        "import offerlang.cli\n"
        "heavy = ('httpx', 'jsonschema', 'lark', 'rich')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "offerlang.cli.main(['--help'])\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        f"offerlang.cli.main(['check', {str(SPRING)!r}])\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}

    def imported() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
        )
        return [line for line in done.stdout.splitlines() if line.startswith("[")]

    assert imported() == ["[]", "[]", "['jsonschema', 'lark']"]
    assert imported() == ["[]", "[]", "['lark']"]
    env["OFFERLANG_NO_CACHE"] = "1"
    assert imported() == ["[]", "[]", "['jsonschema', 'lark']"]


def test_compile_never_writes_the_payload_over_its_own_offer(tmp_path, capsys):
    offer = tmp_path / "a.offer"
    offer.write_text(SPRING.read_text("utf-8"), encoding="utf-8")
    before = offer.read_bytes()
    assert main(["compile", str(offer), "-o", str(offer)]) == EXIT_USAGE
    assert "is the offer file: it would be overwritten" in capsys.readouterr().err
    assert offer.read_bytes() == before


def test_blocks_nested_thousands_deep_are_one_error_not_a_crash(tmp_path, capsys):
    deep = tmp_path / "deep.offer"
    deep.write_text("item a {" * 2000 + "}" * 2000, encoding="utf-8")
    assert main(["check", str(deep)]) == EXIT_INVALID
    out = capsys.readouterr().out
    assert "error[E107]: blocks are nested more than 16 deep here" in out
    shown = [line for line in out.splitlines() if re.match(r"\d+ \| ", line)]
    assert shown and all(len(line) < 120 for line in shown), "the long line is shown as a window"
