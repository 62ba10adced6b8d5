"""Two targets, one language: Sessions v1 (the default, unchanged) and Sessions v2.

- the v2 request schema is generated from the facts module and valid;
- every example compiles for v1 (tests/test_examples.py); for v2 it either compiles (its v2
  payload is a snapshot, passes the v2 schema and means what the v1 payload means) or its
  migration report is the snapshot;
- what one target cannot carry is an error at the statement, for each target (fixtures);
- the law behind E530: an offer the v2 checks accept passes the v2 schema.
"""

from __future__ import annotations

import csv
import importlib.util
import itertools
import re

import jsonschema
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from offerlang import compile_file, compile_source, jsonout
from offerlang.authoring.formatter import format_source
from offerlang.cli import targeting
from offerlang.compiler.diagnostic_output import render_text
from offerlang.compiler.schema import schema_errors, schema_text
from offerlang.compiler.targets import Checkout, Target, parse_checkout, parse_target, target_of_body
from offerlang.compiler.targets.v2 import review_form
from offerlang.review.diff import diff_payloads

from .conftest import ALL_EXAMPLES, EXAMPLES, FIXTURES, ROOT, run
from .test_gate_law import Writer, quoted

TARGET_FIXTURES = sorted((FIXTURES / "targets").glob("*.offer"))


@pytest.fixture(autouse=True)
def _no_repository_config(monkeypatch):
    monkeypatch.setattr(targeting, "repository_settings", lambda near: targeting.Settings())
    monkeypatch.setenv("NO_COLOR", "1")


def _id(path):
    return str(path.relative_to(EXAMPLES).with_suffix("")).replace("/", "-")


def _values(path):
    rows = path.parent / "buyers.csv"
    if "\nparam " not in "\n" + path.read_text("utf-8") or not rows.exists():
        return None
    with rows.open(encoding="utf-8", newline="") as fh:
        return next(csv.DictReader(fh))


# ---- the schema ----------------------------------------------------------------------------------


def test_the_v2_schema_is_valid_draft_2020_12():
    schema = jsonout.loads(schema_text("v2"))
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_committed_v2_schema_is_what_the_script_makes():
    spec = importlib.util.spec_from_file_location("make_v2_schema", ROOT / "scripts" / "make_v2_schema.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    assert schema_text("v2") == make.render(), "run: python scripts/make_v2_schema.py"


# ---- the examples --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_EXAMPLES, ids=_id)
def test_example_for_v2(path, payload_snapshot, text_snapshot, capsys, monkeypatch):
    """A v2 payload snapshot when the example moves to v2 as it is; its migration report otherwise."""
    result = compile_file(path, _values(path), target="v2")
    if result.ok:
        assert result.diagnostics == []
        assert schema_errors(result.payload, "v2") == []
        # The same offer means the same to buyers on both APIs.
        v1 = compile_file(path, _values(path))
        assert diff_payloads(v1.payload, review_form(result.payload)) == []
        assert result.payload == payload_snapshot
    else:
        monkeypatch.chdir(ROOT)
        code, out, err = run(capsys, "migrate", "--to", "v2", str(path.relative_to(ROOT)))
        assert (code, err) == (1, "")
        assert out == text_snapshot


def test_how_many_examples_move_to_v2_as_they_are(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, _ = run(capsys, "migrate", "--to", "v2", "examples")
    assert code == 1
    assert out.splitlines()[-1] == (
        "24 files: 13 move to Sessions v2 as they are; 11 cannot: "
        "E501 renewal cannot be said on Sessions v2 (8 files), "
        "E504 session expiry cannot be said on Sessions v2 (5 files), "
        "E502 free or paid trial, or trial price, cannot be said on Sessions v2 (4 files), "
        "E503 card rule cannot be said on Sessions v2 (4 files), "
        "E505 setup fee title cannot be said on Sessions v2 (2 files)"
    )


def test_migrate_never_rewrites_and_exits_0_when_everything_moves(capsys, tmp_path):
    path = tmp_path / "ok.offer"
    text = (EXAMPLES / "multi-currency-price.offer").read_text("utf-8")
    path.write_text(text, "utf-8")
    for check in ([], ["--check"]):
        code, out, _ = run(capsys, "migrate", "--to", "v2", *check, str(path))
        assert code == 0
        assert out.endswith("1 file: 1 moves to Sessions v2 as it is\n")
    assert path.read_text("utf-8") == text


def test_v1_stays_exactly_as_it_was():
    # The default target is v1, and asking for it explicitly changes nothing.
    for path in ALL_EXAMPLES:
        default = compile_file(path, _values(path))
        assert compile_file(path, _values(path), target="v1").payload == default.payload
        assert default.target == Target.V1


# ---- the statements each target cannot carry -----------------------------------------------------


@pytest.mark.parametrize("target", ["v1", "v2"])
@pytest.mark.parametrize("path", TARGET_FIXTURES, ids=lambda p: p.stem)
def test_target_fixture(path, target, text_snapshot, payload_snapshot):
    result = compile_file(path.relative_to(ROOT).as_posix(), target=target)
    if result.ok:
        assert result.payload == payload_snapshot
    else:
        assert render_text(result.diagnostics, {result.path: result.text}, color=False) == text_snapshot


def test_every_v2_statement_formats_and_round_trips():
    for path in TARGET_FIXTURES:
        text = path.read_text("utf-8")
        once, problems = format_source(text)
        assert problems == [] and once is not None
        assert format_source(once)[0] == once
    source = (FIXTURES / "targets" / "every-v2-statement.offer").read_text("utf-8")
    assert (
        compile_source(format_source(source)[0], target="v2").payload
        == compile_source(source, target="v2").payload
    )


def test_check_and_explain_know_the_target(capsys):
    path = str(FIXTURES / "targets" / "every-v2-statement.offer")
    code, out, _ = run(capsys, "check", path)
    assert code == 1 and out.count("error[E510]") == 12
    code, out, _ = run(capsys, "check", "--target", "v2", path)
    assert (code, out.splitlines()[-1]) == (0, "1 file checked, 0 errors, 0 warnings")
    code, out, _ = run(capsys, "explain", "--target", "v2", path)
    assert code == 0
    assert "billing            every month, 12 times, then the subscription ends" in out
    assert re.search(r"12th renewal on +0\.00  nothing: the subscription ended after 12 billing periods", out)
    assert "payment     methods shown first: PAYPAL, CARD" in out
    code, out, _ = run(capsys, "explain", "--target", "v2", "--format", "json", path)
    doc = jsonout.loads(out)
    assert doc["offers"][0]["target"] == "v2"
    assert doc["offers"][0]["items"][0]["payload"]["productPath"] == "prime-sub"


def test_diff_compares_v2_compilations(capsys, tmp_path):
    old = FIXTURES / "targets" / "every-v2-statement.offer"
    new = tmp_path / "new.offer"
    new.write_text(
        old.read_text("utf-8").replace("for 12 periods", "for 6 periods").replace("USD 2.50", "USD 3.50"),
        "utf-8",
    )
    code, out, _ = run(capsys, "diff", "--target", "v2", str(old), str(new))
    assert code == 0
    assert "prime-sub: EDS fee USD 2.50 → 3.50 (+40.0%)" in out
    assert (
        "prime-sub: billing every month, 12 times, then the subscription ends → every month, 6 times" in out
    )
    assert "prime-sub: buyer pays USD at renewals 6–11: 9.99 → 0.00" in out


@pytest.mark.parametrize(
    "fields", ["country DE", "language de", "country DE\n  language de"], ids=["country", "language", "both"]
)
def test_a_contact_of_only_a_country_or_language_is_the_same_contact_on_v2(fields, capsys, tmp_path):
    # On v2 such a contact has no `billToContact`: its fields are the top-level `country` and
    # `locale`. It is still the buyer the v1 offer names, for explain, diff, migrate and import.
    source = f"contact {{\n  {fields}\n}}\n\nitem p\n"
    v1, v2 = compile_source(source), compile_source(source, target="v2")
    assert v1.ok and v2.ok and "customer" not in v2.payload
    assert diff_payloads(v1.payload, review_form(v2.payload)) == []
    path = tmp_path / "buyer.offer"
    path.write_text(source, "utf-8")
    code, out, _ = run(capsys, "explain", "--target", "v2", str(path))
    buyer = next(line for line in out.splitlines() if line.strip().startswith("buyer"))
    assert "new buyer" in buyer and "none named" not in buyer
    assert "\n    country " not in out  # not a second, separate fact
    code, out, _ = run(capsys, "migrate", "--to", "v2", str(path))
    assert code == 0 and f"{path}: moves to Sessions v2 as it is" in out
    body = tmp_path / "body.json"
    body.write_text(jsonout.dumps(v2.payload), "utf-8")
    code, imported, err = run(capsys, "import", str(body))
    assert code == 0, err
    assert compile_source(imported, target="v2").payload == v2.payload
    if "country" in fields:  # a plain language alone is imported as v2 says it: `locale de`
        assert imported == source


def test_a_contact_without_a_country_is_said_as_each_target_treats_it(capsys, tmp_path):
    # Sessions v1 bills such a buyer as US, in USD; Sessions v2 locates the buyer by IP address.
    path = tmp_path / "nocountry.offer"
    path.write_text("contact {\n  email jane@example.com\n}\n\nitem p\n", "utf-8")
    v1 = [d for d in compile_source(path.read_text()).diagnostics if d.code == "W301"]
    v2 = [d for d in compile_source(path.read_text(), target="v2").diagnostics if d.code == "W301"]
    assert "bill the buyer as US, in USD" in v1[0].message
    assert "US" not in v2[0].message and "infers it from the buyer's IP address" in v2[0].message
    code, out, _ = run(capsys, "explain", "--target", "v2", str(path))
    assert "no country (FastSpring infers it from the buyer's IP address)" in out
    assert "assumes US" not in out
    code, out, _ = run(capsys, "explain", str(path))
    assert "no country (FastSpring assumes US and USD)" in out
    code, out, _ = run(capsys, "migrate", "--to", "v2", str(path))
    assert code == 0
    assert (
        f"  {path}:1:1: note: this contact has no country: Sessions v1 bills such a buyer as US, in USD; "
        "Sessions v2 infers the country from the buyer's IP address (add `country US` to keep v1's behaviour)"
    ) in out
    # diff on v2 says v2's fact when the buyer comes or goes.
    other = tmp_path / "nobody.offer"
    other.write_text("item p\n", "utf-8")
    code, out, _ = run(capsys, "diff", "--target", "v2", str(other), str(path))
    assert "buyer added: new buyer jane@example.com, no country (FastSpring infers it" in out


# ---- targets and checkouts -----------------------------------------------------------------------


def test_targets_are_named_both_ways():
    assert parse_target("v2") is parse_target("sessions-v2") is Target.V2
    assert parse_target("SESSIONS-V1") is Target.V1
    with pytest.raises(ValueError, match="is not a target"):
        parse_target("v3")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acme/web-main", Checkout("acme", "web-main")),
        ("Acme/popup-sale_2", Checkout("acme", "popup-sale_2")),
    ],
)
def test_a_checkout_is_store_slash_type_name(text, expected):
    assert parse_checkout(text) == expected
    assert str(parse_checkout(text)) == f"{expected.store}/{expected.checkout}"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("web-main", "give the store and the checkout"),
        ("acme/main", "starts with its type"),
        ("acme/shop-main", "starts with its type"),
        ("ac me/web-main", "letters, digits"),
    ],
)
def test_a_checkout_that_is_not_one_is_refused_with_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_checkout(text)


def test_a_body_is_recognised_by_its_shape():
    assert target_of_body({"cart": {"lineItems": []}}) is Target.V2
    assert target_of_body({"items": []}) is Target.V1
    assert target_of_body([]) is None


def test_the_flag_wins_over_the_config_which_wins_over_the_default(monkeypatch):
    assert targeting.resolve_target(None) is Target.V1
    monkeypatch.setattr(targeting, "repository_settings", lambda near: targeting.Settings("sessions-v2"))
    assert targeting.resolve_target(None) is Target.V2
    assert targeting.resolve_target("v1") is Target.V1


# ---- the gate law for v2 -------------------------------------------------------------------------


class V2Writer(Writer):
    """test_gate_law's offers, with the v2-only statements; strict ones leave out what v2 cannot
    carry, so that many compile."""

    def item_clauses(self) -> list[str]:
        clauses = [
            c
            for c in super().item_clauses()
            if not (self.strict and c.startswith(("renew", "trial price", "setup fee")))
        ]
        if self.strict:
            clauses = [c.replace(" free", "").replace(" paid", "") for c in clauses]
            clauses = [c.split(",")[0] if c.startswith("trial") else c for c in clauses]
            clauses = [c.replace(".", "", 1) if c.startswith("discount") and "%" in c else c for c in clauses]
        if self.draw(st.booleans()):
            clauses.append(f"eds fee USD {self.draw(st.integers(2, 50))}.00")
        if self.draw(st.booleans()):
            clauses.append(f"shipping fee {self.money()}")
        for kind in self.draw(st.lists(st.sampled_from(["display", "summary", "instructions"]), unique=True)):
            lang = self.draw(st.sampled_from(["en", "de", "pt-BR"] if self.strict else ["en", "pt_BR", "EN"]))
            clauses.append(f"{kind} {lang} {quoted(self.draw(st.text(min_size=1, max_size=20)))}")
        if self.draw(st.booleans()):
            # White space of any kind in an address (a pasted tab or no-break space) is E516.
            blank = self.draw(st.characters(categories=["Zs", "Zl", "Zp", "Cc"]).filter(str.isspace))
            wrong = self.draw(st.sampled_from(["nowhere", quoted(f"https://cdn.example.com/a{blank}b.png")]))
            clauses.append("image https://cdn.example.com/x.png" if self.strict else f"image {wrong}")
        return clauses

    def offer(self) -> str:
        text = super().offer()
        if self.strict:
            text = "\n".join(line for line in text.split("\n") if not line.startswith("expires"))
        extra = []
        if self.draw(st.booleans()):
            extra.append(
                "locale pt-BR" if self.strict else self.draw(st.sampled_from(["locale pt_BR", "locale de"]))
            )
        if self.draw(st.booleans()):
            extra.append(f"buyer tag {quoted(self.draw(st.text(min_size=1, max_size=8)))} gold")
        if self.draw(st.booleans()):
            extra.append("payment methods PAYPAL, CARD")
        if self.draw(st.booleans()):
            extra.append("hide payment methods WIRE")
        return "\n".join(extra) + "\n" + text


@pytest.mark.parametrize("blank", ["\t", "\u00a0", "\u2003", "\u3000", "\x1c"])
def test_white_space_in_an_image_address_is_e516_not_the_schema_gate(blank):
    source = f"item p {{\n  image {quoted(f'https://cdn.example.com/a{blank}b.png')}\n}}\n"
    codes = [d.code for d in compile_source(source, target="v2").diagnostics]
    assert codes == ["E516"]


@st.composite
def v2_offers(draw) -> str:
    return V2Writer(draw, strict=draw(st.booleans())).offer()


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(v2_offers())
def test_the_v2_schema_gate_is_never_reached_by_an_offer_the_v2_checks_accept(source):
    result = compile_source(source, "generated.offer", target="v2")
    event("compiles" if result.ok else "rejected by the checks")
    assert "E530" not in {d.code for d in result.diagnostics}, source
    if result.ok:
        assert schema_errors(result.payload, "v2") == []
        assert jsonout.loads(jsonout.dumps(result.payload)) == result.payload


# ---- docs/targets.md stays true ------------------------------------------------------------------

TARGETS_MD = (ROOT / "docs" / "targets.md").read_text("utf-8")
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
_BLOCKS = _FENCE.findall(TARGETS_MD)
V2_PAIRS = [(a[1], b[1]) for a, b in itertools.pairwise(_BLOCKS) if (a[0], b[0]) == ("offer", "json")]


def test_the_targets_page_shows_every_v2_statement():
    assert len(V2_PAIRS) == 6
    shown = "".join(source for source, _ in V2_PAIRS)
    for keyword in ("locale", "buyer tag", "payment methods", "hide payment methods", "for 12 periods"):
        assert keyword in shown
    for keyword in ("eds fee", "shipping fee", "display", "summary", "instructions", "image"):
        assert keyword in shown


@pytest.mark.parametrize(("source", "shown"), V2_PAIRS, ids=[f"example-{i}" for i in range(len(V2_PAIRS))])
def test_a_v2_statement_compiles_to_the_json_shown(source, shown):
    if not source.startswith("item"):
        source += "item basic-laptop\n"
    result = compile_source("account abCdE1FGH2Hij3KLMnOpqR\n" + source, "docs/targets.md", target="v2")
    assert result.ok, [d.message for d in result.errors]
    fragment = jsonout.loads(shown)
    if "productPath" in fragment:
        assert result.payload["cart"]["lineItems"][0] == fragment
    elif "customer" in fragment:
        assert result.payload["customer"] == {"accountId": "abCdE1FGH2Hij3KLMnOpqR", **fragment["customer"]}
    else:
        assert {k: result.payload[k] for k in fragment} == fragment
    for key, amount in re.findall(r'"([A-Z]{3})": ([0-9.]+)', shown):
        assert f'"{key}":{amount}' in jsonout.dumps(result.payload, None)


def test_the_migrate_run_on_the_targets_page_prints_what_is_shown(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    block = next(body for lang, body in _BLOCKS if lang == "console" and "offer migrate" in body)
    command, *shown = block.rstrip("\n").split("\n")
    argv = command.removeprefix("$ offer ").split()
    _, out, _ = run(capsys, *argv)
    assert out.rstrip("\n").split("\n") == shown
