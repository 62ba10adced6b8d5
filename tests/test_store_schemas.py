"""The store's JSON Schemas and its manual stay in step with the code they describe."""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib

import jsonschema
import pytest

from offerlang.jsonout import loads
from offerlang.store.config import load_config
from offerlang.store.policy import RULES

from .conftest import EXAMPLES, FIXTURES, ROOT

SCHEMAS = ROOT / "offerlang" / "schemas"
STORE_MD = (ROOT / "docs" / "store.md").read_text("utf-8")


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_store_schemas", ROOT / "scripts" / "make_store_schemas.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["offers-config.schema.json", "catalog.schema.json"])
def test_the_shipped_schemas_are_what_the_generator_writes(name):
    make = _generator()
    assert (SCHEMAS / name).read_text("utf-8") == make.render(make.FILES[name]()), (
        "run: python scripts/make_store_schemas.py"
    )


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("config", [EXAMPLES / "store" / "offers.toml", FIXTURES / "store" / "offers.toml"])
def test_the_shipped_configs_are_valid_for_both(config):
    assert load_config(config).diagnostics == []
    assert list(_validator("offers-config.schema.json").iter_errors(tomllib.loads(config.read_text()))) == []


@pytest.mark.parametrize(
    "catalog", [EXAMPLES / "store" / "acme.catalog.json", FIXTURES / "store" / "catalog.json"]
)
def test_the_shipped_catalogs_are_valid(catalog):
    assert list(_validator("catalog.schema.json").iter_errors(loads(catalog.read_text("utf-8")))) == []


@pytest.mark.parametrize(
    "text",
    [
        'stor = "acme"',
        'target = "sessions-v3"',
        'checkout = "acme/kiosk-main"',
        "[policy.max-trail]\ndays = 3",
        "[policy.max-trial]\ndays = -1",
        "[policy.max-trial]\ndays = 1.5",
        '[policy.max-trial]\ndays = 3\nseverity = "warn"',
        "[policy.max-discount]\npercent = 101",
        "[policy.coupons]",
        '[policy.price-endings]\nUSD = "99"',
        '[policy.price-endings]\nusd = ["99"]',
        '[policy.currencies]\nallowed = ["usd"]',
    ],
)
def test_the_reader_and_the_config_schema_refuse_the_same_mistakes(tmp_path, text):
    (tmp_path / "offers.toml").write_text(text + "\n", "utf-8")
    assert load_config(tmp_path / "offers.toml").diagnostics, "the reader accepted it"
    assert list(_validator("offers-config.schema.json").iter_errors(tomllib.loads(text))), "the schema did"


def test_every_rule_is_in_the_schema_and_the_manual():
    rules = json.loads((SCHEMAS / "offers-config.schema.json").read_text("utf-8"))["properties"]["policy"]
    assert sorted(rules["properties"]) == sorted(r.name for r in RULES)
    headings = re.findall(r"^### (P\d{3}) `([a-z-]+)`", STORE_MD, re.M)
    assert headings == [(r.code, r.name) for r in RULES]
    for rule in RULES:
        section = STORE_MD.split(f"### {rule.code} `{rule.name}`", 1)[1].split("\n### ", 1)[0]
        assert f"[policy.{rule.name}]" in section, f"{rule.code} has no example config"
        assert f"[{rule.code}]" in section, f"{rule.code} has no example diagnostic"


def test_the_manual_shows_the_example_catalog_as_it_is():
    block = re.search(r"```json\n(\{\n  \"catalog\".*?)```", STORE_MD, re.S)
    assert block is not None
    shown = json.loads(block.group(1))["products"]
    actual = json.loads((EXAMPLES / "store" / "acme.catalog.json").read_text("utf-8"))["products"]
    assert shown == {path: actual[path] for path in shown}
