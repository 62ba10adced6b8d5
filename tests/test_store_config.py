"""The project config: found like ruff finds its own, read with positions for every problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from offerlang.compiler.diagnostic_output import render_text
from offerlang.store.config import Config, find_config, load_config

from .conftest import FIXTURES, run

CATALOG = FIXTURES / "store" / "catalog.json"
OFFER = "account abCdE1FGH2Hij3KLMnOpqR\nitem prime-sbu\n"


def _repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    return tmp_path


def _rendered(config: Config) -> str:
    return render_text(config.diagnostics, {config.shown: config.text})


# ---- finding it -----------------------------------------------------------------------------


def test_the_nearest_config_above_the_offer_applies(tmp_path):
    root = _repo(tmp_path)
    (root / "offers.toml").write_text('store = "outer"\n', "utf-8")
    inner = root / "team" / "spring"
    inner.mkdir(parents=True)
    (root / "team" / "offers.toml").write_text('store = "inner"\n', "utf-8")
    assert find_config(inner) == root / "team" / "offers.toml"
    assert find_config(root) == root / "offers.toml"


def test_offers_toml_wins_over_pyproject_in_the_same_folder(tmp_path):
    root = _repo(tmp_path)
    (root / "pyproject.toml").write_text('[tool.offerlang]\nstore = "py"\n', "utf-8")
    (root / "offers.toml").write_text('store = "toml"\n', "utf-8")
    assert find_config(root) == root / "offers.toml"


def test_a_pyproject_without_tool_offerlang_is_passed_by(tmp_path):
    root = _repo(tmp_path)
    (root / "pyproject.toml").write_text('[tool.offerlang]\nstore = "acme"\n', "utf-8")
    sub = root / "pkg"
    sub.mkdir()
    (sub / "pyproject.toml").write_text('[project]\nname = "pkg"\ndescription = "offerlang fan"\n', "utf-8")
    assert find_config(sub) == root / "pyproject.toml"
    assert load_config(root / "pyproject.toml").store == "acme"


def test_the_search_stops_at_the_repository_root(tmp_path):
    (tmp_path / "offers.toml").write_text('store = "above-the-repo"\n', "utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".git").write_text("gitdir: elsewhere\n", "utf-8")  # a worktree's .git is a file
    (repo / "offers").mkdir()
    assert find_config(repo / "offers") is None


def test_no_config_and_no_catalog_changes_nothing(tmp_path, capsys):
    root = _repo(tmp_path)
    (root / "x.offer").write_text(OFFER, "utf-8")
    assert run(capsys, "check", str(root / "x.offer"))[:2] == (0, "1 file checked, 0 errors, 0 warnings\n")


def test_the_config_names_the_catalog_relative_to_itself(tmp_path, capsys):
    root = _repo(tmp_path)
    (root / "store").mkdir()
    (root / "store" / "acme.json").write_bytes(CATALOG.read_bytes())
    (root / "offers.toml").write_text('store = "acme"\ncatalog = "store/acme.json"\n', "utf-8")
    (root / "offers").mkdir()
    (root / "offers" / "x.offer").write_text(OFFER, "utf-8")
    code, out, _ = run(capsys, "check", str(root / "offers"))
    assert code == 1 and "error[E401]: `prime-sbu` is not a product of store `acme`" in out


def test_catalog_option_overrides_the_configs(tmp_path, capsys):
    root = _repo(tmp_path)
    (root / "offers.toml").write_text('store = "acme"\ncatalog = "missing.json"\n', "utf-8")
    (root / "x.offer").write_text(OFFER, "utf-8")
    code, out, _ = run(capsys, "check", str(root / "x.offer"), "--catalog", str(CATALOG))
    assert code == 1 and "E405" not in out and "E401" in out


def test_pyproject_tool_offerlang_is_read_with_positions(tmp_path):
    root = _repo(tmp_path)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n[tool.offerlang]\nstore = "acme"\ncatalg = "x.json"\n\n'
        "[tool.offerlang.policy.max-trial]\ndays = -1\n",
        "utf-8",
    )
    config = load_config(root / "pyproject.toml")
    assert [(d.code, d.span.line, d.span.column) for d in config.diagnostics] == [
        ("E403", 6, 1),
        ("E404", 9, 8),
    ]
    assert config.diagnostics[0].message == "unknown key `catalg` in [tool.offerlang]"
    assert config.diagnostics[0].hint == "did you mean `catalog`?"


# ---- reading it -----------------------------------------------------------------------------

BROKEN = """\
store = "acme"
catalg = "store.catalog.json"
target = "sessions-v3"
checkout = "acme/webb-main"

[policy.max-discount]
percent = 140
severty = "error"

[policy.price-range]
floor = 80
ceiling = 70.5

[policy.price-endings]
USD = [".99", ".9"]
JPY = [".00"]
UDS = ["99"]

[policy.max-trail]
days = 3

[policy.coupons]
severity = "warn"

[policy.currencies]
allowed = ["USD", "EUT", 3]

[policy.locked-products]
products = "enterprise-*"
"""


def test_every_problem_of_a_config_at_its_line_and_column(tmp_path, text_snapshot, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "offers.toml").write_text(BROKEN, "utf-8")
    config = load_config(tmp_path / "offers.toml")
    assert not config.ok
    assert _rendered(config) == text_snapshot


def test_a_toml_syntax_error_is_located(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "offers.toml").write_text('store = "acme"\ncatalog = \n', "utf-8")
    [d] = load_config(tmp_path / "offers.toml").diagnostics
    assert (d.code, d.path, d.span.line, d.span.column) == ("E402", "offers.toml", 2, 11)
    assert d.message == "the config file is not valid TOML: invalid value"


def test_an_unreadable_config_is_a_diagnostic_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "offers.toml").write_bytes(b'store = "\xff"\n')
    [d] = load_config(tmp_path / "offers.toml").diagnostics
    assert d.code == "E001" and d.path == "offers.toml"


def test_config_problems_are_reported_by_check_once_with_exit_1(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(_repo(tmp_path))
    (tmp_path / "offers.toml").write_text('store = "acme"\nunknown = 1\n', "utf-8")
    for name in ("a", "b"):
        (tmp_path / f"{name}.offer").write_text(OFFER, "utf-8")
    code, out, _ = run(capsys, "check", ".")
    assert code == 1
    assert out.count("offers.toml:2:1: error[E403]: unknown key `unknown` in offers.toml") == 1
    assert out.endswith("2 files checked, 1 error, 0 warnings\n")
    code, out, _ = run(capsys, "check", ".", "--format", "json")
    doc = json.loads(out)
    assert {"path": "offers.toml", "valid": False} in doc["files"]
    assert [d["code"] for d in doc["diagnostics"]] == ["E403"]


def test_target_and_checkout_for_the_v2_target(tmp_path):
    (tmp_path / "offers.toml").write_text(
        'store = "acme"\ntarget = "sessions-v2"\ncheckout = "acme/web-main"\n', "utf-8"
    )
    config = load_config(tmp_path / "offers.toml")
    assert config.ok
    assert (config.target, config.checkout, config.store) == ("sessions-v2", "acme/web-main", "acme")


def test_the_target_defaults_to_sessions_v1(tmp_path):
    (tmp_path / "offers.toml").write_text("", "utf-8")
    config = load_config(tmp_path / "offers.toml")
    assert (config.ok, config.target, config.checkout) == (True, "sessions-v1", None)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('target = "v2"', "`v2` is not a target"),
        ("target = 2", "`target` must be a string in quotes, not a whole number"),
        ('checkout = "web-main"', "`web-main` is not a checkout: write `STORE/TYPE-NAME`"),
        ('checkout = "acme/kiosk-main"', "`kiosk` is not a checkout type"),
        (
            'checkout = "other/web-main"',
            "checkout `other/web-main` belongs to store `other`, but `store` is `acme`",
        ),
    ],
)
def test_target_and_checkout_are_validated_with_positions(tmp_path, line, message):
    (tmp_path / "offers.toml").write_text(f'store = "acme"\n{line}\n', "utf-8")
    [d] = load_config(tmp_path / "offers.toml").diagnostics
    assert (d.code, d.message, d.span.line) == ("E404", message, 2)


def test_policy_values_are_exact(tmp_path):
    (tmp_path / "offers.toml").write_text(
        "[policy.price-range]\nfloor = 33.3\nceiling = 150\n"
        '[policy.max-discount]\npercent = 12.5\nseverity = "warning"\n',
        "utf-8",
    )
    policy = load_config(tmp_path / "offers.toml").policy
    floor = policy.rules["P103"].values["floor"]
    assert str(floor) == "33.3" and type(floor).__name__ == "Decimal"
    assert policy.rules["P101"].severity == "warning"


def test_a_rule_set_off_is_not_in_force(tmp_path):
    (tmp_path / "offers.toml").write_text('[policy.price-range]\nseverity = "off"\n', "utf-8")
    assert "P103" not in load_config(tmp_path / "offers.toml").policy.rules


def test_isolated_ignores_the_configs_target_too(tmp_path, capsys):
    root = _repo(tmp_path)
    (root / "offers.toml").write_text('target = "sessions-v2"\ncheckout = "acme/web-main"\n', "utf-8")
    (root / "x.offer").write_text("account abCdE1FGH2Hij3KLMnOpqR\nitem falcon {\n  renew auto\n}\n", "utf-8")
    code, out, _ = run(capsys, "check", str(root / "x.offer"))
    assert code == 1 and "error[E501]" in out  # the config's target: Sessions v2 has no renew
    assert run(capsys, "check", "--isolated", str(root / "x.offer"))[:2] == (
        0,
        "1 file checked, 0 errors, 0 warnings\n",
    )


@pytest.mark.parametrize(
    ("table", "line", "message"),
    [
        (
            "[policy.max-discount]\npercent = nan",
            "percent = nan",
            "`percent` must be a finite number, not NaN",
        ),
        ("[policy.max-discount]\npercent = 1e30", "percent = 1e30", "`percent` is a percent from 0 to 100"),
        (
            "[policy.price-range]\nceiling = inf",
            "ceiling = inf",
            "`ceiling` must be a finite number, not Infinity",
        ),
        (
            "[policy.price-range]\nfloor = -inf",
            "floor = -inf",
            "`floor` must be a finite number, not -Infinity",
        ),
        (
            "[policy.price-range]\nceiling = 1e30",
            "ceiling = 1e30",
            "`ceiling` is a percent of the catalog price above 0 and at most 10,000, not 1E+30",
        ),
    ],
)
def test_non_finite_or_huge_numbers_are_config_errors_not_crashes(tmp_path, capsys, table, line, message):
    """`percent = nan` and `ceiling = inf` (or 1e30) once ended every command in exit 70."""
    root = _repo(tmp_path)
    shutil.copy(CATALOG, root / "catalog.json")
    (root / "offers.toml").write_text(f'store = "acme"\ncatalog = "catalog.json"\n{table}\n', "utf-8")
    (root / "x.offer").write_text(
        "account abCdE1FGH2Hij3KLMnOpqR\ntag campaign spring\nitem prime-sub {\n  price USD 9.99, EUR 82.90\n"
        "  discount 20% for 2 periods\n}\n",
        "utf-8",
    )
    [d] = load_config(root / "offers.toml").diagnostics
    assert (d.code, d.span.line, d.span.column) == ("E404", 4, line.index("=") + 3)
    assert d.message.startswith(message)
    for command in ("check", "explain", "compile"):
        code, out, err = run(capsys, command, str(root / "x.offer"))
        assert code == 1, (command, out, err)
        assert "offers.toml:4:" in out + err and "E404" in out + err


def test_a_ceiling_at_the_bound_is_read_and_used(tmp_path):
    (tmp_path / "offers.toml").write_text("[policy.price-range]\nceiling = 10000\n", "utf-8")
    config = load_config(tmp_path / "offers.toml")
    assert config.ok and config.policy.rules["P103"].values["ceiling"] == 10_000
