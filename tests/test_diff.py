"""`offer diff`: changes in offer terms, for a pair of offers per kind of change, and against git."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from offerlang.jsonout import loads
from offerlang.review.diff import percent_change

from .conftest import FIXTURES, ROOT, run

pytestmark = pytest.mark.usefixtures("plain_output_from_the_root")

DIFF = "tests/fixtures/diff"

# (name, old, new): each pair differs in one kind of change.
PAIRS = [
    ("price", "base", "price"),
    ("trial", "base", "trial"),
    ("paid-trial-and-setup-fee", "base", "paid-trial"),
    ("renewal", "base", "renewal"),
    ("coupon-added", "coupon-removed", "base"),
    ("coupon-removed", "base", "coupon-removed"),
    ("coupon-changed", "base", "coupon-changed"),
    ("item-added", "item-removed", "base"),
    ("item-removed", "base", "item-removed"),
    ("buyer", "base", "buyer"),
    ("expiry", "base", "expiry"),
    ("discount", "base", "discount"),
    ("discount-periods", "base", "discount-periods"),
    ("quantity", "base", "quantity"),
    ("formatting-only", "base", "formatting"),
    ("injection", "injection-old", "injection"),
    ("billing", "base", "billing"),
    ("setup-fee-alone", "base", "setup-fee"),
    ("tags", "base", "tags"),
    ("attributes", "base", "attributes"),
    ("discount-tiers", "base", "discount-tiers"),
    ("contact-and-lookup", "contact-old", "contact"),
    ("jpy", "jpy-old", "jpy"),
    ("buyer-removed", "base", "no-buyer"),
    ("buyer-added", "no-buyer", "base"),
    ("renewal-opt-auto", "base", "renewal-opt-auto"),
]


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
@pytest.mark.parametrize(("name", "old", "new"), PAIRS, ids=[p[0] for p in PAIRS])
def test_diff_pair(name, old, new, fmt, capsys, review_snapshot):
    code, out, err = run(capsys, "diff", "--format", fmt, f"{DIFF}/{old}.offer", f"{DIFF}/{new}.offer")
    assert (code, err) == (0, "")
    assert out == review_snapshot(fmt)


def test_the_examples_in_the_issue_read_as_written(capsys):
    def lines(new: str, old: str = "base") -> list[str]:
        _, out, _ = run(capsys, "diff", f"{DIFF}/{old}.offer", f"{DIFF}/{new}.offer")
        return [line.strip() for line in out.splitlines()[1:]]

    assert "prime-sub: price USD 9.99 → 7.99 (−20.0%)" in lines("price")
    assert lines("trial") == ["prime-sub: trial 14 → 30 days"]
    assert lines("renewal") == [
        "prime-sub: renewal auto → manual: renews manually (the buyer pays each period from their "
        "account page); no choice offered"
    ]
    assert lines("renewal-opt-auto") == [
        "prime-sub: renewal auto → opt-auto: renews manually unless the buyer opts in to automatic "
        "renewal (FastSpring's checkout checkbox, unticked)"
    ]
    assert lines("no-buyer") == [
        "buyer removed (was existing account abCdE1FGH2Hij3KLMnOpqR): the buyer enters their details "
        "at checkout"
    ]
    assert lines("base", "no-buyer")[0].startswith("buyer added: existing account abCdE1FGH2Hij3KLMnOpqR")
    assert lines("base", "coupon-removed") == ["coupon SPRING10 added"]
    assert lines("item-removed") == ["item basic-laptop removed"]
    # the timeline: what the buyer pays in each period, where it changed
    assert "prime-sub: buyer pays USD after the trial and at the 1st renewal: 5.00 → 4.00" in lines("price")
    assert "prime-sub: buyer pays USD from the 2nd renewal on: 9.99 → 7.99" in lines("price")


def test_timeline_lines_name_the_charges_and_never_print_a_one_period_range(capsys, tmp_path):
    old = ROOT / "examples" / "fastspring" / "tags-attributes-subscription.offer"
    new = tmp_path / "new.offer"
    new.write_text(old.read_text().replace("discount 50%", "discount 56.25%"))
    code, out, _ = run(capsys, "diff", str(old.relative_to(ROOT)), str(new))
    assert code == 0
    # 399.99 - 56.25% = 174.995625 -> 175.00; no trial, so signup is the first discounted period.
    assert (
        "some-monthly-subscription: buyer pays USD at signup and at the 1st renewal: 200.00 → 175.00" in out
    )
    assert "1–1" not in out and "period" not in out.replace("billing period", "")


def test_formatting_and_comments_change_nothing_buyers_see(capsys):
    code, out, _ = run(capsys, "diff", "--exit-code", f"{DIFF}/base.offer", f"{DIFF}/formatting.offer")
    assert code == 0
    assert out.endswith(": no change to what buyers see\n")
    base, reformatted = (FIXTURES / "diff" / f"{name}.offer" for name in ("base", "formatting"))
    assert base.read_text() != reformatted.read_text()


def test_exit_code_is_1_only_when_asked_and_buyers_would_see_a_change(capsys):
    pair = (f"{DIFF}/base.offer", f"{DIFF}/price.offer")
    assert run(capsys, "diff", *pair)[0] == 0
    assert run(capsys, "diff", "--exit-code", *pair)[0] == 1


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_an_offer_that_does_not_compile_is_reported_with_its_diagnostics(fmt, capsys):
    code, out, err = run(capsys, "diff", "--format", fmt, f"{DIFF}/base.offer", f"{DIFF}/broken.offer")
    assert code == 1
    assert "broken.offer:6:9: error[E219]: `sometimes` is not a renewal mode" in err
    if fmt == "json":
        doc = loads(out)
        assert doc["offers"][0]["status"] == "invalid"
        assert [d["code"] for d in doc["offers"][0]["diagnostics"]] == ["E219"]
    else:
        assert "does not compile" in out


def test_the_same_broken_file_on_both_sides_is_reported_once(capsys):
    broken = f"{DIFF}/broken.offer"
    code, _, err = run(capsys, "diff", broken, broken)
    assert code == 1
    assert err.count("error[E219]") == 1


def test_usage_errors(capsys):
    code, _, err = run(capsys, "diff", f"{DIFF}/base.offer")
    assert code == 2 and "give two offer files" in err
    code, _, err = run(capsys, "diff", f"{DIFF}/base.offer", "no/such.offer")
    assert code == 2 and "no/such.offer" in err


def test_percent_change_is_rounded_half_up_to_one_decimal():
    from decimal import Decimal as D

    assert percent_change(D("9.99"), D("7.99")) == " (−20.0%)"
    assert percent_change(D("3.00"), D("4.00")) == " (+33.3%)"
    assert percent_change(D("40.00"), D("40.02")) == " (+0.1%)"  # 0.05 -> 0.1, where half even says 0.0
    assert percent_change(D("0"), D("1.00")) == ""
    # A rise too small to show at one decimal still says which way it went.
    assert percent_change(D("99999999.98"), D("99999999.99")) == " (+0.0%)"
    assert percent_change(D("99999999.99"), D("99999999.98")) == " (−0.0%)"


# ---- against a git revision -------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with two committed offers; then one is changed, one deleted, one added,
    one only reformatted, and a hidden folder holds an offer that is never compared."""
    fixtures = FIXTURES / "diff"
    (tmp_path / "offers").mkdir()
    (tmp_path / "offers" / "prime.offer").write_text((fixtures / "base.offer").read_text())
    (tmp_path / "offers" / "laptop.offer").write_text((fixtures / "item-removed.offer").read_text())
    (tmp_path / "offers" / "gone.offer").write_text((fixtures / "coupon-removed.offer").read_text())
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "offers")
    (tmp_path / "offers" / "prime.offer").write_text((fixtures / "price.offer").read_text())
    (tmp_path / "offers" / "laptop.offer").write_text(
        (fixtures / "item-removed.offer").read_text().replace("# The offer", "# A comment changed: the offer")
    )
    (tmp_path / "offers" / "gone.offer").unlink()
    (tmp_path / "offers" / "new.offer").write_text((fixtures / "trial.offer").read_text())
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "skip.offer").write_text("not an offer")
    return tmp_path


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_diff_against_a_git_revision(repo, fmt, monkeypatch, capsys, review_snapshot):
    monkeypatch.chdir(repo)
    code, out, err = run(capsys, "diff", "--base", "HEAD", "--exit-code", "--format", fmt)
    assert (code, err) == (1, "")
    assert out == review_snapshot(fmt)


def test_diff_against_a_git_revision_from_a_sub_folder_and_for_one_path(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo / "offers")
    code, out, _ = run(capsys, "diff", "--base", "HEAD", "gone.offer")
    assert code == 0
    assert out == "gone.offer: offer removed\n  item prime-sub removed\n  item basic-laptop removed\n"
    code, out, _ = run(capsys, "diff", "--base", "HEAD", "--exit-code", "laptop.offer")
    assert (code, out) == (0, "laptop.offer: no change to what buyers see\n")


def test_git_errors_are_usage_errors(repo, tmp_path_factory, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    code, _, err = run(capsys, "diff", "--base", "no-such-rev")
    assert code == 2 and "unknown git revision 'no-such-rev'" in err
    code, _, err = run(capsys, "diff", "--base", "--help")
    assert code == 2 and "cannot start with '-'" in err
    code, _, err = run(capsys, "diff", "--base", "HEAD", "missing.offer")
    assert code == 2 and "missing.offer: no such file or directory, here or at HEAD" in err
    outside = tmp_path_factory.mktemp("not-a-repo")
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(outside.parent))
    code, _, err = run(capsys, "diff", "--base", "HEAD")
    assert code == 2 and "not in one" in err


def test_offer_diff_runs_as_a_program(repo):
    offer = Path(sys.executable).parent / "offer"
    done = subprocess.run(
        [str(offer), "diff", "--base", "HEAD", "--exit-code", "offers/prime.offer"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    assert "prime-sub: price USD 9.99 → 7.99 (−20.0%)" in done.stdout


def test_keyed_text_and_order_changes_each_get_a_line():
    from offerlang.review.diff import diff_payloads

    old = {
        "contact": {"first": "Jane", "last": "Doe", "email": "jane@example.com"},
        "tags": {"campaign": "spring"},
        "items": [{"product": "a"}, {"product": "b", "attributes": {"seat": "1"}}],
    }
    new = {
        "contact": {"first": "Jane", "last": "Doe", "email": "jd@example.com", "country": "DE"},
        "tags": {"campaign": "summer", "owner": "growth"},
        "items": [{"product": "b", "attributes": {"seat": "2"}}, {"product": "a"}],
    }
    assert [c.line for c in diff_payloads(old, new)] == [
        "buyer email jane@example.com → jd@example.com",
        "buyer country added: DE",
        "tag campaign spring → summer",
        "tag owner added: growth",
        "item order a, b → b, a",
        "b: attribute seat 1 → 2",
    ]


def test_markdown_lists_the_problems_of_an_offer_that_does_not_compile(capsys):
    argv = ["diff", "--format", "markdown", f"{DIFF}/base.offer", f"{DIFF}/broken.offer"]
    code, out, err = run(capsys, *argv)
    assert code == 1 and "error[E219]" in err
    assert out.splitlines()[0].endswith(": does not compile")
    # Escaped: the message's backticks and brackets are text, not markdown.
    assert f"| {DIFF}/broken.offer:6:9: error\\[E219\\]: \\`sometimes\\` is not a renewal mode |" in out


def test_a_trial_added_counts_charges_since_a_renewal_on_one_side_is_not_one_on_the_other(capsys, tmp_path):
    body = "price USD 9.99\nbilled every 1 month\n{trial}discount 50% for 2 periods"
    old, new = tmp_path / "old.offer", tmp_path / "new.offer"
    for path, trial in ((old, ""), (new, "trial 14 days free\n")):
        path.write_text(f"account abCdE1FGH2Hij3KLMnOpqR\nitem p {{\n{body.format(trial=trial)}\n}}\n")
    _, out, _ = run(capsys, "diff", str(old), str(new))
    # old: 5.00, 5.00, 9.99, ...; new: 0.00 (trial), 5.00, 5.00, 9.99, ...
    assert out.splitlines()[-2:] == [
        "  p: buyer pays USD at signup: 5.00 → 0.00",
        "  p: buyer pays USD at the 3rd charge: 9.99 → 5.00",
    ]
    assert "discount" not in out  # the same discount: only the trial line says what changed


def test_a_huge_discount_duration_is_compared_at_change_points_only(capsys, tmp_path):
    body = (
        "account abCdE1FGH2Hij3KLMnOpqR\nitem p {{\nprice USD 9.99\nbilled every 1 month\n"
        "discount 50% for {n} periods\n}}\n"
    )
    old, new = tmp_path / "old.offer", tmp_path / "new.offer"
    old.write_text(body.format(n=2))
    new.write_text(body.format(n=100000000))
    code, out, _ = run(capsys, "diff", str(old), str(new))
    assert code == 0
    assert out.splitlines()[-1] == "  p: buyer pays USD at renewals 2–99999999: 9.99 → 5.00"


def test_values_stay_one_line_and_literal_in_text_and_markdown(capsys):
    pair = (f"{DIFF}/injection-old.offer", f"{DIFF}/injection.offer")
    _, text, _ = run(capsys, "diff", *pair)
    assert len(text.splitlines()) == 7  # the heading and one line per change, line breaks escaped
    assert '  tag "campaign name" "spring sale" → "summer sale"' in text
    assert '  tag nl "line1\\nline2" → "line1\\nline3"' in text
    assert "  buyer first name Ja|ne → Ja|net" in text
    _, md, _ = run(capsys, "diff", "--format", "markdown", *pair)
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    # Every row has exactly its two cells: no pipe, line break or backtick escapes its cell.
    assert all(line.replace("\\|", "").count("|") == 3 for line in rows), rows
    assert "<b>" not in md and "&lt;b&gt;" in md
    assert "[l](" not in md and "\\[l\\](" in md
    assert "*bold*" not in md.replace("\\*bold\\*", "")
    assert "`Doe`" not in md.replace("\\`Doe\\`", "")


def test_json_changes_carry_structured_fields_tools_can_use_without_text(capsys):
    _, out, _ = run(capsys, "diff", "--format", "json", f"{DIFF}/base.offer", f"{DIFF}/price.offer")
    offer = loads(out)["offers"][0]
    assert (offer["oldPath"], offer["newPath"]) == (f"{DIFF}/base.offer", f"{DIFF}/price.offer")
    price, *timeline = offer["changes"]
    assert (price["field"], price["currency"], str(price["old"]), str(price["new"])) == (
        "price",
        "USD",
        "9.99",
        "7.99",
    )
    assert [(c["field"], c["currency"], c["from"], c["through"], c["onward"]) for c in timeline] == [
        ("timeline", "USD", 1, 2, False),
        ("timeline", "USD", 3, None, True),
    ]
    _, out, _ = run(
        capsys, "diff", "--format", "json", f"{DIFF}/base.offer", f"{DIFF}/discount-periods.offer"
    )
    discount = loads(out)["offers"][0]["changes"][0]
    assert discount["field"] == "discount"
    assert (discount["old"]["duration"], discount["new"]["duration"]) == (2, 6)
    assert discount["new"]["type"] == "percent" and str(discount["new"]["tiers"]["1"]) == "50"
    _, out, _ = run(
        capsys, "diff", "--format", "json", f"{DIFF}/injection-old.offer", f"{DIFF}/injection.offer"
    )
    keyed = [(c["field"], c["key"]) for c in loads(out)["offers"][0]["changes"]]
    assert (
        ("contact", "first") in keyed
        and ("tags", "campaign name") in keyed
        and ("attributes", "k|1") in keyed
    )


def test_base_pairs_renames_skips_unchanged_and_ignored_files_and_reports_json(repo, monkeypatch, capsys):
    fixtures = FIXTURES / "diff"
    (repo / "same.offer").write_text((fixtures / "base.offer").read_text())
    (repo / "moved.offer").write_text((fixtures / "expiry.offer").read_text())
    (repo / "staged.offer").write_text((fixtures / "renewal.offer").read_text())
    git(repo, "add", "same.offer", "moved.offer", "staged.offer")
    git(repo, "commit", "-q", "-m", "more offers")
    (repo / "moved.offer").rename(repo / "elsewhere.offer")  # moved without git: untracked
    git(repo, "mv", "staged.offer", "renamed.offer")
    (repo / "renamed.offer").write_text((fixtures / "base.offer").read_text())  # renamed and edited
    (repo / ".gitignore").write_text("ignored.offer\n")
    (repo / "ignored.offer").write_text("not an offer at all")
    monkeypatch.chdir(repo)
    code, out, err = run(capsys, "diff", "--base", "HEAD", "--format", "json", ".")
    assert (code, err) == (0, "")
    offers = {o["path"]: o for o in loads(out)["offers"]}
    assert "same.offer" not in offers  # the same bytes: not listed at all
    assert "ignored.offer" not in offers
    assert offers["moved.offer → elsewhere.offer"]["status"] == "unchanged"
    renamed = offers["staged.offer → renamed.offer"]
    assert (renamed["oldPath"], renamed["newPath"]) == ("HEAD:staged.offer", "renamed.offer")
    assert [c["text"] for c in renamed["changes"]] == [
        "renewal manual → auto: renews automatically; the buyer is offered no choice"
    ]
    assert offers["offers/gone.offer"]["status"] == "removed"
    assert offers["offers/gone.offer"]["newPath"] is None


def test_exit_code_follows_git_diff_an_error_is_2_not_a_change(capsys):
    pair = (f"{DIFF}/base.offer", f"{DIFF}/broken.offer")
    assert run(capsys, "diff", *pair)[0] == 1  # without --exit-code: offerlang's invalid-offer code
    assert run(capsys, "diff", "--exit-code", *pair)[0] == 2


def test_a_file_name_with_a_line_break_stays_on_its_line():
    from offerlang.review.diff import diff_offers, to_plain

    old = {"items": [{"product": "a"}], "coupon": "X"}
    new = {"items": [{"product": "a"}], "coupon": "Y"}
    assert to_plain([diff_offers("evil\nname.offer", old, new)]).splitlines() == [
        "evil\\nname.offer: 1 change",
        "  coupon X → Y",
    ]


def test_a_file_moved_without_git_add_is_paired_with_the_removed_file_of_the_same_bytes():
    from offerlang.review.revisions import pair_moved_files

    old = {"a.offer": b"x", "gone.offer": b"z"}
    new = {"b.offer": b"y", "c.offer": b"x"}
    sides = [("a.offer", None), ("gone.offer", None), (None, "b.offer"), (None, "c.offer")]
    assert pair_moved_files(sides, old.__getitem__, new.__getitem__) == [
        (None, "b.offer"),
        ("a.offer", "c.offer"),
        ("gone.offer", None),
    ]


def test_git_errors_are_offerlang_errors_with_a_message_for_the_user(tmp_path, monkeypatch):
    from offerlang.errors import OfferlangError
    from offerlang.review.revisions import GitError, offer_pairs

    monkeypatch.chdir(tmp_path)
    with pytest.raises(GitError, match="a revision cannot start with '-'") as caught:
        offer_pairs("--output=x", ["."])
    assert isinstance(caught.value, OfferlangError)


def test_diff_compares_templates_with_their_parameters_or_with_set_values(capsys, tmp_path):
    template = (ROOT / "examples" / "campaign" / "annual-upgrade.offer").read_text("utf-8")
    old, new = tmp_path / "old.offer", tmp_path / "new.offer"
    old.write_text(template, "utf-8")
    new.write_text(template.replace("country $country", "country DE"), "utf-8")
    code, out, err = run(capsys, "diff", str(old), str(new))
    assert (code, err) == (0, "")
    assert "buyer country $country → DE" in out
    sets = ["--set=first=A", "--set=last=B", "--set=email=a@b.de", "--set=country=DE"]
    new.write_text(template, "utf-8")
    code, out, err = run(capsys, "diff", *sets, str(old), str(new))
    assert (code, err) == (0, "") and "no change to what buyers see" in out


def test_diff_skips_a_template_with_an_amount_parameter_without_values(capsys, tmp_path):
    offer = tmp_path / "p.offer"
    offer.write_text("param price money\nitem a {\n  price USD $price\n}\n", "utf-8")
    code, out, err = run(capsys, "diff", str(offer), str(offer))
    assert code == 0 and "not compared" in out and "give values with --set" in err
    code, out, _ = run(capsys, "diff", "--set", "price=5", str(offer), str(offer))
    assert code == 0 and "no change to what buyers see" in out
