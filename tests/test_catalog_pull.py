"""`offer catalog pull` end to end, against the fake FastSpring's products API on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from offerlang.jsonout import loads

from .conftest import FIXTURES, run
from .fakefastspring import FakeFastSpring, Reply
from .sendkit import sending_environment

USERNAME = "catalog-reader"
PASSWORD = "pa55-never-in-the-catalog-9c1d"


def record(i: int) -> dict:
    return {
        "display": {"en": f"Product {i}"},
        "format": "digital",
        "pricing": {
            "price": {"USD": round(9.99 + i, 2), "EUR": 8.99},
            "interval": "month" if i % 2 else None,
            "intervalLength": 1 if i % 2 else None,
            "quantityBehavior": "allow",
            "quantityDefault": 1,
            "unknownField": {"ignored": True},
        },
    }


@pytest.fixture
def store():
    fake = FakeFastSpring(products={f"product-{i:03d}": record(i) for i in range(120)}).start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    sending_environment(monkeypatch, USERNAME, PASSWORD)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)


def pull(capsys, store: FakeFastSpring, *more: str) -> tuple[int, str, str]:
    return run(capsys, "catalog", "pull", "--store", "acme", "--api-url", store.url, *more)


def test_pull_follows_pages_and_fetches_records_in_batches(store, capsys, tmp_path):
    code, out, err = pull(capsys, store, "-o", "acme.catalog.json")
    assert (code, out, err) == (0, "acme.catalog.json: written (120 products of store acme)\n", "")
    assert [r.path for r in store.requests[:3]] == [
        "/products?limit=50&page=1",
        "/products?limit=50&page=2",
        "/products?limit=50&page=3",
    ]
    batches = [r.path for r in store.requests[3:]]
    assert len(batches) == 3 and all(r.method == "GET" for r in store.requests)
    assert batches[0] == "/products/" + ",".join(f"product-{i:03d}" for i in range(50))
    doc = loads((tmp_path / "acme.catalog.json").read_text("utf-8"))
    assert doc["store"] == "acme" and len(doc["products"]) == 120
    assert doc["products"]["product-001"]["pricing"] == {
        "price": {"EUR": Decimal("8.99"), "USD": Decimal("10.99")},
        "interval": "month",
        "intervalLength": 1,
        "quantityBehavior": "allow",
        "quantityDefault": 1,
    }
    assert "interval" not in doc["products"]["product-000"]["pricing"]  # a one-time product


def test_every_request_carries_the_credentials_and_a_user_agent(store, capsys):
    pull(capsys, store)
    token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    for request in store.requests:
        assert request.header("Authorization") == f"Basic {token}"
        assert request.header(
            "User-Agent",
        ).startswith("offerlang/")


def test_the_last_page_may_omit_next_page(store, capsys, tmp_path):
    store.null_next_page = False
    assert pull(capsys, store)[0] == 0
    assert len(loads((tmp_path / "offers.catalog.json").read_text("utf-8"))["products"]) == 120


def test_a_pull_that_finds_nothing_changed_leaves_the_file_untouched(store, capsys, tmp_path):
    pull(capsys, store, "-o", "c.json")
    before = os.stat(tmp_path / "c.json")
    code, out, _ = pull(capsys, store, "-o", "c.json")
    after = os.stat(tmp_path / "c.json")
    assert (code, out) == (0, "c.json: unchanged (120 products of store acme)\n")
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_a_price_change_is_a_one_line_diff(store, capsys, tmp_path):
    pull(capsys, store, "-o", "c.json")
    before = (tmp_path / "c.json").read_text("utf-8").splitlines()
    store.products["product-007"]["pricing"]["price"]["USD"] = 19.99
    assert pull(capsys, store, "-o", "c.json")[1] == "c.json: written (120 products of store acme)\n"
    after = (tmp_path / "c.json").read_text("utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [('          "USD": 16.99', '          "USD": 19.99')]


def test_check_says_whether_the_committed_catalog_is_stale(store, capsys):
    pull(capsys, store, "-o", "c.json")
    assert pull(capsys, store, "-o", "c.json", "--check")[:2] == (
        0,
        "c.json: up to date with store acme (120 products)\n",
    )
    store.products["product-007"]["pricing"]["price"]["USD"] = 19.99
    store.products["new-thing"] = record(500)
    del store.products["product-100"]
    code, out, _ = pull(capsys, store, "-o", "c.json", "--check")
    assert code == 1
    assert out == (
        "c.json: stale: 1 changed (product-007); 1 added (new-thing); 1 removed (product-100)\n"
        "  update it: offer catalog pull --store acme -o c.json, then commit it\n"
    )


def test_check_without_a_file_is_stale_and_writes_nothing(store, capsys, tmp_path):
    code, out, _ = pull(capsys, store, "-o", "c.json", "--check")
    assert code == 1 and "does not exist" in out and not (tmp_path / "c.json").exists()


def test_store_and_file_come_from_the_config(store, capsys, tmp_path):
    (tmp_path / "offers.toml").write_text('store = "acme"\ncatalog = "store/acme.json"\n', "utf-8")
    (tmp_path / "store").mkdir()
    code, out, _ = run(capsys, "catalog", "pull", "--api-url", store.url)
    assert (code, out) == (0, "store/acme.json: written (120 products of store acme)\n")


def test_without_a_store_it_is_a_usage_error(store, capsys):
    code, _, err = run(capsys, "catalog", "pull", "--api-url", store.url)
    assert code == 2 and "give --store STORE" in err and store.requests == []


def test_missing_credentials_stop_before_any_request(store, capsys, monkeypatch):
    monkeypatch.delenv("FASTSPRING_API_PASSWORD")
    code, _, err = pull(capsys, store)
    assert code == 2 and "FASTSPRING_API_PASSWORD is not set" in err and store.requests == []


def test_a_product_gone_between_listing_and_fetching_is_left_out_with_a_warning(store, capsys, tmp_path):
    original = store.products_api

    def vanishing(target: str) -> Reply:
        if target.startswith("/products/"):
            store.products.pop("product-003", None)
        return original(target)

    store.products_api = vanishing  # type: ignore[method-assign]
    code, out, err = pull(capsys, store, "-o", "c.json")
    assert code == 0 and out == "c.json: written (119 products of store acme)\n"
    assert "warning: `product-003` left out: FastSpring answered that it does not exist" in err


def test_401_is_a_refusal_of_the_credentials(store, capsys, tmp_path):
    store.script_get(Reply(401, {"message": "Unauthorized"}))
    code, _, err = pull(capsys, store)
    assert code == 3 and "FastSpring refused the credentials (HTTP 401)" in err
    assert "FASTSPRING_API_USERNAME" in err and len(store.requests) == 1
    assert not (tmp_path / "offers.catalog.json").exists()


def test_429_and_a_json_404_are_retried(store, capsys):
    store.script_get(Reply(429, headers={"Retry-After": "0"}), Reply(404, b""), Reply(503))
    code, out, err = pull(capsys, store)
    assert code == 0 and "written (120 products" in out
    assert err.count("retrying in") == 3 and "HTTP 429, rate limited (attempt 2 of 5)" in err


def test_a_404_page_that_is_not_fastspring_says_the_url_looks_wrong(store, capsys):
    code, _, err = run(capsys, "catalog", "pull", "--store", "acme", "--api-url", store.url + "/v1")
    assert code == 2
    assert "HTTP 404 from " + store.url + "/v1/products with a page that is not FastSpring's" in err
    assert "the URL looks wrong" in err and "check --api-url" in err
    assert len(store.requests) == 1  # not retried until the deadline


def test_an_unreadable_record_fails_the_pull_and_writes_nothing(store, capsys, tmp_path):
    store.products["product-005"]["pricing"]["price"] = {"USD": "cheap"}
    code, _, err = pull(capsys, store)
    assert code == 4 and "`product-005` at `/pricing/price/USD`" in err
    assert not (tmp_path / "offers.catalog.json").exists()


def test_secrets_are_never_written_to_the_catalog(store, capsys, tmp_path):
    """A proxy (or a compromised answer) echoing the password must not put it in a file that
    is committed: every string of a record is scrubbed before it is kept."""
    store.products["product-002"]["display"] = {"en": f"leak {PASSWORD} {USERNAME}:{PASSWORD}"}
    assert pull(capsys, store, "-o", "c.json")[0] == 0
    text = (tmp_path / "c.json").read_text("utf-8")
    assert PASSWORD not in text and USERNAME not in text
    assert '"en": "leak <redacted> <redacted>"' in text
    token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    assert token not in text


def test_the_pulled_catalog_checks_offers(store, capsys, tmp_path):
    (tmp_path / "offers.toml").write_text('store = "acme"\ncatalog = "offers.catalog.json"\n', "utf-8")
    run(capsys, "catalog", "pull", "--api-url", store.url)
    (tmp_path / "x.offer").write_text("account abCdE1FGH2Hij3KLMnOpqR\nitem prodcut-007\n", "utf-8")
    code, out, _ = run(capsys, "check", "x.offer")
    assert code == 1 and "did you mean `product-007`?" in out


def test_help_says_it_is_read_only(capsys):
    code, out, _ = run(capsys, "catalog", "pull", "--help")
    assert code == 0 and "A read-only call" in out


def test_the_fixture_catalog_could_have_been_pulled():
    text = (FIXTURES / "store" / "catalog.json").read_text("utf-8")
    assert json.loads(text)["catalog"] == 1 and Path(FIXTURES / "store" / "offers.toml").exists()


@pytest.mark.parametrize("amount", [1e30, 10**40, 1234567890123.5])
def test_an_amount_too_large_for_the_catalog_fails_the_pull_and_writes_nothing(
    store, capsys, tmp_path, amount
):
    """USD 1e30 from the products API once ended the pull in an internal error (exit 70)."""
    (tmp_path / "c.json").write_text("committed\n", "utf-8")
    store.products["product-005"]["pricing"]["price"]["USD"] = amount
    code, out, err = pull(capsys, store, "-o", "c.json")
    assert (code, out) == (4, "")
    assert "`product-005` at `/pricing/price/USD`: is too large: an amount has at most 12 digits" in err
    assert "nothing was written" in err and (tmp_path / "c.json").read_text("utf-8") == "committed\n"


def test_a_config_error_elsewhere_keeps_the_configs_store_and_catalog(store, capsys, tmp_path):
    """A misspelt policy rule once made the pull drop the config: "give --store", and with
    --store it wrote offers.catalog.json instead of the file the config names."""
    (tmp_path / "offers.toml").write_text(
        'store = "acme"\ncatalog = "store.json"\n[policy.max-discont]\npercent = 50\n', "utf-8"
    )
    for more in ((), ("--store", "acme")):
        code, out, err = run(capsys, "catalog", "pull", "--api-url", store.url, *more)
        assert code == 0, err
        assert out in (
            "store.json: written (120 products of store acme)\n",
            "store.json: unchanged (120 products of store acme)\n",
        )
        assert "offers.toml:3:9: error[E403]: unknown key `max-discont`" in err
        assert "none of them in" in err
    assert not (tmp_path / "offers.catalog.json").exists()


@pytest.mark.parametrize(
    ("config", "doubt"),
    [
        ('store = "acme"\ncatalgo = "store.json"\n', "`catalog`"),  # a typo of `catalog`
        ('store = "acme"\ncatalog = 7\n', "`catalog`"),
        ('store = "acme"\ncatalog = "store.json"\n[policy\n', "`catalog`"),  # not TOML at all
        ('store = "acme"\ncheckout = "other/web-main"\ncatalog = "s.json"\n', "`store`"),
    ],
)
def test_a_config_error_about_the_catalog_file_refuses_the_pull(store, capsys, tmp_path, config, doubt):
    (tmp_path / "offers.toml").write_text(config, "utf-8")
    more = () if doubt == "`store`" else ("--store", "acme")
    code, out, err = run(capsys, "catalog", "pull", "--api-url", store.url, *more)
    assert (code, out) == (2, "")
    assert f"leave its {doubt} in doubt; nothing was read or written" in err
    assert "offers.toml:" in err and store.requests == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [".git", "offers.toml"]


def test_store_and_output_given_need_nothing_from_a_broken_config(store, capsys, tmp_path):
    (tmp_path / "offers.toml").write_text("[policy\n", "utf-8")
    code, out, _ = pull(capsys, store, "-o", "c.json")
    assert (code, out) == (0, "c.json: written (120 products of store acme)\n")
