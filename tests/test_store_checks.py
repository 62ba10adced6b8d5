"""Store-aware checks and the policy: every rule fires, takes the severity the config gives it,
can be turned off and can be waived; the fixtures' diagnostics are snapshots."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from offerlang.compiler.diagnostics import CODES
from offerlang.compiler.pipeline import compile_file
from offerlang.store.context import Stores
from offerlang.store.policy import BY_CODE, RULES

from .conftest import FIXTURES, ROOT, run

STORE = FIXTURES / "store"
CATALOG = STORE / "catalog.json"
OFFERS = sorted((STORE / "offers").glob("*.offer"))
BUYER = "account abCdE1FGH2Hij3KLMnOpqR\ntag campaign spring\n"


@pytest.mark.parametrize("offer", OFFERS, ids=[p.stem for p in OFFERS])
def test_store_fixture_diagnostics(offer, capsys, text_snapshot, plain_output_from_the_root):
    """Every diagnostic of every store fixture, as `offer check` prints it (the config is found
    by walking up from the offer: tests/fixtures/store/offers.toml)."""
    code, out, err = run(capsys, "check", str(offer.relative_to(ROOT)))
    assert err == ""
    assert code == (1 if " error" in out and "0 errors" not in out else 0)
    assert out == text_snapshot


def test_the_clean_fixture_is_clean(capsys, plain_output_from_the_root):
    assert run(capsys, "check", "tests/fixtures/store/offers/clean.offer")[:2] == (
        0,
        "1 file checked, 0 errors, 0 warnings\n",
    )


# ---- one rule at a time ---------------------------------------------------------------------

# code -> (its [policy.NAME] table body, an offer that breaks it)
RULE_CASES: dict[str, tuple[str, str]] = {
    "P101": ("percent = 40", "item prime-sub {\n  discount 45% for 2 periods\n}\n"),
    "P102": (
        "percent = 30",
        "item prime-sub {\n  price USD 69.90, EUR 64.90\n  discount 20% for 2 periods\n}\n",
    ),
    "P103": ("floor = 80\nceiling = 120", "item basic-laptop {\n  price USD 599.00, EUR 829.00\n}\n"),
    "P104": ('allowed = ["USD"]', "item basic-laptop {\n  price USD 899.00, EUR 829.00\n}\n"),
    "P105": ("", "item basic-laptop {\n  price USD 899.00\n}\n"),
    "P106": ('USD = [".99"]', "item basic-laptop {\n  price USD 899.00, EUR 829.00\n}\n"),
    "P107": ('tags = ["campaign", "owner"]', "item basic-laptop\n"),
    "P108": ('allowed = ["SPRING*"]', "coupon SUMMER\nitem basic-laptop\n"),
    "P109": ("days = 2", "expires after 3 days\nitem basic-laptop\n"),
    "P110": ("days = 7", "item prime-sub {\n  trial 14 days free\n}\n"),
    "P111": ("periods = 3", "item prime-sub {\n  discount 10% for 6 periods\n}\n"),
    "P112": ('products = ["basic-*"]', "item basic-laptop {\n  quantity default 2\n}\n"),
}


def _project(tmp_path: Path, policy: str, offer: str, *, catalog: bool = True) -> Path:
    """A repository (a .git folder bounds the config search) with an offers.toml and one offer."""
    (tmp_path / ".git").mkdir(exist_ok=True)
    head = f'store = "acme"\ncatalog = {json.dumps(str(CATALOG))}\n' if catalog else ""
    (tmp_path / "offers.toml").write_text(head + policy, "utf-8")
    path = tmp_path / "x.offer"
    path.write_text(BUYER + offer, "utf-8")
    return path


def _diagnostics(path: Path, **stores):
    context = Stores(**stores).for_path(str(path))
    result = compile_file(path, checks=context, unbound_ok=True)
    return result, context


def _table(code: str, body: str, severity: str | None = None) -> str:
    extra = f'\nseverity = "{severity}"' if severity else ""
    return f"[policy.{BY_CODE[code].name}]\n{body}{extra}\n"


def test_every_rule_has_a_case():
    assert sorted(RULE_CASES) == [r.code for r in RULES]


@pytest.mark.parametrize("code", sorted(RULE_CASES))
def test_rule_fires_with_its_default_severity(tmp_path, code):
    body, offer = RULE_CASES[code]
    result, _ = _diagnostics(_project(tmp_path, _table(code, body), offer))
    found = [d for d in result.diagnostics if d.code == code]
    assert found, [d.code for d in result.diagnostics]
    assert {d.severity.value for d in found} == {BY_CODE[code].severity}
    # The rule's own problem only: the language is happy with every case.
    assert all(d.code.startswith("P") for d in result.diagnostics)


@pytest.mark.parametrize("code", sorted(RULE_CASES))
@pytest.mark.parametrize("severity", ["error", "warning", "off"])
def test_rule_takes_the_severity_the_config_sets(tmp_path, code, severity):
    body, offer = RULE_CASES[code]
    result, _ = _diagnostics(_project(tmp_path, _table(code, body, severity), offer))
    found = {d.severity.value for d in result.diagnostics if d.code == code}
    assert found == (set() if severity == "off" else {severity})


@pytest.mark.parametrize("code", sorted(RULE_CASES))
def test_rule_can_be_waived_with_a_reason(tmp_path, code):
    body, offer = RULE_CASES[code]
    waived = f"# offer: allow {code} — approved by finance, ticket 123\n{offer}"
    path = _project(tmp_path, _table(code, body), waived)
    result, context = _diagnostics(path)
    assert [d.code for d in result.diagnostics] == []
    assert context is not None
    [waiver] = context.waivers_json(str(path))
    assert waiver["codes"] == [code] and waiver["used"] == [code]
    assert waiver["reason"] == "approved by finance, ticket 123"


def test_max_discount_duration_reads_the_catalogs_duration_when_the_offer_gives_none(tmp_path):
    """`discount 20%` on prime-sub lasts the catalog's discountDuration (1 period), as explain
    says: P111 used to call it a discount "for as long as the subscription runs"."""
    offer = "item prime-sub {\n  discount 20%\n}\n"
    result, _ = _diagnostics(_project(tmp_path, _table("P111", "periods = 3"), offer))
    assert result.diagnostics == []
    doc = json.loads(CATALOG.read_text("utf-8"))
    doc["products"]["prime-sub"]["pricing"]["discountDuration"] = 6
    longer = tmp_path / "longer.json"
    longer.write_text(json.dumps(doc), "utf-8")
    result, _ = _diagnostics(_project(tmp_path, _table("P111", "periods = 3"), offer), catalog=str(longer))
    [d] = result.diagnostics
    assert (d.code, d.span.line) == ("P111", 4)
    assert d.message == (
        "the discount lasts 6 billing periods (the catalog's discount duration for `prime-sub`); the policy "
        "allows at most 3"
    )


def test_max_discount_duration_without_any_duration_is_every_period(tmp_path):
    # annual-plan's catalog record has no discountDuration: the discount never ends.
    offer = "item annual-plan {\n  discount 20%\n}\n"
    result, _ = _diagnostics(_project(tmp_path, _table("P111", "periods = 3"), offer))
    [d] = result.diagnostics
    assert d.code == "P111" and "for as long as the subscription runs" in d.message


def test_effective_discount_counts_the_catalogs_quantity_tiers(tmp_path):
    """prime-sub's catalog gives 5% from 10: at 36.90 a buyer of 10 pays 35.06, 61% below 89.90,
    as the timeline computes it; P102 used to look at the override alone (59% below)."""
    policy = _table("P102", "percent = 60") + _table("P103", "", "off")
    offer = "item prime-sub {\n  price USD 36.90, EUR 35.90\n}\n"
    result, _ = _diagnostics(_project(tmp_path, policy, offer))
    [d] = result.diagnostics
    assert d.code == "P102" and d.span.line == 4
    assert d.message == (
        "buyers pay as little as USD 35.06 for `prime-sub`, 61% below the catalog price USD 89.90; the "
        "policy allows at most 60% off"
    )
    assert d.hint == (
        "the price override and the catalog's quantity discount together make the effective discount"
    )


def test_the_offers_own_tiers_replace_the_catalogs_for_the_effective_discount(tmp_path):
    policy = _table("P102", "percent = 60") + _table("P103", "", "off")
    offer = "item prime-sub {\n  price USD 36.90, EUR 35.90\n  discount 1% for 2 periods\n}\n"
    result, _ = _diagnostics(_project(tmp_path, policy, offer))
    assert result.diagnostics == []  # 36.53 is 59.4% below: the catalog's 5% does not apply


V2 = 'target = "sessions-v2"\ncheckout = "acme/web-main"\n'


@pytest.mark.parametrize("clause", ["shipping fee GBP 4.99", "eds fee GBP 2.50"])
def test_v2_fees_are_pricing_the_policy_sees(tmp_path, clause):
    """`shipping fee` and `eds fee` (Sessions v2) passed P104 (currencies) and P112 (locked)."""
    policy = V2 + _table("P104", 'allowed = ["USD", "EUR"]') + _table("P112", 'products = ["enterprise-*"]')
    path = _project(tmp_path, policy, f"item enterprise-suite {{\n  {clause}\n}}\n")
    result = compile_file(path, checks=Stores().for_path(str(path)), unbound_ok=True, target="v2")
    assert sorted((d.code, d.span.line) for d in result.diagnostics) == [("P104", 4), ("P112", 4)]
    keyword = clause.rsplit(" ", 2)[0]
    assert f"its pricing cannot be overridden (`{keyword}`)" in next(
        d.message for d in result.diagnostics if d.code == "P112"
    )


def test_rules_that_need_a_catalog_are_quiet_without_one(tmp_path):
    for code in ("P102", "P103", "P105"):
        body, offer = RULE_CASES[code]
        result, _ = _diagnostics(_project(tmp_path, _table(code, body), offer, catalog=False))
        assert result.diagnostics == [], code


def test_price_range_is_on_by_default_as_a_warning(tmp_path):
    path = _project(tmp_path, "", "item prime-sub {\n  price USD 8.99, EUR 82.90\n}\n")
    result, _ = _diagnostics(path)
    [d] = result.diagnostics
    assert (d.code, d.severity.value) == ("P103", "warning")
    assert d.message == "price USD 8.99 is 10% of the catalog price USD 89.90; the policy allows 50% to 150%"
    assert (d.span.line, d.span.column) == (4, 9)


def test_a_waiver_above_an_item_covers_that_item_only(tmp_path):
    offer = (
        "# offer: allow P103 — launch price\n"
        "item prime-sub {\n  price USD 8.99, EUR 8.29\n}\n\n"
        "item basic-laptop {\n  price USD 89.90, EUR 82.90\n}\n"
    )
    result, context = _diagnostics(_project(tmp_path, "", offer))
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("P103", 9), ("P103", 9)]
    assert context is not None
    [waiver] = next(iter(context.waivers.values()))
    assert waiver.item == "prime-sub"


def test_a_waiver_after_a_blank_line_covers_the_whole_offer(tmp_path):
    offer = (
        "# offer: allow P103 — launch prices\n\n"
        "item prime-sub {\n  price USD 8.99, EUR 8.29\n}\n"
        "item basic-laptop {\n  price USD 89.90, EUR 82.90\n}\n"
    )
    result, context = _diagnostics(_project(tmp_path, "", offer))
    assert result.diagnostics == []
    assert context is not None
    [waiver] = next(iter(context.waivers.values()))
    assert waiver.item is None and waiver.used == {"P103"}


@pytest.mark.parametrize(
    ("comment", "code"),
    [
        ("# offer: allow P103", "E407"),
        ("# offer: allow P103 —   ", "E407"),
        ("# offer: allo P103 — x", "E408"),
        ("# offer: allow — x", "E408"),
        ("# offer: allow W401 — x", "E408"),
        ("# offer: allow P100 — x", "E408"),
    ],
)
def test_a_waiver_that_cannot_be_read_is_an_error(tmp_path, comment, code):
    result, _ = _diagnostics(_project(tmp_path, "", f"{comment}\nitem basic-laptop\n"))
    assert [d.code for d in result.diagnostics] == [code]
    assert result.diagnostics[0].span.line == 3


def test_a_waiver_that_waives_nothing_is_a_warning(tmp_path):
    offer = "# offer: allow P103 — just in case\nitem basic-laptop\n"
    result, _ = _diagnostics(_project(tmp_path, "", offer))
    [d] = result.diagnostics
    assert (d.code, d.severity.value, d.span.line) == ("W405", "warning", 3)


def test_an_ordinary_comment_is_not_a_waiver(tmp_path):
    result, _ = _diagnostics(_project(tmp_path, "", "# offer spring: allow anything\nitem basic-laptop\n"))
    assert result.diagnostics == []


@pytest.mark.parametrize(
    "comment",
    [
        "# Offer: spring sale for returning buyers",
        "# offer: all items ship free",
        "# OFFER: approved by Dana",
        "# offer:",
    ],
)
def test_a_comment_that_starts_with_offer_is_not_a_waiver(tmp_path, comment):
    """`# Offer: spring sale …` was an error: "`spring` is not a waiver"."""
    result, _ = _diagnostics(_project(tmp_path, "", f"{comment}\nitem basic-laptop\n"))
    assert result.diagnostics == []


@pytest.mark.parametrize(
    ("comment", "hint"),
    [
        ("# offer: alow P103 — finance", "did you mean `allow`?"),
        ("# Offer: Allows P103 — finance", "did you mean `allow`?"),
        ("# offer: P103 — finance", "write `# offer: allow P103 — the reason finance agreed`"),
        ("# offer: waive P103 — finance", "write `# offer: allow P103 — the reason finance agreed`"),
    ],
)
def test_a_waiver_with_a_wrong_verb_is_still_an_error(tmp_path, comment, hint):
    result, _ = _diagnostics(_project(tmp_path, "", f"{comment}\nitem basic-laptop\n"))
    [d] = result.diagnostics
    assert (d.code, d.hint) == ("E408", hint)


# ---- the catalog ----------------------------------------------------------------------------


def test_unknown_product_suggests_the_nearest_path_and_a_pull(tmp_path):
    result, _ = _diagnostics(_project(tmp_path, "", "item prime-sbu\n"))
    [d] = result.diagnostics
    assert d.code == "E401" and d.is_error
    assert d.hint == (
        "did you mean `prime-sub`? "
        "(a product added to the store since the last pull needs `offer catalog pull`)"
    )


def test_override_in_a_currency_the_catalog_does_not_price_is_a_warning(tmp_path):
    offer = "item falcon {\n  price USD 99.00, JPY 12000, EUR 89.00\n}\n"
    result, _ = _diagnostics(_project(tmp_path, "", offer))
    [d] = result.diagnostics
    assert (d.code, d.severity.value) == ("W401", "warning")
    assert "EUR" in d.message and d.hint.startswith("it prices JPY and USD")


def test_subscription_terms_on_a_one_time_product_name_what_the_catalog_says(tmp_path):
    result, _ = _diagnostics(_project(tmp_path, "", "item basic-laptop {\n  renew auto\n}\n"))
    [d] = result.diagnostics
    assert d.code == "W402" and "one-time product" in d.message and "`renew`" in d.message


def test_a_billing_period_other_than_the_catalogs_is_a_warning(tmp_path):
    result, _ = _diagnostics(_project(tmp_path, "", "item annual-plan {\n  billed every 1 month\n}\n"))
    [d] = result.diagnostics
    assert d.code == "W403"
    assert d.message == "the catalog bills `annual-plan` every year; this item bills it every month"


def test_the_same_billing_as_the_catalog_is_fine(tmp_path):
    result, _ = _diagnostics(_project(tmp_path, "", "item annual-plan {\n  billed every 1 year\n}\n"))
    assert result.diagnostics == []


def test_a_missing_catalog_file_is_reported_at_the_config(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "offers.toml").write_text('store = "acme"\ncatalog = "nope.json"\n', "utf-8")
    (tmp_path / "x.offer").write_text(BUYER + "item basic-laptop\n", "utf-8")
    stores = Stores()
    result = compile_file(tmp_path / "x.offer", checks=stores.for_path(str(tmp_path / "x.offer")))
    assert result.ok  # the offer itself is fine; the setup is reported once, on its own
    [problem] = stores.problems()
    assert problem.code == "E405" and problem.path.endswith("offers.toml") and problem.span.line == 2


def test_a_catalog_of_another_store_is_a_warning(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "offers.toml").write_text(f'store = "other"\ncatalog = {json.dumps(str(CATALOG))}\n', "utf-8")
    (tmp_path / "x.offer").write_text(BUYER + "item basic-laptop\n", "utf-8")
    stores = Stores()
    compile_file(tmp_path / "x.offer", checks=stores.for_path(str(tmp_path / "x.offer")))
    assert [(d.code, d.span.line) for d in stores.problems()] == [("W404", 1)]


def test_a_broken_catalog_file_is_one_error_with_its_position(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text('{"catalog": 1,\n "store": "acme"\n "products": {}}\n', "utf-8")
    offer = tmp_path / "x.offer"
    offer.write_text(BUYER + "item basic-laptop\n", "utf-8")
    code, out, _ = run(capsys, "check", str(offer), "--catalog", str(broken), "--isolated")
    assert code == 1
    assert f"{broken}:3:2: error[E406]: the catalog file cannot be used: it is not valid JSON" in out


def test_a_broken_record_is_one_error_not_also_an_unknown_product(tmp_path, capsys):
    """A record that cannot be read was taken out of the catalog, so the offer naming it also
    got a false E401 ("not a product of store acme"), and a second offer got none at all."""
    doc = json.loads(CATALOG.read_text("utf-8"))
    doc["products"]["prime-sub"]["pricing"]["price"]["USD"] = "cheap"
    broken = tmp_path / "c.json"
    broken.write_text(json.dumps(doc), "utf-8")
    for name in ("a", "b"):
        (tmp_path / f"{name}.offer").write_text(BUYER + "item prime-sub\n", "utf-8")
    code, out, _ = run(
        capsys,
        "check",
        "--isolated",
        "--catalog",
        str(broken),
        str(tmp_path / "a.offer"),
        str(tmp_path / "b.offer"),
    )
    assert code == 1 and "E401" not in out
    assert out.count("error[E406]") == 1
    assert "`/products/prime-sub/pricing/price/USD`: must be an amount, not negative" in out
    assert out.endswith("2 files checked, 1 error, 0 warnings\n")


def test_catalog_option_errors_are_usage_errors(tmp_path, capsys):
    offer = tmp_path / "x.offer"
    offer.write_text(BUYER + "item basic-laptop\n", "utf-8")
    code, _, err = run(capsys, "check", str(offer), "--catalog", str(tmp_path / "missing.json"))
    assert code == 2 and "no such file" in err


def test_isolated_with_a_catalog_checks_the_catalog_but_no_policy(tmp_path, capsys):
    path = _project(tmp_path, _table("P107", 'tags = ["owner"]'), "item prime-sbu\n")
    code, out, _ = run(capsys, "check", str(path), "--isolated", "--catalog", str(CATALOG), "--format=json")
    codes = [d["code"] for d in json.loads(out)["diagnostics"]]
    assert (code, codes) == (1, ["E401"])


def test_isolated_alone_is_todays_behaviour(tmp_path, capsys):
    path = _project(tmp_path, _table("P107", 'tags = ["owner"]'), "item prime-sbu\n")
    assert run(capsys, "check", str(path), "--isolated")[:2] == (0, "1 file checked, 0 errors, 0 warnings\n")


# ---- renderers and the pipeline -------------------------------------------------------------


def test_check_json_carries_store_diagnostics_and_waivers(capsys, snapshot, plain_output_from_the_root):
    code, out, _ = run(capsys, "check", "--format", "json", "tests/fixtures/store/offers/waivers.offer")
    doc = json.loads(out)
    assert code == 1
    assert doc["files"][0]["waivers"][0]["reason"] == "a week for the conference, agreed by sales ops"
    assert out == snapshot


def test_github_annotations_carry_policy_codes(capsys, plain_output_from_the_root):
    _, out, _ = run(capsys, "check", "--format", "github", "tests/fixtures/store/offers/session-rules.offer")
    assert "::error file=tests/fixtures/store/offers/session-rules.offer,line=2,col=8" in out
    assert "title=P108::coupon `WINTER50` is not one the policy allows" in out


def test_every_store_code_has_a_title():
    assert all(CODES[r.code] == r.title for r in RULES)
    for code in ("E401", "E402", "E403", "E404", "E405", "E406", "E407", "E408"):
        assert code in CODES
    for code in ("W401", "W402", "W403", "W404", "W405"):
        assert code in CODES


def test_the_compiler_never_imports_the_store():
    """The store checks come in through the pipeline's `checks=`; the compiler stays store-agnostic."""
    probe = (
        "import sys, offerlang.compiler.pipeline as p, offerlang.compiler.checks;"
        "import offerlang.compiler.diagnostic_output;"
        "p.compile_source('account abCdE1FGH2Hij3KLMnOpqR\\nitem falcon\\n');"
        "print(sorted(m for m in sys.modules if m.startswith('offerlang.store')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    for module in (ROOT / "offerlang" / "compiler").rglob("*.py"):
        assert "offerlang.store" not in module.read_text("utf-8"), module


def test_without_a_config_no_store_module_is_loaded(tmp_path):
    """No config, no --catalog: `offer check` is exactly what it was, and pays for nothing."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "x.offer").write_text(BUYER + "item basic-laptop\n", "utf-8")
    probe = (
        "import sys; from offerlang.cli import main; code = main(['check', 'x.offer']);"
        "print(code, sorted(m for m in sys.modules if m.startswith('offerlang.store') and m not in "
        "('offerlang.store', 'offerlang.store.context', 'offerlang.store.config', 'offerlang.store.policy',"
        " 'offerlang.store.tomlpos', 'offerlang.store.catalog', 'offerlang.store.waivers')))"
    )
    argv = [sys.executable, "-c", probe]
    done = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=tmp_path)
    assert done.stdout.splitlines()[-1] == "0 []"  # the checks module itself is never imported


def test_every_row_of_a_campaign_is_checked_against_the_catalog(tmp_path, capsys):
    """A `$price` is checked once a row fills it: the row that slips a decimal point is caught
    before anything is written (or sent)."""
    offer = "param price money\nitem prime-sub {\n  price USD $price, EUR 82.90\n}\n"
    path = _project(tmp_path, "", offer)
    (tmp_path / "rows.csv").write_text("price\n79.90\n8.99\n", "utf-8")
    code, out, err = run(capsys, "compile", str(path), "--rows", str(tmp_path / "rows.csv"))
    assert code == 0  # P103 is a warning by default: the rows compile, the warning is shown
    assert "rows.csv:3: " in err and "warning[P103]: price USD 8.99 is 10% of the catalog price" in err
    assert out.count('"product":"prime-sub"') == 2  # JSON Lines, one payload a row
    path.parent.joinpath("offers.toml").write_text(
        f'store = "acme"\ncatalog = {json.dumps(str(CATALOG))}\n' + _table("P103", "floor = 50", "error"),
        "utf-8",
    )
    code, out, err = run(capsys, "compile", str(path), "--rows", str(tmp_path / "rows.csv"))
    assert (code, out) == (1, "") and "rows.csv:3: " in err and "error[P103]" in err


def test_every_store_code_is_exercised(tmp_path):
    """Every E4xx, W4xx and P1xx code is reported by some store fixture or setup below (the
    language's codes are tests/test_invalid.py's)."""
    stores = Stores()
    reported = set()
    for offer in OFFERS:
        reported |= {d.code for d in compile_file(offer, checks=stores.for_path(str(offer))).diagnostics}
    setups = {
        "syntax": ('store = "acme"\ncatalog =\n', None),
        "keys": ('stor = "acme"\ntarget = 3\n', None),
        "missing": ('store = "acme"\ncatalog = "none.json"\n', None),
        "other-store": (f'store = "other"\ncatalog = {json.dumps(str(CATALOG))}\n', None),
        "broken": ('catalog = "broken.json"\n', "{"),
    }
    for name, (config, catalog) in setups.items():
        folder = tmp_path / name
        (folder / ".git").mkdir(parents=True)
        (folder / "offers.toml").write_text(config, "utf-8")
        if catalog is not None:
            (folder / "broken.json").write_text(catalog, "utf-8")
        (folder / "x.offer").write_text(BUYER + "item basic-laptop\n", "utf-8")
        setup = Stores()
        compile_file(folder / "x.offer", checks=setup.for_path(str(folder / "x.offer")))
        reported |= {d.code for d in setup.problems()}
    store = {code for code in CODES if code[:2] in ("E4", "W4") or code.startswith("P")}
    assert store - reported == set()
