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

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Marketer examples at the top of examples/ (examples/fastspring reproduces FastSpring's bodies).
MARKETER_EXAMPLES = sorted(EXAMPLES.glob("*.offer"))
ALL_EXAMPLES = sorted(EXAMPLES.rglob("*.offer"))
# FastSpring's documented request bodies, copied from shared/fastspring/examples so that the
# tests stand on their own. response-*.json are answers, not requests.
DOCUMENTED = sorted(p for p in (FIXTURES / "fastspring").glob("*.json") if not p.name.startswith("response-"))


@pytest.fixture
def root() -> Path:
    return ROOT


# Hypothesis profiles. "ci" (the default) is what the issue asks of CI: the payload round trip
# runs at least 500 examples. "dev" is quicker for local iteration: HYPOTHESIS_PROFILE=dev.
settings.register_profile("ci", max_examples=500, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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


@pytest.fixture
def payload_snapshot(snapshot):
    return snapshot.use_extension(PayloadSnapshot)


@pytest.fixture
def text_snapshot(snapshot):
    return snapshot.use_extension(TextSnapshot)


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
