"""The marketer's reference stays true: its examples compile to the JSON it shows."""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from offerlang import compile_source
from offerlang.compiler.diagnostics import CODES, RETIRED
from offerlang.jsonout import dumps, loads

from .conftest import ROOT

LANGUAGE_MD = (ROOT / "docs" / "language.md").read_text("utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
BLOCKS = FENCE.findall(LANGUAGE_MD)
# An `offer` block directly followed by a `json` block shows what that offer compiles to.
PAIRS = [(a[1], b[1]) for a, b in itertools.pairwise(BLOCKS) if (a[0], b[0]) == ("offer", "json")]


def _complete(source: str) -> str:
    """Doc snippets show one construct; give them the buyer and item a session needs."""
    if not re.search(r"^(account|contact)\b", source, re.M):
        source = "account abCdE1FGH2Hij3KLMnOpqR\n" + source
    if not re.search(r"^item\b", source, re.M):
        source += "item basic-laptop\n"
    return source


def test_the_reference_has_examples():
    assert len(PAIRS) >= 15


@pytest.mark.parametrize(("source", "shown"), PAIRS, ids=[f"example-{i}" for i in range(len(PAIRS))])
def test_example_compiles_to_the_json_shown(source, shown):
    result = compile_source(_complete(source), "docs/language.md")
    assert result.ok, [d.message for d in result.errors]
    fragment = loads(shown)
    payload = result.payload
    if "product" in fragment:
        assert payload["items"][0] == fragment
    elif "items" in fragment:
        assert payload["items"] == fragment["items"]
    else:
        assert {k: payload[k] for k in fragment} == fragment
    # The docs show amounts exactly as the payload writes them (9.90, not 9.9).
    compact = dumps(payload, None)
    for key, amount in re.findall(r'"([A-Z]{3})": ([0-9.]+)', shown):
        assert f'"{key}":{amount}' in compact


def test_every_code_is_documented():
    anchor = r'(?:<a id="\w+"></a>)?'
    rows = re.findall(rf"^\| {anchor}([EWP]\d{{3}}) \| (\w+) \| (.+?) \|$", LANGUAGE_MD, re.M)
    assert {code: meaning for code, severity, meaning in rows if severity != "retired"} == CODES
    # Retired codes are listed as retired, and never reused.
    assert {code: meaning for code, severity, meaning in rows if severity == "retired"} == RETIRED
    assert not set(RETIRED) & set(CODES)


def test_every_code_has_an_anchor_for_editors():
    # The language server's codeDescription links to docs/language.md#<code in lower case>.
    anchors = set(re.findall(r'^\| <a id="(\w+)"></a>([EWP]\d{3}) \|', LANGUAGE_MD, re.M))
    missing = sorted(code for code in CODES if (code.lower(), code) not in anchors)
    assert not missing, f'give these rows an anchor, like `| <a id="e202"></a>E202 |`: {missing}'


# ---- docs/authoring.md: the `offer fmt` / `offer import` console blocks are real runs ----------

AUTHORING = (ROOT / "docs" / "authoring.md").read_text("utf-8")
# The files those runs read. spring.offer is the "before" side of the diff the page shows.
RUN_INPUTS = {
    "payload.json": (
        ROOT / "tests" / "fixtures" / "fastspring" / "tags-attributes-subscription.json"
    ).read_text("utf-8"),
    "odd.json": '{\n  "account": "abCdE1FGH2Hij3KLMnOpqR",\n'
    '  "items": [{"product": "basic-laptop", "pricing": {"price": {"USD": 9.999}}}]\n}\n',
    "wrong.json": '{\n  "account": "abCdE1FGH2Hij3KLMnOpqR",\n'
    '  "items": [{"product": "basic-laptop", "pricing": {"price": {"usd": 9.99}}}],\n'
    '  "returnUrl": "https://example.com/thanks"\n}\n',
    "broken.json": '{\n  "account": "abCdE1FGH2Hij3KLMnOpqR"\n  "items": []\n}\n',
}


def _console_runs(section: str) -> list[tuple[str, str]]:
    """(command, the output shown under it) for every `$ ` line of the section's console blocks."""
    runs: list[tuple[str, list[str]]] = []
    for lang, body in FENCE.findall(section):
        if lang != "console":
            continue
        for line in body.splitlines():
            if line.startswith("$ "):
                runs.append((line[2:], []))
            else:
                runs[-1][1].append(line)
    return [(command, "\n".join(shown)) for command, shown in runs]


def _diff_before(shown: str) -> str:
    return "".join(line[1:] + "\n" for line in shown.splitlines()[3:] if line[:1] in (" ", "-"))


RUNS = _console_runs(AUTHORING)


def test_the_authoring_page_shows_fmt_and_import_runs():
    assert [c.split()[:2] for c in (cmd for cmd, _ in RUNS)].count(["offer", "import"]) >= 3
    assert any(cmd.startswith("offer fmt") for cmd, _ in RUNS)


def test_fmt_and_import_runs_print_what_is_shown(tmp_path):
    for name, text in RUN_INPUTS.items():
        (tmp_path / name).write_text(text, "utf-8")
    offer = str(Path(sys.executable).parent / "offer")
    for command, shown in RUNS:
        argv = shlex.split(command)
        if argv[:2] == ["offer", "fmt"]:
            (tmp_path / argv[-1]).write_text(_diff_before(shown), "utf-8")
        if argv[0] == "cat":
            printed = (tmp_path / argv[1]).read_text("utf-8")
        else:
            assert argv[0] == "offer", command
            proc = subprocess.run(
                [offer, *argv[1:]],
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
                env={**os.environ, "NO_COLOR": "1"},
            )
            printed = proc.stdout
        assert printed.rstrip("\n") == shown.rstrip("\n"), command


def test_the_readme_tour_shows_the_example_it_names():
    readme = (ROOT / "README.md").read_text("utf-8")
    tour = readme[readme.index("## A five-minute tour") :]
    block = FENCE.search(tour)
    assert block is not None and block.group(1) == "offer"
    assert block.group(2) == (ROOT / "examples" / "spring-promotion.offer").read_text("utf-8")


# ---- every documented run of a file in the repository prints what the docs show --------------

PAGES = {
    "README.md": ROOT / "README.md",
    **{f"docs/{p.name}": p for p in sorted((ROOT / "docs").glob("*.md"))},
}


def _repository_runs() -> list[tuple[str, str, str]]:
    """(page, command, output shown) for each block that shows one `$ offer …` run whose files are
    all in the repository, in full (a block that elides lines with `…` shows a part only)."""
    runs = []
    for page, path in PAGES.items():
        for lang, body in FENCE.findall(path.read_text("utf-8")):
            first, _, shown = body.partition("\n")
            if lang not in ("", "console", "text") or not first.startswith("$ offer "):
                continue
            argv = shlex.split(first[2:])
            files = [a for a in argv[2:] if not a.startswith("-") and "/" in a]
            if "$ " in shown or "\n…\n" in "\n" + shown or not files:
                continue
            if all((ROOT / f).is_file() for f in files):
                runs.append((page, first[2:], shown))
    return runs


REPOSITORY_RUNS = _repository_runs()
RUN_IDS = [f"{page}: {command}" for page, command, _ in REPOSITORY_RUNS]


def test_the_docs_show_runs_of_repository_files():
    pages = {page for page, _, _ in REPOSITORY_RUNS}
    assert {"README.md", "docs/review.md"} <= pages


@pytest.mark.parametrize(("page", "command", "shown"), REPOSITORY_RUNS, ids=RUN_IDS)
def test_a_documented_run_prints_what_is_shown(page, command, shown):
    offer = str(Path(sys.executable).parent / "offer")
    proc = subprocess.run(
        [offer, *shlex.split(command)[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "FORCE_COLOR"} | {"NO_COLOR": "1"},
    )
    assert proc.stdout.rstrip("\n") == shown.rstrip("\n"), f"{page}: {command}"


# ---- the docs hold together ----------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text("utf-8"))
    return {_slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_link_between_pages_leads_somewhere(page):
    path = PAGES[page]
    broken = []
    prose = re.sub(r"`[^`\n]*`", "", FENCE.sub("", path.read_text("utf-8")))  # no code
    for target in LINK.findall(prose):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        file, _, anchor = target.partition("#")
        resolved = (path.parent / file).resolve() if file else path
        if not resolved.exists() or (
            anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved)
        ):
            broken.append(target)
    assert not broken, f"{page}: {broken}"


def test_every_manual_page_is_in_the_readmes_map():
    readme = (ROOT / "README.md").read_text("utf-8")
    listed = set(re.findall(r"^\| \[docs/([\w-]+\.md)\]\(docs/\1\) \|", readme, re.M))
    assert listed == {p.name for p in (ROOT / "docs").glob("*.md")}


def test_every_environment_variable_offerlang_reads_is_documented():
    # Names offerlang reads: os.environ.get("NAME") and NAME_ENV = "NAME" constants. A name with
    # a leading underscore is a private test knob, and stays undocumented on purpose.
    # The tests, scripts and benchmarks count too: a knob of theirs is either private or documented.
    folders = ("offerlang", "tests", "scripts", "bench")
    files = [p for folder in folders for p in (ROOT / folder).rglob("*.py")]
    source = "\n".join(p.read_text("utf-8") for p in files if p != Path(__file__))
    read = set(re.findall(r'environ(?:\.get)?\(\s*"([A-Z_][A-Z0-9_]*)"', source))
    read |= set(re.findall(r'^\w+_ENV = "([A-Z_][A-Z0-9_]*)"', source, re.M))
    # The GitHub Action's steps read theirs through one helper, `_env(env, "NAME")`.
    read |= set(re.findall(r'_env\(env, "([A-Z_][A-Z0-9_]*)"', source))
    documented = (ROOT / "docs" / "configuration.md").read_text("utf-8")
    assert {"OFFERLANG_NO_CACHE", "OFFERLANG_DEBUG", "NO_COLOR", "FASTSPRING_API_USERNAME"} <= read
    assert {"CI", "_OFFERLANG_TEST_CHROMIUM", "OFFER_TARGET"} <= read
    missing = sorted(name for name in read if not name.startswith("_") and f"`{name}`" not in documented)
    assert not missing
    assert "_OFFERLANG_TEST" not in documented


def test_the_readme_shows_an_offer_card():
    # The front door shows what a reviewer gets (docs/offer-card.png, scripts/card_screenshot.py).
    readme = (ROOT / "README.md").read_text("utf-8")
    (alt,) = re.findall(r"!\[([^\]]+)\]\(docs/offer-card\.png\)", readme)
    assert alt.startswith("An offer card")
    assert (ROOT / "docs" / "offer-card.png").read_bytes().startswith(b"\x89PNG")
