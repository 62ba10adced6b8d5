"""The Action's three steps (see offerlang/action/__init__.py); each reads its inputs from the
environment and returns the step's exit code."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from offerlang import files
from offerlang.action.github import ApiError, GitHub, ReadOnly
from offerlang.compiler.diagnostic_output import escape_github
from offerlang.language import TARGETS

# The sticky comment is the one that holds this marker (and was written by a bot): updated in
# place on every push, never a second one.
MARKER = "<!-- offerlang-review: sticky comment, updated on every push -->"
TITLE = "### Offers: what buyers would see change"
NO_LONGER = "No offer in this pull request changes what buyers see any more."
# GitHub refuses a comment body over 65,536 characters.
MAX_BODY = 60_000
CARD = "offer-card.html"
STATE = "state.json"
DIFF_MD = "diff.md"


@dataclass
class State:
    """What `review` found, for `comment` and `verdict` (steps in between run other actions)."""

    pr: int | None
    fmt: int
    check: int
    diff: int | None  # None: no pull request, so no diff
    changed: bool  # buyers would see a change
    invalid: bool  # an offer does not compile on one side
    card: str | None

    @property
    def worth_a_comment(self) -> bool:
        return self.changed or self.invalid


def _env(env: Mapping[str, str], name: str, default: str = "") -> str:
    return env.get(name, default).strip()


def _paths(env: Mapping[str, str]) -> list[str]:
    """OFFER_PATH: one path per line (default: the whole repository)."""
    return [p.strip() for p in _env(env, "OFFER_PATH", ".").splitlines() if p.strip()] or ["."]


def _work(env: Mapping[str, str]) -> Path:
    work = Path(_env(env, "OFFER_WORK") or Path(_env(env, "RUNNER_TEMP", "/tmp")) / "offerlang-review")
    work.mkdir(parents=True, exist_ok=True)
    return work


def _offer(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """`offer ARGS` with the same Python (the one the Action installed offerlang into), its
    output captured: it is the pull request's text, shown only through `_quoted`."""
    cmd = [sys.executable, "-c", "from offerlang.cli import entry; entry()", *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


# The runner reads every line of a step's output (standard output and error alike) as a
# possible workflow command: `::error …`, `::add-mask::`, `::stop-commands::` … File names,
# offer values and compiler messages are the pull request's to choose (a file named
# `::error title=pwned::x.offer`), so none of them reaches the log but between
# `::stop-commands::TOKEN` and `::TOKEN::`, with a TOKEN the pull request cannot know.
def _quoted(text: str) -> None:
    """`text` shown in the log as text, never read as a workflow command."""
    if not text:
        return
    token = secrets.token_hex(16)
    # The resuming line must start a line of its own, or it would be text inside the window.
    end = "" if text.endswith("\n") else "\n"
    sys.stdout.write(f"::stop-commands::{token}\n{text}{end}::{token}::\n")
    sys.stdout.flush()


def _command(name: str, message: str) -> None:
    """A workflow command of ours, its message (which may quote the pull request) kept to the
    one line the runner reads as its data."""
    print(f"::{name}::{escape_github(message)}", flush=True)


# An annotation as `offer check --format github` writes it: every property escaped (no raw `:`,
# `,` or line break in a file name), so the whole line is one command and its message is data.
_ANNOTATION = re.compile(
    r"::(?:error|warning) file=[^:,\r\n]*"
    r"(?:,line=\d+,col=\d+,endLine=\d+,endColumn=\d+)?,title=[A-Z]\d{3}::[^\r\n]*"
)


def _annotate(done: subprocess.CompletedProcess[str]) -> None:
    """`offer check --format github`'s annotations to the runner, which puts them on the pull
    request's files; anything else it printed (standard error, a line not of that form), quoted."""
    ours: list[str] = []
    other: list[str] = []
    lines = done.stdout.split("\n")  # as the runner splits, not at every break str.splitlines knows
    for n, line in enumerate(lines):
        if line or n + 1 < len(lines):
            (ours if _ANNOTATION.fullmatch(line) else other).append(line + "\n")
    sys.stdout.write("".join(ours))
    sys.stdout.flush()
    _quoted("".join(other) + done.stderr)


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False)


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    path = _env(env, "GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _output(env: Mapping[str, str], **values: str) -> None:
    target = _env(env, "GITHUB_OUTPUT")
    if target:
        files.append_text(target, "".join(f"{k}={v}\n" for k, v in values.items()))


def _ensure_commit(sha: str) -> bool:
    """The base commit, fetched (depth 1) when the checkout does not have it."""
    if _git("cat-file", "-e", f"{sha}^{{commit}}").returncode == 0:
        return True
    fetched = _git("fetch", "--no-tags", "--depth=1", "origin", sha)
    if fetched.returncode != 0:
        _command("error", f"could not fetch the pull request's base commit {sha}: {fetched.stderr.strip()}")
        return False
    return True


def review(env: Mapping[str, str] = os.environ) -> int:
    fail_on = _env(env, "OFFER_FAIL_ON", "error")
    if fail_on not in ("error", "warning"):
        _command("error", f"input fail-on must be error or warning, not {fail_on!r}")
        return 2
    target = _env(env, "OFFER_TARGET").lower()
    if target and target not in TARGETS:
        _command("error", f"input target must be {' or '.join(TARGETS)} (or empty), not {target!r}")
        return 2
    # Empty: each command's own default (the repository config's target, else v1).
    targeted = ["--target", target] if target else []
    paths = _paths(env)
    work = _work(env)

    print("::group::offer fmt --check", flush=True)
    formatted = _offer(["fmt", "--check", "--", *paths])
    _quoted(formatted.stdout + formatted.stderr)  # the names of the files it would change
    print("::endgroup::", flush=True)
    fmt = formatted.returncode
    if fmt == 1:
        _command("error", f"offer files are not in the canonical layout: run `offer fmt {' '.join(paths)}`")

    # Annotations on the pull request's files, for the runner to read; nothing else.
    checked = _offer(["check", "--format", "github", "--fail-on", fail_on, *targeted, "--", *paths])
    _annotate(checked)
    check = checked.returncode

    pr = _event(env).get("pull_request") or {}
    number = pr.get("number") if isinstance(pr.get("number"), int) else None
    base = (pr.get("base") or {}).get("sha")
    state = State(number, fmt, check, None, False, False, None)
    if number is None or not isinstance(base, str):
        print("::notice::not a pull request: offers checked, nothing to compare")
    elif not _ensure_commit(base):
        state.diff = 2
    else:
        state = _diff(state, base, targeted, paths, work)
    files.write_text(work / STATE, json.dumps(asdict(state)))
    _output(env, changed=str(state.changed).lower(), card=state.card or "")
    return 0


def _diff(state: State, base: str, options: list[str], paths: list[str], work: Path) -> State:
    """`options`: what every diff takes besides its format (`--target v2`)."""
    found = _offer(["diff", "--base", base, "--format", "json", *options, "--", *paths])
    _quoted(found.stderr)  # an offer that does not compile, as offer check shows it
    if found.returncode not in (0, 1) or not found.stdout:
        _command("error", f"offer diff --base {base} failed: {found.stderr.strip()}")
        state.diff = found.returncode or 2
        return state
    doc = json.loads(found.stdout)
    state.diff = found.returncode
    state.changed = bool(doc["changed"])
    state.invalid = any(o["status"] == "invalid" for o in doc["offers"])
    if not state.worth_a_comment:
        return state
    markdown = _offer(["diff", "--base", base, "--format", "markdown", *options, "--", *paths]).stdout
    files.write_text(work / DIFF_MD, markdown)
    card = _offer(["diff", "--base", base, "--format", "html", *options, "--", *paths])
    if card.returncode not in (0, 1) or not card.stdout:
        # The comment goes out without its link: an empty file uploaded as the card would be
        # worse than none.
        _quoted(card.stderr)
        _command("warning", "the offer card could not be made: the comment has no link to it")
        return state
    files.write_text(work / CARD, card.stdout)
    state.card = str(work / CARD)
    return state


def _load(work: Path) -> State | None:
    try:
        return State(**json.loads((work / STATE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def comment_body(markdown: str, card_url: str, state: State) -> str:
    """The comment: the marker, a title, the markdown diff (cut to fit) and the card's link.
    `markdown` comes from `offer diff --format markdown`, whose every value is escaped and
    unlinked; nothing else in it is user text (the URL is the artifact's, from GitHub)."""
    if len(markdown) > MAX_BODY:
        markdown = (
            markdown[: markdown.rfind("\n", 0, MAX_BODY)] + "\n\n… (cut short: the card has every change)\n"
        )
    lines = [MARKER, TITLE, "", markdown.rstrip(), ""]
    if re.fullmatch(r"https://[^\s()<>\[\]]+", card_url):
        lines.append(f"[The offer card]({card_url}) (HTML with charts: download the artifact, open `{CARD}`)")
    checks = []
    if state.fmt:
        checks.append("some offer files are not formatted (`offer fmt`)")
    if state.check:
        checks.append("`offer check` found problems (see the annotations)")
    if checks:
        lines += ["", "Also: " + "; ".join(checks) + "."]
    return "\n".join(lines) + "\n"


def _summary(env: Mapping[str, str], body: str) -> None:
    target = _env(env, "GITHUB_STEP_SUMMARY")
    if target:
        files.append_text(target, body.replace(MARKER + "\n", "", 1))


def comment(env: Mapping[str, str] = os.environ) -> int:
    """Post or update the sticky comment. Never fails the job: the review is there to be read,
    and a comment that cannot be written goes to the job summary instead."""
    work = _work(env)
    state = _load(work)
    if state is None or state.pr is None:
        return 0
    body = None
    if state.worth_a_comment:
        markdown = (work / DIFF_MD).read_text(encoding="utf-8")
        # No card made, no link (the upload step was skipped; its URL, if any, is stale).
        body = comment_body(markdown, _env(env, "OFFER_CARD_URL") if state.card else "", state)
    wanted = _env(env, "OFFER_COMMENT", "on").lower()
    if wanted in ("off", "false", "no", "0"):
        if body:
            _summary(env, body)
        return 0
    token = _env(env, "GITHUB_TOKEN")
    if not token:
        print("::notice::no token: the review is in the job summary instead of a comment")
        if body:
            _summary(env, body)
        return 0
    api = _env(env, "GITHUB_API_URL", "https://api.github.com")
    try:
        gh = GitHub(api, token, _env(env, "GITHUB_REPOSITORY"))
        try:
            outcome = sticky(gh, state.pr, body)
        finally:
            gh.close()
    except ReadOnly:
        print(
            "::notice::this token cannot comment (a fork's pull request?): the review is in the job summary"
        )
        if body:
            _summary(env, body)
        return 0
    except ApiError as exc:
        _command(
            "warning", f"could not comment on the pull request ({exc}): the review is in the job summary"
        )
        if body:
            _summary(env, body)
        return 0
    print(f"offerlang: pull-request comment {outcome}")
    return 0


def sticky(gh: GitHub, pr: int, body: str | None) -> str:
    """Create, update or leave the one sticky comment; what was done (`created`, `updated`,
    `unchanged`, `none`). `body` None: nothing to say, so no comment is made, and an earlier
    one is updated to say that buyers no longer see a change."""
    mine = [
        c
        for c in gh.comments(pr)
        if MARKER in (c.get("body") or "") and (c.get("user") or {}).get("type") == "Bot"
    ]
    if body is None:
        if not mine:
            return "none"
        body = "\n".join([MARKER, TITLE, "", NO_LONGER]) + "\n"
    if not mine:
        gh.create(pr, body)
        return "created"
    if mine[0].get("body") == body:
        return "unchanged"
    gh.update(mine[0]["id"], body)
    return "updated"


def verdict(env: Mapping[str, str] = os.environ) -> int:
    state = _load(_work(env))
    if state is None:
        print("::error::the review step did not run")
        return 1
    failed = []
    if state.fmt:
        failed.append("offer fmt --check")
    if state.check:
        failed.append("offer check")
    if state.diff not in (None, 0, 1):
        failed.append("offer diff --base")
    if failed:
        print(f"offerlang: failed: {', '.join(failed)}")
        return 1
    print("offerlang: offers formatted and valid" + ("; buyers would see changes" if state.changed else ""))
    return 0


STEPS = {"review": review, "comment": comment, "verdict": verdict}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] not in STEPS:
        print(f"usage: python -m offerlang.action {'|'.join(STEPS)}", file=sys.stderr)
        return 2
    return STEPS[args[0]]()
