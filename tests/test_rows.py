"""Rows files: every problem reported with its physical line and column; payloads streamed."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offerlang.campaign.rows import RowProblems, RowsError, RowSet
from offerlang.cli import main
from offerlang.compiler.pipeline import compile_template
from offerlang.jsonout import dumps, loads

from .conftest import EXAMPLES

OFFER = EXAMPLES / "campaign" / "annual-upgrade.offer"
BUYERS = EXAMPLES / "campaign" / "buyers.csv"


def template():
    t, diags = compile_template(OFFER.read_text("utf-8"), "annual-upgrade.offer")
    assert t is not None, diags
    return t


def check(tmp_path, text: str, name: str = "buyers.csv", **kwargs) -> tuple[RowProblems, list]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    report = RowProblems(name)
    rows = list(RowSet(path, template(), **kwargs).rows(report))
    return report, rows


def test_example_buyers_all_bind(tmp_path):
    report = RowProblems("buyers.csv")
    rows = list(RowSet(BUYERS, template()).rows(report))
    assert report.ok and report.rows == len(rows) == 20
    assert rows[0].key == "ada.lovelace@example.com" and rows[0].line == 2
    assert rows[5].payload["contact"]["last"] == "Gödel"


def test_bad_values_are_reported_by_line_and_column(tmp_path):
    text = (
        "email,first,last,country\n"
        "a@example.com,Ann,Lee,DE\n"
        '"b@example.com","Multi\nLine",Lee,XX\n'  # a quoted field over two lines
        "\n"  # a blank line still counts
        "nobody,Cy,,de\n"
        "a@example.com,Dup,Lee,US\n"
        "e@example.com,Eve\n"
    )
    report, rows = check(tmp_path, text)
    assert [r.key for r in rows] == ["a@example.com"]
    assert report.lines() == [
        'buyers.csv:3: column "country": error[E203]: `XX` is not an ISO 3166 country code '
        "(use the ISO 3166 country code, e.g. `DE`)",
        'buyers.csv:6: column "last": error[E229]: `last` cannot be empty (fill in a value)',
        'buyers.csv:6: column "email": warning[W305]: `nobody` does not look like an email address '
        "(FastSpring sends the receipt there)",
        'buyers.csv:6: column "country": error[E203]: `de` is not an ISO 3166 country code '
        "(did you mean `DE`?)",
        'buyers.csv:7: column "email": key "a@example.com" is already used on line 2',
        "buyers.csv:8: the row has 2 fields, the header has 4",
    ]
    assert (report.rows, report.bad_rows, report.errors, report.warnings) == (5, 4, 5, 1)


def test_column_problems_are_reported_once(tmp_path):
    report, rows = check(tmp_path, "id,email,first,lsat,extra\n1,a@example.com,A,B,x\n")
    assert rows == []
    assert report.lines() == [
        'buyers.csv:1: column "lsat": is not a parameter of annual-upgrade.offer; did you mean `last`?',
        'buyers.csv:1: column "extra": is not a parameter of annual-upgrade.offer',
        'buyers.csv:1: column "last": is missing: $last needs a value (or --set last=…)',
        'buyers.csv:1: column "country": is missing: $country needs a value (or --set country=…)',
    ]


def test_unused_parameter_columns_and_set_clashes(tmp_path):
    path = tmp_path / "t.offer"
    path.write_text(
        "param first text\nparam spare text\naccount abCdE1FGH2Hij3KLMnOpqR\ntag f $first\nitem x\n"
    )
    rows = tmp_path / "r.csv"
    rows.write_text("id,first,spare\n1,A,B\n")
    t, _ = compile_template(path.read_text(), "t.offer")
    report = RowProblems("r.csv")
    assert list(RowSet(rows, t, fixed={"first": "Z"}).rows(report)) == []
    assert report.lines() == [
        'r.csv:1: column "first": is also given by --set first=…; give it once',
        'r.csv:1: column "spare": is unused: t.offer declares $spare but never uses it',
    ]


def test_json_lines_rows(tmp_path):
    text = (
        '{"email": "a@example.com", "first": "A", "last": "B", "country": "DE"}\n'
        "\n"
        '{"email": "b@example.com", "first": "A", "last": "B"}\n'
        '{"email": "c@example.com", "first": 7, "last": "B", "country": "FR"}\n'
        '{"email": "d@example.com", "first": null, "last": "B", "country": "FR"}\n'
        "not json\n"
    )
    report, rows = check(tmp_path, text, "buyers.jsonl")
    assert [r.key for r in rows] == ["a@example.com", "c@example.com"]
    assert rows[1].payload["contact"]["first"] == "7"
    assert report.lines() == [
        'buyers.jsonl:3: column "country": is missing: $country needs a value (or --set country=…)',
        'buyers.jsonl:5: column "first": must be a string or a number, not null',
        "buyers.jsonl:6: not a JSON object: Expecting value (column 1)",
    ]


def test_key_option_and_unusable_files(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("email,first,last,country\na@example.com,A,B,DE\n")
    assert RowSet(path, template(), key="email").key == "email"
    with pytest.raises(RowsError, match="--key 'emial' is not a column; did you mean `email`"):
        RowSet(path, template(), key="emial")
    with pytest.raises(RowsError, match=r"\.csv file .* or \.jsonl"):
        RowSet(tmp_path / "b.xlsx", template())
    with pytest.raises(RowsError, match="No such file"):
        RowSet(tmp_path / "missing.csv", template())
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(RowsError, match="no columns"):
        RowSet(tmp_path / "empty.csv", template())


def test_problem_output_is_capped_but_all_are_counted(tmp_path):
    lines = ["email,first,last,country"] + [f"p{i}@example.com,A,B,XX" for i in range(120)]
    report, _ = check(tmp_path, "\n".join(lines) + "\n")
    assert report.errors == 120 and len(report.lines()) == 51
    assert report.lines()[-1] == "… and 70 more problems in buyers.csv"


def test_compile_rows_writes_one_compact_payload_per_line(tmp_path):
    out = tmp_path / "payloads.jsonl"
    assert main(["compile", str(OFFER), "--rows", str(BUYERS), "-o", str(out)]) == 0
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) == 20
    first = loads(lines[0])
    assert first["contact"] == {
        "first": "Ada",
        "last": "Lovelace",
        "email": "ada.lovelace@example.com",
        "country": "GB",
    }
    assert lines[0] == dumps(first, None), "compact, exact decimals"
    assert '"price":{"USD":120.00,"EUR":110.00}' in lines[0]


def test_compile_rows_writes_nothing_when_a_row_is_bad(tmp_path, capsys):
    out = tmp_path / "payloads.jsonl"
    out.write_text("previous\n")
    rows = tmp_path / "b.csv"
    rows.write_text(BUYERS.read_text("utf-8") + "z@example.com,Zed,Zero,ZZ\n", encoding="utf-8")
    assert main(["compile", str(OFFER), "--rows", str(rows), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f'{rows}:22: column "country": error[E203]: `ZZ` is not an ISO 3166 country code' in err
    assert out.read_text() == "previous\n", "the old output is kept"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no temporary file left"


def test_compile_rows_cli_subprocess(tmp_path):
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "offer"),
            "compile",
            str(OFFER),
            "--rows",
            str(BUYERS),
            "--key",
            "country",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert 'buyers.csv:4: column "country": key "GB" is already used on line 2' in proc.stderr
    assert proc.stdout == "", "nothing is printed before every row is checked"


def test_a_bad_byte_is_reported_on_its_own_line(tmp_path):
    path = tmp_path / "buyers.csv"
    good = "".join(f"p{i}@example.com,A,B,DE\n" for i in range(3))
    path.write_bytes(
        b"email,first,last,country\n" + good.encode() + b"q@example.com,\xff,B,DE\nr@example.com,A,B,DE\n"
    )
    report = RowProblems("buyers.csv")
    rows = list(RowSet(path, template()).rows(report))
    assert len(rows) == 3
    assert report.lines() == [
        "buyers.csv:5: cannot read the rest of the file: not UTF-8 text (byte 15 of the line); "
        'save it as "CSV UTF-8 (Comma delimited)"'
    ]


def test_a_column_named_twice_is_refused(tmp_path):
    path = tmp_path / "buyers.csv"
    path.write_text("email,first,last,email\n")
    with pytest.raises(RowsError, match=r'buyers\.csv:1: column "email" appears twice'):
        RowSet(path, template())


def test_bad_rows_report_snapshot(tmp_path, capsys, snapshot, monkeypatch):
    rows = tmp_path / "new-buyers.csv"
    rows.write_text(
        "email,first,last,country\n"
        "ada@example.com,Ada,Lovelace,GB\n"
        "bob@example,Bob,,UK\n"
        "ada@example.com,Ada,King,GB\n"
        "cy@example.com,Cy\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["compile", str(OFFER), "--rows", "new-buyers.csv", "-o", "payloads.jsonl"]) == 1
    assert capsys.readouterr().err == snapshot
    assert not (tmp_path / "payloads.jsonl").exists()


def test_the_templates_own_warnings_are_not_repeated_per_row(tmp_path):
    offer = "param first text\ncontact {\n  first $first\n  last X\n  email x@example.com\n}\nitem x\n"
    t, diags = compile_template(offer, "t.offer")
    assert [d.code for d in diags] == ["W301"]
    path = tmp_path / "r.csv"
    path.write_text("first\nA\nB\n")
    report = RowProblems("r.csv")
    assert len(list(RowSet(path, t).rows(report))) == 2
    assert report.lines() == [] and report.warnings == 0


@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.sampled_from('ab "\n,é'), max_size=6),  # a first name, quoted as needed
            st.sampled_from(["DE", "XX"]),
            st.booleans(),  # a blank line before the record
        ),
        min_size=1,
        max_size=12,
    )
)
def test_problems_are_reported_on_the_physical_line_where_the_record_starts(tmp_path_factory, records):
    """Whatever quoting and line breaks the values need, a bad row is named by its first line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "first", "last", "country"])
    expected = []
    for i, (first, country, blank) in enumerate(records):
        if blank:
            out.write("\n")
        line = out.getvalue().count("\n") + 1
        writer.writerow([f"p{i}@example.com", first or "x", "L", country])
        if country == "XX":
            expected.append(
                f'buyers.csv:{line}: column "country": error[E203]: `XX` is not an ISO 3166 country code'
            )
    path = tmp_path_factory.mktemp("rows") / "buyers.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    report = RowProblems("buyers.csv")
    list(RowSet(path, template()).rows(report))
    assert [problem.split(" (")[0] for problem in report.lines()] == expected


def test_keys_differing_only_in_case(tmp_path):
    """An email key is one buyer whatever its case (an error, keys in lower case); any other key
    that differs only in case is probably a mistake (a warning)."""
    report, rows = check(
        tmp_path, "email,first,last,country\nAda@Example.com,A,B,DE\nada@example.com,A,B,DE\n"
    )
    assert [r.key for r in rows] == ["ada@example.com"]
    assert report.lines() == ['buyers.csv:3: column "email": key "ada@example.com" is already used on line 2']
    report, rows = check(
        tmp_path, "id,email,first,last,country\nAb,a@example.com,A,B,DE\nab,b@example.com,A,B,DE\n"
    )
    assert [r.key for r in rows] == ["Ab", "ab"] and report.ok
    assert report.lines() == ['buyers.csv:3: column "id": key "ab" differs only in case from "Ab" on line 2']


def test_messages_for_files_saved_the_wrong_way(tmp_path):
    template = compile_template(OFFER.read_text(), str(OFFER))[0]
    semicolons = tmp_path / "semi.csv"
    semicolons.write_text("email;first;last;country\na@example.com;A;B;DE\n")
    with pytest.raises(RowsError, match=r"semi.csv:1: one column named .*separated by semicolons"):
        RowSet(semicolons, template)
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("email,first,last,country\n".encode("utf-16"))
    with pytest.raises(RowsError, match=r'utf16.csv:1: .*UTF-16 text, not UTF-8; save it as "CSV UTF-8'):
        RowSet(utf16, template)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("email,first,last,country\na@example.com,Jos\u00e9,B,DE\n".encode("latin-1"))
    report = RowProblems(str(latin1))
    list(RowSet(latin1, template).rows(report))
    assert report.lines() == [
        f"{latin1}:2: cannot read the rest of the file: not UTF-8 text (byte 18 of the line); "
        'save it as "CSV UTF-8 (Comma delimited)"'
    ]


def test_json_lines_syntax_error_names_the_column(tmp_path):
    report, _rows = check(
        tmp_path,
        '{"email": "a@example.com", "first": "A", "last": "B", "country": "DE"}\n'
        '{"email": "b@x.com" "first": 1}\n',
        name="buyers.jsonl",
    )
    assert report.lines() == ["buyers.jsonl:2: not a JSON object: Expecting ',' delimiter (column 21)"]


def test_a_header_that_does_not_fit_says_no_row_was_checked(tmp_path):
    report, _rows = check(tmp_path, "mail,first,lats\na@example.com,A,B\n")
    assert report.summary() == "buyers.csv: the columns do not fit the offer (4 errors); no row was checked"
