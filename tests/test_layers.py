"""The package is the pipeline, and its dependencies point one way.

    facts and helpers   language, iso, jsonout, text, usercache, errors, files, interrupts
      ← compiler        source → parser → nodes → checks → emit → schema; diagnostics, pipeline
        ← tools         review, authoring, send, campaign, store
          ← front ends  cli, lsp, action

A module may import from its own package and from the layers below it, never above, and
never sideways into another package of its layer unless PEERS allows it. Every import
counts: at the top of a module, inside a function (lazy) or under TYPE_CHECKING. The table
names the homes of what is coming (the store, the editor server, the API targets), so a
module that lands there is placed without touching this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import offerlang

from .conftest import ROOT

PACKAGE = ROOT / "offerlang"

# (module or package prefix, layer). The longest matching prefix wins.
LAYERS: dict[str, int] = {
    # facts and helpers: import nothing of offerlang's but each other
    "offerlang.language": 0,
    "offerlang.iso": 0,
    "offerlang.iso_names": 0,
    "offerlang.iso_labels": 0,  # each ISO code's English name (the language server's hover)
    "offerlang.jsonout": 0,
    "offerlang.text": 0,
    "offerlang.usercache": 0,
    "offerlang.errors": 0,
    "offerlang.files": 0,  # the one safe way to open a file offerlang writes
    "offerlang.interrupts": 0,  # SIGTERM taken like Ctrl-C
    # the compiler, its API and its output targets
    "offerlang.compiler": 1,
    "offerlang.compiler.targets": 1,  # Sessions v1, v2 … payload writers (to come)
    # tools built on the compiler
    "offerlang.review": 2,
    "offerlang.review.html": 2,  # the offer card (HTML)
    "offerlang.authoring": 2,
    "offerlang.send": 2,
    "offerlang.campaign": 2,
    "offerlang.store": 2,  # catalog, store config, policy (to come)
    # front ends
    "offerlang.cli": 3,
    "offerlang.lsp": 3,  # the language server
    "offerlang.action": 3,  # the GitHub Action's steps: they run the `offer` command
}

# Packages of one layer that build on another of the same layer, on purpose.
PEERS: dict[str, set[str]] = {
    "offerlang.campaign": {"offerlang.send"},  # a campaign sends through the send client
    "offerlang.store": {"offerlang.send"},  # `offer catalog pull` reads through the send client
    "offerlang.cli": {"offerlang.lsp"},  # `offer lsp` starts the language server
}

# The root package is the public API: it re-exports the compiler's entry points and the error
# base class, imported lazily on first use; anything may import it (for __version__).
ROOT_MODULE = "offerlang"
ROOT_MAY_IMPORT = {"offerlang.compiler", "offerlang.errors"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str) -> str:
    """`offerlang.compiler.checks.check` → the module it lives in."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _imports(module: str) -> list[tuple[int, str]]:
    """(line, imported offerlang module) for every import in `module`, wherever it stands."""
    return _imports_in(MODULES[module].read_text("utf-8"), module)


def _from_root(name: str) -> str:
    """A name taken from the root package is the module that defines it: `from offerlang import
    compile_source` imports the compiler as much as `from offerlang.compiler.pipeline import
    compile_source` does. `__version__` and other names of the root's own are the root."""
    exported = offerlang._EXPORTS.get(name)
    return _resolve(f"{ROOT_MODULE}.{exported}") if exported else ROOT_MODULE


def _imports_in(source: str, module: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, _resolve(a.name)) for a in node.names if a.name.startswith("offerlang")]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module}:{node.lineno}: relative import (use absolute imports)"
            base = node.module or ""
            if base.split(".")[0] != "offerlang":
                continue
            if base == ROOT_MODULE:
                found += [(node.lineno, _from_root(a.name)) for a in node.names]
                continue
            # `from offerlang.compiler import nodes` imports a module; `from x import name` its module.
            found += [(node.lineno, _resolve(f"{base}.{a.name}")) for a in node.names]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == ROOT_MODULE
        ):
            # `import offerlang` then `offerlang.compile_file(...)`: the same import, spelt later.
            found.append((node.lineno, _from_root(node.attr)))
    return found


def layer_of(module: str) -> int:
    prefixes = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    assert prefixes, f"{module} has no layer: add it (or its package) to LAYERS in {__file__}"
    return LAYERS[max(prefixes, key=len)]


def package_of(module: str) -> str:
    """The unit a module belongs to: its package below offerlang, or itself for a top module."""
    return ".".join(module.split(".")[:2])


def _allowed(importer: str, imported: str) -> bool:
    if imported == ROOT_MODULE:
        return True
    if importer == ROOT_MODULE:
        return any(imported == p or imported.startswith(p + ".") for p in ROOT_MAY_IMPORT)
    if package_of(importer) == package_of(imported):
        return True
    mine, theirs = layer_of(importer), layer_of(imported)
    if theirs < mine or mine == theirs == 0:  # the facts and helpers are one unit
        return True
    return theirs == mine and package_of(imported) in PEERS.get(package_of(importer), set())


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != ROOT_MODULE))
def test_every_module_has_a_layer(module):
    layer_of(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    wrong = [
        f"{module}:{line} imports {imported} (layer {layer_of(imported)}, above or beside layer "
        f"{layer_of(module)})"
        for line, imported in _imports(module)
        if not _allowed(module, imported)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_reaches_for_another_modules_private_names(module):
    tree = ast.parse(MODULES[module].read_text("utf-8"))
    private = [
        f"{module}:{node.lineno} imports {a.name} from {node.module}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("offerlang")
        for a in node.names
        if a.name.startswith("_") and not a.name.startswith("__")
    ]
    assert not private, "\n".join(private)


def test_the_layer_check_catches_an_import_that_points_up():
    # The compiler must never need the tools built on it.
    assert not _allowed("offerlang.compiler.checks", "offerlang.review.explain")
    assert not _allowed("offerlang.language", "offerlang.compiler.nodes")
    assert not _allowed("offerlang.review.diff", "offerlang.send.client")  # sideways, not a peer
    assert not _allowed("offerlang.store.catalog", "offerlang.cli.common")
    assert _allowed("offerlang.lsp.server", "offerlang.compiler.pipeline")
    assert _allowed("offerlang.compiler.targets.v2", "offerlang.language")
    assert _allowed("offerlang.campaign.runner", "offerlang.send.client")
    # The root package re-exports the compiler: importing it from there is importing the compiler.
    for source in ("from offerlang import compile_source", "import offerlang\nofferlang.compile_source('')"):
        ((_, imported),) = [i for i in _imports_in(source, "offerlang.language") if i[1] != ROOT_MODULE]
        assert imported == "offerlang.compiler.pipeline"
        assert not _allowed("offerlang.language", imported)
    assert _imports_in("from offerlang import __version__", "offerlang.language") == [(1, ROOT_MODULE)]
    assert _allowed("offerlang.language", ROOT_MODULE)
