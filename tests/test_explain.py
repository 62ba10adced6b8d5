"""`offer explain`: what the buyer gets, for every example, in each format."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from offerlang.jsonout import loads
from offerlang.review.document import print_rich
from offerlang.review.explain import explain, to_blocks

from .conftest import EXAMPLES, FIXTURES, ROOT, run

pytestmark = pytest.mark.usefixtures("plain_output_from_the_root")

# Every example; a template with parameters is explained with values bound (test below).
TEMPLATE = EXAMPLES / "campaign" / "annual-upgrade.offer"
OFFERS = sorted(p for p in EXAMPLES.rglob("*.offer") if p != TEMPLATE)
TEMPLATE_VALUES = {"first": "Jane", "last": "Doe", "email": "jane@example.com", "country": "DE"}


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
@pytest.mark.parametrize("offer", OFFERS, ids=lambda p: p.stem)
def test_explain_every_example(offer, fmt, capsys, review_snapshot):
    code, out, err = run(capsys, "explain", "--format", fmt, str(offer.relative_to(ROOT)))
    assert (code, err) == (0, "")
    assert out == review_snapshot(fmt)


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_explain_the_campaign_template_with_values_bound(fmt, review_snapshot):
    # `offer explain` takes no parameter values: the campaign is explained as `offer send
    # --rows` would bind it for one row.
    from offerlang import compile_file
    from offerlang.review.document import to_markdown, to_plain
    from offerlang.review.explain import to_json

    result = compile_file(TEMPLATE, TEMPLATE_VALUES)
    assert result.ok, result.diagnostics
    e = explain(result.payload, str(TEMPLATE.relative_to(ROOT)))
    render = {"text": lambda: to_plain(to_blocks(e)), "markdown": lambda: to_markdown(to_blocks(e))}
    assert (render[fmt]() if fmt in render else to_json([e])) == review_snapshot(fmt)


def test_half_price_then_regular_is_visible_as_numbers(capsys):
    code, out, _ = run(capsys, "explain", "tests/fixtures/diff/base.offer")
    assert code == 0
    assert "50% off for the first 2 billing periods after the trial, then the regular price" in out
    lines = [line.split() for line in out.splitlines()]
    assert ["at", "signup", "(trial)", "0.00", "14-day", "free", "trial"] in lines
    assert [
        "after",
        "the",
        "trial",
        "and",
        "1st",
        "renewal",
        "5.00",
        "9.99",
        "−",
        "50%",
        "=",
        "5.00",
    ] in lines
    assert ["2nd", "renewal", "on", "9.99", "regular", "price"] in lines


def test_the_quantity_line_says_where_the_number_comes_from(capsys):
    code, out, _ = run(capsys, "explain", "examples/fastspring/tags-attributes-subscription.offer")
    assert code == 0
    assert "quantity    1 (FastSpring's default); the catalog decides whether the buyer may change it" in out
    assert "quantity    1; the buyer may change it" in out
    assert "not set" not in out
    # No trial: signup is the first billed period, then the renewals.
    assert [line.split()[:5] for line in out.splitlines() if "200.00" in line] == [
        ["at", "signup", "and", "1st", "renewal"],
    ]


def test_json_is_versioned_with_exact_money(capsys):
    code, out, _ = run(capsys, "explain", "--format", "json", "tests/fixtures/diff/base.offer")
    doc = loads(out)
    assert code == 0 and doc["version"] == 1
    usd = doc["offers"][0]["items"][0]["timelines"][0]
    assert usd["currency"] == "USD"
    assert '"amount": 5.00' in out  # a JSON number with the currency's minor units, not "5.0" or a string
    assert [str(c["amount"]) for c in usd["charges"]] == ["0.00", "5.00", "9.99"]
    assert [c["label"] for c in usd["charges"]] == [
        "at signup (trial)",
        "after the trial and 1st renewal",
        "2nd renewal on",
    ]
    assert [(c["period"], c["through"]) for c in usd["charges"]] == [(0, 0), (1, 2), (3, 3)]


def test_an_offer_that_does_not_compile_is_reported_not_explained(capsys):
    code, out, err = run(capsys, "explain", "tests/fixtures/diff/broken.offer")
    assert code == 1
    assert "broken.offer:6:9: error[E219]: `sometimes` is not a renewal mode" in err
    assert out == ""


def test_a_missing_file_is_a_usage_error(capsys):
    code, _, err = run(capsys, "explain", "no/such.offer")
    assert code == 2 and "no such file" in err


def test_terminal_output_uses_rich_tables():
    from offerlang import compile_file

    result = compile_file(FIXTURES / "diff" / "base.offer")
    stream = io.StringIO()
    print_rich(to_blocks(explain(result.payload, "base.offer")), stream)
    text = stream.getvalue()
    assert "USD timeline" in text and "2nd renewal on" in text and "9.99" in text
    assert "─" in text  # a rich table rule, which plain text never draws


def test_offer_explain_runs_as_a_program_and_help_does_not_import_rich():
    offer = Path(sys.executable).parent / "offer"  # the console script installed with the package
    done = subprocess.run(
        [str(offer), "explain", "tests/fixtures/diff/base.offer"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "2nd renewal on" in done.stdout and "\x1b[" not in done.stdout
    probe = "import sys; from offerlang.cli import main; main(['--help']); print('rich' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert shown.stdout.strip().endswith("False")


def test_rich_tables_align_amounts_on_the_right():
    from offerlang.review.document import Table

    stream = io.StringIO()
    print_rich(
        [Table(("when", "USD"), [("at signup", "1000.00"), ("1st renewal", "5.00")], right=(1,))], stream
    )
    rows = [line.rstrip() for line in stream.getvalue().splitlines() if "0" in line]
    assert rows[0].endswith("1000.00") and rows[1].endswith("   5.00"), rows


def test_values_with_line_breaks_stay_on_one_line_quoted_where_they_have_spaces(capsys):
    code, out, _ = run(capsys, "explain", "tests/fixtures/diff/injection-old.offer")
    assert code == 0
    assert 'tags     "campaign name"="spring sale", nl="line1\\nline2"' in out
    assert 'attributes  k|1="v\\n|2"' in out


# ---- templates (issue 11, point 6) -------------------------------------------------------------


def test_explain_a_folder_with_a_campaign_template_explains_it_with_its_parameters(capsys):
    code, out, err = run(capsys, "explain", "examples/")
    assert (code, err) == (0, "")
    assert "template  parameters shown as $first, $last, $email, $country" in out
    assert "buyer     new buyer $first $last <$email>, country $country" in out


def test_explain_set_binds_a_template_for_one_buyer(capsys):
    sets = [f"--set={k}={v}" for k, v in TEMPLATE_VALUES.items()]
    code, out, err = run(capsys, "explain", *sets, str(TEMPLATE.relative_to(ROOT)))
    assert (code, err) == (0, "")
    assert "new buyer Jane Doe <jane@example.com>, country DE" in out and "template" not in out


def test_explain_set_with_a_bad_value_reports_it(capsys):
    code, _, err = run(capsys, "explain", "--set", "country=UK", *[f"--set={k}=x" for k in ("first", "last")],
                       "--set", "email=a@b.de", str(TEMPLATE.relative_to(ROOT)))  # fmt: skip
    assert code == 1 and "E203" in err and "did you mean `GB`?" in err


def test_a_template_with_an_amount_parameter_is_skipped_with_a_note(capsys, tmp_path):
    offer = tmp_path / "price.offer"
    offer.write_text("param price money\nitem a {\n  price USD $price\n}\n", "utf-8")
    code, out, err = run(capsys, "explain", str(offer))
    assert code == 0 and out == ""
    assert "not explained: a template whose parameters ($price) include an amount" in err
    code, out, _ = run(capsys, "explain", "--set", "price=5", str(offer))
    assert code == 0 and "5.00" in out


def test_the_template_preview_is_in_the_json_too(capsys):
    code, out, _ = run(capsys, "explain", "--format", "json", str(TEMPLATE.relative_to(ROOT)))
    doc = loads(out)
    assert code == 0
    assert doc["offers"][0]["session"]["facts"][0]["label"] == "template"
    assert doc["offers"][0]["items"][0]["payload"]["product"] == "annual-plan"
