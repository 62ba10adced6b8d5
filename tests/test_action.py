"""The GitHub Action: action.yml itself (schema, shellcheck, no injection), and its Python steps
against a real git repository and a loopback fake of GitHub's API (tests/fakegithub.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from offerlang.action import run as action
from offerlang.action.github import GitHub

from .conftest import FIXTURES, ROOT, run
from .fakegithub import PERSON, READ_TOKEN, REPO, WRITE_TOKEN, FakeGitHub

ACTION = ROOT / "action.yml"
BASE = (FIXTURES / "diff" / "base.offer").read_text()


def need(tool: str, how: str) -> str:
    """A tool the CI machine has (scripts/dev-setup installs it); skipped loudly elsewhere."""
    found = shutil.which(tool) or (
        str(Path(sys.executable).parent / tool) if (Path(sys.executable).parent / tool).exists() else None
    )
    if found:
        return found
    message = f"{tool} is not installed ({how}); run `bash scripts/dev-setup`"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# ---- action.yml ------------------------------------------------------------------------------


def steps() -> list[dict]:
    yaml = pytest.importorskip("ruamel.yaml", reason="ruamel.yaml comes with check-jsonschema")
    return yaml.YAML(typ="safe").load(ACTION.read_text())["runs"]["steps"]


def test_action_yml_is_a_valid_action():
    tool = need("check-jsonschema", "pip install -e '.[test]'")
    done = subprocess.run(
        [tool, "--builtin-schema", "vendor.github-actions", str(ACTION)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_its_shell_steps_pass_shellcheck(tmp_path):
    tool = need("shellcheck", "apt-get install shellcheck")
    scripts = [s for s in steps() if "run" in s]
    assert scripts and all(s["shell"] == "bash" for s in scripts)
    for n, s in enumerate(scripts):
        script = tmp_path / f"step-{n}.sh"
        script.write_text("#!/usr/bin/env bash\n" + s["run"] + "\n")
        done = subprocess.run(
            [tool, "--shell=bash", "--severity=style", str(script)], capture_output=True, text=True
        )
        assert done.returncode == 0, f"{s['name']}:\n{done.stdout}"


def test_no_expression_is_interpolated_into_a_script():
    # `${{ inputs.path }}` inside `run:` is pasted into the script before bash reads it: an
    # input (or a branch name) could run commands. Every value reaches the scripts as env.
    for s in steps():
        if "run" in s:
            assert "${{" not in s["run"], s["name"]
    env = {k: v for s in steps() for k, v in (s.get("env") or {}).items()}
    assert env["OFFER_PATH"] == "${{ inputs.path }}"
    assert env["OFFER_FAIL_ON"] == "${{ inputs.fail-on }}"
    assert env["OFFER_COMMENT"] == "${{ inputs.comment }}"
    assert env["OFFER_TARGET"] == "${{ inputs.target }}"
    assert 'pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"' in steps()[1]["run"]


# ---- the sticky comment against the fake API ------------------------------------------------


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub().start()
    try:
        yield fake
    finally:
        fake.stop()


def client(fake: FakeGitHub, token: str = WRITE_TOKEN) -> GitHub:
    return GitHub(fake.url, token, REPO)


BODY = action.MARKER + "\n### Offers\n\nprice USD 9.99 → 7.99\n"


def test_create_then_update_in_place_then_no_op(github):
    gh = client(github)
    github.add(7, "LGTM", PERSON)
    assert action.sticky(gh, 7, BODY) == "created"
    assert action.sticky(gh, 7, BODY.replace("7.99", "6.99")) == "updated"
    assert action.sticky(gh, 7, BODY.replace("7.99", "6.99")) == "unchanged"
    ours = [c for c in github.comments[7] if action.MARKER in c["body"]]
    assert len(ours) == 1 and "6.99" in ours[0]["body"]
    assert [m for m, *_ in github.writes()] == ["POST", "PATCH"]


def test_no_comment_when_nothing_changed_and_an_old_one_says_so(github):
    gh = client(github)
    assert action.sticky(gh, 8, None) == "none"
    assert github.writes() == [] and github.comments.get(8) is None
    action.sticky(gh, 8, BODY)
    assert action.sticky(gh, 8, None) == "updated"
    assert action.NO_LONGER in github.comments[8][0]["body"]
    assert action.sticky(gh, 8, None) == "unchanged"


def test_the_sticky_comment_is_found_on_a_later_page_and_a_persons_copy_is_ignored(github):
    github.page_size = 2
    github.add(9, "quoting the bot: " + action.MARKER, PERSON)  # not ours, even with the marker
    for n in range(4):
        github.add(9, f"comment {n}", PERSON)
    ours = github.add(9, BODY)
    assert action.sticky(client(github), 9, BODY.replace("9.99", "8.99")) == "updated"
    assert "8.99" in ours["body"] and github.comments[9][0]["body"].startswith("quoting")
    assert sum(1 for m, *_ in github.requests if m == "GET") == 3


def test_a_read_only_token_writes_the_job_summary_instead(github, tmp_path):
    work, summary = tmp_path / "work", tmp_path / "summary.md"
    work.mkdir()
    state = action.State(5, 0, 0, 0, True, False, None)
    (work / action.STATE).write_text(json.dumps(state.__dict__))
    (work / action.DIFF_MD).write_text("### a.offer: 1 change\n")
    env = {
        "OFFER_WORK": str(work),
        "GITHUB_TOKEN": READ_TOKEN,
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    assert action.comment(env) == 0  # not a failure: the review is still there to read
    assert [m for m, *_ in github.writes()] == ["POST"]
    assert github.comments.get(5) is None
    text = summary.read_text()
    assert "### a.offer: 1 change" in text and action.MARKER not in text


# ---- the whole Action, on a real repository --------------------------------------------------


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    repo = tmp_path / "repo"
    (repo / "offers").mkdir(parents=True)
    (repo / "offers" / "spring.offer").write_text(BASE)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    monkeypatch.chdir(repo)
    return repo


def action_env(
    repo: Path, github: FakeGitHub, tmp_path: Path, base: str = "", **extra: str
) -> dict[str, str]:
    event = tmp_path / "event.json"
    base = base or git(repo, "rev-parse", "main")
    event.write_text(json.dumps({"pull_request": {"number": 12, "base": {"sha": base}}}))
    return {
        "OFFER_PATH": "offers",
        "OFFER_FAIL_ON": "error",
        "OFFER_WORK": str(tmp_path / "work"),
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_TOKEN": WRITE_TOKEN,
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": REPO,
        "OFFER_CARD_URL": "https://github.com/acme/offers/actions/runs/1/artifacts/2",
        **extra,
    }


def test_a_pull_request_that_changes_a_price(repo, github, tmp_path):
    git(repo, "checkout", "-q", "-b", "change")
    hostile = BASE.replace("9.99", "7.99").replace(
        "coupon SPRING10", 'coupon SPRING10\ntag owner "@octocat https://evil.example #1"'
    )
    (repo / "offers" / "spring.offer").write_text(hostile)
    env = action_env(repo, github, tmp_path)
    assert action.review(env) == 0
    assert "changed=true" in (tmp_path / "output").read_text()
    card = tmp_path / "work" / action.CARD
    assert f"card={card}" in (tmp_path / "output").read_text()
    assert "<svg" in card.read_text()
    assert action.comment(env) == 0
    (body,) = [c["body"] for c in github.comments[12]]
    assert body.startswith(action.MARKER) and "9.99 → 7.99" in body
    assert "[The offer card](https://github.com/acme/offers/actions/runs/1/artifacts/2)" in body
    # Offer values mention nobody and link nowhere.
    assert not re.search(r"@[A-Za-z0-9]|https?://evil|#\d", body)
    assert "octocat" in body and "evil.example" in body
    assert action.verdict(env) == 0

    # The next push updates the same comment.
    (repo / "offers" / "spring.offer").write_text(hostile.replace("7.99", "6.99"))
    assert action.review(env) == 0 and action.comment(env) == 0
    (body,) = [c["body"] for c in github.comments[12]]
    assert "9.99 → 6.99" in body
    assert [m for m, *_ in github.writes()] == ["POST", "PATCH"]

    # Back to what buyers saw: the comment says so, nothing is uploaded.
    (repo / "offers" / "spring.offer").write_text(BASE.replace("  ", "    "))  # formatting only
    assert action.review(env) == 0
    assert "card=\n" in (tmp_path / "output").read_text().splitlines(keepends=True)[-1]
    assert action.comment(env) == 0
    (body,) = [c["body"] for c in github.comments[12]]
    assert action.NO_LONGER in body
    assert action.verdict(env) == 1  # but the file is not formatted


def test_nothing_changed_means_no_comment(repo, github, tmp_path):
    env = action_env(repo, github, tmp_path)
    assert action.review(env) == 0 and action.comment(env) == 0 and action.verdict(env) == 0
    assert github.writes() == [] and "changed=false" in (tmp_path / "output").read_text()


def test_comment_off_writes_the_summary(repo, github, tmp_path):
    (repo / "offers" / "spring.offer").write_text(BASE.replace("9.99", "7.99"))
    env = action_env(repo, github, tmp_path, OFFER_COMMENT="off")
    assert action.review(env) == 0 and action.comment(env) == 0
    assert github.requests == []
    assert "9.99 → 7.99" in (tmp_path / "summary.md").read_text()


def test_a_broken_offer_fails_the_verdict_and_is_in_the_comment(repo, github, tmp_path, capfd):
    (repo / "offers" / "spring.offer").write_text(BASE.replace("9.99", "9.999"))
    env = action_env(repo, github, tmp_path)
    assert action.review(env) == 0
    out = capfd.readouterr().out
    assert "::error file=offers/spring.offer,line=" in out  # the annotation
    assert action.comment(env) == 0
    (body,) = [c["body"] for c in github.comments[12]]
    assert "does not compile" in body and "offer check" in body
    assert action.verdict(env) == 1


def test_fail_on_warning(repo, github, tmp_path, capsys):
    warned = (FIXTURES / "invalid" / "contact-without-country.offer").read_text()
    (repo / "offers" / "spring.offer").write_text(warned)
    git(repo, "commit", "-q", "-am", "a warning")
    assert run(capsys, "check", "offers")[0] == 0
    assert run(capsys, "check", "--fail-on", "warning", "offers")[0] == 1
    assert run(capsys, "check", "--fail-on", "warning", "--format", "github", "offers")[0] == 1
    env = action_env(repo, github, tmp_path, OFFER_FAIL_ON="warning")
    assert action.review(env) == 0 and action.verdict(env) == 1
    env = action_env(repo, github, tmp_path, OFFER_FAIL_ON="error")
    assert action.review(env) == 0 and action.verdict(env) == 0
    assert action.review(action_env(repo, github, tmp_path, OFFER_FAIL_ON="info")) == 2


def runner_commands(log: str) -> list[tuple[str, dict[str, str], str]]:
    """The workflow commands GitHub's runner would act on in a step's `log` (name, properties,
    data), read as the runner reads them: every line, leading blanks dropped, `::name
    props::data`; nothing between `::stop-commands::TOKEN` and a line `::TOKEN::`."""
    found: list[tuple[str, dict[str, str], str]] = []
    stopped: str | None = None
    for line in re.split(r"\r\n|\r|\n", log):
        line = line.lstrip()
        end = line.find("::", 2)
        if not line.startswith("::") or end < 0:
            continue
        name, _, props = line[2:end].partition(" ")
        data = line[end + 2 :]
        if stopped is not None:
            if name == stopped:
                stopped = None
            continue
        if name == "stop-commands":
            stopped = data
            continue
        found.append((name, dict(p.split("=", 1) for p in props.split(",") if "=" in p), data))
    return found


def unescape(value: str) -> str:
    for escaped, raw in (("%3A", ":"), ("%2C", ","), ("%0D", "\r"), ("%0A", "\n"), ("%25", "%")):
        value = value.replace(escaped, raw)
    return value


def test_a_file_name_cannot_give_the_runner_commands(repo, github, tmp_path, capfd):
    # A pull request names a file `::error title=pwned::injected.offer` (and one that stops
    # command processing for good): fmt --check lists it, check and diff report it. The runner
    # must see our annotations on it and no command of its own.
    git(repo, "checkout", "-q", "-b", "hostile")
    names = ["::error title=pwned::injected.offer", "::stop-commands::x.offer", "::add-mask::secret.offer"]
    for name in names:  # at the top, where `offer fmt --check .` starts a line with the name
        (repo / name).write_text("  " + BASE.replace("9.99", "9.999"))  # unformatted, invalid
    (repo / "offers" / "spring.offer").write_text(BASE.replace("9.99", "7.99"))
    env = action_env(repo, github, tmp_path, OFFER_PATH=".")
    assert action.review(env) == 0
    out, err = capfd.readouterr()
    assert "pwned" in out  # the names are in the log, as text
    commands = runner_commands(out + err)
    assert {name for name, *_ in commands} <= {"group", "endgroup", "error", "warning", "notice"}
    assert not [c for c in commands if c[1].get("title") == "pwned"]
    annotated = {unescape(props["file"]) for name, props, _ in commands if "file" in props}
    assert annotated == set(names)
    assert action.verdict(env) == 1


def test_workflow_command_messages_stay_on_one_line(capsys):
    action._command("error", "offer diff failed: x\n::error title=pwned::y\r::add-mask::z %")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "\r" not in out
    (command,) = runner_commands(out)
    assert command[0] == "error" and unescape(command[2]).endswith("::add-mask::z %")


def test_quoted_text_ends_its_window_on_a_line_of_its_own(capsys):
    action._quoted("a\n::warning::b")  # no newline at the end
    out = capsys.readouterr().out
    assert runner_commands(out) == [] and out.endswith("::\n") and "::warning::b\n::" in out


def test_target_v2_checks_and_compares_a_v2_offer(repo, github, tmp_path, capfd):
    # `locale` is a Sessions v2 statement: on v1, the default, the offer does not compile.
    v2 = "account abCdE1FGH2Hij3KLMnOpqR\nlocale de\n\nitem prime-sub {\n  price USD 9.99\n}\n"
    (repo / "offers" / "spring.offer").write_text(v2)
    git(repo, "commit", "-q", "-am", "a v2 offer")
    (repo / "offers" / "spring.offer").write_text(v2.replace("9.99", "7.99"))
    env = action_env(repo, github, tmp_path)
    assert action.review(env) == 0 and action.verdict(env) == 1
    assert "title=E510::" in capfd.readouterr().out
    env = action_env(repo, github, tmp_path, OFFER_TARGET="v2")
    assert action.review(env) == 0 and action.verdict(env) == 0
    assert "E510" not in capfd.readouterr().out
    assert "changed=true" in (tmp_path / "output").read_text()
    assert action.comment(env) == 0
    (body,) = [c["body"] for c in github.comments[12]]
    assert "9.99 → 7.99" in body and "does not compile" not in body
    assert "<svg" in (tmp_path / "work" / action.CARD).read_text()  # the card, explained as v2
    assert action.review(action_env(repo, github, tmp_path, OFFER_TARGET="v3")) == 2


def test_a_card_that_cannot_be_made_is_not_uploaded_empty(repo, github, tmp_path, monkeypatch, capfd):
    (repo / "offers" / "spring.offer").write_text(BASE.replace("9.99", "7.99"))
    real = action._offer

    def no_card(args):
        if "html" in args:
            return subprocess.CompletedProcess(args, 70, "", "offer: internal error: KeyError\n")
        return real(args)

    monkeypatch.setattr(action, "_offer", no_card)
    env = action_env(repo, github, tmp_path)
    assert action.review(env) == 0
    assert "card=\n" in (tmp_path / "output").read_text()
    assert not (tmp_path / "work" / action.CARD).exists()
    assert "::warning::the offer card could not be made" in capfd.readouterr().out
    assert action.comment(env) == 0
    (body,) = [c["body"] for c in github.comments[12]]
    assert "9.99 → 7.99" in body and "[The offer card]" not in body


def test_the_base_commit_is_fetched_when_the_checkout_lacks_it(tmp_path, github, monkeypatch):
    origin = tmp_path / "origin"
    (origin / "offers").mkdir(parents=True)
    (origin / "offers" / "spring.offer").write_text(BASE)
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", ".")
    git(origin, "commit", "-q", "-m", "base")
    base = git(origin, "rev-parse", "HEAD")
    (origin / "offers" / "spring.offer").write_text(BASE.replace("9.99", "7.99"))
    git(origin, "commit", "-q", "-am", "change")
    git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{origin}", str(clone))
    assert subprocess.run(["git", "cat-file", "-e", f"{base}^{{commit}}"], cwd=clone).returncode != 0
    monkeypatch.chdir(clone)
    env = action_env(origin, github, tmp_path, base)
    assert action.review(env) == 0
    assert "changed=true" in (tmp_path / "output").read_text()
    assert git(clone, "cat-file", "-t", base) == "commit"


def test_the_module_runs_as_the_action_calls_it(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "offerlang.action", "nonsense"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "usage: python -m offerlang.action review|comment|verdict" in done.stderr
