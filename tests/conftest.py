from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from syrupy.extensions.json import JSONSnapshotExtension
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from offerlang import jsonout

from .browser import browser, tab  # noqa: F401  (fixtures for the browser tests)
from .sendkit import (  # noqa: F401  (fixtures for the tests that send: tests/sendkit.py)
    berlin_time,
    campaign_server,
    no_secret_anywhere,
    offer,
    server,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Marketer examples at the top of examples/ (examples/fastspring reproduces FastSpring's bodies).
MARKETER_EXAMPLES = sorted(EXAMPLES.glob("*.offer"))
ALL_EXAMPLES = sorted(EXAMPLES.rglob("*.offer"))
# FastSpring's documented request bodies and answers, as its Sessions API reference
# (https://developer.fastspring.com/reference/create-a-session) shows them, kept here so that
# the tests stand on their own; examples/fastspring/ holds the offer for each request body.
# response-*.json are answers, not requests.
DOCUMENTED = sorted(p for p in (FIXTURES / "fastspring").glob("*.json") if not p.name.startswith("response-"))


@pytest.fixture
def root() -> Path:
    return ROOT


# Hypothesis profiles; no test fixes its own number of examples, so the profile rules them all.
# "dev" (the default) keeps a local run quick; "ci" (exported by .ci/run) runs 500 examples per
# law, the payload round trip included. HYPOTHESIS_PROFILE=ci pytest runs CI's depth locally.
settings.register_profile("ci", max_examples=500, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory):
    """The parser cache of this test run (and of the `offer` processes it starts) goes to a
    fresh directory, not the user's ~/.cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


class PayloadSnapshot(JSONSnapshotExtension):
    """A payload snapshot is the payload file itself: written by jsonout, so field order is the
    emitter's and `19.90` stays `19.90` (syrupy's own JSON writer sorts keys and has no exact
    decimals)."""

    def serialize(self, data: Any, **kwargs: Any) -> str:
        return jsonout.dumps(data) + "\n"


class TextSnapshot(SingleFileSnapshotExtension):
    """One reviewable .txt file per snapshot (rendered diagnostics read as the user sees them)."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


class MarkdownSnapshot(TextSnapshot):
    """Output in markdown (a pull-request comment), in a .md file a reviewer can render."""

    file_extension = "md"


class JSONTextSnapshot(TextSnapshot):
    """A command's JSON output, byte for byte as printed, in a .json file."""

    file_extension = "json"


# `--format` of explain and diff -> the snapshot file that shows its output best.
REVIEW_SNAPSHOTS: dict[str, type[TextSnapshot]] = {
    "text": TextSnapshot,
    "markdown": MarkdownSnapshot,
    "json": JSONTextSnapshot,
}


@pytest.fixture
def payload_snapshot(snapshot):
    return snapshot.use_extension(PayloadSnapshot)


@pytest.fixture
def text_snapshot(snapshot):
    return snapshot.use_extension(TextSnapshot)


@pytest.fixture
def review_snapshot(snapshot):
    """`review_snapshot(output_format)`: explain or diff output, one file per example, named
    after the test (`__snapshots__/test_diff/test_diff_pair[text-price].txt`)."""

    def in_format(output_format: str):
        return snapshot.use_extension(REVIEW_SNAPSHOTS[output_format])

    return in_format


@pytest.fixture
def plain_output_from_the_root(monkeypatch):
    """Commands run from the project root with piped output: no colour, no rich tables."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.chdir(ROOT)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run `offer ARGV...` in-process: (exit code, stdout, stderr)."""
    from offerlang.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
