"""`offer lsp` as a command: the optional extra, and a base CLI that never pays for it."""

from __future__ import annotations

import subprocess
import sys

from .conftest import EXAMPLES

SPRING = EXAMPLES / "spring-promotion.offer"


def test_without_the_extra_offer_lsp_names_the_install_command():
    # pygls made unimportable, as when the extra is not installed.
    code = "import sys; sys.modules['pygls'] = None; from offerlang.cli import main; sys.exit(main(['lsp']))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "Error: offer lsp needs the language server extra: pip install 'offerlang[lsp]'\n"


def test_the_base_cli_never_imports_the_language_server():
    code = (
        "import sys; from offerlang.cli import main\n"
        "main(['check', sys.argv[1]]); main(['--help'])\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol', 'cattrs')]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(SPRING)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
