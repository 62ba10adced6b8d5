"""The generated ISO tables are what scripts/make_iso.py makes from pycountry (a dev dependency).

pycountry comes with the `test` extra, so CI always runs this; a checkout without it skips.
"""

from __future__ import annotations

import importlib.util

import pytest

from offerlang.iso import COUNTRIES, LANGUAGES
from offerlang.iso_names import COUNTRY_NAMES, LANGUAGE_NAMES

from .conftest import ROOT


def _script():
    pytest.importorskip("pycountry", reason="pycountry is in the test extra: pip install -e '.[test]'")
    spec = importlib.util.spec_from_file_location("make_iso", ROOT / "scripts" / "make_iso.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_iso_tables_are_what_the_script_makes():
    make_iso = _script()
    assert (ROOT / "offerlang" / "iso.py").read_text("utf-8") == make_iso.render_iso(), (
        "run: python scripts/make_iso.py"
    )
    assert (ROOT / "offerlang" / "iso_names.py").read_text("utf-8") == make_iso.render_names(), (
        "run: python scripts/make_iso.py"
    )
    assert (ROOT / "offerlang" / "iso_labels.py").read_text("utf-8") == make_iso.render_labels(), (
        "run: python scripts/make_iso.py"
    )


def test_every_code_has_a_label():
    from offerlang.iso import CURRENCIES
    from offerlang.iso_labels import COUNTRY_LABELS, CURRENCY_LABELS, LANGUAGE_LABELS

    assert set(CURRENCY_LABELS) == CURRENCIES
    assert set(COUNTRY_LABELS) == COUNTRIES
    assert set(LANGUAGE_LABELS) == LANGUAGES


def test_every_name_leads_to_a_code_the_checks_accept():
    assert set(COUNTRY_NAMES.values()) <= COUNTRIES
    assert set(LANGUAGE_NAMES.values()) <= LANGUAGES


def test_the_cli_does_not_need_pycountry():
    import subprocess
    import sys

    probe = (
        "import sys; sys.modules['pycountry'] = None\n"
        "from offerlang import compile_source\n"
        "r = compile_source('contact {\\n country Brazil\\n}\\nitem a\\n')\n"
        "print(r.errors[0].hint)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "did you mean `BR`?"
