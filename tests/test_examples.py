"""Every example compiles cleanly; its payload is pinned as a snapshot; compiling is deterministic."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from decimal import Decimal

import pytest

from offerlang import compile_file, compile_source, jsonout

from .conftest import ALL_EXAMPLES, EXAMPLES, MARKETER_EXAMPLES, PayloadSnapshot

# What the marketer examples must cover, each named by the file that shows it.
REQUIRED = [
    "spring-promotion",  # the README's first command compiles it
    "multi-currency-price",
    "free-trial-subscription",
    "paid-trial",
    "volume-tiers-percent",
    "volume-tiers-amount",
    "new-buyer-lookup",
    "tags-and-attributes",
    "setup-fee",
    "annual-intro-discount",
    "zero-decimal-currency",
]


def _id(path):
    return str(path.relative_to(EXAMPLES).with_suffix("")).replace(os.sep, "-")


def test_the_marketer_examples_are_all_there():
    assert set(REQUIRED) <= {p.stem for p in MARKETER_EXAMPLES}
    assert len(MARKETER_EXAMPLES) >= 10


@pytest.mark.parametrize("path", MARKETER_EXAMPLES, ids=_id)
def test_example_says_what_it_is_for(path):
    header = path.read_text("utf-8").splitlines()[0]
    assert header.startswith("# ") and len(header) > 20, "start with a comment saying what the offer is for"


@pytest.mark.parametrize("path", ALL_EXAMPLES, ids=_id)
def test_example_payload(path, payload_snapshot):
    values = _first_row(path)
    result = compile_file(path, values)
    assert result.ok, result.diagnostics
    assert result.diagnostics == []
    assert result.payload == payload_snapshot


def _first_row(path):
    """A campaign template (an offer with `param`s) is compiled with its first buyer's row."""
    rows = path.parent / "buyers.csv"
    if "\nparam " not in "\n" + path.read_text("utf-8") or not rows.exists():
        return None
    with rows.open(encoding="utf-8", newline="") as fh:
        return next(csv.DictReader(fh))


def test_snapshots_keep_the_digits_of_amounts():
    # 19.90 and 19.9 are equal Decimals but different payload text: the snapshot must tell them
    # apart, or a change in how amounts are written would pass unnoticed.
    write = PayloadSnapshot().serialize
    assert write({"USD": Decimal("19.90")}) != write({"USD": Decimal("19.9")})
    assert '"USD": 40.00' in write(compile_file(EXAMPLES / "volume-tiers-amount.offer").payload)


@pytest.mark.parametrize("value", [0.1, float("nan"), float("inf"), {"USD": 19.99}])
def test_a_float_is_never_written(value):
    # Money is Decimal end to end; a float reaching a payload would be written inexactly (and
    # NaN or Infinity are not JSON at all).
    with pytest.raises(TypeError, match="float"):
        jsonout.dumps(value)


def test_compiling_twice_gives_the_same_bytes():
    first = [jsonout.dumps(compile_file(p).payload) for p in ALL_EXAMPLES]
    second = [jsonout.dumps(compile_file(p).payload) for p in ALL_EXAMPLES]
    assert first == second


def test_another_process_with_another_hash_seed_gives_the_same_bytes():
    # Set and dict order must not leak into the payload: a fresh interpreter with a different
    # string-hash seed writes exactly the same bytes.
    script = (
        "import sys\n"
        "from offerlang import compile_file, jsonout\n"
        "for p in sys.argv[1:]:\n"
        "    sys.stdout.write(jsonout.dumps(compile_file(p).payload) + '\\0')\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script, *map(str, ALL_EXAMPLES)],
        capture_output=True,
        check=True,
        env=env,
    ).stdout.decode("utf-8")
    here = [jsonout.dumps(compile_file(p).payload) for p in ALL_EXAMPLES]
    assert out.split("\0")[:-1] == here


def test_a_byte_order_mark_in_source_text_is_not_part_of_the_offer():
    from offerlang.compiler.pipeline import compile_template, parse_source

    text = (EXAMPLES / "spring-promotion.offer").read_text("utf-8")
    assert (
        compile_file(EXAMPLES / "spring-promotion.offer").payload == compile_source("\ufeff" + text).payload
    )
    assert parse_source("\ufeff" + text)[1] == parse_source(text)[1]
    assert compile_template("\ufeff" + text)[0].text == text
