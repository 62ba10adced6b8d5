"""The editor side: the TextMate grammar (vscode-tmgrammar-test), the VS Code extension's
settings logic (node's test runner) and its .vsix package. scripts/dev-setup installs node's
packages (npm ci in editors/vscode); without them these tests fail and say so."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from offerlang.language import CONTACT_FIELDS, ITEM_KEYWORDS, TOP_KEYWORDS

from .conftest import ROOT

VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = json.loads((VSCODE / "syntaxes" / "offer.tmLanguage.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def npm() -> str:
    node = shutil.which("node")
    assert node, "node is not installed: run scripts/dev-setup"
    assert (VSCODE / "node_modules" / ".bin" / "vsce").exists(), (
        "run scripts/dev-setup (npm ci in editors/vscode)"
    )
    return shutil.which("npm") or "npm"


def _npm(npm: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([npm, *args], cwd=VSCODE, capture_output=True, text=True, timeout=300)


def test_grammar_syntax_tests_and_snapshots_of_every_example_and_invalid_fixture(npm):
    result = _npm(npm, "run", "--silent", "test:grammar")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "keywords.offer run successfuly" in result.stdout
    snaps = {
        p.relative_to(VSCODE / "test" / "snap").as_posix() for p in (VSCODE / "test" / "snap").rglob("*.snap")
    }
    assert "examples/spring-promotion.offer.snap" in snaps
    assert any(s.startswith("tests/fixtures/invalid/") for s in snaps)


def test_extension_settings_logic(npm):
    result = _npm(npm, "test")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert re.search(r"^# fail 0$", result.stdout, re.M)


def test_the_vsix_packages_with_grammar_client_and_snippets(npm, tmp_path):
    out = tmp_path / "offerlang.vsix"
    result = subprocess.run(
        ["bash", str(VSCODE / "scripts" / "package.sh"), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    names = set(zipfile.ZipFile(out).namelist())
    for part in (
        "extension/package.json",
        "extension/extension.js",
        "extension/lib/settings.js",
        "extension/syntaxes/offer.tmLanguage.json",
        "extension/language-configuration.json",
        "extension/snippets/offer.json",
        "extension/node_modules/vscode-languageclient/package.json",
    ):
        assert part in names, part
    assert not any(n.startswith("extension/test/") or "/@vscode/vsce/" in n for n in names)


def test_vsce_is_pinned_to_a_release_that_runs_on_node_20():
    package = json.loads((VSCODE / "package.json").read_text("utf-8"))
    assert package["devDependencies"]["@vscode/vsce"] == "3.9.2"
    lock = json.loads((VSCODE / "package-lock.json").read_text("utf-8"))
    assert lock["packages"]["node_modules/@vscode/vsce"]["version"] == "3.9.2"


def test_the_grammar_knows_every_statement_keyword():
    statement = next(
        p for p in GRAMMAR["repository"]["statement"]["patterns"] if "first word" in p["comment"]
    )
    # The group of alternatives (the match starts with its anchor: a line start or a `{`).
    words = set(re.search(r"\(((?:[a-z]+\|)+[a-z]+)\)", statement["match"]).group(1).split("|"))
    words |= {"param", "item", "setup", "country", "language"}  # their own patterns
    assert set(TOP_KEYWORDS) | set(ITEM_KEYWORDS) | set(CONTACT_FIELDS) <= words


PANEL = """
const { execFile } = require("node:child_process");
const s = require("./lib/settings");
const [offer, file] = process.argv.slice(1);
const run = s.explainArgs([offer, "lsp"], file);
execFile(run.command, run.args, (error, stdout, stderr) =>
  console.log(s.explainOutcome(error, stdout, stderr)),
);
"""


@pytest.mark.parametrize(
    "offer",
    [ROOT / "examples" / "spring-promotion.offer", ROOT / "tests/fixtures/invalid/unknown-currency.offer"],
)
def test_the_explain_panel_shows_the_card_the_real_cli_prints(npm, offer):
    # The extension's own logic (lib/settings.js) running this checkout's `offer`: a valid offer
    # and a broken one both give the HTML card (the broken one lists its diagnostics in it).
    cli = Path(sys.executable).parent / "offer"
    result = subprocess.run(
        ["node", "-e", PANEL, str(cli), str(offer)], cwd=VSCODE, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "card", result.stderr
