from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# FastSpring's documented request bodies, copied from shared/fastspring/examples so that the
# tests stand on their own. response-*.json are answers, not requests.
DOCUMENTED = sorted(p for p in (FIXTURES / "fastspring").glob("*.json") if not p.name.startswith("response-"))


@pytest.fixture
def root() -> Path:
    return ROOT
