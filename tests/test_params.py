"""Parameters: a bound value is checked and emitted exactly as the literal it stands for."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offerlang import compile_source
from offerlang.cli import main
from offerlang.compiler.diagnostics import Severity
from offerlang.compiler.pipeline import compile_template

TEMPLATE = """\
param first text
param email email
param country country
param price money
param coupon text
contact {
  first $first
  last Doe
  email $email
  country $country
}
coupon $coupon
item annual-plan {
  price USD $price
}
"""

GOOD = {"first": "Jane", "email": "jane@example.com", "country": "DE", "price": "99.5", "coupon": "SPRING"}


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal_offer(values: dict[str, str]) -> str:
    """The offer an author would write with the values typed in place of the references."""
    body = "\n".join(line for line in TEMPLATE.splitlines() if not line.startswith("param ")) + "\n"
    typed = {"email", "country", "price"}  # typed values are read without surrounding blanks

    def literal(m: re.Match) -> str:
        value = values[m.group(1)]
        value = value.strip() if m.group(1) in typed else value
        return value if m.group(1) == "price" else quoted(value)

    return re.sub(r"\$([a-z]+)", literal, body)


def messages(result):
    return [
        (d.code, d.severity.value, d.message, d.span.line if d.span else None) for d in result.diagnostics
    ]


def test_bound_offer_compiles_to_the_literal_payload():
    bound = compile_source(TEMPLATE, "t.offer", GOOD)
    literal = compile_source(literal_offer(GOOD), "l.offer")
    assert bound.ok and literal.ok
    assert bound.payload == literal.payload
    assert bound.payload["items"][0]["pricing"]["price"] == {"USD": Decimal("99.50")}


@given(
    first=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8),
    country=st.sampled_from(["DE", "US", " de", "XX", "GBR"]),
    price=st.sampled_from(["1", "19.99", "0.001", "-5", "7.5"]),
)
def test_a_bound_value_gets_the_literals_checks_and_messages(first, country, price):
    values = dict(GOOD, first=first, country=country, price=price)
    bound = compile_source(TEMPLATE, "t.offer", values)
    literal = compile_source(literal_offer(values), "l.offer")
    # Same verdict, same codes and messages (the lines differ: the template has 5 params above).
    assert bound.ok == literal.ok
    assert [m[:3] for m in messages(bound)] == [m[:3] for m in messages(literal)]
    if bound.ok:
        assert bound.payload == literal.payload


def test_errors_point_at_the_reference():
    result = compile_source(TEMPLATE, "t.offer", dict(GOOD, country="XX"))
    (d,) = result.errors
    assert (d.code, d.span.line, d.span.column) == ("E203", 10, 11)
    assert d.message == "`XX` is not an ISO 3166 country code"


def test_unbound_parameters_are_reported_once_each_with_how_to_fix():
    result = compile_source(TEMPLATE, "t.offer")
    assert not result.ok
    assert [(d.code, d.message, d.hint) for d in result.errors][:2] == [
        ("E228", "parameter `$first` has no value", "use `--set first=…` or `--rows FILE`"),
        ("E228", "parameter `$email` has no value", "use `--set email=…` or `--rows FILE`"),
    ]
    assert len(result.errors) == 5


def test_typed_values_are_checked_wherever_they_stand():
    template = "param who email\nparam n integer\naccount abCdE1FGH2Hij3KLMnOpqR\n"
    template += "tag who $who\ntag n $n\nitem x\n"
    bad = compile_source(template, "t.offer", {"who": "nobody", "n": "1.5"})
    assert [d.message for d in bad.errors] == ["`1.5` is not a whole number"]
    # An email value gets what a literal email gets: a warning (W305), wherever it stands.
    odd = compile_source(template, "t.offer", {"who": "nobody", "n": "2"})
    assert odd.ok and [(d.code, d.message) for d in odd.diagnostics] == [
        ("W305", "`nobody` does not look like an email address")
    ]
    good = compile_source(template, "t.offer", {"who": " a@example.com ", "n": "2"})
    assert good.payload["tags"] == {"who": "a@example.com", "n": "2"}


def test_an_email_value_and_an_email_literal_get_the_same_diagnostic():
    def diagnostics(declare: str, email: str, values: dict[str, str]) -> list[tuple]:
        contact = f"contact {{\n  first A\n  last B\n  country DE\n  email {email}\n}}\n"
        result = compile_source(declare + contact + "item x {\n  price USD 1.00\n}\n", "t.offer", values)
        return [(d.code, d.severity, d.message, d.hint) for d in result.diagnostics]

    literal = diagnostics("", '"nobody"', {})
    assert literal == diagnostics("param e email\n", "$e", {"e": "nobody"})
    assert [d[:2] for d in literal] == [("W305", Severity.WARNING)]


def test_amounts_need_an_amount_parameter():
    result = compile_source("param p text\naccount abCdE1FGH2Hij3KLMnOpqR\nitem x {\n  price USD $p\n}\n")
    assert [d.message for d in result.errors] == [
        "parameter `$p` is declared `text` but stands for an amount here"
    ]


def test_unknown_values_are_refused():
    result = compile_source(TEMPLATE, "t.offer", dict(GOOD, emial="x"))
    assert [d.message for d in result.errors] == ["`emial` is not a parameter of this offer"]


def test_files_without_parameters_compile_as_before():
    text = "account abCdE1FGH2Hij3KLMnOpqR\nitem falcon\n"
    assert compile_source(text).payload == {
        "account": "abCdE1FGH2Hij3KLMnOpqR",
        "items": [{"product": "falcon"}],
    }


def test_template_binds_many_rows_without_reparsing():
    template, diags = compile_template(TEMPLATE, "t.offer")
    assert template is not None and not diags
    first = template.bind(GOOD)
    second = template.bind(dict(GOOD, first="Max", price="5"))
    assert first.payload["contact"]["first"] == "Jane"
    assert second.payload["contact"]["first"] == "Max"
    assert second.payload["items"][0]["pricing"]["price"] == {"USD": Decimal("5.00")}
    assert template.offer.of(type(template.offer.clauses[0]))[0].name.value == "first", "template untouched"


def test_check_passes_a_good_template_and_compile_asks_for_values(tmp_path, capsys):
    path = tmp_path / "t.offer"
    path.write_text(TEMPLATE)
    assert main(["check", str(path)]) == 0
    assert main(["compile", str(path)]) == 1
    assert "parameter `$first` has no value" in capsys.readouterr().err
    sets = [f"--set={k}={v}" for k, v in GOOD.items()]
    assert main(["compile", str(path), *sets]) == 0


@pytest.mark.parametrize("bad", ["email", "=x", "a"])
def test_set_needs_name_equals_value(tmp_path, bad, capsys):
    path = tmp_path / "t.offer"
    path.write_text(TEMPLATE)
    assert main(["compile", str(path), "--set", bad]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_check_json_calls_a_good_template_valid(tmp_path, capsys):
    path = tmp_path / "t.offer"
    path.write_text(TEMPLATE)
    assert main(["check", "--format", "json", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["files"] == [{"path": str(path), "valid": True}]


def test_a_parameter_name_must_be_spellable_as_a_reference():
    result = compile_source("param first-name text\naccount abCdE1FGH2Hij3KLMnOpqR\nitem x\n")
    assert [(d.code, d.message, d.hint) for d in result.errors] == [
        (
            "E228",
            "parameter name `first-name` cannot be referenced: use letters, digits and `_`",
            "e.g. `first_name`",
        )
    ]


def test_a_declared_but_unused_parameter_needs_no_value():
    text = "param spare text\nparam tag text\naccount abCdE1FGH2Hij3KLMnOpqR\ntag t $tag\nitem x\n"
    result = compile_source(text, "t.offer", {"tag": "v"})
    assert result.ok and result.payload["tags"] == {"t": "v"}


def test_the_schema_gate_runs_once_per_template(monkeypatch):
    import offerlang.compiler.pipeline as api

    calls = []
    real = api.validate
    monkeypatch.setattr(api, "validate", lambda *args: calls.append(1) or real(*args))
    template, _ = compile_template(TEMPLATE, "t.offer")
    assert not template.bind(dict(GOOD, country="XX")).ok
    assert calls == [], "a row that fails the checks never reaches the gate"
    for name in ("A", "B", "C"):
        assert template.bind(dict(GOOD, first=name)).ok
    assert calls == [1], "every payload of a template has the same shape: one schema check"
